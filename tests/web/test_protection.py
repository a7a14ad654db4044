"""The short paths of the request's protections (web/protection.py) protect as before."""

from __future__ import annotations

import re

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.conftest import FULL_ANSWERS, SURVEY, hidden_fields

Client = AsyncTestClient[Litestar]
FORM = f"/s/{SURVEY}?org=elena"


async def test_a_cookie_not_of_our_making_never_reaches_the_page(client: Client) -> None:
    """Litestar put any ``csrftoken`` cookie into the form as it was; now a cookie that is not
    a token of the form we make is replaced by a new token, which then works."""
    forged = '"><b>injected</b>'
    client.cookies.set("csrftoken", forged)
    page = await client.get(FORM)
    assert page.status_code == 200
    assert "injected" not in page.text
    fields = hidden_fields(page.text)
    assert fields["_csrf_token"] == page.cookies.get("csrftoken") != forged
    client.cookies.set("csrftoken", fields["_csrf_token"])
    sent = await client.post(f"/s/{SURVEY}", data={**fields, **FULL_ANSWERS, "_step": "5",
                                                    "_action": "next"}, follow_redirects=False)
    assert sent.status_code == 303


async def test_a_well_formed_but_forged_token_is_refused(client: Client) -> None:
    page = await client.get(FORM)
    fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
    forged = "ab" * 64  # the form of a token, not signed with this server's key
    client.cookies.set("csrftoken", forged)
    refused = await client.post(f"/s/{SURVEY}", data={**fields, "_csrf_token": forged})
    assert refused.status_code == 403
    header = await client.post(f"/s/{SURVEY}", data=fields, headers={"x-csrftoken": forged})
    assert header.status_code == 403


async def test_security_headers_on_router_errors_too(client: Client) -> None:
    for response in (await client.get("/no-such-page"),
                     await client.request("PATCH", f"/s/{SURVEY}"),
                     await client.get(FORM)):
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"


async def test_pages_are_gzipped_only_for_clients_that_ask(client: Client) -> None:
    plain = await client.get(FORM, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = await client.get(FORM, headers={"accept-encoding": "gzip, deflate"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in packed.headers["vary"].lower()
    # httpx decodes it; the bytes sent are smaller than the page
    assert int(packed.headers["content-length"]) < len(plain.content)
    # the same page, gzip made of pieces (web/sent.py), but for its submission key
    key = re.compile(r'name="_key" value="[^"]+"')
    assert key.sub("", packed.text) == key.sub("", plain.text)
    assert packed.text.count("<form") == 1
    thanks = f"/s/{SURVEY}/thanks?org=elena&lang=bg"
    plain_thanks = await client.get(thanks, headers={"accept-encoding": "identity"})
    packed_thanks = await client.get(thanks, headers={"accept-encoding": "gzip"})
    assert packed_thanks.headers["content-encoding"] == "gzip"
    assert packed_thanks.content == plain_thanks.content


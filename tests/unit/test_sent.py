"""The journey's pre-encoded responses (web/sent.py) put on the wire what Litestar's do."""

from __future__ import annotations

import gzip
import random
import zlib
from typing import Any

from litestar import Litestar, Request, Response
from litestar.response import Redirect
from litestar.testing import RequestFactory

from survey_service.web.pages import NO_STORE, html
from survey_service.web.sent import gzip_pieces, no_store_page, see_other, slotted_page


async def messages(response: Response[Any], state: dict[str, Any] | None = None
                   ) -> list[dict[str, Any]]:
    request: Request[Any, Any, Any] = RequestFactory(app=Litestar()).get("/")
    request.scope["state"] = state or {}
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> Any:
        return {"type": "http.disconnect"}

    await response.to_asgi_response(None, request)(request.scope, receive, send)
    for message in sent:
        message.setdefault("more_body", False)
        if "headers" in message:
            message["headers"] = [tuple(h) for h in message["headers"]]
    return sent


async def test_a_page_as_litestar_sends_it() -> None:
    for body, status in ((b"<p>\xd0\xb1</p>" * 100, 200), (b"", 400)):
        assert await messages(no_store_page(body, status)) == await messages(
            html(body, status, NO_STORE))


async def test_a_303_as_litestar_sends_it() -> None:
    for where in ("/s/x/thanks?org=elena&lang=bg", "/s/ж?a=b c"):
        assert await messages(see_other(where)) == await messages(
            Redirect(where, status_code=303))


async def test_headers_added_later_go_litestar_s_way() -> None:
    page = no_store_page(b"x")
    page.set_cookie("a", "b")
    sent = await messages(page)
    assert (b"set-cookie", b"a=b; Path=/; SameSite=lax") in sent[0]["headers"]


def test_gzip_made_of_pieces_inflates_to_the_page() -> None:
    """Deflated pieces, stored slot values, the final block and the CRC: one valid gzip."""
    rnd = random.Random(3)
    slot_a, slot_b = b"\x00a\x00", b"\x00b\x00"
    for _ in range(300):
        texts = [bytes(rnd.choice(b"<p>ab \xd0\xb1\n") for _ in range(rnd.choice((0, 5, 3000))))
                 for _ in range(3)]
        parts = (texts[0], slot_a, texts[1], slot_b, texts[2])
        values = {slot_a: bytes(rnd.choice(b"0123456789abcdef")
                                for _ in range(rnd.choice((0, 128, 70_000)))),
                  slot_b: b"key-" + bytes(rnd.choice(b"xyz") for _ in range(20))}
        body = b"".join(values.get(p, p) if i % 2 else p for i, p in enumerate(parts))
        packed = gzip_pieces(parts, values, body)
        assert gzip.decompress(packed) == body
        assert zlib.decompressobj(16 + 15).decompress(packed) == body  # as a browser does


async def test_a_slotted_page_is_gzipped_only_when_the_client_accepts() -> None:
    parts = (b"<p>" * 400, b"\x00k\x00", b"</p>" * 10)
    page = slotted_page(parts, {b"\x00k\x00": b"secret-key"})
    body = b"<p>" * 400 + b"secret-key" + b"</p>" * 10
    plain = await messages(page)
    assert plain[1]["body"] == body
    assert plain == await messages(html(body, 200, NO_STORE))
    packed = await messages(page, {"gzip_ok": True})
    headers = dict(packed[0]["headers"])
    assert headers[b"content-encoding"] == b"gzip" and headers[b"vary"] == b"Accept-Encoding"
    assert gzip.decompress(packed[1]["body"]) == body
    assert int(headers[b"content-length"]) == len(packed[1]["body"]) < len(body)

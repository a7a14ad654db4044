"""The journey's pre-encoded responses (web/sent.py) put on the wire what Litestar's do."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response
from litestar.response import Redirect
from litestar.testing import RequestFactory

from survey_service.web.pages import NO_STORE, html
from survey_service.web.sent import no_store_page, see_other


async def messages(response: Response[Any]) -> list[dict[str, Any]]:
    request: Request[Any, Any, Any] = RequestFactory(app=Litestar()).get("/")
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

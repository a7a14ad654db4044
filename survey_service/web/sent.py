"""Responses of the citizen's journey sent with headers encoded once, not per request.

A Litestar ``Response`` is turned into an ``ASGIResponse`` per request: its headers merged,
its media type and charset worked out, every header and the length encoded, a cookie list
chained (``benchmarks/instructions.py``: about a tenth of what the server executes for a
short journey). :func:`no_store_page` and :func:`see_other` give the same bytes on the wire
for the two responses the journey sends most (its form and thank-you pages, its 303), from
headers encoded when the app starts. They are ``Response`` objects to the handlers and to
Litestar; a handler with headers or cookies of its own layers gets a plain ``Response``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send
from litestar.utils import url_quote

if TYPE_CHECKING:
    from litestar import Litestar, Request
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.datastructures import Cookie
    from litestar.types import TypeEncodersMap

HTML_NO_STORE = ((b"cache-control", b"no-store"), (b"content-type", b"text/html; charset=utf-8"))
EMPTY_TEXT = (b"content-type", b"text/plain; charset=utf-8")
#: Quoted ``Location`` values of the few addresses redirected to (catalog x language).
_locations: dict[str, bytes] = {}


class _Sent(ASGIResponse):
    """The ASGI side: two messages, the headers given (a new list each time: middleware may
    add to it)."""

    __slots__ = ("_body", "_headers", "_status")

    def __init__(self, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes):
        self._status, self._headers, self._body = status, headers, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self._status,
                    "headers": [*self._headers, (b"content-length", b"%d" % len(self._body))]})
        await send({"type": "http.response.body", "body": self._body, "more_body": False})


class Sent(Response[bytes]):
    """A ``Response`` whose ASGI side is :class:`_Sent`."""

    __slots__ = ("_sent",)

    def __init__(self, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes,
                 media_type: str) -> None:
        # Response's fields, as its __init__ sets them, without its per-call work
        self.content, self.status_code, self.media_type = body, status, media_type
        self.background, self.encoding, self.response_type_encoders = None, "utf-8", {}
        self.cookies = []
        self.headers = {k.decode(): v.decode() for k, v in headers if k != b"content-type"}
        self._sent = _Sent(status, headers, body)

    def to_asgi_response(
        self,
        app: Litestar | None,
        request: Request[Any, Any, Any],
        *,
        background: BackgroundTask | BackgroundTasks | None = None,
        cookies: Iterable[Cookie] | None = None,
        encoded_headers: Iterable[tuple[bytes, bytes]] | None = None,
        headers: dict[str, str] | None = None,
        is_head_response: bool = False,
        media_type: Any = None,
        status_code: int | None = None,
        type_encoders: TypeEncodersMap | None = None,
    ) -> ASGIResponse:
        if (background or cookies or encoded_headers or headers or is_head_response
                or self.cookies or self.background):  # something added: Litestar's way
            return super().to_asgi_response(
                app, request, background=background, cookies=cookies,
                encoded_headers=encoded_headers, headers=headers,
                is_head_response=is_head_response, media_type=media_type,
                status_code=status_code, type_encoders=type_encoders)
        return self._sent


def no_store_page(body: bytes, status: int = 200) -> Response[bytes]:
    """An HTML page no browser or proxy keeps (``pages.html(body, status, NO_STORE)``)."""
    return Sent(status, HTML_NO_STORE, body, "text/html")


def see_other(location: str) -> Response[bytes]:
    """303 to ``location`` (as Litestar's ``Redirect(location, status_code=303)``)."""
    quoted = _locations.get(location)
    if quoted is None:
        if len(_locations) > 10_000:
            _locations.clear()
        quoted = _locations[location] = url_quote(location).encode("latin-1")
    return Sent(303, ((b"location", quoted), EMPTY_TEXT), b"", "text/plain")

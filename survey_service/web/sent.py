"""Responses of the citizen's journey sent with headers encoded once, not per request, and
gzip-compressed once per page rather than once per request.

A Litestar ``Response`` is turned into an ``ASGIResponse`` per request: its headers merged,
its media type and charset worked out, every header and the length encoded, a cookie list
chained (``benchmarks/instructions.py``: about a tenth of what the server executes for a
short journey). :func:`no_store_page` and :func:`see_other` give the same bytes on the wire
for the two responses the journey sends most (its form and thank-you pages, its 303), from
headers encoded when the app starts. They are ``Response`` objects to the handlers and to
Litestar; a handler with headers or cookies of its own layers gets a plain ``Response``.

Compressing the 15 KB form page for a browser that accepts gzip cost more than serving the
rest of the request (~650,000 instructions of ~1,100,000). :func:`slotted_page` sends a page
pre-rendered in pieces (``Renderer.slotted``: text, slot, text, ...) as gzip made of pieces
too: each text piece deflated once, as a run of blocks that ends on a byte (a sync flush),
the per-request values (CSRF token, submission key) as stored blocks, then the final block
and the CRC of the whole page. A deflate stream may be cut into blocks anywhere. Each piece
is deflated with the page before it as its dictionary, the slots in it as NUL bytes of the
values' lengths (the cache is per lengths): it may refer back to the text before it, which
is where the inflater has it too, never into a slot (a page has no NUL byte to match). So the
joined stream is a valid one, inflating to the same page (``tests/unit/test_sent.py``), and
about as small as the whole page deflated at once. The gzip middleware
(:class:`~.protection.Gzip`) marks the requests that accept gzip and passes a response that
is already compressed as it is.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from litestar import Response
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send
from litestar.utils import url_quote
from litestar.utils.scope.state import ScopeState

if TYPE_CHECKING:
    from litestar import Litestar, Request
    from litestar.background_tasks import BackgroundTask, BackgroundTasks
    from litestar.datastructures import Cookie
    from litestar.types import TypeEncodersMap

HTML_NO_STORE = ((b"cache-control", b"no-store"), (b"content-type", b"text/html; charset=utf-8"))
EMPTY_TEXT = (b"content-type", b"text/plain; charset=utf-8")
#: Quoted ``Location`` values of the few addresses redirected to (catalog x language).
_locations: dict[str, bytes] = {}
#: The request's ``state`` key the gzip middleware sets when the client accepts gzip.
GZIP_OK = "gzip_ok"
#: As the gzip middleware compresses (``web/assets.py``): level 6, pages of 500 bytes or more.
GZIP_LEVEL, MINIMUM_SIZE = 6, 500
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # no name, no time, OS unknown
FINAL_BLOCK = b"\x03\x00"  # an empty final block (fixed Huffman codes)
GZIPPED = ((b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding"))
NONE: tuple[tuple[bytes, bytes], ...] = ()
#: The text pieces of each pre-rendered page, deflated (keyed by the pieces themselves).
_deflated: dict[tuple[tuple[bytes, ...], tuple[int, ...]], tuple[bytes, ...]] = {}


def _deflate(parts: tuple[bytes, ...], lengths: tuple[int, ...]) -> tuple[bytes, ...]:
    """The text pieces of ``parts`` as raw deflate blocks ending on a byte boundary, none of
    them final, each with what comes before it as its dictionary (see the module)."""
    texts, before = [], b""
    for index, part in enumerate(parts):
        if index % 2:
            before += b"\x00" * lengths[index // 2]
            continue
        window = before[-32768:]
        packer = (zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15, zdict=window) if window
                  else zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, -15))
        texts.append(packer.compress(part) + packer.flush(zlib.Z_SYNC_FLUSH))
        before += part
    return tuple(texts)


def _stored(data: bytes) -> bytes:
    """``data`` as stored (uncompressed) deflate blocks, none of them final."""
    blocks = []
    for at in range(0, len(data), 0xFFFF):
        chunk = data[at:at + 0xFFFF]
        blocks.append(b"\x00" + struct.pack("<HH", len(chunk), len(chunk) ^ 0xFFFF) + chunk)
    return b"".join(blocks) if blocks else b"\x00\x00\x00\xff\xff"


def gzip_pieces(parts: tuple[bytes, ...], values: Mapping[bytes, bytes], body: bytes) -> bytes:
    """The gzip file of ``body``, which is ``parts`` with its slots (the odd pieces) replaced
    by ``values`` (see the module)."""
    slots = [values.get(part, part) for part in parts[1::2]]
    key = (parts, tuple(len(slot) for slot in slots))
    texts = _deflated.get(key)
    if texts is None:
        if len(_deflated) > 1000:
            _deflated.clear()
        texts = _deflated[key] = _deflate(parts, key[1])
    pieces = [GZIP_HEADER]
    for index, text in enumerate(texts):
        pieces.append(text)
        if index < len(slots):
            pieces.append(_stored(slots[index]))
    pieces.append(FINAL_BLOCK)
    pieces.append(struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF))
    return b"".join(pieces)


class _Sent(ASGIResponse):
    """The ASGI side: two messages, the headers given (a new list each time: middleware may
    add to it); gzip made of pieces if the page has them and the client accepts it."""

    __slots__ = ("_body", "_headers", "_pieces", "_status")

    def __init__(self, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes,
                 pieces: tuple[tuple[bytes, ...], Mapping[bytes, bytes]] | None = None):
        self._status, self._headers, self._body, self._pieces = status, headers, body, pieces

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body, extra = self._body, NONE
        if (self._pieces is not None and len(body) >= MINIMUM_SIZE
                and scope.get("state", {}).get(GZIP_OK)):
            body, extra = gzip_pieces(*self._pieces, body), GZIPPED
            ScopeState.from_scope(scope).response_compressed = True
        await send({"type": "http.response.start", "status": self._status,
                    "headers": [*self._headers, (b"content-length", b"%d" % len(body)),
                                *extra]})
        await send({"type": "http.response.body", "body": body, "more_body": False})


class Sent(Response[bytes]):
    """A ``Response`` whose ASGI side is :class:`_Sent`."""

    __slots__ = ("_sent",)

    def __init__(self, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes,
                 media_type: str,
                 pieces: tuple[tuple[bytes, ...], Mapping[bytes, bytes]] | None = None) -> None:
        # Response's fields, as its __init__ sets them, without its per-call work
        self.content, self.status_code, self.media_type = body, status, media_type
        self.background, self.encoding, self.response_type_encoders = None, "utf-8", {}
        self.cookies = []
        self.headers = {k.decode(): v.decode() for k, v in headers if k != b"content-type"}
        self._sent = _Sent(status, headers, body, pieces)

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


def slotted_page(parts: tuple[bytes, ...], values: Mapping[bytes, bytes] | None = None,
                 status: int = 200) -> Response[bytes]:
    """:func:`no_store_page` of a page pre-rendered in pieces (``Renderer.slotted``) with its
    slots filled in by ``values``, gzip made of pieces for the clients that accept it."""
    values = values or {}
    body = b"".join(values.get(p, p) if i % 2 else p for i, p in enumerate(parts))
    return Sent(status, HTML_NO_STORE, body, "text/html", (parts, values))


def see_other(location: str) -> Response[bytes]:
    """303 to ``location`` (as Litestar's ``Redirect(location, status_code=303)``)."""
    quoted = _locations.get(location)
    if quoted is None:
        if len(_locations) > 10_000:
            _locations.clear()
        quoted = _locations[location] = url_quote(location).encode("latin-1")
    return Sent(303, ((b"location", quoted), EMPTY_TEXT), b"", "text/plain")

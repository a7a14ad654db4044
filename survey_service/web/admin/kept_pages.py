"""Report pages over closed waves served as bytes kept in memory (issue #11: < 300 ms p95).

A kept page never changes, and everything else its HTML holds depends on the reader's
request only (the user's menu, the session's CSRF token, the address and its language
switch, the waves to choose from): for the same of those, the same bytes. They are rendered
and gzipped once per process and then served as they are, so a reader of a kept page costs
no template rendering and no compression. The report routes are left out of the
compression middleware (:data:`SKIP_COMPRESSION`); pages computed on demand (open waves,
errors) are gzipped here at the middleware's level.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response

from ..assets import GZIP_LEVEL, MINIMUM_SIZE, accepts_gzip

#: The route ``opt`` that keeps the compression middleware off a handler (set in
#: :func:`..assets.compression`): the handler compresses its own body.
SKIP_COMPRESSION = "compressed_by_handler"
KEPT = 64  # pages (about 130 KB each with their gzip)


@dataclass(frozen=True)
class Body:
    plain: bytes
    gzipped: bytes | None  # None: too small to be worth it


_PAGES: OrderedDict[Hashable, Body] = OrderedDict()


def _body(data: bytes) -> Body:
    small = len(data) < MINIMUM_SIZE
    return Body(data, None if small else gzip.compress(data, GZIP_LEVEL, mtime=0))


def kept(key: Hashable) -> Body | None:
    found = _PAGES.get(key)
    if found is not None:
        _PAGES.move_to_end(key)
    return found


def respond(request: Request[Any, Any, Any], response: Response[bytes],
            key: Hashable | None = None) -> Response[bytes]:
    """``response`` (a rendered page) with its body gzipped when the client takes gzip;
    kept under ``key`` when given (the next request with that key gets :func:`serve`)."""
    data = response.content if isinstance(response.content, bytes) else b""
    body = _body(data)
    if key is not None:
        _PAGES[key] = body
        while len(_PAGES) > KEPT:
            _PAGES.popitem(last=False)
    return serve(request, body, response.status_code or 200, dict(response.headers))


def serve(request: Request[Any, Any, Any], body: Body, status: int = 200,
          headers: dict[str, str] | None = None) -> Response[bytes]:
    out = {"cache-control": "no-store", **(headers or {}), "vary": "Accept-Encoding"}
    data = body.plain
    if body.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", "")):
        data, out["content-encoding"] = body.gzipped, "gzip"
    return Response(data, status_code=status, media_type="text/html", headers=out)


def forget() -> None:
    """Forget every kept page (tests; a page's key changes with its data anyway)."""
    _PAGES.clear()


__all__ = ["SKIP_COMPRESSION", "Body", "forget", "kept", "respond", "serve"]

"""Static files (CSS, JavaScript): read once at start, served from memory.

Templates link them through ``static("site.css")``, which gives a URL with a hash of the
file's content (``/static/site.3f2a9c1b7d0e.css``). That URL never changes meaning, so it is
cached for a year (``immutable``); a changed file gets a new URL. The plain name
(``/static/site.css``) is still served, revalidated on every use (``no-cache`` and an ETag),
for links made by hand. Each file is gzip-compressed once, here, and sent compressed to the
clients that accept it.

Nothing of the request reaches the file system: a name is looked up among the files read at
start, so odd bytes, NULs or very long names are a 404, never an error.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, route
from litestar.config.compression import CompressionConfig
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from ..rendering.assets import STATIC, Asset, Assets
from .protection import gzip_config

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


GZIP_LEVEL = 6
MINIMUM_SIZE = 500


def compression() -> CompressionConfig:
    """gzip for every page of 500 bytes or more whose client asks for it (brotli is not a
    dependency); static files are compressed once at start instead, and handlers marked
    ``compressed_by_handler`` (kept report pages) compress their own bodies."""
    return gzip_config(GZIP_LEVEL, MINIMUM_SIZE, "^/static/", "compressed_by_handler")


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether ``Accept-Encoding`` allows gzip (``gzip;q=0`` refuses it, ``*`` allows it)."""
    weights: dict[str, bool] = {}
    for part in accept_encoding.lower().split(","):
        coding, *params = (p.strip() for p in part.split(";"))
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        weights.setdefault(coding, q.replace(".", "").strip("0") != "")
    return weights.get("gzip", weights.get("*", False))


@route("/static/{name:str}", http_method=["GET", "HEAD"], name="static", include_in_schema=False)
async def static_file(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """A static file from memory: a year's cache by hashed name, revalidated by plain name."""
    assets: Assets = request.app.state.assets
    found = assets.find(name)
    if found is None:
        raise NotFoundException()
    asset, hashed = found
    etag = f'W/"{asset.digest}"'  # weak: the same for the gzip and the plain body
    headers = {
        "cache-control": IMMUTABLE if hashed else REVALIDATE,
        "etag": etag,
        "vary": "Accept-Encoding",
    }
    if not hashed and f'"{asset.digest}"' in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    body = asset.body
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        body = asset.gzipped
        headers["content-encoding"] = "gzip"
    if request.method == "HEAD":
        headers["content-length"] = str(len(body))
        body = b""
    return Response(body, media_type=asset.media_type, headers=headers)


__all__ = ["GZIP_LEVEL", "IMMUTABLE", "MINIMUM_SIZE", "STATIC", "Asset", "Assets", "accepts_gzip",
           "compression", "static_file"]

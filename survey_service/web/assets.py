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

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request, Response, route
from litestar.config.compression import CompressionConfig
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Asset:
    """One static file: its body, gzip-compressed body, media type and content hash."""

    name: str
    digest: str
    body: bytes
    gzipped: bytes
    media_type: str

    @property
    def hashed_name(self) -> str:
        stem, dot, suffix = self.name.rpartition(".")
        return f"{stem}.{self.digest}{dot}{suffix}"


class Assets:
    """The static files of a folder, by plain and by hashed name."""

    def __init__(self, directory: Path = STATIC) -> None:
        self.files: dict[str, Asset] = {}
        for path in sorted(directory.iterdir()):
            media_type = MEDIA_TYPES.get(path.suffix)
            if media_type is None or not path.is_file():
                continue
            body = path.read_bytes()
            self.files[path.name] = Asset(
                name=path.name,
                digest=hashlib.sha256(body).hexdigest()[:12],
                body=body,
                gzipped=gzip.compress(body, 9, mtime=0),
                media_type=media_type,
            )
        self._hashed = {a.hashed_name: a for a in self.files.values()}

    def url(self, name: str) -> str:
        """The cache-busting URL of a static file (a template error for an unknown name)."""
        return f"/static/{self.files[name].hashed_name}"

    def find(self, requested: str) -> tuple[Asset, bool] | None:
        """The file a requested name means, and whether it was asked for by hashed name."""
        asset = self._hashed.get(requested)
        if asset is not None:
            return asset, True
        asset = self.files.get(requested)
        return (asset, False) if asset is not None else None


def compression() -> CompressionConfig:
    """gzip for every page of 500 bytes or more whose client asks for it (brotli is not a
    dependency); static files are compressed once at start instead."""
    return CompressionConfig(backend="gzip", gzip_compress_level=6, exclude="^/static/")


def _accepts_gzip(accept_encoding: str) -> bool:
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
    if _accepts_gzip(request.headers.get("accept-encoding", "")):
        body = asset.gzipped
        headers["content-encoding"] = "gzip"
    if request.method == "HEAD":
        headers["content-length"] = str(len(body))
        body = b""
    return Response(body, media_type=asset.media_type, headers=headers)


__all__ = ["IMMUTABLE", "STATIC", "Asset", "Assets", "compression", "static_file"]

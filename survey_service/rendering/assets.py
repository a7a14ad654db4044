"""Static files (CSS, JavaScript), read once at start and kept in memory with a hash of
their content: templates link them through ``static("site.css")``, which gives
``/static/site.3f2a9c1b7d0e.css``. Served by :mod:`survey_service.web.assets`."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
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

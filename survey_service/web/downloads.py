"""Downloads over HTTP, streamed as they are written (the administration pages and the API).

:func:`download` turns the chunks of an export (``services.exports``) into a Litestar
``Stream`` with an honest ``Content-Disposition`` (RFC 6266: an ASCII ``filename`` and the
exact name as ``filename*``); nothing of the wave is held in memory, and the server's flow
control waits for a slow client instead of buffering for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from litestar.response import Stream


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266)."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                       for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def download(chunks: AsyncIterator[bytes], filename: str, media_type: str) -> Stream:
    """A streamed download of ``chunks`` named ``filename`` (never cached by a proxy)."""
    return Stream(chunks, media_type=media_type, headers={
        "Content-Disposition": content_disposition(filename),
        "Cache-Control": "no-store",
    })

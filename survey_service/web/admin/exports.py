"""Downloads of a wave's exports over HTTP, streamed as they are written.

:func:`download` turns the chunks of an export (``services.exports``) into a Litestar
``Stream`` with an honest ``Content-Disposition`` (RFC 6266: an ASCII ``filename`` and the
exact name as ``filename*``); nothing of the wave is held in memory, and the server's flow
control waits for a slow client instead of buffering for it.

:class:`ExportController` is NOT mounted by ``create_app`` yet: it has no guard of its own
and must be mounted behind the administration's sign-in guard (analysts of the wave's
organisations only), which the auth work brings. ``benchmarks/exports.py`` mounts it alone,
unguarded, in a throwaway app for measuring.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from litestar import Controller, get
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from ...services.exports import MEDIA_TYPES, CsvOptions, prepare_export, wide_csv
from ..deps import SiteDep


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


class ExportController(Controller):
    """``GET /exports/{wave_id}/responses.csv``: the wide CSV of a wave (mount behind the
    administration's guard)."""

    path = "/exports"

    @get("/{wave_id:str}/responses.csv", name="export-responses-csv")
    async def responses_csv(
        self,
        site: SiteDep,
        wave_id: FromPath[str],
        delimiter: FromQuery[str] = ",",
        labels: FromQuery[str | None] = None,
    ) -> Stream:
        options = CsvOptions(delimiter=delimiter, labels=labels)
        options.encoder()  # refuse bad options before the first byte is sent
        export = await prepare_export(site.store, wave_id)  # 404/409 before streaming
        return download(wide_csv(site.store, export, options), export.filename(),
                        MEDIA_TYPES["csv"])

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
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from ...services import audit
from ...services.exports import MEDIA_TYPES, CsvOptions, prepare_export, wide_csv
from ..deps import SiteDep
from .access import roles, signed_in


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


async def _responses_csv(request: Request[Any, Any, Any], site: SiteDep, wave_id: str,
                         delimiter: str, labels: str | None, org: str | None) -> Stream:
    """The wide CSV of a wave (of one organisation's responses when ``org`` is given)."""
    options = CsvOptions(delimiter=delimiter, labels=labels)
    options.encoder()  # refuse bad options before the first byte is sent
    # 404/409 before streaming
    export = await prepare_export(site.settings, site.store, wave_id, org)
    detail = {"wave": wave_id, "format": "csv"} | ({"organisation": org} if org else {})
    await audit.record(site.store, signed_in(request).name, "export", detail)
    return download(wide_csv(site.store, export, options), export.filename(),
                    MEDIA_TYPES["csv"])


class ExportController(Controller):
    """``GET /exports/{wave_id}/responses.csv``: the wide CSV of a whole wave, admins only (a
    wave may cover several organisations); analysts use :class:`OrgExportController`."""

    path = "/exports"

    @get("/{wave_id:str}/responses.csv", name="export-responses-csv", opt=roles("admin"))
    async def responses_csv(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        wave_id: FromPath[str],
        delimiter: FromQuery[str] = ",",
        labels: FromQuery[str | None] = None,
    ) -> Stream:
        return await _responses_csv(request, site, wave_id, delimiter, labels, None)


class OrgExportController(Controller):
    """``GET /orgs/{org}/exports/{wave_id}/responses.csv``: the wide CSV of one
    organisation's responses in a wave, for the analysts it is granted to (the guard checks
    ``{org}``); a staff wave keeps its rules (closed and mixed, no small unit told apart)."""

    path = "/orgs/{org:str}/exports"

    @get("/{wave_id:str}/responses.csv", name="export-org-responses-csv",
         opt=roles("analyst"))
    async def responses_csv(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        org: FromPath[str],
        wave_id: FromPath[str],
        delimiter: FromQuery[str] = ",",
        labels: FromQuery[str | None] = None,
    ) -> Stream:
        await site.registry.refresh()
        if org not in site.registry.catalog.organisations:
            raise NotFoundException()
        return await _responses_csv(request, site, wave_id, delimiter, labels, org)

"""Downloads of a wave's exports from the administration pages (see ``web.downloads``):
admins the whole wave, analysts the responses of an organisation granted; every download is
recorded in the audit log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from ...services import audit
from ...services.exports import (
    MEDIA_TYPES,
    CsvOptions,
    WaveExport,
    codebook_csv,
    long_csv,
    prepare_export,
    wide_csv,
)
from ...services.reading import written_export
from ..deps import SiteDep
from ..downloads import content_disposition, download
from .access import roles, signed_in
from .common import admin_lang

__all__ = ["FILES", "ExportController", "OrgExportController", "content_disposition"]


#: The files of a wave on the dashboard: name -> (format for the audit, kind, extension)
FILES = {
    "responses.csv": ("csv", "", "csv"),
    "responses.xlsx": ("xlsx", "", "xlsx"),
    "responses.sav": ("sav", "", "sav"),
    "responses.dta": ("dta", "", "dta"),
    "long.csv": ("long", "long", "csv"),
    "codebook.csv": ("codebook", "codebook", "csv"),
}


async def _file(request: Request[Any, Any, Any], site: SiteDep, wave_id: str, name: str,
                delimiter: str, labels: str | None, org: str | None) -> Stream:
    """A file of the wave (of one organisation's responses when ``org`` is given): the wide
    CSV, the xlsx workbook, SPSS or Stata file (labels in the page's language), the long CSV
    or the codebook."""
    if name not in FILES:
        raise NotFoundException()
    fmt, kind, ext = FILES[name]
    options = CsvOptions(delimiter=delimiter, labels=labels)
    options.encoder()  # refuse bad options before the first byte is sent
    # 404/409 before streaming
    export = await prepare_export(site.settings, site.store, wave_id, org)
    chunks = await _chunks(request, site, export, fmt, options)
    detail = {"wave": wave_id, "format": fmt} | ({"organisation": org} if org else {})
    await audit.record(site.store, signed_in(request).name, "export", detail)
    return download(chunks, export.filename(kind, ext), MEDIA_TYPES.get(ext, "text/csv"))


async def _chunks(request: Request[Any, Any, Any], site: SiteDep, export: WaveExport,
                  fmt: str, options: CsvOptions) -> AsyncIterator[bytes]:
    """The bytes of the file in ``fmt`` (the wide CSV keeps the codes or labels asked)."""
    if fmt == "csv":
        return wide_csv(site.store, export, options)
    lang = options.labels or admin_lang(request)
    if fmt in ("xlsx", "sav", "dta"):
        return await written_export(site.store, export, fmt, lang, options.labels)
    if fmt == "long":
        return long_csv(site.store, export, CsvOptions(delimiter=options.delimiter,
                                                        labels=lang))
    return _once(codebook_csv(export, options))


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _organisation(site: SiteDep, org: str) -> str:
    """``org`` when the catalogue knows it, else 404."""
    await site.registry.refresh()
    if org not in site.registry.catalog.organisations:
        raise NotFoundException()
    return org


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
        return await _file(request, site, wave_id, "responses.csv", delimiter, labels, None)

    @get("/{wave_id:str}/{file:str}", name="export-file", opt=roles("admin"))
    async def file(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        wave_id: FromPath[str],
        file: FromPath[str],
        delimiter: FromQuery[str] = ",",
        labels: FromQuery[str | None] = None,
    ) -> Stream:
        """The workbook, SPSS, Stata, long CSV or codebook of the whole wave."""
        return await _file(request, site, wave_id, file, delimiter, labels, None)


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
        return await _file(request, site, wave_id, "responses.csv", delimiter, labels,
                           await _organisation(site, org))

    @get("/{wave_id:str}/{file:str}", name="export-org-file", opt=roles("analyst"))
    async def file(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        org: FromPath[str],
        wave_id: FromPath[str],
        file: FromPath[str],
        delimiter: FromQuery[str] = ",",
        labels: FromQuery[str | None] = None,
    ) -> Stream:
        """The workbook, SPSS, Stata, long CSV or codebook of one organisation's responses."""
        return await _file(request, site, wave_id, file, delimiter, labels,
                           await _organisation(site, org))

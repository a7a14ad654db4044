"""``/api/v1/waves/{wave_id}/…``: a wave's exports, each recorded in the audit log like the
downloads of the administration pages (citizen waves at any time, staff waves once closed and
mixed, staff exports without free text and without small units told apart)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, Parameter
from litestar.response import Stream

from ...services import audit
from ...services.exports import (
    MEDIA_TYPES,
    CsvOptions,
    WaveExport,
    codebook_csv,
    prepare_export,
    wide_csv,
)
from ...services.reading import MAX_PER_PAGE, responses_page, visible_wave, written_export
from ..deps import Site, SiteDep
from ..downloads import download
from .access import key_user, organisation, roles
from .common import READS, ApiOperation
from .schemas import ResponsesPage
from .waves import Lang, Org

Delimiter = Annotated[Literal[",", ";"], Parameter(description=(
    "The CSV delimiter (';' for Excel in a Bulgarian locale)"))]
Labels = Annotated[Lang | None, Parameter(description=(
    "Labels in this language instead of codes"))]


async def _export(request: Request[Any, Any, Any], site: Site, wave_id: str, org: str | None,
                  fmt: str) -> WaveExport:
    """The export of the wave for the key's user (404, 403, 409 before any byte), audited."""
    user = key_user(request)
    await site.registry.refresh()
    catalog = site.registry.catalog
    wave = (await visible_wave(site.store, catalog, user, wave_id))["wave"]
    scope = organisation(user, wave, catalog, org)
    export = await prepare_export(site.settings, site.store, wave_id, scope)
    detail = {"wave": wave_id, "format": fmt, "via": "api"} | (
        {"organisation": scope} if scope else {})
    await audit.record(site.store, user.name, "export", detail)
    return export


def _file(chunks: AsyncIterator[bytes], export: WaveExport, fmt: str, kind: str = "") -> Stream:
    return download(chunks, export.filename(kind, fmt), MEDIA_TYPES.get(fmt, "text/csv"))


class ExportsController(Controller):
    """The exports of a wave, streamed (CSV) or written first and then sent (xlsx, .sav,
    .dta); every one recorded in the audit log."""

    path = "/waves/{wave_id:str}"
    tags = ("exports",)

    @get("/responses.csv", operation_id="exportResponsesCsv",
         response_description="The wide CSV (UTF-8 with a BOM, RFC 4180, CRLF), as an attachment",
         opt=roles("analyst"),
         responses=READS, operation_class=ApiOperation, media_type=MEDIA_TYPES["csv"],
         summary="The wide CSV: one row per response, one column per item")
    async def responses_csv(self, request: Request[Any, Any, Any], site: SiteDep,
                            wave_id: FromPath[str], org: Org = None, delimiter: Delimiter = ",",
                            labels: Labels = None) -> Stream:
        export = await _export(request, site, wave_id, org, "csv")
        options = CsvOptions(delimiter=delimiter, labels=labels)
        return _file(wide_csv(site.store, export, options), export, "csv")

    @get("/codebook.csv", operation_id="exportCodebookCsv",
         response_description="The codebook as CSV, as an attachment",
         opt=roles("analyst"),
         responses=READS, operation_class=ApiOperation, media_type=MEDIA_TYPES["csv"],
         summary="The codebook: every column, its texts, kind, codes and labels")
    async def codebook(self, request: Request[Any, Any, Any], site: SiteDep,
                       wave_id: FromPath[str], org: Org = None, delimiter: Delimiter = ","
                       ) -> Stream:
        export = await _export(request, site, wave_id, org, "codebook")
        data = codebook_csv(export, CsvOptions(delimiter=delimiter))

        async def once() -> AsyncIterator[bytes]:
            yield data

        return _file(once(), export, "csv", "codebook")

    @get("/responses.xlsx", operation_id="exportResponsesXlsx",
         response_description="The xlsx workbook (sheets responses and codebook), as an attachment",
         opt=roles("analyst"),
         responses=READS, operation_class=ApiOperation, media_type=MEDIA_TYPES["xlsx"],
         summary="The responses and the codebook as an Excel workbook")
    async def responses_xlsx(self, request: Request[Any, Any, Any], site: SiteDep,
                             wave_id: FromPath[str], org: Org = None, labels: Labels = None
                             ) -> Stream:
        export = await _export(request, site, wave_id, org, "xlsx")
        return _file(await written_export(site.store, export, "xlsx", labels or "bg", labels),
                     export, "xlsx")

    @get("/responses.sav", operation_id="exportResponsesSav",
         response_description="The SPSS .sav file, as an attachment",
         opt=roles("analyst"),
         responses=READS, operation_class=ApiOperation, media_type=MEDIA_TYPES["sav"],
         summary="An SPSS file with variable and value labels")
    async def responses_sav(self, request: Request[Any, Any, Any], site: SiteDep,
                            wave_id: FromPath[str], org: Org = None,
                            lang: FromQuery[Lang] = "bg") -> Stream:
        export = await _export(request, site, wave_id, org, "sav")
        return _file(await written_export(site.store, export, "sav", lang, None), export, "sav")

    @get("/responses.dta", operation_id="exportResponsesDta",
         response_description="The Stata .dta file, as an attachment",
         opt=roles("analyst"),
         responses=READS, operation_class=ApiOperation, media_type=MEDIA_TYPES["dta"],
         summary="A Stata file with variable and value labels")
    async def responses_dta(self, request: Request[Any, Any, Any], site: SiteDep,
                            wave_id: FromPath[str], org: Org = None,
                            lang: FromQuery[Lang] = "bg") -> Stream:
        export = await _export(request, site, wave_id, org, "dta")
        return _file(await written_export(site.store, export, "dta", lang, None), export, "dta")

    @get("/responses.json", operation_id="listResponses", opt=roles("analyst"),
         responses=READS, operation_class=ApiOperation,
         summary="A page of the wide export as JSON (codes)")
    async def responses_json(
        self, request: Request[Any, Any, Any], site: SiteDep, wave_id: FromPath[str],
        org: Org = None,
        page: Annotated[int, Parameter(ge=1, le=10**9)] = 1,
        per_page: Annotated[int, Parameter(ge=1, le=MAX_PER_PAGE)] = 100,
    ) -> ResponsesPage:
        export = await _export(request, site, wave_id, org, "json")
        rows, more = await responses_page(site.store, export, page, per_page)
        following = None
        if more:
            query = {"page": str(page + 1), "per_page": str(per_page)} | (
                {"org": org} if org else {})
            following = f"{request.url.path}?{urlencode(query)}"
        return ResponsesPage(wave=wave_id, organisation=export.organisation, page=page,
                             per_page=per_page,
                             columns=[*export.meta, *(c.name for c in export.columns)],
                             rows=rows, next=following)

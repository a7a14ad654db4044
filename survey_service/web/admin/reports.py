"""Report pages: one wave, or a baseline against a follow-up (optionally broken down by
group), for all organisations (administrators) or one (its analysts too), with charts, and
downloads as CSV, JSON and PDF.

``/admin/reports/{survey}``: administrators, any organisation filter (``?org=``);
``/admin/orgs/{org}/reports/{survey}``: the analysts of ``org`` (the guard checks it).
The waves: ``?wave=`` (one), ``?baseline=&follow_up=`` or ``?trend=W1&trend=W2...`` (a
trend over N waves, in the order given); ``?by=`` a breakdown (a grouping or
``question:ID``), ``?channel=`` only one contact channel of a breakdown by a question.
Without waves the page shows only the form that chooses them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from markupsafe import Markup

from ...rendering.pdf import PdfUnavailable, html_to_pdf
from ...services import audit
from ...services.errors import Invalid, NotFound, ServiceError, Unavailable
from ...services.report_pages import PageData, report_page
from ...surveys.model import Survey
from ...surveys.waves import Wave, now
from ..deps import Site, SiteDep, csrf_token
from ..errors import SERVICE_STATUS
from .access import roles, signed_in
from .common import admin_lang, page
from .exports import content_disposition
from .kept_pages import SKIP_COMPRESSION, kept, respond, serve
from .report_view import as_csv, as_json, by_options, channel_options, filename, page_charts

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json",
           "pdf": "application/pdf"}
STYLES = ("site.css", "admin.css", "report.css")
#: Rendered bodies (figures and charts) of kept pages, by page key and language: a kept page
#: never changes, and its body is most of the work of serving it.
_BODIES: OrderedDict[tuple[str, str], str] = OrderedDict()
_BODIES_KEPT = 32


def report_body(site: Site, result: PageData, lang: str) -> Markup:
    """The page's figures, tables and charts (the same on screen and in the PDF)."""
    memo = (result.key, lang)
    if result.cached and memo in _BODIES:
        _BODIES.move_to_end(memo)
        return Markup(_BODIES[memo])  # noqa: S704 (rendered by the templates, escaped)
    body = site.renderer.render(lang, "admin/report_body.html", result=result,
                                charts=page_charts(result, lang))
    if result.cached:
        _BODIES[memo] = body
        while len(_BODIES) > _BODIES_KEPT:
            _BODIES.popitem(last=False)
    return Markup(body)  # noqa: S704 (rendered by the templates, escaped)


@dataclass
class Choice:
    """What the query asks for (no waves: nothing yet)."""

    waves: list[str] = field(default_factory=list)
    org: str | None = None
    by: str | None = None
    trend: bool = False
    channel: str | None = None


def _choice(request: Request[Any, Any, Any]) -> Choice:
    """The waves, organisation and breakdown asked for in the query."""
    q = request.query_params
    wave, baseline, follow_up, by, org, channel = (
        str(q.get(k) or "").strip() for k in ("wave", "baseline", "follow_up", "by", "org",
                                              "channel"))
    trend = [w for w in (str(v).strip() for v in q.getall("trend", [])) if w]
    found = Choice(org=org or None, by=by or None, channel=channel or None)
    if trend:
        if wave or baseline or follow_up:
            raise Invalid("choose one wave, two waves compared, or the waves of a trend, "
                          "not several of these")
        found.waves, found.trend = trend, True
    elif baseline or follow_up:
        if not (baseline and follow_up):
            raise Invalid("choose both a baseline and a follow-up wave")
        found.waves = [baseline, follow_up]
    elif wave:
        found.waves = [wave]
    return found


async def _report(site: Site, survey_id: str, org: str | None, lang: str, c: Choice,
                  known: Sequence[Wave]) -> PageData:
    return await report_page(site.settings, site.store, site.registry.catalog, survey_id,
                             c.waves, org if org is not None else c.org, lang, c.by,
                             trend=c.trend, channel=c.channel, known=known)


def _form(survey: Survey, lang: str) -> dict[str, Any]:
    """The choices of the form's breakdown and channel lists (labelled in ``lang``)."""
    return {"by_options": by_options(survey, lang),
            "channel_options": channel_options(survey, lang)}


class _Reports:
    """What both controllers do; ``org`` fixed by the path for analysts."""

    @staticmethod
    async def _page(request: Request[Any, Any, Any], site: Site, survey_id: str,
                    org: str | None, fmt: str | None) -> Response[Any]:
        user = signed_in(request)
        lang = admin_lang(request)
        await site.registry.refresh()
        catalog = site.registry.catalog
        loaded = catalog.surveys.get(survey_id)
        if loaded is None or (org is not None and org not in catalog.organisations):
            raise NotFoundException()
        known = site.registry.waves  # read at most every few seconds (refreshed above)
        waves = sorted((w for w in known if w.survey_id == survey_id
                        and (org is None or w.covers(org))),
                       key=lambda w: (w.starts or now(), w.id))
        if fmt is not None:  # a download: refused with the service's status and message
            try:
                choice = _choice(request)
                if not choice.waves:
                    raise NotFound("choose the waves of the report first")
                found = await _report(site, survey_id, org, lang, choice, known)
            except ServiceError as exc:
                return Response(f"{exc}\n", status_code=SERVICE_STATUS.get(type(exc), 400),
                                media_type="text/plain; charset=utf-8",
                                headers={"Cache-Control": "no-store"})
            return await _download(request, site, found, fmt, lang, loaded.survey)
        result: PageData | None = None
        error: str | None = None
        status = 200
        choice = Choice(org=org)
        try:
            choice = _choice(request)
            if choice.waves:
                result = await _report(site, survey_id, org, lang, choice, known)
        except ServiceError as exc:
            error, status = str(exc), SERVICE_STATUS.get(type(exc), 400)
        # a kept page: the same bytes for the same reader, address and waves to choose from
        memo = None if result is None or not result.cached else (
            result.key, result.computed, lang, user.name, user.role, tuple(user.organisations),
            csrf_token(request), request.url.path, request.url.query,
            tuple(w.id for w in waves), id(catalog))
        if memo is not None and (body := kept(memo)) is not None:
            return serve(request, body)
        context: dict[str, Any] = {
            "survey": loaded.survey, "survey_id": survey_id, "waves": waves,
            "org_fixed": org, "organisations": list(catalog.organisations.values()),
            "choice": choice, "organisation": org if org is not None else choice.org,
            **_form(loaded.survey, lang),
            "result": result, "error": error, "printing": False,
            "body": report_body(site, result, lang) if result else "",
            "downloads": _links(request, org, survey_id) if result else {},
        }
        return respond(request, page(site, request, "admin/report.html", user, status,
                                     **context), memo)


def _links(request: Request[Any, Any, Any], org: str | None, survey_id: str) -> dict[str, str]:
    query = request.url.query
    links = {}
    for fmt in FORMATS:
        name = f"admin-org-report-{fmt}" if org else f"admin-report-{fmt}"
        params = {"org": org, "survey_id": survey_id} if org else {"survey_id": survey_id}
        links[fmt] = request.app.route_reverse(name, **params) + (f"?{query}" if query else "")
    return links


async def _download(request: Request[Any, Any, Any], site: Site, result: PageData, fmt: str,
                    lang: str, survey: Any) -> Response[Any]:
    user = signed_in(request)
    if fmt == "csv":
        body = as_csv(result).encode()
    elif fmt == "json":
        body = as_json(result)
    else:
        css = "\n".join(site.renderer.assets.files[name].body.decode() for name in STYLES)
        html = site.renderer.render(
            lang, "admin/report.html", user=None, csrf="", switch_url=None, printing=True,
            inline_css=css, survey=survey, survey_id=result.survey, waves=[],
            org_fixed=None, organisations=[], choice=Choice(
                waves=result.waves, org=result.organisation, by=result.by,
                trend=result.kind == "trend", channel=result.channel),
            organisation=result.organisation, **_form(survey, lang), result=result,
            error=None, body=report_body(site, result, lang), downloads={},
            url=lambda name, **params: request.app.route_reverse(name, **params))
        try:
            body = await html_to_pdf(html)
        except PdfUnavailable as exc:
            raise Unavailable(str(exc)) from exc
    detail = {"survey": result.survey, "waves": result.waves, "format": fmt}
    if result.organisation:
        detail["organisation"] = result.organisation
    await audit.record(site.store, user.name, "report-download", detail)
    return Response(body, media_type=FORMATS[fmt], headers={
        "Content-Disposition": content_disposition(filename(result, fmt)),
        "Cache-Control": "no-store"})


class ReportController(Controller):
    """Reports over every organisation, or any one of them: administrators."""

    path = "/reports"

    @get("/{survey_id:str}", name="admin-report", opt={**roles(), SKIP_COMPRESSION: True})
    async def show(self, request: Request[Any, Any, Any], site: SiteDep,
                   survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, None, None)

    @get("/{survey_id:str}/report.csv", name="admin-report-csv", opt=roles())
    async def csv(self, request: Request[Any, Any, Any], site: SiteDep,
                  survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, None, "csv")

    @get("/{survey_id:str}/report.json", name="admin-report-json", opt=roles())
    async def json(self, request: Request[Any, Any, Any], site: SiteDep,
                   survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, None, "json")

    @get("/{survey_id:str}/report.pdf", name="admin-report-pdf", opt=roles())
    async def pdf(self, request: Request[Any, Any, Any], site: SiteDep,
                  survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, None, "pdf")


class OrgReportController(Controller):
    """Reports of one organisation: its analysts (and administrators)."""

    path = "/orgs/{org:str}/reports"

    @get("/{survey_id:str}", name="admin-org-report",
         opt={**roles("analyst"), SKIP_COMPRESSION: True})
    async def show(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                   survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, org, None)

    @get("/{survey_id:str}/report.csv", name="admin-org-report-csv", opt=roles("analyst"))
    async def csv(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                  survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, org, "csv")

    @get("/{survey_id:str}/report.json", name="admin-org-report-json", opt=roles("analyst"))
    async def json(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                   survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, org, "json")

    @get("/{survey_id:str}/report.pdf", name="admin-org-report-pdf", opt=roles("analyst"))
    async def pdf(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                  survey_id: FromPath[str]) -> Response[Any]:
        return await _Reports._page(request, site, survey_id, org, "pdf")


__all__ = ["OrgReportController", "ReportController"]

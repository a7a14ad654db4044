"""The dashboard (``/admin``), a wave seen by one organisation, opening and closing waves,
invitation codes and the leaflet of a wave."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from ...anonymity import TOKEN_KINDS, results_available
from ...rendering.slips import qr_svg
from ...services import audit
from ...services import tokens as token_service
from ...services import waves as wave_service
from ...services.catalog import survey_kinds, wave_structures
from ...services.dashboard import dashboard, unit_rates, visible_organisations
from ...services.errors import Invalid, ServiceError
from ...surveys.waves import now, parse_local
from ..deps import Site, SiteDep
from ..pages import NO_STORE
from .access import roles, signed_in
from .common import admin_lang, page


def _form_value(form: Any, name: str) -> str:
    return str(form.get(name, "")).strip()


async def _wave_or_404(site: Site, wave_id: str) -> Any:
    for wave in await site.store.waves():
        if wave.id == wave_id:
            return wave
    raise NotFoundException()


class DashboardController(Controller):
    """Surveys and waves per organisation; what an admin does to waves and codes."""

    path = "/"

    @get("/", name="admin-dashboard", opt=roles("analyst", "clerk"))
    async def home(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """Every wave the user may see, with responses today, this week and in total."""
        user = signed_in(request)
        if user.role == "clerk":
            return Redirect(request.app.route_reverse("admin-paper-start"), status_code=303)
        await site.registry.refresh()
        waves = await dashboard(site.store, site.registry.catalog, user)
        return page(site, request, "admin/dashboard.html", user, waves=waves)

    @get("/orgs/{org:str}/waves/{wave_id:str}", name="admin-wave-org",
         opt=roles("analyst"))
    async def wave_org(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                       wave_id: FromPath[str]) -> Response[Any]:
        """One wave for one organisation: counts and, for staff, response rates per unit."""
        user = signed_in(request)
        wave = await _wave_or_404(site, wave_id)
        catalog = site.registry.catalog
        if org not in visible_organisations(user, wave, catalog):
            raise NotFoundException()
        kind = survey_kinds(catalog).get(wave.survey_id)
        units = await unit_rates(site.store, wave, org) if kind in TOKEN_KINDS else []
        counts = await site.store.organisation_counts(wave.id)
        return page(site, request, "admin/wave.html", user, wave=wave,
                    org=catalog.organisations.get(org), org_id=org, units=units,
                    total=counts.get(org, 0), staff=kind in TOKEN_KINDS,
                    exportable=results_available(wave, kind or ""),
                    closed=wave.state(now()) == "closed",
                    published=wave.id in await site.store.publications())

    @get("/waves/new", name="admin-wave-new", opt=roles())
    async def new_wave(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """The form that opens a wave now or schedules it."""
        blank = {"survey": "", "wave_id": "", "phase": "baseline", "starts": "", "ends": "",
                 "organisations": [], "yes": False}
        return self._wave_form(request, site, blank, None)

    def _wave_form(self, request: Request[Any, Any, Any], site: Site, typed: dict[str, Any],
                   error: str | None, status: int = 200) -> Response[Any]:
        catalog = site.registry.catalog
        return page(
            site, request, "admin/wave_new.html", signed_in(request), status,
            surveys=list(catalog.surveys.values()),
            organisations=list(catalog.organisations.values()),
            phases=wave_service.PHASES, typed=typed, error=error,
            error_list=[{"item": "survey", "message": error}] if error else [],
        )

    @post("/waves", name="admin-wave-open", opt=roles())
    async def open_wave(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """Open (or schedule) a wave; the form again with the reason when refused."""
        form = await request.form()
        typed: dict[str, Any] = {
            k: _form_value(form, k) for k in ("survey", "wave_id", "phase", "starts", "ends")}
        typed["organisations"] = [str(v) for v in form.getall("organisations")] if (
            "organisations" in form) else []
        typed["yes"] = _form_value(form, "yes") == "1"
        lang = admin_lang(request)
        try:
            try:
                starts = parse_local(typed["starts"]) if typed["starts"] else None
                ends = parse_local(typed["ends"]) if typed["ends"] else None
            except ValueError as exc:
                raise Invalid(str(exc)) from exc
            wave = await wave_service.open_wave(
                site.settings, site.store, typed["survey"], typed["wave_id"] or None,
                typed["phase"], typed["organisations"], starts, ends, yes=typed["yes"])
        except ServiceError as exc:
            prefix = site.renderer.gettext(lang, "The wave was not opened:")
            return self._wave_form(request, site, typed, f"{prefix} {exc}", 400)
        await audit.record(site.store, signed_in(request).name, "wave-open",
                           {"wave": wave.id, "survey": wave.survey_id, "phase": wave.phase,
                            "organisations": wave.organisations,
                            "starts": typed["starts"], "ends": typed["ends"]})
        await site.registry.refresh(force=True)
        return Redirect(request.app.route_reverse("admin-dashboard"), status_code=303)

    @post("/waves/{wave_id:str}/close", name="admin-wave-close", opt=roles())
    async def close_wave(self, request: Request[Any, Any, Any], site: SiteDep,
                         wave_id: FromPath[str]) -> Response[Any]:
        """Close a wave now (staff answers are mixed)."""
        await _wave_or_404(site, wave_id)
        try:
            await wave_service.close_wave(site.settings, site.store, wave_id)
        except ServiceError as exc:
            lang = admin_lang(request)
            return page(site, request, "admin/message.html", signed_in(request), 409,
                        heading=site.renderer.gettext(lang, "The wave was not closed"),
                        text=str(exc))
        await audit.record(site.store, signed_in(request).name, "wave-close", {"wave": wave_id})
        await site.registry.refresh(force=True)
        return Redirect(request.app.route_reverse("admin-dashboard"), status_code=303)

    @get("/waves/{wave_id:str}/codes", name="admin-codes", opt=roles())
    async def codes(self, request: Request[Any, Any, Any], site: SiteDep,
                    wave_id: FromPath[str]) -> Response[Any]:
        """Issue invitation codes for a unit, or revoke a lost one."""
        wave = await _wave_or_404(site, wave_id)
        structures = await wave_structures(site.store, wave)
        units = [(org, u.id) for org, s in structures.items() for u in s.units]
        return page(site, request, "admin/codes.html", signed_in(request), wave=wave,
                    units=units, message=request.query_params.get("done"))

    @post("/waves/{wave_id:str}/codes", name="admin-codes-issue", opt=roles())
    async def issue(self, request: Request[Any, Any, Any], site: SiteDep,
                    wave_id: FromPath[str]) -> Response[Any]:
        """Issue codes and download their printable slips (the only copy of the codes)."""
        await _wave_or_404(site, wave_id)
        form = await request.form()
        org, _, unit = _form_value(form, "unit").partition("/")
        count_text = _form_value(form, "count")
        user = signed_in(request)
        try:
            count = int(count_text) if count_text.isdigit() else 0
            with tempfile.TemporaryDirectory() as folder:
                _, slips = await token_service.issue_tokens(
                    site.settings, site.store, wave_id, org, unit, count, Path(folder))
                body = await asyncio.to_thread(slips.read_bytes)
        except ServiceError as exc:
            lang = admin_lang(request)
            return page(site, request, "admin/message.html", user, 400,
                        heading=site.renderer.gettext(lang, "No codes were issued"),
                        text=str(exc))
        await audit.record(site.store, user.name, "codes-issue",
                           {"wave": wave_id, "organisation": org, "unit": unit, "count": count})
        return Response(body, status_code=200, media_type="text/html", headers={
            **NO_STORE, "content-disposition": f'attachment; filename="{slips.name}"'})

    @post("/waves/{wave_id:str}/codes/revoke", name="admin-code-revoke", opt=roles())
    async def revoke(self, request: Request[Any, Any, Any], site: SiteDep,
                     wave_id: FromPath[str]) -> Response[Any]:
        """Make a lost slip's code unusable."""
        form = await request.form()
        user = signed_in(request)
        try:
            await token_service.revoke_token(site.settings, site.store, _form_value(form, "code"))
        except ServiceError as exc:
            lang = admin_lang(request)
            return page(site, request, "admin/message.html", user, 400,
                        heading=site.renderer.gettext(lang, "The code was not revoked"),
                        text=str(exc))
        await audit.record(site.store, user.name, "code-revoke", {"wave": wave_id})
        url = request.app.route_reverse("admin-codes", wave_id=wave_id)
        return Redirect(f"{url}?done=revoked", status_code=303)

    @get("/waves/{wave_id:str}/leaflet/{org:str}", name="admin-leaflet", opt=roles("analyst"))
    async def leaflet(self, request: Request[Any, Any, Any], site: SiteDep,
                      wave_id: FromPath[str], org: FromPath[str]) -> Response[Any]:
        """An A4 leaflet in Bulgarian: the survey's short address and its QR code."""
        wave = await _wave_or_404(site, wave_id)
        catalog = site.registry.catalog
        loaded = catalog.surveys.get(wave.survey_id)
        if loaded is None or loaded.survey.kind != "citizen" or not wave.covers(org) or (
                org not in catalog.organisations):
            raise NotFoundException()
        address = f"{site.settings.public_url.rstrip('/')}/s/{wave.survey_id}?org={org}"
        body = site.renderer.render("bg", "admin/leaflet.html", survey=loaded.survey,
                                    org=catalog.organisations[org], address=address,
                                    qr=qr_svg(address), minutes=loaded.survey.minutes)
        return Response(body.encode(), media_type="text/html", headers=NO_STORE)

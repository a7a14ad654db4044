"""Fieldwork records typed in by clerks and admins (``/admin/fieldwork``, issue #19 §1): per
wave, organisation and day the paper forms handed out, the visitors counted and, for training
events, the participants. The report's response rates come from them."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from ...services import fieldwork as service
from ...services.errors import Invalid, ServiceError
from ...surveys.waves import Wave, now
from ..deps import Site, SiteDep
from ..messages import N_
from .access import roles, signed_in
from .common import admin_lang, page

KINDS = ("citizen", "training")  # staff waves count their codes instead
COUNTS = {"handed_out": N_("forms handed out"), "visitors": N_("visitors counted"),
          "attended": N_("participants")}


async def _wave(site: Site, wave_id: str, org: str) -> Wave:
    for wave in await site.store.waves():
        loaded = site.registry.catalog.surveys.get(wave.survey_id)
        if wave.id == wave_id and wave.covers(org) and loaded is not None and (
                loaded.survey.kind in KINDS):
            return wave
    raise NotFoundException()


class FieldworkController(Controller):
    path = "/"

    @get("/fieldwork", name="admin-fieldwork", opt=roles("clerk"))
    async def waves(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """The citizen and training waves of the user's organisations, newest first."""
        user = signed_in(request)
        catalog = site.registry.catalog
        orgs = list(catalog.organisations) if user.role == "admin" else user.organisations
        found = []
        for wave in sorted(await site.store.waves(), key=lambda w: str(w.starts), reverse=True):
            loaded = catalog.surveys.get(wave.survey_id)
            if loaded is None or loaded.survey.kind not in KINDS:
                continue
            found += [(org, wave, loaded.survey) for org in orgs
                      if org in catalog.organisations and wave.covers(org)]
        return page(site, request, "admin/fieldwork_list.html", user, found=found,
                    organisations=catalog.organisations, at=now())

    @get("/orgs/{org:str}/fieldwork/{wave_id:str}", name="admin-fieldwork-wave",
         opt=roles("clerk"))
    async def wave(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                   wave_id: FromPath[str]) -> Response[Any]:
        """The days recorded and their response rates, and the form to record a day."""
        wave = await _wave(site, wave_id, org)
        saved = request.query_params.get("saved")
        imported = request.query_params.get("imported", "")
        return await self._page(request, site, wave, org, {}, [], saved=saved,
                                imported=int(imported) if imported.isdigit() else None)

    async def _page(self, request: Request[Any, Any, Any], site: Site, wave: Wave, org: str,
                    typed: dict[str, str], errors: list[dict[str, str]], status: int = 200,
                    saved: str | None = None, imported: int | None = None) -> Response[Any]:
        found = await service.summary(site.store, wave.id, org)
        survey = site.registry.catalog.surveys[wave.survey_id].survey
        return page(site, request, "admin/fieldwork.html", signed_in(request), status,
                    wave=wave, org_id=org, organisation=site.registry.catalog.organisations[org],
                    survey=survey, summary=found, typed=typed, error_list=errors,
                    errors={e["item"]: e["message"] for e in errors},
                    saved=saved if saved and len(saved) == 10 else None,
                    training=survey.kind == "training", imported=imported)

    @post("/orgs/{org:str}/fieldwork/{wave_id:str}", name="admin-fieldwork-add",
          opt=roles("clerk"))
    async def add(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                  wave_id: FromPath[str]) -> Response[Any]:
        """Record one day (a count left empty keeps what was recorded)."""
        wave = await _wave(site, wave_id, org)
        lang = admin_lang(request)
        form = await request.form()
        typed = {k: str(form.get(k, "")).strip() for k in ("day", *COUNTS)}
        errors: list[dict[str, str]] = []
        counts: dict[str, int | None] = {}
        try:
            day = service.parse_day(typed["day"])
        except Invalid:
            errors.append({"item": "day", "message": site.renderer.gettext(
                lang, "Type the day as YYYY-MM-DD or DD.MM.YYYY.")})
        for name, label in COUNTS.items():
            try:
                counts[name] = service.parse_count(name, typed[name])
            except Invalid:
                errors.append({"item": name, "message": site.renderer.gettext(
                    lang, "Type the number of %(what)s as a whole number from 0 to 100,000.",
                    what=site.renderer.gettext(lang, label))})
        if not errors and all(v is None for v in counts.values()):
            errors.append({"item": "handed_out", "message": site.renderer.gettext(
                lang, "Type at least one count.")})
        if not errors:
            try:
                await service.record(site.settings, site.store, wave.id, org, day,
                                     handed_out=counts["handed_out"],
                                     visitors=counts["visitors"], attended=counts["attended"],
                                     actor=signed_in(request).name)
            except ServiceError as exc:
                prefix = site.renderer.gettext(lang, "The day was not recorded:")
                errors.append({"item": "day", "message": f"{prefix} {exc}"})
        if errors:
            return await self._page(request, site, wave, org, typed, errors, 400)
        url = request.app.route_reverse("admin-fieldwork-wave", org=org, wave_id=wave.id)
        return Redirect(f"{url}?saved={day.isoformat()}", status_code=303)

    @post("/orgs/{org:str}/fieldwork/{wave_id:str}/import", name="admin-fieldwork-import",
          opt=roles("clerk"))
    async def import_file(self, request: Request[Any, Any, Any], site: SiteDep,
                          org: FromPath[str], wave_id: FromPath[str]) -> Response[Any]:
        """Import the queue system's daily export (CSV) for this organisation, all or nothing."""
        wave = await _wave(site, wave_id, org)
        lang = admin_lang(request)
        form = await request.form()
        upload = form.get("file")
        error = None
        try:
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise Invalid(site.renderer.gettext(lang, "Choose the queue system's CSV file."))
            try:
                text = (await upload.read()).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise Invalid(site.renderer.gettext(
                    lang, "The file is not UTF-8 text: save the export as CSV UTF-8.")) from None
            days = await service.import_queue(site.settings, site.store, wave.id, text, org,
                                              signed_in(request).name, only=True)
        except ServiceError as exc:
            prefix = site.renderer.gettext(lang, "Nothing was imported:")
            error = f"{prefix} {exc}"
        if error is not None:
            return await self._page(request, site, wave, org, {}, [
                {"item": "file", "message": error}], 400)
        url = request.app.route_reverse("admin-fieldwork-wave", org=org, wave_id=wave.id)
        return Redirect(f"{url}?imported={days}", status_code=303)

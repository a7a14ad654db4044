"""Paper questionnaires typed in by clerks: the survey's own form in channel ``paper``, with
the questionnaire's number typed first and kept with the response (a number is stored once per
wave). After saving, the clerk is back on an empty form with a confirmation."""

from __future__ import annotations

import re
import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from ...i18n import normalise
from ...registry import WaveChoice
from ...services import audit
from ...services import paper as service
from ...storage.base import NewResponse, StoreUnavailable
from ...surveys.answers import Answers
from ...surveys.coding import encode_codes
from ...surveys.waves import today_in_sofia
from ..deps import Site, SiteDep, csrf_token
from ..flow import STEP, StepView, advance, read_form
from ..messages import N_
from ..unavailable import unavailable_page
from .access import roles, signed_in
from .common import admin_lang, page

NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/-]{0,19}$")
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


#: What saving a typed-in questionnaire may lead to (the rest are refusals).
ENTRY_OUTCOMES = ("stored", "first", "matched", "mismatch")


def refusal(site: Site, lang: str, outcome: str, number: str) -> str:
    """Why a questionnaire number cannot be typed in (now, by this clerk)."""
    texts = {
        "same-clerk": N_("You have already typed in questionnaire %(number)s: the second "
                         "entry is for another clerk."),
        "waiting": N_("The two entries of questionnaire %(number)s differ and wait for an "
                      "administrator."),
    }
    message = texts.get(outcome) or N_("Questionnaire %(number)s has already been entered "
                                       "in this wave.")
    return site.renderer.gettext(lang, message, number=number)


def _choice(site: Site, survey_id: str, org: str) -> WaveChoice:
    """The open wave of a citizen survey for the organisation (404 otherwise)."""
    loaded = site.registry.catalog.surveys.get(survey_id)
    choice = site.registry.choose(survey_id, org)
    if loaded is None or loaded.survey.kind != "citizen" or choice is None or (
            choice.state != "open"):
        raise NotFoundException()
    return choice


def _view(site: Site, request: Request[Any, Any, Any], choice: WaveChoice, org: str,
          lang: str) -> StepView:
    return StepView(
        site.renderer, choice.survey, site.registry.catalog.organisations[org], lang, "paper",
        site.settings,
        form_action=request.app.route_reverse("admin-paper-submit", org=org,
                                              survey_id=choice.survey.id),
        phase=choice.wave.phase,
    )


class PaperController(Controller):
    """``/admin/paper``: which forms a clerk may type in, and typing them in."""

    path = "/paper"

    @get("/", name="admin-paper-start", opt=roles("clerk"))
    async def start(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """The citizen surveys open for the clerk's organisations."""
        user = signed_in(request)
        await site.registry.refresh()
        catalog = site.registry.catalog
        forms = [
            (org, loaded.survey)
            for org in (list(catalog.organisations) if user.role == "admin"
                        else user.organisations)
            for loaded in catalog.surveys.values()
            if loaded.survey.kind == "citizen" and org in catalog.organisations
            and (c := site.registry.choose(loaded.survey.id, org)) is not None
            and c.state == "open"
        ]
        return page(site, request, "admin/paper_start.html", user, forms=forms,
                    organisations=catalog.organisations)

    @get("/{org:str}/{survey_id:str}", name="admin-paper-number", opt=roles("clerk"))
    async def number_form(self, request: Request[Any, Any, Any], site: SiteDep,
                          org: FromPath[str], survey_id: FromPath[str]) -> Response[Any]:
        """Ask for the questionnaire's number (and confirm the one just saved)."""
        await site.registry.refresh()
        choice = _choice(site, survey_id, org)
        saved = request.query_params.get("saved")
        entry = request.query_params.get("entry")
        return self._number_page(request, site, choice, org, "", None,
                                 saved if saved and NUMBER.match(saved) else None,
                                 entry=entry if entry in ENTRY_OUTCOMES else "stored")

    def _number_page(self, request: Request[Any, Any, Any], site: Site, choice: WaveChoice,
                     org: str, typed: str, error: str | None, saved: str | None = None,
                     status: int = 200, entry: str = "stored") -> Response[Any]:
        return page(
            site, request, "admin/paper_number.html", signed_in(request), status,
            survey=choice.survey, organisation=site.registry.catalog.organisations[org],
            org_id=org, typed=typed, error=error, saved=saved, entry=entry,
            double=site.settings.paper_double_entry,
            error_list=[{"item": "number", "message": error}] if error else [],
        )

    @post("/{org:str}/{survey_id:str}", name="admin-paper-begin", opt=roles("clerk"))
    async def begin(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                    survey_id: FromPath[str]) -> Response[Any]:
        """Check the number, then show the survey's first page."""
        await site.registry.refresh()
        choice = _choice(site, survey_id, org)
        form = await request.form()
        number = str(form.get("number", "")).strip()
        lang = admin_lang(request)
        error = None
        if not NUMBER.match(number):
            error = site.renderer.gettext(
                lang, "Type the number printed on the questionnaire: up to 20 letters, digits, "
                "'-' or '/'.")
        elif refused := await service.check_number(
                site.store, choice.wave.id, number, signed_in(request).name):
            error = refusal(site, lang, refused, number)
        if error:
            return self._number_page(request, site, choice, org, number, error, status=400)
        view = _view(site, request, choice, org, lang)
        return view.page(0, {}, {"_number": [number]}, [], csrf_token(request),
                         secrets.token_urlsafe(16))

    @post("/{org:str}/{survey_id:str}/form", name="admin-paper-submit", opt=roles("clerk"))
    async def submit(self, request: Request[Any, Any, Any], site: SiteDep, org: FromPath[str],
                     survey_id: FromPath[str]) -> Response[Any]:
        """A page of the paper form: the next page, errors, or save and start the next one."""
        await site.registry.refresh()
        choice = _choice(site, survey_id, org)
        raw, meta = await read_form(request)
        number, key, step_text = meta("_number"), meta("_key"), meta("_step")
        if (not NUMBER.match(number) or not KEY.match(key) or not STEP.fullmatch(step_text)
                or meta("_org") != org or meta("_channel") != "paper"
                or int(step_text) >= len(choice.survey.sections)):
            raise ClientException("The form was incomplete or altered.")
        view = _view(site, request, choice, org, normalise(meta("_lang")))
        answers = advance(view, raw, int(step_text), meta("_action") or "next",
                          csrf_token(request), key)
        if isinstance(answers, Response):
            return answers
        if await site.store.submitted(key):  # the last page sent twice: stored once
            url = request.app.route_reverse("admin-paper-number", org=org, survey_id=survey_id)
            return Redirect(f"{url}?saved={number}", status_code=303)
        clerk = signed_in(request).name
        try:
            outcome = await self._save(site, choice, org, view.lang, key, answers, number, clerk)
        except StoreUnavailable as exc:  # 503, every typed value kept: send it again
            return unavailable_page(view, int(step_text), answers, raw, csrf_token(request),
                                    key, exc)
        if outcome not in ENTRY_OUTCOMES:
            error = refusal(site, view.lang, outcome, number)
            return self._number_page(request, site, choice, org, number, error, status=409)
        url = request.app.route_reverse("admin-paper-number", org=org, survey_id=survey_id)
        return Redirect(f"{url}?saved={number}&entry={outcome}", status_code=303)

    @staticmethod
    async def _save(site: Site, choice: WaveChoice, org: str, lang: str, key: str,
                    answers: Answers, number: str, clerk: str) -> str:
        """Store (or take as one of two entries) the questionnaire, and log it."""
        outcome = await service.enter(
            site.store,
            NewResponse(
                submission_key=key, wave_id=choice.wave.id, version=choice.wave.version,
                organisation=org, channel="paper", lang=lang, day=today_in_sofia(),
                answers=answers, codes=encode_codes(choice.survey, answers),
            ),
            number, clerk, site.settings.paper_double_entry,
        )
        if outcome in ENTRY_OUTCOMES:
            await audit.record(site.store, clerk, "paper-entry", {
                "wave": choice.wave.id, "organisation": org, "number": number,
                "entry": outcome})
        return outcome


class DoubleEntryController(Controller):
    """``/admin/double-entry``: questionnaires whose two entries differ, side by side."""

    path = "/double-entry"

    @get("/", name="admin-double-entry", opt=roles())
    async def list_mismatches(self, request: Request[Any, Any, Any], site: SiteDep
                              ) -> Response[Any]:
        """Each questionnaire whose entries differ: the answers that differ, and a choice."""
        found = [
            {"wave": wave, "number": number, "clerks": [e.clerk for e in entries[:2]],
             "rows": service.differences(entries)}
            for wave, number, entries in await service.mismatches(site.store)
        ]
        return page(site, request, "admin/double_entry.html", signed_in(request),
                    mismatches=found)

    @post("/resolve", name="admin-double-entry-resolve", opt=roles())
    async def resolve(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """Keep one clerk's entry: the questionnaire counts with it."""
        form = await request.form()
        wave, number, keep = (str(form.get(k, "")) for k in ("wave", "number", "keep"))
        if not await service.resolve(site.store, wave, number, keep, signed_in(request).name):
            raise NotFoundException()
        return Redirect(request.app.route_reverse("admin-double-entry"), status_code=303)

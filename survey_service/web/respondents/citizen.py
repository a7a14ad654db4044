"""Citizens' survey pages: the form (one page per section, also at an enrolled front-desk
kiosk), the thank-you page and the printable paper form.

The channel of a response is decided here, never by the form: ``kiosk`` only on a device
enrolled by an administrator (its signed cookie, :mod:`survey_service.web.kiosks`), ``web``
otherwise. Paper questionnaires are typed in by signed-in clerks (``/admin``), so the public
``?channel=paper`` is refused. Stored submissions are limited per client
(:class:`~survey_service.web.limits.SubmissionLimiter`); kiosks are exempt.
"""

from __future__ import annotations

import math
import re
import secrets
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery

from ...i18n import normalise, other_language
from ...registry import Registry, WaveChoice
from ...rendering import CSRF_SLOT, KEY_SLOT, Renderer, long_date, show_if_labels
from ...storage.base import NewResponse, Store, StoreUnavailable
from ...storage.faults import unavailable
from ...surveys.answers import Answers
from ...surveys.coding import encode_codes
from ...surveys.loader import LoadedSurvey
from ...surveys.model import Organisation, Survey
from ...surveys.waves import SOFIA, today_in_sofia
from ..deps import Site, SiteDep, client_address, csrf_token, site_of
from ..flow import ALTERED, STEP, StepView, advance, read_form
from ..limits import SubmissionLimiter
from ..messages import N_
from ..pages import NO_STORE, html, message_page
from ..sent import see_other, slotted_page
from ..unavailable import unavailable_page

KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
CSRF_BYTES, KEY_BYTES = CSRF_SLOT.encode(), KEY_SLOT.encode()
TOO_MANY = N_(
    "Too many surveys were sent from this connection. Your answers have not been sent yet; "
    "they are kept on this page. Please press “Send answers” again in %(minutes)s min."
)


def form_query(org: str, lang: str = "bg") -> dict[str, str]:
    """The query of a form's address: organisation, and language when not the default."""
    query = {"org": org}
    if lang != "bg":
        query["lang"] = lang
    return query


def form_url(
    site: Site,
    request: Request[Any, Any, Any],
    survey_id: str,
    org: str,
    lang: str = "bg",
) -> str:
    """The address of a citizen survey's form for an organisation (the same at a kiosk)."""
    query = form_query(org, lang)
    return site.url(request, "survey-form", query, survey_id=survey_id)


def public_survey(registry: Registry, survey_id: str) -> bool:
    """Only citizen surveys have public pages; staff and training surveys need a code."""
    loaded = registry.catalog.surveys.get(survey_id)
    return loaded is not None and loaded.survey.kind == "citizen"


def public_page_of(
    registry: Registry, survey_id: str, org: str | None
) -> tuple[LoadedSurvey, Organisation]:
    """The citizen survey and organisation a public page names, or 404."""
    organisation = registry.catalog.organisations.get(org or "")
    loaded = registry.catalog.surveys.get(survey_id) if public_survey(registry, survey_id) else None
    if loaded is None or organisation is None:
        raise NotFoundException()
    return loaded, organisation


def _closed_page(
    renderer: Renderer,
    lang: str,
    choice: WaveChoice | None,
    survey_title: str,
    org: Organisation,
    kiosk: bool,
    switch_url: str,
) -> Response[bytes]:
    t = renderer.gettext
    if choice is not None and choice.state == "scheduled" and choice.wave.starts is not None:
        text = t(
            lang,
            "This survey opens on %(date)s. Please come back then.",
            date=long_date(choice.wave.starts.astimezone(SOFIA), lang),
        )
        heading = t(lang, "This survey has not started yet")
    else:
        text = t(lang, "This survey is closed. Thank you for your interest.")
        heading = t(lang, "This survey is closed")
    return message_page(
        renderer, lang, heading, [survey_title, text], org=org, kiosk=kiosk, switch_url=switch_url
    )


def _paper_refused(
    site: Site, request: Request[Any, Any, Any], lang: str
) -> Response[bytes]:
    """``?channel=paper``: paper questionnaires are typed in by signed-in clerks."""
    t = site.renderer.gettext
    return message_page(
        site.renderer,
        lang,
        t(lang, "Paper questionnaires are typed in by clerks"),
        [
            t(lang, "Answers from paper questionnaires are typed in by clerks of the "
                    "municipality after signing in at /admin. This public page cannot "
                    "take them."),
            t(lang, "To answer a survey yourself, open it from the list of surveys open now."),
        ],
        [(site.url(request, "home", {"lang": lang} if lang != "bg" else None),
          t(lang, "Surveys open now"))],
        status=404,
    )


def _too_many(
    view: StepView,
    answers: Answers,
    raw: dict[str, list[str]],
    step: int,
    csrf: str,
    key: str,
    wait: float,
) -> Response[bytes]:
    """429: the last page again, every answer kept, with why and when to send again (as the
    503 of :mod:`survey_service.web.unavailable` does)."""
    minutes = max(1, math.ceil(wait / 60))
    context = view.context(step, answers, raw, [], csrf, key)
    message = view.renderer.gettext(view.lang, TOO_MANY, minutes=minutes)
    context["error_list"] = [{"item": "survey", "message": message}]
    body = view.renderer.render(view.lang, "survey/form.html", **context)
    headers = {**NO_STORE, "retry-after": SubmissionLimiter.retry_after(wait)}
    return html(body, 429, headers)


def citizen_view(
    site: Site,
    request: Request[Any, Any, Any],
    survey: Survey,
    org: Organisation,
    lang: str,
    channel: str,
) -> StepView:
    """The pages of a citizen survey, posting to its own address."""
    return StepView(
        site.renderer,
        survey,
        org,
        lang,
        channel,
        site.settings,
        form_action=site.url(request, "survey-submit", survey_id=survey.id),
        fresh_url=form_url(site, request, survey.id, org.id),
    )


class CitizenController(Controller):
    """``/s/{survey_id}``: a citizen survey's form, thank-you page and paper form."""

    path = "/s"

    @get("/{survey_id:str}", name="survey-form")
    async def form(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
        org: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
        channel: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Show the first page of a survey for an organisation (or the choice of
        organisation)."""
        site = site_of(request)  # not injected: see deps.site_of
        registry, renderer = site.registry, site.renderer
        lang = normalise(lang)
        if not public_survey(registry, survey_id):
            raise NotFoundException()
        if channel == "paper":
            return _paper_refused(site, request, lang)
        await registry.refresh()
        organisation = registry.catalog.organisations.get(org or "")
        other = other_language(lang)
        if organisation is None:
            links = [
                (
                    form_url(site, request, survey_id, o.id, lang),
                    o.name.get(lang),
                )
                for o in registry.catalog.organisations.values()
                if registry.choose(survey_id, o.id) is not None
            ]
            if not links:
                raise NotFoundException()
            title = registry.catalog.surveys[survey_id].survey.title.get(lang)
            return message_page(
                renderer,
                lang,
                title,
                [renderer.gettext(lang, "Choose your municipality:")],
                links,
                switch_url=site.url(request, "survey-form", {"lang": other}, survey_id=survey_id),
            )
        is_kiosk = await site.kiosks.serves(request, organisation.id, survey_id)
        channel = "kiosk" if is_kiosk else "web"
        choice = registry.choose(survey_id, organisation.id)
        switch_url = form_url(site, request, survey_id, organisation.id, other)
        if choice is None or choice.state != "open":
            title = registry.catalog.surveys[survey_id].survey.title.get(lang)
            return _closed_page(renderer, lang, choice, title, organisation, is_kiosk, switch_url)
        survey = choice.survey
        parts = renderer.slotted(
            ("form", choice.wave.version, lang, organisation.id, channel),
            lang,
            "survey/form.html",
            lambda: citizen_view(site, request, survey, organisation, lang, channel).context(
                0, {}, {}, [], CSRF_SLOT, KEY_SLOT
            ),
        )
        slots = {CSRF_BYTES: csrf_token(request).encode(),
                 KEY_BYTES: secrets.token_urlsafe(16).encode()}
        return slotted_page(parts, slots)

    @post("/{survey_id:str}", name="survey-submit")
    async def submit(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        """Validate a page; show the next page, the same page with errors, or store and 303."""
        site = site_of(request)  # not injected: see deps.site_of
        registry, store = site.registry, site.store
        if not public_survey(registry, survey_id):
            raise NotFoundException()
        raw, meta = await read_form(request)
        lang = normalise(meta("_lang"))
        organisation = registry.catalog.organisations.get(meta("_org"))
        key, step_text = meta("_key"), meta("_step")
        action = meta("_action") or "next"
        if (
            organisation is None
            or not KEY.match(key)
            or not STEP.fullmatch(step_text)
        ):
            raise ClientException(ALTERED)
        await registry.refresh()
        choice = registry.choose(survey_id, organisation.id)
        kiosk = await site.kiosks.serves(request, organisation.id, survey_id)
        channel = "kiosk" if kiosk else "web"
        if choice is None or choice.state != "open":
            title = registry.catalog.surveys[survey_id].survey.title.get(lang)
            back = form_url(site, request, survey_id, organisation.id, lang)
            return _closed_page(site.renderer, lang, choice, title, organisation, kiosk, back)
        survey = choice.survey
        step = int(step_text)
        if step >= len(survey.sections):
            raise ClientException(ALTERED)
        query = {"org": organisation.id, "lang": lang}
        thanks = site.url(request, "survey-thanks", query, survey_id=survey_id)
        view = citizen_view(site, request, survey, organisation, lang, channel)
        answers = advance(view, raw, step, action, csrf_token(request), key)
        if isinstance(answers, Response):
            if await _sent_already(store, key):
                # A page of a form already sent, sent again (Back and Reload at a kiosk): its
                # answers are never shown again. (Sending the last page again stores nothing.)
                return see_other(thanks)
            return answers
        if not kiosk:
            wait = await site.submissions.take(client_address(request))
            if wait:
                return _too_many(view, answers, raw, step, csrf_token(request), key, wait)
        response = NewResponse(
            submission_key=key,
            wave_id=choice.wave.id,
            version=choice.wave.version,
            organisation=organisation.id,
            channel=channel,
            lang=lang,
            day=today_in_sofia(),
            answers=answers,
            codes=encode_codes(survey, answers),
        )
        try:
            await store.submit(response)
        except StoreUnavailable as exc:
            return unavailable_page(view, step, answers, raw, csrf_token(request), key, exc)
        return see_other(thanks)

    @get("/{survey_id:str}/thanks", name="survey-thanks")
    async def thanks(
        self,
        request: Request[Any, Any, Any],
        survey_id: FromPath[str],
        org: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The thank-you page (the kiosk's returns to a fresh form by itself)."""
        site = site_of(request)  # not injected: see deps.site_of
        registry, renderer = site.registry, site.renderer
        lang = normalise(lang)
        loaded, organisation = public_page_of(registry, survey_id, org)
        is_kiosk = await site.kiosks.serves(request, organisation.id, survey_id)
        other = {"org": organisation.id, "lang": other_language(lang)}
        parts = renderer.slotted(
            ("thanks", survey_id, lang, organisation.id, is_kiosk),
            lang,
            "survey/thanks.html",
            lambda: {
                "survey": loaded.survey,
                "org": organisation,
                "kiosk": is_kiosk,
                "restart_seconds": site.settings.kiosk_restart_seconds,
                "fresh_url": form_url(site, request, survey_id, organisation.id),
                "switch_url": None
                if is_kiosk
                else site.url(request, "survey-thanks", other, survey_id=survey_id),
            },
        )
        return slotted_page(parts)

    @get("/{survey_id:str}/paper", name="survey-paper")
    async def paper(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        survey_id: FromPath[str],
        org: FromQuery[str | None] = None,
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """A printable A4 questionnaire of the version the current wave serves."""
        registry = site.registry
        lang = normalise(lang)
        loaded, organisation = public_page_of(registry, survey_id, org)
        await registry.refresh()
        choice = registry.choose(survey_id, organisation.id)
        survey, version = (
            (choice.survey, choice.wave.version) if choice else (loaded.survey, loaded.version)
        )
        page = site.renderer.cached(
            ("paper", version, lang, organisation.id),
            lang,
            "survey/paper.html",
            survey=survey,
            org=organisation,
            version=version,
            form_number=f"{survey.id.split('-')[0][:3].upper()}-{version[:6].upper()}",
            show_if_labels=show_if_labels(survey, lang),
            retention_years=site.settings.retention_years,
            notice_url=site.settings.public_url.rstrip("/")
            + site.url(request, "privacy", {"org": organisation.id, "lang": lang}),
        )
        return html(page)


async def _sent_already(store: Store, key: str) -> bool:
    """Whether the form with this one-time key was stored; ``False`` while the database is
    away (the respondent goes on to the next page rather than to an error)."""
    try:
        return await store.submitted(key)
    except Exception as exc:
        if not unavailable(exc):
            raise
        return False

"""Respondents' pages: the citizen survey form (one page per section), thank-you, paper form,
privacy notice and accessibility statement.

``show_if`` works without JavaScript: each section is a page, the answers of earlier pages
travel in hidden fields, and the server decides which page and questions come next. Nothing
is stored until the last page is valid; then the response is committed and the browser is
redirected (303) to the thank-you page.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, get, post
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect
from litestar.utils.scope.state import ScopeState

from ..i18n import normalise
from ..registry import Registry, WaveChoice
from ..storage.base import NewResponse, Store, StoreUnavailable
from ..surveys.answers import (
    Answers,
    FieldError,
    next_section,
    previous_section,
    validate_until,
    visible_questions,
)
from ..surveys.coding import encode_codes
from ..surveys.model import Organisation, Survey
from ..surveys.waves import SOFIA, today_in_sofia
from .messages import label_of, message_id
from .render import CSRF_SLOT, KEY_SLOT, Renderer, fill, long_date, show_if_labels
from .unavailable import unavailable_page

NO_STORE = {"cache-control": "no-store"}
CHANNELS = {"web", "kiosk", "paper"}
KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
STEP = re.compile(r"[0-9]{1,3}")
#: Control fields the form template writes itself (never copied among the carried answers).
META = {"_csrf_token", "_key", "_step", "_lang", "_org", "_channel", "_action", "_token"}
HTML = "text/html"


def html(
    body: str | bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    data = body.encode() if isinstance(body, str) else body
    return Response(data, status_code=status, media_type=HTML, headers=headers or {})


def _state(request: Request[Any, Any, Any]) -> tuple[Registry, Renderer, Store]:
    app_state = request.app.state
    return app_state.registry, app_state.renderer, app_state.store


def _csrf(request: Request[Any, Any, Any]) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def form_url(
    survey_id: str, org: str, lang: str = "bg", kiosk: bool = False, channel: str = "web"
) -> str:
    query: dict[str, str] = {"org": org}
    if lang != "bg":
        query["lang"] = lang
    if kiosk:
        query["kiosk"] = "1"
    elif channel == "paper":
        query["channel"] = "paper"
    return f"/s/{survey_id}?{urlencode(query)}"


def _public(registry: Registry, survey_id: str) -> bool:
    """Only citizen surveys have public pages; staff and training surveys need a code."""
    loaded = registry.catalog.surveys.get(survey_id)
    return loaded is not None and loaded.survey.kind == "citizen"


def _organisation(registry: Registry, org: str | None) -> Organisation | None:
    return registry.catalog.organisations.get(org or "")


def _message_page(
    renderer: Renderer,
    lang: str,
    heading: str,
    paragraphs: list[str],
    links: list[tuple[str, str]] | None = None,
    status: int = 200,
    switch_url: str | None = None,
    **extra: Any,
) -> Response[bytes]:
    return html(
        renderer.render(
            lang,
            "pages/message.html",
            heading=heading,
            paragraphs=paragraphs,
            links=links or [],
            switch_url=switch_url,
            **extra,
        ),
        status,
        NO_STORE,
    )


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
    return _message_page(
        renderer, lang, heading, [survey_title, text], org=org, kiosk=kiosk, switch_url=switch_url
    )


async def read_form(
    request: Request[Any, Any, Any],
) -> tuple[dict[str, list[str]], Callable[[str], str]]:
    """A survey page's fields (name -> every value sent, as multi-choice questions send
    several), and a reader of the single-valued control fields (``_step``, ``_key``, ...) that
    gives "" for a missing or repeated one."""
    form = await request.form()
    raw: dict[str, list[str]] = {
        name: [str(v) for v in form.getall(name)] for name in dict.fromkeys(form.keys())
    }

    def meta(name: str) -> str:
        values = raw.get(name) or [""]
        return values[0] if len(values) == 1 else ""

    return raw, meta


def advance(
    view: StepView, raw: dict[str, list[str]], step: int, action: str, csrf: str, key: str
) -> Response[bytes] | Answers:
    """Handle a POST of page ``step``: another page (the next one, the previous one, the same
    one in the other language, or the first one with errors, status 400), or the answers when
    the whole survey is valid and the response may be stored."""
    survey = view.survey
    if action in ("lang-bg", "lang-en", "back"):
        answers, _, _ = validate_until(survey, raw, step - 1) if step else ({}, None, [])
        if action == "back":
            step = previous_section(survey, step, answers)
            answers, _, _ = validate_until(survey, raw, step - 1) if step else ({}, None, [])
        else:
            view.lang = action[-2:]
        return html(view.render(step, answers, raw, [], csrf, key), headers=NO_STORE)
    answers, bad_step, errors = validate_until(survey, raw, step)
    if bad_step is not None:
        return html(view.render(bad_step, answers, raw, errors, csrf, key), 400, NO_STORE)
    following = next_section(survey, step, answers)
    if following is not None:
        return html(view.render(following, answers, raw, [], csrf, key), headers=NO_STORE)
    return answers


class StepView:
    """Everything needed to render one page of a survey for one request."""

    form_action: str | None = None
    token: str | None = None  # staff: the invitation code, carried from page to page

    def __init__(
        self,
        renderer: Renderer,
        survey: Survey,
        org: Organisation,
        lang: str,
        channel: str,
        settings: Any,
    ) -> None:
        self.renderer, self.survey, self.org = renderer, survey, org
        self.lang, self.channel, self.settings = lang, channel, settings

    def context(
        self,
        step: int,
        answers: Answers,
        raw: dict[str, list[str]],
        errors: list[FieldError],
        csrf: str,
        key: str,
    ) -> dict[str, Any]:
        survey, lang = self.survey, self.lang
        section = survey.sections[step]
        questions = visible_questions(section, answers)
        here = {item for q in questions for item in q.item_ids()}
        hidden = [
            (name, value)
            for name, values in raw.items()
            if name not in here and name not in META
            for value in values
        ]
        visible_steps = [
            i for i, s in enumerate(survey.sections) if i <= step and visible_questions(s, answers)
        ]
        position = len(visible_steps) if step in visible_steps else len(visible_steps) + 1
        remaining = sum(1 for s in survey.sections[step + 1 :] if visible_questions(s, answers))
        later_visible = next_section(survey, step, answers)
        errs = {
            e.item: self.renderer.gettext(lang, message_id(survey, e), **e.params) for e in errors
        }
        error_list = [
            {"item": e.item, "label": label_of(survey, e, lang), "message": errs[e.item]}
            for e in errors
        ]
        kiosk = self.channel == "kiosk"
        return {
            "survey": survey,
            "section": section,
            "step": step,
            "questions": questions,
            "position": position,
            "total": position + remaining,
            "last": later_visible is None,
            "values": {k: raw.get(k, []) for k in here},
            "hidden": hidden,
            "errs": errs,
            "error_list": error_list,
            "csrf": csrf,
            "key": key,
            "org": self.org,
            "channel": self.channel,
            "kiosk": kiosk,
            "kiosk_idle": self.settings.kiosk_idle_seconds,
            "fresh_url": form_url(survey.id, self.org.id, kiosk=True),
            "form_action": self.form_action or f"/s/{survey.id}",
            "token": self.token,
            "staff": self.token is not None,
        }

    def render(
        self,
        step: int,
        answers: Answers,
        raw: dict[str, list[str]],
        errors: list[FieldError],
        csrf: str,
        key: str,
    ) -> str:
        return self.renderer.render(
            self.lang, "survey/form.html", **self.context(step, answers, raw, errors, csrf, key)
        )


@get("/s/{survey_id:str}", name="survey-form")
async def survey_form(
    request: Request[Any, Any, Any],
    survey_id: FromPath[str],
    org: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
    kiosk: FromQuery[str | None] = None,
    channel: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Show the first page of a survey for an organisation (or the choice of organisation)."""
    registry, renderer, _store = _state(request)
    lang = normalise(lang)
    if not _public(registry, survey_id):
        raise NotFoundException()
    await registry.refresh()
    is_kiosk = kiosk == "1"
    channel = "kiosk" if is_kiosk else ("paper" if channel == "paper" else "web")
    organisation = _organisation(registry, org)
    other = "en" if lang == "bg" else "bg"
    if organisation is None:
        links = []
        for o in registry.catalog.organisations.values():
            choice = registry.choose(survey_id, o.id)
            if choice is not None:
                links.append((form_url(survey_id, o.id, lang, is_kiosk, channel), o.name.get(lang)))
        if not links:
            raise NotFoundException()
        title = registry.catalog.surveys[survey_id].survey.title.get(lang)
        return _message_page(
            renderer,
            lang,
            title,
            [renderer.gettext(lang, "Choose your municipality:")],
            links,
            switch_url=f"/s/{survey_id}?lang={other}",
        )
    choice = registry.choose(survey_id, organisation.id)
    switch_url = form_url(survey_id, organisation.id, other, is_kiosk, channel)
    if choice is None or choice.state != "open":
        title = registry.catalog.surveys[survey_id].survey.title.get(lang)
        return _closed_page(renderer, lang, choice, title, organisation, is_kiosk, switch_url)
    survey = choice.survey
    settings = request.app.state.settings
    parts = renderer.slotted(
        ("form", choice.wave.version, lang, organisation.id, channel),
        lang,
        "survey/form.html",
        lambda: StepView(renderer, survey, organisation, lang, channel, settings).context(
            0, {}, {}, [], CSRF_SLOT, KEY_SLOT
        ),
    )
    return html(fill(parts, _csrf(request), secrets.token_urlsafe(16)), headers=NO_STORE)


@post("/s/{survey_id:str}", name="survey-submit")
async def survey_submit(request: Request[Any, Any, Any], survey_id: FromPath[str]) -> Response[Any]:
    """Validate a page; show the next page, the same page with errors, or store and 303."""
    registry, renderer, store = _state(request)
    if not _public(registry, survey_id):
        raise NotFoundException()
    raw, meta = await read_form(request)

    lang = normalise(meta("_lang"))
    organisation = _organisation(registry, meta("_org"))
    channel = meta("_channel")
    key = meta("_key")
    step_text = meta("_step")
    action = meta("_action") or "next"
    if (
        organisation is None
        or channel not in CHANNELS
        or not KEY.match(key)
        or not STEP.fullmatch(step_text)
    ):
        raise ClientException("The form was incomplete or altered.")
    await registry.refresh()
    choice = registry.choose(survey_id, organisation.id)
    kiosk = channel == "kiosk"
    if choice is None or choice.state != "open":
        title = registry.catalog.surveys[survey_id].survey.title.get(lang)
        return _closed_page(
            renderer,
            lang,
            choice,
            title,
            organisation,
            kiosk,
            form_url(survey_id, organisation.id, lang, kiosk, channel),
        )
    survey = choice.survey
    step = int(step_text)
    if step >= len(survey.sections):
        raise ClientException("The form was incomplete or altered.")
    csrf = _csrf(request)

    query = {"org": organisation.id, "lang": lang}
    if kiosk:
        query["kiosk"] = "1"
    thanks = f"/s/{survey_id}/thanks?{urlencode(query)}"
    view = StepView(renderer, survey, organisation, lang, channel, request.app.state.settings)
    answers = advance(view, raw, step, action, csrf, key)
    if isinstance(answers, Response):
        if await store.submitted(key):
            # A page of a form already sent, sent again (Back and Reload at a kiosk): its
            # answers are never shown again. (Sending the last page again stores nothing new.)
            return Redirect(thanks, status_code=303)
        return answers
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
        return unavailable_page(view, step, answers, raw, csrf, key, exc)
    return Redirect(thanks, status_code=303)


@get("/s/{survey_id:str}/thanks", name="survey-thanks")
async def survey_thanks(
    request: Request[Any, Any, Any],
    survey_id: FromPath[str],
    org: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
    kiosk: FromQuery[str | None] = None,
) -> Response[bytes]:
    """The thank-you page (the kiosk's returns to a fresh form by itself)."""
    registry, renderer, _store = _state(request)
    lang = normalise(lang)
    organisation = _organisation(registry, org)
    loaded = registry.catalog.surveys.get(survey_id) if _public(registry, survey_id) else None
    if loaded is None or organisation is None:
        raise NotFoundException()
    is_kiosk = kiosk == "1"
    settings = request.app.state.settings
    parts = renderer.slotted(
        ("thanks", survey_id, lang, organisation.id, is_kiosk),
        lang,
        "survey/thanks.html",
        lambda: {
            "survey": loaded.survey,
            "org": organisation,
            "kiosk": is_kiosk,
            "restart_seconds": settings.kiosk_restart_seconds,
            "fresh_url": form_url(survey_id, organisation.id, kiosk=True),
            "switch_url": None
            if is_kiosk
            else f"/s/{survey_id}/thanks?"
            + urlencode({"org": organisation.id, "lang": "en" if lang == "bg" else "bg"}),
        },
    )
    return html(parts[0] if len(parts) == 1 else b"".join(parts), headers=NO_STORE)


@get("/s/{survey_id:str}/paper", name="survey-paper")
async def survey_paper(
    request: Request[Any, Any, Any],
    survey_id: FromPath[str],
    org: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
) -> Response[bytes]:
    """A printable A4 questionnaire of the version the current wave serves."""
    registry, renderer, _store = _state(request)
    lang = normalise(lang)
    loaded = registry.catalog.surveys.get(survey_id) if _public(registry, survey_id) else None
    organisation = _organisation(registry, org)
    if loaded is None or organisation is None:
        raise NotFoundException()
    await registry.refresh()
    choice = registry.choose(survey_id, organisation.id)
    survey, version = (
        (choice.survey, choice.wave.version) if choice else (loaded.survey, loaded.version)
    )
    page = renderer.cached(
        ("paper", version, lang, organisation.id),
        lang,
        "survey/paper.html",
        survey=survey,
        org=organisation,
        version=version,
        form_number=f"{survey.id.split('-')[0][:3].upper()}-{version[:6].upper()}",
        show_if_labels=show_if_labels(survey, lang),
    )
    return html(page)


@get("/", name="home")
async def home(
    request: Request[Any, Any, Any], lang: FromQuery[str | None] = None
) -> Response[bytes]:
    """Start page: the surveys open now, per organisation."""
    registry, renderer, _store = _state(request)
    lang = normalise(lang)
    await registry.refresh()
    links = []
    for wave in registry.open_waves():
        loaded = registry.catalog.surveys.get(wave.survey_id)
        survey = registry.survey_version(wave.version)
        if loaded is None or survey is None or survey.kind != "citizen":
            continue
        for o in registry.catalog.organisations.values():
            if wave.covers(o.id):
                links.append(
                    (
                        form_url(survey.id, o.id, lang),
                        f"{survey.title.get(lang)} – {o.name.get(lang)}",
                    )
                )
    t = renderer.gettext
    paragraphs = [
        t(lang, "Tell us how we served you. The surveys are anonymous and take a few minutes.")
    ]
    if not links:
        paragraphs.append(t(lang, "There is no survey open at the moment."))
    other = "en" if lang == "bg" else "bg"
    return _message_page(
        renderer,
        lang,
        t(lang, "Municipal surveys"),
        paragraphs,
        links,
        switch_url=f"/?lang={other}",
    )


@get("/privacy", name="privacy")
async def privacy(
    request: Request[Any, Any, Any],
    lang: FromQuery[str | None] = None,
    org: FromQuery[str | None] = None,
    kiosk: FromQuery[str | None] = None,
    staff: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Privacy notice (GDPR Art. 13), with what staff surveys keep when asked by staff pages."""
    registry, renderer, _store = _state(request)
    lang = normalise(lang)
    organisation = _organisation(registry, org)
    is_staff = staff == "1"
    other = "en" if lang == "bg" else "bg"
    query = {"lang": other, **({"org": organisation.id} if organisation else {})}
    if is_staff:
        query["staff"] = "1"
    return html(
        renderer.cached(
            ("privacy", lang, organisation.id if organisation else None, kiosk == "1", is_staff),
            lang,
            "pages/privacy.html",
            org=organisation,
            kiosk=kiosk == "1",
            staff=is_staff,
            organisations=list(registry.catalog.organisations.values()),
            switch_url="/privacy?" + urlencode(query),
        )
    )


@get("/accessibility", name="accessibility")
async def accessibility(
    request: Request[Any, Any, Any],
    lang: FromQuery[str | None] = None,
    kiosk: FromQuery[str | None] = None,
) -> Response[bytes]:
    """Accessibility statement (EU Web Accessibility Directive)."""
    registry, renderer, _store = _state(request)
    lang = normalise(lang)
    other = "en" if lang == "bg" else "bg"
    return html(
        renderer.cached(
            ("accessibility", lang, kiosk == "1"),
            lang,
            "pages/accessibility.html",
            kiosk=kiosk == "1",
            organisations=list(registry.catalog.organisations.values()),
            reviewed=long_date(dt.date(2026, 11, 25), lang),
            switch_url=f"/accessibility?lang={other}",
        )
    )


@get("/health", name="health", include_in_schema=False)
async def health() -> dict[str, str]:
    """Liveness probe."""
    return {"status": "ok"}


handlers = [
    survey_form,
    survey_submit,
    survey_thanks,
    survey_paper,
    home,
    privacy,
    accessibility,
    health,
]

"""Staff and training surveys entered with an invitation code.

``/t/CODE`` (the link or QR code on the slip) and ``/staff`` (type the code) lead to the same
form. The code travels from page to page in a hidden field (pages are ``no-store``); it is
checked on every page, and on the last one it is marked used and the answers are sealed in the
same transaction. Wrong, used and expired codes all get the same refusal; only a code whose
check symbol does not match gets a message of its own (a typing mistake).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from ..anonymity import TOKEN_KINDS, padded_size, seal_response
from ..i18n import normalise as normalise_lang
from ..storage.base import NewResponse, StoreUnavailable
from ..surveys.coding import encode_codes
from ..surveys.model import Organisation, Survey
from ..surveys.tokens import CodeProblem, code_hash, normalise, normalise_panel, panel_hash
from ..surveys.waves import Wave, now
from .messages import N_
from .public import NO_STORE, STEP, StepView, _csrf, _state, advance, html, read_form
from .unavailable import unavailable_page

REFUSED = N_(
    "This code cannot be used. Check that you typed it as on your slip. If it is right and you "
    "have not used it, ask the human resources officer for a new slip. If you have just sent "
    "your answers, they were saved."
)
TYPO = N_("The code has a typing mistake. Check each character against your slip.")
MALFORMED = N_(
    "Enter the code exactly as on your slip: 14 letters and digits, like ABCD-EFGH-JKMN-PQ."
)
EMPTY = N_("Enter the code from your slip")
TOO_MANY = N_("Too many attempts. Please wait a few minutes and try again.")


class AttemptLimiter:
    """Failed code attempts per client address and in total, in memory only (never stored)."""

    def __init__(self, per_client: int = 20, overall: int = 600, window: float = 600.0) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def _trim(self, q: deque[float], at: float) -> None:
        while q and q[0] < at - self.window:
            q.popleft()

    def blocked(self, client: str) -> bool:
        """Too many failures from this client: refuse without looking the code up."""
        q = self._clients.get(client, deque())
        self._trim(q, time.monotonic())
        return len(q) >= self.per_client

    def busy(self) -> bool:
        """Too many failures from everyone: wrong codes get "too many attempts", but a valid
        code still works (a flood of wrong codes must not lock staff out)."""
        self._trim(self._all, time.monotonic())
        return len(self._all) >= self.overall

    def failed(self, client: str) -> None:
        at = time.monotonic()
        self._clients.setdefault(client, deque()).append(at)
        self._all.append(at)
        if len(self._clients) > 10_000:  # forget the oldest clients
            for key in list(self._clients)[:5_000]:
                del self._clients[key]


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def entry_page(
    request: Request[Any, Any, Any],
    lang: str,
    typed: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response[bytes]:
    _, renderer, _ = _state(request)
    message = renderer.gettext(lang, error) if error else None
    body = renderer.render(
        lang,
        "staff/entry.html",
        staff=True,
        typed=typed,
        error=message,
        csrf=_csrf(request),
        error_list=[{"item": "code", "message": message}] if message else [],
        switch_url=f"/staff?lang={'en' if lang == 'bg' else 'bg'}",
    )
    return html(body, status, NO_STORE)


async def _open_wave_for(
    request: Request[Any, Any, Any], canonical: str
) -> tuple[Wave, Survey, Organisation, str] | None:
    """The open staff/training wave a valid unused code belongs to, or ``None``."""
    registry, _, store = _state(request)
    state = await store.token(code_hash(canonical, request.app.state.settings.secret_key))
    if state is None or state.used:
        return None
    await registry.refresh()
    wave = next((w for w in registry.waves if w.id == state.wave_id), None)
    if wave is None or wave.state(now()) != "open":
        return None
    survey = registry.survey_version(wave.version)
    org = registry.catalog.organisations.get(state.organisation)
    if survey is None or org is None or survey.kind not in TOKEN_KINDS:
        return None
    return wave, survey, org, state.unit


async def _start(request: Request[Any, Any, Any], typed: str, lang: str) -> Response[bytes]:
    limiter: AttemptLimiter = request.app.state.attempts
    if limiter.blocked(_client(request)):
        return entry_page(request, lang, typed, TOO_MANY, 429)
    if not typed.strip():
        return entry_page(request, lang, typed, EMPTY, 400)
    canonical = normalise(typed)
    if canonical is CodeProblem.MALFORMED:
        limiter.failed(_client(request))
        return entry_page(request, lang, typed, MALFORMED, 400)
    if canonical is CodeProblem.TYPO:
        limiter.failed(_client(request))
        return entry_page(request, lang, typed, TYPO, 400)
    assert isinstance(canonical, str)
    found = await _open_wave_for(request, canonical)
    if found is None:
        limiter.failed(_client(request))
        if limiter.busy():
            return entry_page(request, lang, typed, TOO_MANY, 429)
        return entry_page(request, lang, typed, REFUSED, 400)
    wave, survey, org, _ = found
    if wave.panel:
        return panel_page(request, lang, canonical)
    view = _view(request, survey, org, lang, canonical)
    return html(
        view.render(0, {}, {}, [], _csrf(request), secrets.token_urlsafe(16)), headers=NO_STORE
    )


def _view(
    request: Request[Any, Any, Any], survey: Survey, org: Organisation, lang: str, code: str
) -> StepView:
    _, renderer, _ = _state(request)
    view = StepView(renderer, survey, org, lang, "web", request.app.state.settings)
    view.form_action, view.token = "/t", code
    return view


PANEL_INVALID = N_("A panel code needs 6 to 40 letters and digits. Or leave it empty.")


def panel_page(
    request: Request[Any, Any, Any],
    lang: str,
    code: str,
    typed: str = "",
    error: str | None = None,
    status: int = 200,
) -> Response[bytes]:
    """Optional self-made panel code, asked before the survey when the wave has a panel."""
    _, renderer, _ = _state(request)
    message = renderer.gettext(lang, error) if error else None
    return html(
        renderer.render(
            lang,
            "staff/panel.html",
            staff=True,
            typed=typed,
            error=message,
            csrf=_csrf(request),
            token=code,
            error_list=[{"item": "panel", "message": message}] if message else [],
        ),
        status,
        NO_STORE,
    )


@post("/staff/panel", name="staff-panel")
async def staff_panel(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Take the optional panel code, then show the first page of the survey."""
    form = await request.form()
    lang = normalise_lang(str(form.get("_lang", "")))
    canonical = normalise(str(form.get("_token", "")))
    if not isinstance(canonical, str):
        raise ClientException("The form was incomplete or altered.")
    found = await _open_wave_for(request, canonical)
    if found is None:
        return entry_page(request, lang, "", REFUSED, 400)
    _, survey, org, _ = found
    action = str(form.get("_action", ""))
    typed = str(form.get("panel", ""))[:200]
    if action in ("lang-bg", "lang-en"):
        return panel_page(request, action[-2:], canonical, typed)
    if typed.strip() and normalise_panel(typed) is None:
        return panel_page(request, lang, canonical, typed, PANEL_INVALID, 400)
    raw = {"_panel": [typed.strip()]} if typed.strip() else {}
    view = _view(request, survey, org, lang, canonical)
    return html(
        view.render(0, {}, raw, [], _csrf(request), secrets.token_urlsafe(16)), headers=NO_STORE
    )


@get("/staff", name="staff-entry")
async def staff_entry(
    request: Request[Any, Any, Any], lang: FromQuery[str | None] = None
) -> Response[bytes]:
    """Where staff type the code from their slip."""
    return entry_page(request, normalise_lang(lang))


@post("/staff", name="staff-start")
async def staff_start(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Check a typed code and show the first page of its survey."""
    form = await request.form()
    lang = normalise_lang(str(form.get("_lang", "")))
    action = str(form.get("_action", ""))
    if action in ("lang-bg", "lang-en"):
        return entry_page(request, action[-2:], str(form.get("code", "")))
    return await _start(request, str(form.get("code", ""))[:100], lang)


@get("/t/{code:str}", name="staff-link")
async def staff_link(
    request: Request[Any, Any, Any], code: FromPath[str], lang: FromQuery[str | None] = None
) -> Response[bytes]:
    """The link printed on the slip (also its QR code)."""
    return await _start(request, code[:100], normalise_lang(lang))


@post("/t", name="staff-submit")
async def staff_submit(request: Request[Any, Any, Any]) -> Response[Any]:
    """Pages of a staff survey; the last one marks the code used and seals the answers."""
    _, _, store = _state(request)
    raw, meta = await read_form(request)

    lang = normalise_lang(meta("_lang"))
    canonical = normalise(meta("_token"))
    step_text, key = meta("_step"), meta("_key")
    if not isinstance(canonical, str) or not STEP.fullmatch(step_text):
        raise ClientException("The form was incomplete or altered.")
    found = await _open_wave_for(request, canonical)
    if found is None:
        return entry_page(request, lang, "", REFUSED, 400)
    wave, survey, org, unit = found
    step = int(step_text)
    if step >= len(survey.sections):
        raise ClientException("The form was incomplete or altered.")
    view = _view(request, survey, org, lang, canonical)
    answers = advance(view, raw, step, meta("_action") or "next", _csrf(request), key)
    if isinstance(answers, Response):
        return answers
    response = NewResponse(
        submission_key=secrets.token_urlsafe(16),
        wave_id=wave.id,
        version=wave.version,
        organisation=org.id,
        unit=unit,
        channel="web",
        lang=view.lang,
        day=None,
        answers=answers,
        codes=encode_codes(survey, answers),
    )
    panel = normalise_panel(meta("_panel")) if wave.panel else None
    if panel is not None:
        secret_key = request.app.state.settings.secret_key
        digest = await asyncio.to_thread(panel_hash, panel, secret_key, survey.id)
        response = msgspec.structs.replace(response, panel=digest)
    sealed = seal_response(request.app.state.sealer, response, padded_size(survey))
    secret = request.app.state.settings.secret_key
    try:
        stored = await store.submit_sealed(code_hash(canonical, secret), wave.id, sealed)
    except StoreUnavailable as exc:
        return unavailable_page(view, step, answers, raw, _csrf(request), key, exc)
    if not stored:
        return entry_page(request, view.lang, "", REFUSED, 400)
    return Redirect(f"/t/thanks?lang={view.lang}", status_code=303)


@get("/t/thanks", name="staff-thanks")
async def staff_thanks(
    request: Request[Any, Any, Any], lang: FromQuery[str | None] = None
) -> Response[bytes]:
    """Thank-you page for staff."""
    _, renderer, _ = _state(request)
    lang = normalise_lang(lang)
    t = renderer.gettext
    return html(
        renderer.render(
            lang,
            "pages/message.html",
            staff=True,
            heading=t(lang, "Thank you, your answers have been sent"),
            paragraphs=[
                t(
                    lang,
                    "Your answers are sealed. They will be added to the results, "
                    "shuffled with everyone else's, only when the survey closes. Nobody can "
                    "link them to your code.",
                ),
                t(
                    lang,
                    "Results are published only for groups large enough that nobody can "
                    "be recognised.",
                ),
            ],
            links=[],
            switch_url=f"/t/thanks?lang={'en' if lang == 'bg' else 'bg'}",
        ),
        headers=NO_STORE,
    )


handlers = [staff_entry, staff_start, staff_panel, staff_thanks, staff_link, staff_submit]

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
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.exceptions import ClientException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from ...anonymity import TOKEN_KINDS, padded_size, seal_response
from ...i18n import normalise as normalise_lang
from ...i18n import other_language
from ...storage.base import NewResponse, StoreUnavailable
from ...surveys.coding import encode_codes
from ...surveys.model import Organisation, Survey
from ...surveys.tokens import CodeProblem, code_hash, normalise, normalise_panel, panel_hash
from ...surveys.waves import Wave, now
from ..deps import Site, SiteDep, client_address, csrf_token
from ..flow import ALTERED, STEP, StepView, advance, read_form
from ..messages import N_
from ..pages import NO_STORE, html
from ..unavailable import unavailable_page

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
PANEL_INVALID = N_("A panel code needs 6 to 40 letters and digits. Or leave it empty.")


@dataclass(frozen=True)
class Invitation:
    """An unused code of an open staff or training wave, and what it opens."""

    code: str  # canonical
    wave: Wave
    survey: Survey
    org: Organisation
    unit: str


async def open_invitation(site: Site, canonical: str) -> Invitation | None:
    """The open staff/training wave a valid unused code belongs to, or ``None``."""
    state = await site.store.token(code_hash(canonical, site.settings.secret_key))
    if state is None or state.used:
        return None
    await site.registry.refresh()
    wave = next((w for w in site.registry.waves if w.id == state.wave_id), None)
    if wave is None or wave.state(now()) != "open":
        return None
    survey = site.registry.survey_version(wave.version)
    org = site.registry.catalog.organisations.get(state.organisation)
    if survey is None or org is None or survey.kind not in TOKEN_KINDS:
        return None
    return Invitation(canonical, wave, survey, org, state.unit)


class StaffPages:
    """The pages of one request on the staff side (entry, panel code, survey pages)."""

    def __init__(self, site: Site, request: Request[Any, Any, Any]) -> None:
        self.site, self.request, self.csrf = site, request, csrf_token(request)

    def _field_page(
        self,
        template: str,
        field: str,
        lang: str,
        typed: str,
        error: str | None,
        status: int,
        **extra: Any,
    ) -> Response[bytes]:
        """A page asking for one field (the code, the panel code), with its error if any."""
        renderer = self.site.renderer
        message = renderer.gettext(lang, error) if error else None
        page = renderer.render(
            lang,
            template,
            staff=True,
            typed=typed,
            error=message,
            csrf=self.csrf,
            error_list=[{"item": field, "message": message}] if message else [],
            **extra,
        )
        return html(page, status, NO_STORE)

    def entry(
        self,
        lang: str,
        typed: str = "",
        error: str | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response[bytes]:
        """Where staff type the code from their slip (with an error, if any)."""
        switch_url = self.site.url(self.request, "staff-entry", {"lang": other_language(lang)})
        response = self._field_page(
            "staff/entry.html", "code", lang, typed, error, status, switch_url=switch_url
        )
        response.headers.update(headers or {})
        return response

    def panel(
        self, lang: str, code: str, typed: str = "", error: str | None = None, status: int = 200
    ) -> Response[bytes]:
        """Optional self-made panel code, asked before the survey when the wave has a panel."""
        return self._field_page("staff/panel.html", "panel", lang, typed, error, status, token=code)

    def view(self, invitation: Invitation, lang: str) -> StepView:
        return StepView(
            self.site.renderer,
            invitation.survey,
            invitation.org,
            lang,
            "web",
            self.site.settings,
            form_action=self.site.url(self.request, "staff-submit"),
            token=invitation.code,
            phase=invitation.wave.phase,
        )

    def first_page(
        self, invitation: Invitation, lang: str, raw: dict[str, list[str]] | None = None
    ) -> Response[bytes]:
        view = self.view(invitation, lang)
        return view.page(0, {}, raw or {}, [], self.csrf, secrets.token_urlsafe(16))

    async def start(self, typed: str, lang: str) -> Response[bytes]:
        """Check a code (typed or from the slip's link) and show the first page.

        The code is looked up first, whatever the limits say: a valid unused code is never
        refused, even from an address (a proxy, an office's NAT) that has sent many wrong
        ones. Only failures are counted, and only a wrong code gets "too many attempts"
        (the README gives the arithmetic of guessing a code)."""
        limiter, client = self.site.attempts, client_address(self.request)
        if not typed.strip():
            return self.entry(lang, typed, EMPTY, 400)
        canonical = normalise(typed)
        invitation = (
            None if isinstance(canonical, CodeProblem)
            else await open_invitation(self.site, canonical)
        )
        if invitation is not None:
            if invitation.wave.panel:
                return self.panel(lang, invitation.code)
            return self.first_page(invitation, lang)
        if await limiter.failed(client):
            return self.entry(lang, typed, TOO_MANY, 429, {"retry-after": str(limiter.retry)})
        if isinstance(canonical, CodeProblem):
            problem = TYPO if canonical is CodeProblem.TYPO else MALFORMED
            return self.entry(lang, typed, problem, 400)
        return self.entry(lang, typed, REFUSED, 400)


class StaffController(Controller):
    """``/staff`` (type the code), ``/t/CODE`` (the slip's link) and the survey's pages."""

    path = "/"

    @get("/staff", name="staff-entry")
    async def entry(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Where staff type the code from their slip."""
        return StaffPages(site, request).entry(normalise_lang(lang))

    @post("/staff", name="staff-start")
    async def start(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[bytes]:
        """Check a typed code and show the first page of its survey."""
        form = await request.form()
        lang = normalise_lang(str(form.get("_lang", "")))
        action = str(form.get("_action", ""))
        pages = StaffPages(site, request)
        if action in ("lang-bg", "lang-en"):
            return pages.entry(action[-2:], str(form.get("code", "")))
        return await pages.start(str(form.get("code", ""))[:100], lang)

    @post("/staff/panel", name="staff-panel")
    async def panel(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[bytes]:
        """Take the optional panel code, then show the first page of the survey."""
        form = await request.form()
        lang = normalise_lang(str(form.get("_lang", "")))
        canonical = normalise(str(form.get("_token", "")))
        if not isinstance(canonical, str):
            raise ClientException(ALTERED)
        pages = StaffPages(site, request)
        invitation = await open_invitation(site, canonical)
        if invitation is None:
            return pages.entry(lang, "", REFUSED, 400)
        action = str(form.get("_action", ""))
        typed = str(form.get("panel", ""))[:200]
        if action in ("lang-bg", "lang-en"):
            return pages.panel(action[-2:], canonical, typed)
        if typed.strip() and normalise_panel(typed) is None:
            return pages.panel(lang, canonical, typed, PANEL_INVALID, 400)
        return pages.first_page(
            invitation, lang, {"_panel": [typed.strip()]} if typed.strip() else {}
        )

    @get("/t/{code:str}", name="staff-link")
    async def link(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        code: FromPath[str],
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """The link printed on the slip (also its QR code)."""
        return await StaffPages(site, request).start(code[:100], normalise_lang(lang))

    @post("/t", name="staff-submit")
    async def submit(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """Pages of a staff survey; the last one marks the code used and seals the answers."""
        raw, meta = await read_form(request)
        lang = normalise_lang(meta("_lang"))
        canonical = normalise(meta("_token"))
        step_text, key = meta("_step"), meta("_key")
        if not isinstance(canonical, str) or not STEP.fullmatch(step_text):
            raise ClientException(ALTERED)
        pages = StaffPages(site, request)
        invitation = await open_invitation(site, canonical)
        if invitation is None:
            return pages.entry(lang, "", REFUSED, 400)
        wave, survey, org = invitation.wave, invitation.survey, invitation.org
        step = int(step_text)
        if step >= len(survey.sections):
            raise ClientException(ALTERED)
        view = pages.view(invitation, lang)
        answers = advance(view, raw, step, meta("_action") or "next", pages.csrf, key)
        if isinstance(answers, Response):
            return answers
        response = NewResponse(
            submission_key=secrets.token_urlsafe(16),
            wave_id=wave.id,
            version=wave.version,
            organisation=org.id,
            unit=invitation.unit,
            channel="web",
            lang=view.lang,
            day=None,
            answers=answers,
            codes=encode_codes(survey, answers),
        )
        panel = normalise_panel(meta("_panel")) if wave.panel else None
        secret = site.settings.secret_key
        if panel is not None:
            # one salt for every survey of its panel scope (a course's evaluation, knowledge
            # check and transfer survey pair with each other), the survey's own id otherwise
            digest = await asyncio.to_thread(panel_hash, panel, secret, survey.panel_salt)
            response = msgspec.structs.replace(response, panel=digest)
        sealed = seal_response(site.sealer, response, padded_size(survey))
        try:
            stored = await site.store.submit_sealed(code_hash(canonical, secret), wave.id, sealed)
        except StoreUnavailable as exc:
            return unavailable_page(view, step, answers, raw, pages.csrf, key, exc)
        if not stored:
            return pages.entry(view.lang, "", REFUSED, 400)
        return Redirect(site.url(request, "staff-thanks", {"lang": view.lang}), status_code=303)

    @get("/t/thanks", name="staff-thanks")
    async def thanks(
        self, request: Request[Any, Any, Any], site: SiteDep, lang: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """Thank-you page for staff."""
        renderer = site.renderer
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
                switch_url=site.url(request, "staff-thanks", {"lang": other_language(lang)}),
            ),
            headers=NO_STORE,
        )

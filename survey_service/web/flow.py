"""The multi-page flow of a survey, shared by citizens' and staff's forms.

``show_if`` works without JavaScript: each section is a page, the answers of earlier pages
travel in hidden fields, and the server decides which page and questions come next. Nothing
is stored until the last page is valid; then the caller stores the response and redirects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

from ..rendering import Renderer
from ..settings import Settings
from ..surveys.answers import (
    Answers,
    FieldError,
    next_section,
    previous_section,
    validate_until,
    visible_questions,
)
from ..surveys.model import Organisation, Survey
from ..surveys.phases import for_phase
from ..surveys.progress import progress
from .body import TAKEN, ParsedForm
from .messages import label_of, message_id
from .pages import NO_STORE, html

#: Why a malformed survey POST gets 400 (a form no page of ours writes).
ALTERED = "The form was incomplete or altered."
#: A page number as the form sends it.
STEP = re.compile(r"[0-9]{1,3}")
#: Most values a survey page may send (its items, a multi's every option, control fields);
#: the body's size (``SURVEY_MAX_BODY_BYTES``) bounds what parsing them costs.
MAX_FIELDS = 1000
#: Control fields the form template writes itself (never copied among the carried answers).
META = {"_csrf_token", "_key", "_step", "_lang", "_org", "_channel", "_action", "_token"}


async def read_form(
    request: Request[Any, Any, Any],
) -> tuple[dict[str, list[str]], Callable[[str], str]]:
    """A survey page's fields (name -> every value sent, as multi-choice questions send
    several), and a reader of the single-valued control fields (``_step``, ``_key``, ...) that
    gives "" for a missing or repeated one."""
    state = ScopeState.from_scope(request.scope)
    parsed = state.form
    if isinstance(parsed, ParsedForm):
        # an urlencoded body parsed by ``FormBody`` (strings only, no files): read as it is,
        # and taken out of Litestar's state, so that Litestar does not build a multi-dict of
        # it again only to close the files it could hold (``request.form()`` would parse the
        # body again)
        pairs: Iterable[tuple[str, Any]] = (
            (name, value)
            for name, values in parsed.items()
            for value in (values if isinstance(values, list) else (values,))
        )
        state.form = Empty
        request.scope["state"][TAKEN] = parsed  # for the error pages (body.sent_form)
    else:
        pairs = (await request.form()).multi_items()
    raw: dict[str, list[str]] = {}
    for count, (name, value) in enumerate(pairs):
        if count == MAX_FIELDS:  # no page of ours has that many: refused before any work
            raise HTTPException(status_code=413, detail="too many fields")
        raw.setdefault(name, []).append(str(value))

    def meta(name: str) -> str:
        values = raw.get(name) or [""]
        return values[0] if len(values) == 1 else ""

    return raw, meta


class StepView:
    """Everything needed to render one page of a survey for one request.

    ``form_action``: where the pages post to; ``fresh_url``: where a kiosk goes for a fresh
    form; ``token``: staff's invitation code, carried from page to page; ``phase``: the
    wave's phase."""

    def __init__(
        self,
        renderer: Renderer,
        survey: Survey,
        org: Organisation,
        lang: str,
        channel: str,
        settings: Settings,
        *,
        form_action: str,
        fresh_url: str | None = None,
        token: str | None = None,
        phase: str | None = None,
    ) -> None:
        # the questions a wave of this phase asks (show_if = { phase = [...] }), decided here
        # on the server for every page, its validation and its progress
        self.renderer, self.survey, self.org = renderer, for_phase(survey, phase), org
        self.lang, self.channel, self.settings = lang, channel, settings
        self.form_action, self.fresh_url, self.token = form_action, fresh_url, token

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
        counter = progress(survey, step, answers)
        later_visible = next_section(survey, step, answers)
        errs = {
            e.item: self.renderer.gettext(lang, message_id(survey, e), **e.params) for e in errors
        }
        error_list = [
            {"item": e.item, "label": label_of(survey, e, lang), "message": errs[e.item]}
            for e in errors
        ]
        return {
            "survey": survey,
            "section": section,
            "step": step,
            "questions": questions,
            "position": counter.position,
            "total": counter.total,
            "total_exact": counter.exact,
            "last": later_visible is None,
            "values": {k: raw.get(k, []) for k in here},
            "hidden": hidden,
            "errs": errs,
            "error_list": error_list,
            "csrf": csrf,
            "key": key,
            "org": self.org,
            "channel": self.channel,
            "kiosk": self.channel == "kiosk",
            "kiosk_idle": self.settings.kiosk_idle_seconds,
            "fresh_url": self.fresh_url,
            "form_action": self.form_action,
            "token": self.token,
            "staff": self.token is not None,
        }

    def page(
        self,
        step: int,
        answers: Answers,
        raw: dict[str, list[str]],
        errors: list[FieldError],
        csrf: str,
        key: str,
        status: int = 200,
    ) -> Response[bytes]:
        """The page as a response that no browser or proxy keeps."""
        context = self.context(step, answers, raw, errors, csrf, key)
        return html(
            self.renderer.render(self.lang, "survey/form.html", **context), status, NO_STORE
        )


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
        return view.page(step, answers, raw, [], csrf, key)
    answers, bad_step, errors = validate_until(survey, raw, step)
    if bad_step is not None:
        return view.page(bad_step, answers, raw, errors, csrf, key, 400)
    following = next_section(survey, step, answers)
    if following is not None:
        return view.page(following, answers, raw, [], csrf, key)
    return answers

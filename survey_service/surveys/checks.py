"""Checks of one question that a schema cannot express (pure domain).

:func:`validate_question` runs every check of :data:`QUESTION_CHECKS`; each check looks at one
concern (the scale, the rows, the options, a range, an editorial correction) and reports a
problem through ``bad(question_id, message)``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable
from typing import get_args

from .knowledge import check_correct, check_then_now
from .model import LANGS, Corrects, Question, Survey, Text
from .waves import Phase

Bad = Callable[[str | None, str], None]
MAX_MINUTES = 120  # the time a survey says it takes
Check = Callable[[Survey, Question, Bad], None]
SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
#: An editorial correction may change at most this share of a text's characters (or 3).
EDITORIAL_SHARE = 0.2


def _dimension(survey: Survey, q: Question, bad: Bad) -> None:
    if q.dimension is not None and q.dimension not in survey.dimensions:
        bad(q.id, f"unknown dimension '{q.dimension}' (declare it under [dimensions])")
    for row in q.rows:
        if row.dimension is not None and row.dimension not in survey.dimensions:
            bad(q.id, f"row '{row.id}' has unknown dimension '{row.dimension}'")


def _scale(survey: Survey, q: Question, bad: Bad) -> None:
    if q.kind not in ("likert", "matrix"):
        if q.scale is not None or q.dont_know:
            bad(q.id, f"scale and dont_know apply only to likert and matrix, not {q.kind}")
    elif q.scale is None:
        bad(q.id, f"a {q.kind} question needs a scale")
    elif q.scale not in survey.scales:
        bad(q.id, f"unknown scale '{q.scale}'")
    elif q.dont_know and survey.scales[q.scale].dont_know is None:
        bad(q.id, f"dont_know is set but scale '{q.scale}' has no dont_know label")


def _rows(survey: Survey, q: Question, bad: Bad) -> None:
    if q.kind != "matrix":
        if q.rows:
            bad(q.id, f"rows apply only to matrix, not {q.kind}")
        return
    if not q.rows:
        bad(q.id, "a matrix needs rows")
    if q.dimension is not None or q.reverse:
        bad(q.id, "a matrix sets dimension and reverse on its rows")


def _options(survey: Survey, q: Question, bad: Bad) -> None:
    if q.kind not in ("single", "multi"):
        if q.options:
            bad(q.id, f"options apply only to single and multi, not {q.kind}")
    else:
        if len(q.options) < 2:
            bad(q.id, f"a {q.kind} question needs at least two options")
        codes = [o.code for o in q.options]
        for code in codes:
            if not SNAKE.match(code):
                bad(q.id, f"option code '{code}' must be snake_case")
        if len(set(codes)) != len(codes):
            bad(q.id, "duplicate option codes")
    if q.max_choices is not None and (q.kind != "multi" or q.max_choices < 1):
        bad(q.id, "max_choices applies only to multi and must be at least 1")


def _number(survey: Survey, q: Question, bad: Bad) -> None:
    if q.kind == "number":
        if q.min is None or q.max is None:
            bad(q.id, "a number question needs min and max")
        elif q.min > q.max:
            bad(q.id, f"min {q.min} is greater than max {q.max}")
    elif q.min is not None or q.max is not None:
        bad(q.id, f"min and max apply only to number, not {q.kind}")


def _text(survey: Survey, q: Question, bad: Bad) -> None:
    if q.kind == "text" and not 1 <= q.max_length <= 10_000:
        bad(q.id, "max_length must be between 1 and 10000")


def _dates(survey: Survey, q: Question, bad: Bad) -> None:
    for name in ("min_date", "max_date"):
        value = getattr(q, name)
        if value is None:
            continue
        if q.kind != "date":
            bad(q.id, f"{name} applies only to date, not {q.kind}")
            continue
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            bad(q.id, f"{name} '{value}' is not a date (YYYY-MM-DD)")


def changed_characters(old: str, new: str) -> int:
    """How many characters an edit from ``old`` to ``new`` touches."""
    ops = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in ops if tag != "equal")


def corrects_problems(text: Text, corrects: Corrects) -> list[str]:
    """Why ``corrects`` is not a valid editorial correction of ``text`` (empty: it is)."""
    out = []
    if not any(corrects.earlier(lang) for lang in LANGS):
        out.append("corrects names no earlier text (give 'bg' or 'en')")
    for lang in LANGS:
        current = text.get(lang)
        for earlier in corrects.earlier(lang):
            if not earlier.strip():
                out.append(f"corrects: the earlier '{lang}' text is empty")
            elif earlier == current:
                out.append(f"corrects: the earlier '{lang}' text is the same as the current one")
            elif changed_characters(earlier, current) > max(3, EDITORIAL_SHARE * len(earlier)):
                out.append(
                    f"corrects: '{earlier}' differs too much from '{current}' to be an "
                    "editorial change; a change of meaning needs a new question id"
                )
    return out


def _corrections(survey: Survey, q: Question, bad: Bad) -> None:
    pairs: list[tuple[str, Text, Corrects | None]] = [("", q.text, q.corrects)]
    pairs += [(f"row '{r.id}': ", r.text, r.corrects) for r in q.rows]
    pairs += [(f"option '{o.code}': ", o.label, o.corrects) for o in q.options]
    for where, text, corrects in pairs:
        if corrects is not None:
            for problem in corrects_problems(text, corrects):
                bad(q.id, where + problem)


QUESTION_CHECKS: tuple[Check, ...] = (
    _dimension, _scale, _rows, _options, _number, _text, _dates, _corrections, check_correct,
)


def validate_question(survey: Survey, q: Question, bad: Bad) -> None:
    """Every check of one question, in order."""
    for check in QUESTION_CHECKS:
        check(survey, q, bad)


def check_show_if_values(survey: Survey, q: Question, target: Question, bad: Bad) -> None:
    """The values of ``show_if`` must be answers of the question it depends on."""
    assert q.show_if is not None
    if target.kind in ("single", "multi"):
        allowed: set[str | int] = {o.code for o in target.options}
    elif target.kind == "likert":
        allowed = (
            set(range(1, survey.scale_of(target).points + 1))
            if target.scale in survey.scales
            else set()
        )
    elif target.kind == "nps":
        allowed = set(range(11))
    else:
        bad(q.id, f"show_if cannot depend on a {target.kind} question ('{target.id}')")
        return
    for value in q.show_if.any_of:
        if value not in allowed:
            bad(q.id, f"show_if value {value!r} is not an answer of question '{target.id}'")


def check_analysis(survey: Survey, bad: Bad) -> None:
    """``[analysis]``: known, distinct adjustment variables."""
    if survey.analysis is None:
        return
    analysis = survey.analysis
    named = [*analysis.adjust_for, *analysis.shown_both_ways, *analysis.composition]
    for name in named:
        question = survey.question(name)
        if name not in ("organisation", "mode") and (question is None or question.kind != "single"):
            bad(None, f"[analysis] cannot adjust for '{name}': use organisation, mode (the "
                      "answering channel) or the id of a single-choice question")
    for name in sorted({n for n in named if named.count(n) > 1}):
        bad(None, f"[analysis] names '{name}' twice")


def check_show_if_form(q: Question, bad: Bad) -> None:
    """``show_if`` names an earlier question with the answers that show this one, and/or the
    phases of the waves that ask it (one of :data:`~.waves.Phase`, each once)."""
    cond = q.show_if
    assert cond is not None
    if not cond.question and not cond.phase:
        bad(q.id, "show_if needs question and any_of, or phase (e.g. phase = [\"follow-up\"])")
    if cond.question and not cond.any_of:
        bad(q.id, "show_if has an empty any_of: list the answers that show this question")
    if cond.any_of and not cond.question:
        bad(q.id, "show_if has any_of without question: name the question they answer")
    phases = get_args(Phase)
    unknown = [p for p in cond.phase if p not in phases]
    if unknown:
        bad(q.id, f"show_if phase {unknown[0]!r} is not a wave phase ({', '.join(phases)})")
    elif len(set(cond.phase)) != len(cond.phase):
        bad(q.id, "show_if lists a phase twice")


def check_meaningless(survey: Survey, bad: Bad) -> None:
    """Values that decode but cannot be meant (checked here, not in the model, so that a form
    version frozen by an older release still decodes)."""
    if not 1 <= survey.minutes <= MAX_MINUTES:
        bad(None, f"minutes = {survey.minutes} must be between 1 and {MAX_MINUTES}")
    for q in survey.questions():
        if q.show_if is not None:
            check_show_if_form(q, bad)
        if q.max_choices is not None and q.options and q.max_choices > len(q.options):
            bad(q.id, f"max_choices = {q.max_choices} is more than the {len(q.options)} options")
    check_then_now(survey, bad)

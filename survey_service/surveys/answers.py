"""Validate submitted answers against a survey (pure domain).

Input is what a form sends: a mapping from field name to the list of values typed (a matrix row
and a multi-choice question are fields of their own). Output is clean, typed answers keyed by
item id, plus field problems as values (:class:`FieldError`), never exceptions.

Stored answer types: likert, matrix row, nps, number -> ``int`` (likert "don't know" is
:data:`~survey_service.surveys.model.DONT_KNOW`); single, text, date (ISO) -> ``str``;
multi -> ``list[str]`` in option order. A question that is not shown or not answered is absent.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .model import DONT_KNOW, Question, Section, Survey

Answer = int | str | list[str]
Answers = dict[str, Answer]
RawForm = Mapping[str, Sequence[str]]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INT = re.compile(r"[+-]?[0-9]{1,9}")
_DMY = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")
#: No field of a form may carry more values than this (a multi has at most this many options).
MAX_VALUES_PER_FIELD = 50


@dataclass(frozen=True)
class FieldError:
    """A problem with one field: ``item`` is the field (and anchor) id, ``code`` says what."""

    item: str
    question: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)


def is_visible(question: Question, answers: Answers) -> bool:
    """Whether ``question`` is shown, given the answers of earlier sections."""
    cond = question.show_if
    if cond is None or not cond.question:  # a phase alone: decided by phases.for_phase
        return True
    value = answers.get(cond.question)
    if value is None:
        return False
    if isinstance(value, list):
        return any(v in cond.any_of for v in value)
    return value in cond.any_of


def visible_questions(section: Section, answers: Answers) -> list[Question]:
    return [q for q in section.questions if is_visible(q, answers)]


def _first(form: RawForm, name: str) -> str:
    values = form.get(name) or ()
    return values[0].strip() if values else ""


def _likert(
    survey: Survey, q: Question, item: str, raw: str, out: Answers, errors: list[FieldError]
) -> None:
    if not raw:
        return
    points = survey.scale_of(q).points
    code = int(raw) if _INT.fullmatch(raw) else -1
    if 1 <= code <= points or (code == DONT_KNOW and q.dont_know):
        out[item] = code
    else:
        errors.append(FieldError(item, q.id, "invalid_choice"))


def validate_question(
    survey: Survey, q: Question, form: RawForm, out: Answers, errors: list[FieldError]
) -> None:
    """Read one question's fields from ``form`` into ``out``; append problems to ``errors``."""
    before = len(errors)
    kind = q.kind
    if kind == "matrix":
        missing = []
        for row in q.rows:
            raw = _first(form, row.id)
            if not raw:
                missing.append(row.id)
            _likert(survey, q, row.id, raw, out, errors)
        if q.required and missing and len(errors) == before:
            for item in missing:
                errors.append(FieldError(item, q.id, "required_row"))
        return
    if kind == "likert":
        raw = _first(form, q.id)
        _likert(survey, q, q.id, raw, out, errors)
    elif kind == "single":
        raw = _first(form, q.id)
        if raw:
            if raw in {o.code for o in q.options}:
                out[q.id] = raw
            else:
                errors.append(FieldError(q.id, q.id, "invalid_choice"))
    elif kind == "multi":
        chosen = {v.strip() for v in (form.get(q.id) or ())[:MAX_VALUES_PER_FIELD] if v.strip()}
        codes = [o.code for o in q.options]
        if chosen - set(codes) or len(form.get(q.id) or ()) > MAX_VALUES_PER_FIELD:
            errors.append(FieldError(q.id, q.id, "invalid_choice"))
        elif q.max_choices is not None and len(chosen) > q.max_choices:
            errors.append(FieldError(q.id, q.id, "too_many", {"max": q.max_choices}))
        elif chosen:
            out[q.id] = [c for c in codes if c in chosen]
    elif kind == "nps":
        raw = _first(form, q.id)
        if raw:
            if _INT.fullmatch(raw) and 0 <= int(raw) <= 10:
                out[q.id] = int(raw)
            else:
                errors.append(FieldError(q.id, q.id, "invalid_choice"))
    elif kind == "number":
        raw = _first(form, q.id)
        if raw:
            text = raw.replace(" ", "").replace("\u00a0", "")
            if not _INT.fullmatch(text):
                errors.append(FieldError(q.id, q.id, "not_a_whole_number"))
            else:
                value = int(text)
                assert q.min is not None and q.max is not None
                if q.min <= value <= q.max:
                    out[q.id] = value
                else:
                    errors.append(
                        FieldError(q.id, q.id, "number_range", {"min": q.min, "max": q.max})
                    )
    elif kind == "text":
        values = form.get(q.id) or ()
        raw = (
            _CONTROL.sub("", values[0].replace("\r\n", "\n").replace("\r", "\n")).strip()
            if (values)
            else ""
        )
        if len(raw) > q.max_length:
            errors.append(
                FieldError(q.id, q.id, "too_long", {"max": q.max_length, "count": len(raw)})
            )
        elif raw:
            out[q.id] = raw
    elif kind == "date":
        raw = _first(form, q.id)
        if raw:
            parsed = _parse_date(raw)
            if parsed is None:
                errors.append(FieldError(q.id, q.id, "invalid_date"))
            elif (q.min_date and parsed < dt.date.fromisoformat(q.min_date)) or (
                q.max_date and parsed > dt.date.fromisoformat(q.max_date)
            ):
                errors.append(
                    FieldError(
                        q.id, q.id, "date_range", {"min": q.min_date or "", "max": q.max_date or ""}
                    )
                )
            else:
                out[q.id] = parsed.isoformat()
    if q.required and len(errors) == before and q.id not in out:
        errors.append(FieldError(q.id, q.id, "required"))


def _parse_date(raw: str) -> dt.date | None:
    m = _DMY.match(raw)
    try:
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        return None


def validate_section(
    survey: Survey, section: Section, form: RawForm, answers: Answers
) -> list[FieldError]:
    """Validate the visible questions of one page, adding clean answers to ``answers``."""
    errors: list[FieldError] = []
    for q in visible_questions(section, answers):
        validate_question(survey, q, form, answers, errors)
    return errors


def validate_until(
    survey: Survey, form: RawForm, last: int
) -> tuple[Answers, int | None, list[FieldError]]:
    """Validate sections ``0..last`` in order.

    Returns the answers, and the index and errors of the first section with problems
    (``None`` and ``[]`` when all are valid).
    """
    answers: Answers = {}
    for index, section in enumerate(survey.sections[: last + 1]):
        errors = validate_section(survey, section, form, answers)
        if errors:
            return answers, index, errors
    return answers, None, []


def validate_submission(survey: Survey, form: RawForm) -> tuple[Answers, list[FieldError]]:
    """Validate a whole submission (every section)."""
    answers, _, errors = validate_until(survey, form, len(survey.sections) - 1)
    return answers, errors


def next_section(survey: Survey, after: int, answers: Answers) -> int | None:
    """Index of the next section after ``after`` that shows at least one question."""
    for index in range(after + 1, len(survey.sections)):
        if visible_questions(survey.sections[index], answers):
            return index
    return None


def previous_section(survey: Survey, before: int, answers: Answers) -> int:
    for index in range(before - 1, -1, -1):
        if visible_questions(survey.sections[index], answers):
            return index
    return 0

"""Hypothesis strategies for fuzzing the survey forms, and an independent check that a stored
answer set is one the survey allows (written from the survey model, not with the validator it
checks)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import strategies as st

from survey_service.surveys.model import DONT_KNOW, Question, Survey

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Values of the wrong type or out of range for any kind of question.
ODD_VALUES = [
    "", " ", "-1", "0", "11", "99", "4.5", "1e3", "NaN", "None", "true", "[1]", "{}",
    "9" * 30, "+4", " 4 ", "٤", "４", "4\x00", "\x00", "\u202e4", "<script>alert(1)</script>",
    "' OR '1'='1", "../../etc/passwd", "%00", "2026-02-30", "31.12.1899", "01.01.2026",
]


def valid_values(survey: Survey, q: Question) -> list[str]:
    """What a browser can send for a question (one field; a matrix row is its own field)."""
    if q.kind in ("likert", "matrix"):
        points = survey.scale_of(q).points
        return [str(n) for n in range(1, points + 1)] + ([str(DONT_KNOW)] if q.dont_know else [])
    if q.kind in ("single", "multi"):
        return [o.code for o in q.options]
    if q.kind == "nps":
        return [str(n) for n in range(11)]
    if q.kind == "number":
        low, high = q.min or 0, q.max if q.max is not None else 100
        return sorted({str(low), str(high), str((low + high) // 2)})
    if q.kind == "date":
        return [q.min_date or "2026-01-01", q.max_date or "2026-12-31", "15.06.2026"]
    return ["Благодаря", "ok", "a\r\nb", "x" * q.max_length]


def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")


def field_values(survey: Survey, q: Question) -> st.SearchStrategy[list[bytes]]:
    """One field's values: mostly valid, else wrong types, huge, invalid UTF-8, repeated."""
    valid = st.sampled_from(valid_values(survey, q))
    one: st.SearchStrategy[str | bytes] = st.one_of(
        valid,
        valid,
        valid,
        st.sampled_from(ODD_VALUES),
        st.text(max_size=30),
        st.binary(min_size=1, max_size=6),  # often not UTF-8
    )
    return st.lists(one.map(_as_bytes), min_size=1, max_size=3)


def encode(pairs: Sequence[tuple[bytes, bytes]]) -> bytes:
    """``application/x-www-form-urlencoded`` of raw bytes (which may not be UTF-8)."""
    return b"&".join(
        quote_from_bytes(k, safe="").encode() + b"=" + quote_from_bytes(v, safe="").encode()
        for k, v in pairs
    )


@st.composite
def form_posts(
    draw: st.DrawFn, survey: Survey, control: dict[str, str]
) -> list[tuple[bytes, bytes]]:
    """A whole POST of a survey page: the control fields (mostly as the page gave them, the
    step any number), any subset of the questions' fields, and stray fields."""
    pairs: list[tuple[bytes, bytes]] = []
    steps = len(survey.sections)
    fields = dict(control)
    fields["_step"] = draw(st.one_of(
        st.integers(-1, steps).map(str),
        st.integers(0, steps - 1).map(str),
        st.sampled_from(["", "x", "1.0", "٣", "9" * 25, "-0", " 1"]),
    ))
    fields["_action"] = draw(st.sampled_from(["next", "next", "next", "back", "lang-en",
                                              "lang-bg", "", "delete"]))
    fields["_lang"] = draw(st.sampled_from(["bg", "en", "xx", ""]))
    valid = draw(st.booleans())  # half the posts answer every question validly
    if valid:
        fields["_step"] = str(draw(st.integers(steps - 2, steps - 1)))
        fields["_action"] = "next"
    for name, value in fields.items():
        if draw(st.integers(0, 39)) == 0:  # now and then a control field goes missing
            continue
        pairs.append((name.encode(), value.encode()))
        if draw(st.integers(0, 39)) == 0:  # or comes twice
            pairs.append((name.encode(), draw(st.binary(max_size=4))))
    items = [item for q in survey.questions() for item in q.item_ids()]
    odd_one = draw(st.sampled_from(items)) if valid and draw(st.booleans()) else None
    for q in survey.questions():
        for item in q.item_ids():
            if valid and item != odd_one:  # (all valid but one, that may be anything)
                values = valid_values(survey, q)
                most = (q.max_choices or len(values)) if q.kind == "multi" else 1
                chosen = draw(st.lists(st.sampled_from(values), min_size=1, max_size=most,
                                       unique=True))
                pairs += [(item.encode(), v.encode()) for v in chosen]
                continue
            if draw(st.integers(0, 5)) == 0:
                continue  # not answered
            pairs += [(item.encode(), v) for v in draw(field_values(survey, q))]
    if draw(st.integers(0, 5)) == 0:  # one huge value: over the item's limit, or the body's
        q = draw(st.sampled_from(survey.questions()))
        size = draw(st.sampled_from([q.max_length + 1, 5_000, 90_000]))
        pairs.append((draw(st.sampled_from(q.item_ids())).encode(), ("я" * size).encode()))
    pairs += draw(st.lists(st.tuples(st.binary(max_size=12), st.binary(max_size=12)),
                           max_size=4))
    if draw(st.booleans()):
        pairs = draw(st.permutations(pairs))
    return pairs


def invalid_answers(survey: Survey, answers: dict[str, Any]) -> list[str]:
    """Why a stored answer set is not one the survey allows (empty when it is)."""
    problems: list[str] = []
    items = {item: q for q in survey.questions() for item in q.item_ids()}
    for item in answers:
        if item not in items:
            problems.append(f"{item}: no such item")

    def shown(q: Question) -> bool:
        if q.show_if is None:
            return True
        value = answers.get(q.show_if.question)
        values = value if isinstance(value, list) else [value]
        return value is not None and any(v in q.show_if.any_of for v in values)

    for q in survey.questions():
        present = [i for i in q.item_ids() if i in answers]
        if not shown(q):
            problems += [f"{i}: stored though not shown" for i in present]
            continue
        if q.required and len(present) < len(q.item_ids()):
            problems.append(f"{q.id}: required but missing")
        for item in present:
            problem = _bad_value(survey, q, answers[item])
            if problem:
                problems.append(f"{item}: {problem} ({answers[item]!r:.60})")
    return problems


def _bad_value(survey: Survey, q: Question, value: Any) -> str | None:
    codes = [o.code for o in q.options]
    if q.kind in ("likert", "matrix"):
        ok = type(value) is int and (1 <= value <= survey.scale_of(q).points
                                     or (q.dont_know and value == DONT_KNOW))
    elif q.kind == "single":
        ok = type(value) is str and value in codes
    elif q.kind == "multi":
        ok = (type(value) is list and 0 < len(value) == len(set(value))
              and value == [c for c in codes if c in value]
              and (q.max_choices is None or len(value) <= q.max_choices))
    elif q.kind == "nps":
        ok = type(value) is int and 0 <= value <= 10
    elif q.kind == "number":
        ok = (type(value) is int and (q.min is None or value >= q.min)
              and (q.max is None or value <= q.max))
    elif q.kind == "date":
        try:
            day = dt.date.fromisoformat(value)
        except (TypeError, ValueError):
            return "not an ISO date"
        ok = (not q.min_date or day >= dt.date.fromisoformat(q.min_date)) and (
            not q.max_date or day <= dt.date.fromisoformat(q.max_date))
    else:  # text
        ok = (type(value) is str and 0 < len(value) <= q.max_length
              and value == value.strip() and not _CONTROL.search(value) and "\r" not in value)
    return None if ok else f"not a valid {q.kind} answer"


def bad_values(survey: Survey, q: Question) -> list[str]:
    """Values just outside what a question allows, by its kind."""
    if q.kind in ("likert", "matrix"):
        points = survey.scale_of(q).points
        return ["0", str(points + 1), "-1"] + ([] if q.dont_know else [str(DONT_KNOW)])
    if q.kind in ("single", "multi"):
        return [q.options[0].code + "x", q.options[0].code.upper() + " ", "other_than_these"]
    if q.kind == "nps":
        return ["-1", "11", "10.0"]
    if q.kind == "number":
        low, high = q.min or 0, q.max if q.max is not None else 100
        return [str(low - 1), str(high + 1), "1,5"]
    if q.kind == "date":
        return ["1899-12-31", "2999-01-01", "2026-02-30"]
    return ["я" * (q.max_length + 1)]


def first_valid_answers(survey: Survey) -> dict[str, str]:
    """A valid value for every item (the first one each)."""
    return {item: valid_values(survey, q)[0] if q.kind != "text" else "ok"
            for q in survey.questions() for item in q.item_ids()}

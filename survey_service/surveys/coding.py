"""Numeric coding of answers for analysis (pure domain).

Every scored item of a form version (likert items, matrix rows, nps, single choice, number) gets
a column; a response is stored with its codes as one packed little-endian int32 vector in the
version's column order, so that a whole wave reads into a numpy array with one call.

Codes: likert and matrix rows 1..K (1 = most negative), "don't know" 9 (:data:`DONT_KNOW`);
nps 0..10; single choice the option's position 1..n; number as answered; -1 = not shown or not
answered.
"""

from __future__ import annotations

import array
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass

from .answers import Answers
from .model import DONT_KNOW, Survey

MISSING = -1
__all__ = ["DONT_KNOW", "MISSING", "ScoredItem", "codes_encoder", "encode_codes", "scored_items"]


@dataclass(frozen=True)
class ScoredItem:
    id: str
    question: str
    kind: str  # likert (matrix rows too), nps, single, number
    points: int  # scale points for likert, 11 for nps, options for single, 0 for number
    reverse: bool
    dimension: str | None
    options: tuple[str, ...] = ()


_CACHE: dict[int, tuple[Survey, tuple[ScoredItem, ...]]] = {}


def scored_items(survey: Survey) -> tuple[ScoredItem, ...]:
    """The analysis columns of a form version, in a stable order (cached per object)."""
    hit = _CACHE.get(id(survey))
    if hit is not None and hit[0] is survey:
        return hit[1]
    items = _scored_items(survey)
    _CACHE[id(survey)] = (survey, items)
    return items


def _scored_items(survey: Survey) -> tuple[ScoredItem, ...]:
    out: list[ScoredItem] = []
    for q in survey.questions():
        if q.kind == "likert":
            points = survey.scale_of(q).points
            out.append(ScoredItem(q.id, q.id, "likert", points, q.reverse, q.dimension))
        elif q.kind == "matrix":
            points = survey.scale_of(q).points
            for row in q.rows:
                out.append(ScoredItem(row.id, q.id, "likert", points, row.reverse, row.dimension))
        elif q.kind == "nps":
            out.append(ScoredItem(q.id, q.id, "nps", 11, False, q.dimension))
        elif q.kind == "single":
            codes = tuple(o.code for o in q.options)
            out.append(ScoredItem(q.id, q.id, "single", len(codes), False, q.dimension, codes))
        elif q.kind == "number":
            out.append(ScoredItem(q.id, q.id, "number", 0, False, q.dimension))
    return tuple(out)


def encode_codes(survey: Survey, answers: Answers) -> bytes:
    """Pack the codes of one response (little-endian int32, one per scored item)."""
    codes = array.array("i")
    for item in scored_items(survey):
        value = answers.get(item.id)
        if value is None or isinstance(value, list):
            codes.append(MISSING)
        elif item.kind == "single":
            codes.append(item.options.index(str(value)) + 1 if value in item.options else MISSING)
        elif isinstance(value, int):
            codes.append(value)
        else:
            codes.append(MISSING)
    if sys.byteorder != "little":
        codes.byteswap()
    return codes.tobytes()



def codes_encoder(survey: Survey) -> Callable[[Answers], bytes]:
    """:func:`encode_codes` for many responses of one form version: the same bytes, the plan
    of the scored items made once."""
    plan: list[tuple[str, dict[str, int] | None]] = []
    for item in scored_items(survey):
        positions: dict[str, int] | None = None
        if item.kind == "single":
            positions = {}
            for i, code in enumerate(item.options, start=1):
                positions.setdefault(code, i)  # the first, as tuple.index finds it
        plan.append((item.id, positions))
    pack = struct.Struct(f"<{len(plan)}i").pack

    def encode(answers: Answers) -> bytes:
        get = answers.get
        return pack(*[
            (value if isinstance(value, int) else MISSING) if positions is None
            else positions.get(value, MISSING) if isinstance(value, str) else MISSING
            for item, positions in plan for value in (get(item),)])

    return encode

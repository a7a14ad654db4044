"""Checks and coding of indicator definitions that the schema cannot express (pure domain).

``share`` indicators count the answers of one single-choice or number item that their ``share``
accepts (e.g. "% who waited 20 minutes or less", "% resolved in one contact"). A composite
(``index``) must be asked of everyone it describes: its items share one ``show_if`` condition,
so that a change in who is routed where (channel mix, finished or open matters) cannot move it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .model import IndicatorDef, Question, ShowIf, Survey


class ShareRule(NamedTuple):
    """Which stored codes a share counts: ``values`` (option positions 1..n of a single-choice
    item) or the inclusive range ``low``..``high`` (a number item); -1 is missing."""

    values: frozenset[int] | None
    low: int | None
    high: int | None


def _question_of(survey: Survey, item: str) -> Question | None:
    for q in survey.questions():
        if q.id == item or any(r.id == item for r in q.rows):
            return q
    return None


def share_rule(survey: Survey, definition: IndicatorDef) -> ShareRule:
    """The codes of ``definition``'s item that count, in this form version's coding."""
    assert definition.share is not None and len(definition.items) == 1
    q = _question_of(survey, definition.items[0])
    assert q is not None
    if q.kind == "single":
        codes = [o.code for o in q.options]
        wanted = frozenset(codes.index(c) + 1 for c in definition.share.any_of if c in codes)
        return ShareRule(wanted, None, None)
    return ShareRule(None, definition.share.min, definition.share.max)


def check_share(survey: Survey, definition: IndicatorDef, bad: Any) -> None:
    """A share takes exactly one single-choice or number item and a rule that fits it."""
    where = f"indicator '{definition.id}'"
    share = definition.share
    if share is None:
        bad(None, f"{where}: a share indicator needs share = {{ any_of = [...] }} or "
            "share = { min = ..., max = ... }")
        return
    if definition.dimensions or len(definition.items) != 1:
        bad(None, f"{where}: a share indicator takes exactly one item (items = [\"...\"])")
        return
    q = _question_of(survey, definition.items[0])
    if q is None or q.kind not in ("single", "number"):
        bad(None, f"{where}: a share indicator needs a single-choice or number item")
        return
    if q.kind == "single":
        codes = {o.code for o in q.options}
        unknown = [c for c in share.any_of if c not in codes]
        if not share.any_of or unknown or share.min is not None or share.max is not None:
            bad(None, f"{where}: share of a single-choice item lists option codes of "
                f"'{q.id}' in any_of (unknown: {unknown})")
        elif set(share.any_of) == codes:
            bad(None, f"{where}: share accepts every option of '{q.id}' (always 100 %)")
        return
    if share.any_of or (share.min is None and share.max is None):
        bad(None, f"{where}: share of a number item takes min and/or max, not any_of")
    elif (q.min is not None and q.min < 0) or (
        share.min is not None and share.max is not None and share.min > share.max
    ):
        bad(None, f"{where}: share range {share.min}..{share.max} does not fit '{q.id}'")


def check_index_population(survey: Survey, definition: IndicatorDef, items: list[str],
                           bad: Any) -> None:
    """Every item of a composite is shown on the same condition (asked of the same people)."""
    conditions: dict[str, ShowIf | None] = {}
    for item in items:
        q = _question_of(survey, item)
        if q is not None:
            conditions[item] = q.show_if
    if len(set(map(repr, conditions.values()))) > 1:
        detail = ", ".join(
            f"{i}: {c.question} in {c.any_of}" if c else f"{i}: everyone"
            for i, c in conditions.items()
        )
        bad(None, f"indicator '{definition.id}': an index must be asked of everyone it "
            f"describes, but its items are shown on different conditions ({detail})")

"""Target statuses in tiers (issue #19 §3), always given with the CI they rest on (pure).

A change target (a rise of at least T points):

* **met with confidence**: the CI's lower bound is at least T;
* **met**: the estimate is at least T and the change is demonstrable (lower bound above 0);
* **improved, below target**: a demonstrable rise smaller than T;
* **no demonstrable change**: the CI includes 0 (whatever the estimate);
* **worsened**: a demonstrable fall (upper bound below 0).

"Demonstrable" also needs the adjusted p (Holm in the confirmatory family, BH otherwise) below
0.05 when there is one, so a confirmatory result is never met on its unadjusted CI alone. A
change without a CI (none here since single items are compared as % positive) falls back on
the p and the sign.

A level target (at least L at follow-up), on the level's own CI:

* **met with confidence**: lower bound at least L;
* **met**: estimate at least L (the CI reaches below it);
* **below target**: estimate below L, but the CI reaches L;
* **clearly below target**: upper bound below L.

A target with both parts gets the weaker of the two statuses (:data:`ORDER`).
"""

from __future__ import annotations

from typing import Literal, get_args

from ..i18n import N_, translations
from ..surveys.model import ExpectedResult
from .rows import Row, Status

SIGNIFICANCE = 0.05
#: from the weakest to the strongest; "not computable" ranks below every met status, and a
#: failed part of a target outranks it (the result is not met either way)
ORDER: tuple[Status, ...] = (
    "worsened", "clearly below target", "no demonstrable change", "below target",
    "improved, below target", "not computable", "met", "met with confidence",
)
assert set(ORDER) == set(get_args(Status))
LABELS: dict[Status, str] = {
    "met with confidence": N_("met with confidence"),
    "met": N_("met"),
    "improved, below target": N_("improved, below target"),
    "no demonstrable change": N_("no demonstrable change"),
    "worsened": N_("worsened"),
    "below target": N_("below target"),
    "clearly below target": N_("clearly below target"),
    "not computable": N_("not computable"),
}
Direction = Literal["up", "down", "none"]


def weakest(statuses: list[Status]) -> Status:
    return min(statuses, key=ORDER.index) if statuses else "not computable"


def _direction(row: Row) -> Direction:
    """Whether the change is demonstrably up, down, or neither."""
    assert row.change is not None
    p = row.p_adjusted if row.p_adjusted is not None else row.p
    if p is not None and p >= SIGNIFICANCE:
        return "none"
    if row.ci_low is not None and row.ci_high is not None:
        if row.ci_low > 0:
            return "up"
        return "down" if row.ci_high < 0 else "none"
    if p is None:
        return "none"
    return "up" if row.change > 0 else "down" if row.change < 0 else "none"


def change_status(target: float, row: Row) -> Status:
    if row.change is None:
        return "not computable"
    direction = _direction(row)
    if direction == "down":
        return "worsened"
    if direction == "none":
        return "no demonstrable change"
    if row.ci_low is not None and row.ci_low >= target:
        return "met with confidence"
    return "met" if row.change >= target else "improved, below target"


def level_status(target: float, row: Row) -> Status:
    if row.follow_up is None:
        return "not computable"
    low, high = row.follow_up_ci_low, row.follow_up_ci_high
    if low is not None and low >= target:
        return "met with confidence"
    if row.follow_up >= target:
        return "met"
    return "clearly below target" if high is not None and high < target else "below target"


def target_status(result: ExpectedResult, row: Row) -> Status:
    """The tiered status of ``result`` on ``row`` (change: ``change``/``ci_*``/p; level:
    ``follow_up`` and ``follow_up_ci_*``)."""
    target = result.target
    parts: list[Status] = []
    if target.change_at_least is not None:
        parts.append(change_status(target.change_at_least, row))
    if target.at_least is not None:
        parts.append(level_status(target.at_least, row))
    return weakest(parts)


def describe_target(result: ExpectedResult, lang: str) -> str:
    _ = translations(lang).gettext
    parts = []
    if result.target.change_at_least is not None:
        parts.append(_("rise of at least %(points)s points")
                     % {"points": f"{result.target.change_at_least:g}"})
    if result.target.at_least is not None:
        parts.append(_("at least %(level)s") % {"level": f"{result.target.at_least:g}"})
    return "; ".join(parts)


def _ci(low: float | None, high: float | None) -> str:
    return "" if low is None or high is None else f"{low:.1f}…{high:.1f}"


def status_basis(result: ExpectedResult, row: Row, lang: str) -> str | None:
    """What the status rests on, in words: the estimate with its 95 % CI, per part."""
    _ = translations(lang).gettext
    parts = []
    if result.target.change_at_least is not None and row.change is not None:
        parts.append(_("change %(change)+.1f, 95%% CI %(ci)s") % {
            "change": row.change, "ci": _ci(row.ci_low, row.ci_high) or _("none")})
    if result.target.at_least is not None and row.follow_up is not None:
        parts.append(_("follow-up %(value).1f, 95%% CI %(ci)s") % {
            "value": row.follow_up,
            "ci": _ci(row.follow_up_ci_low, row.follow_up_ci_high) or _("none")})
    return "; ".join(parts) or None


def status_text(row: Row, lang: str) -> str:
    """The status in words with the CI it rests on (for tables)."""
    _ = translations(lang).gettext
    if row.status is None:
        return ""
    text = _(LABELS[row.status])
    if row.items_used is not None and row.status != "not computable":
        text += " " + _("(on %(used)s of %(declared)s items)") % {
            "used": row.items_used, "declared": row.items_declared}
    if row.status_basis and row.status != "not computable":
        text += f" ({row.status_basis})"
    return text

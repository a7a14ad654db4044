"""The report's shape: rows of figures (unrounded; round only for display) and the lists of
what could not be compared."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

import msgspec

from ..indicators.composition import Composition
from .comparability import Difference
from .fieldwork import FieldworkReport

#: tiered target statuses (issue #19 §3; :mod:`.status` says when each applies)
Status = Literal[
    "met with confidence", "met", "improved, below target", "no demonstrable change",
    "worsened", "below target", "clearly below target", "not computable",
]
Section = Literal["expected", "indicator", "adjusted", "comparison", "item", "panel"]


class Row(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One line of the report; values unrounded (round only for display)."""

    section: Section
    id: str
    label: str
    kind: str
    baseline: float | None = None
    baseline_ci_low: float | None = None
    baseline_ci_high: float | None = None
    follow_up: float | None = None
    follow_up_ci_low: float | None = None
    follow_up_ci_high: float | None = None
    change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    test: str | None = None
    statistic: float | None = None
    p: float | None = None
    p_adjusted: float | None = None
    adjustment: str | None = None
    effect: str | None = None
    effect_size: float | None = None
    n_baseline: int | None = None
    n_follow_up: int | None = None
    alpha_baseline: float | None = None
    alpha_follow_up: float | None = None
    target: str | None = None
    status: Status | None = None
    #: composites and themes compared over fewer items than declared: how many, and which not
    items_used: int | None = None
    items_declared: int | None = None
    left_out: str | None = None
    #: the item's wording as asked in each wave, when it differs (an editorial change)
    wording_baseline: str | None = None
    wording_follow_up: str | None = None
    note: str | None = None
    #: what the status rests on: the estimate and its 95 % CI, in words (issue #19 §3)
    status_basis: str | None = None
    #: single items (headline: % positive): the mean code of each wave, secondary
    mean_baseline: float | None = None
    mean_follow_up: float | None = None
    #: indices: respondents the 60 % rule left out (answered some items, too few) per wave
    dropped_baseline: int | None = None
    dropped_follow_up: int | None = None
    #: two-item indices: Spearman-Brown reliability 2r/(1 + r) per wave (instead of α)
    spearman_brown_baseline: float | None = None
    spearman_brown_follow_up: float | None = None
    #: a report over several organisations: the figures before standardising to the fixed
    #: organisation mix (each wave weighted by its own response shares)
    crude_baseline: float | None = None
    crude_follow_up: float | None = None
    crude_change: float | None = None

    def add_note(self, note: str) -> None:
        self.note = f"{self.note}; {note}" if self.note else note

    def without_figures(self, note: str) -> Row:
        """The same row with every figure removed (a group too small to show)."""
        row = Row(section=self.section, id=self.id, label=self.label, kind=self.kind,
                  target=self.target, status=self.status, items_used=self.items_used,
                  items_declared=self.items_declared, left_out=self.left_out,
                  wording_baseline=self.wording_baseline,
                  wording_follow_up=self.wording_follow_up, note=self.note,
                  status_basis=self.status_basis)
        row.add_note(note)
        return row


class ComparisonContext(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Which comparison group and waves the section uses, and why it shows nothing."""

    organisations: list[str] = []
    #: external benchmarks set beside the change: their sources
    benchmarks: list[str] = []
    baseline: str | None = None  # the comparison group's waves
    follow_up: str | None = None
    text: str | None = None  # what the comparison is, from the files
    note: str | None = None
    caveat: str = ""


class Report(msgspec.Struct, kw_only=True):
    survey: str
    baseline: str
    follow_up: str
    organisation: str | None
    lang: str
    min_group: int
    rows: list[Row]
    #: indicators and items whose meaning differs between the waves' form versions
    not_comparable: list[Difference]
    #: items whose wording changed by an editorial change the survey file declares
    editorial: list[Difference] = []
    #: who answered in each wave, per variable of the survey's [analysis], with a chi-square
    composition: list[Composition] = []
    #: fieldwork: response rates per wave and what differs between their windows (#19 §1)
    fieldwork: FieldworkReport | None = None
    #: the analysis plan (expected results, targets, confirmatory flags, adjustment sets)
    #: frozen when the first follow-up wave opened: its hash, date and wave (``None`` before)
    plan_hash: str | None = None
    plan_frozen: dt.datetime | None = None
    plan_wave: str | None = None
    #: the fixed organisation mix the pooled figures are standardised to (pooled shares of
    #: both waves' respondents), empty for one organisation
    mix: dict[str, float] = {}
    #: said once: a before/after change is not an effect
    caution: str = ""
    #: the comparison group of the "comparison" rows (difference-in-differences), if any
    comparison: ComparisonContext | None = None


def zero_width_notes(row: Row, _: Callable[[str], str]) -> None:
    """Say why a CI has no width: every answer the same, not an exact figure (issue #11)."""
    notes = (
        (row.baseline_ci_low, row.baseline_ci_high,
         _("the baseline's CI has zero width because every answer in that wave is the same: "
             "it shows no variation, not an exact figure")),
        (row.follow_up_ci_low, row.follow_up_ci_high,
         _("the follow-up's CI has zero width because every answer in that wave is the "
             "same: it shows no variation, not an exact figure")),
        (row.ci_low, row.ci_high,
         _("the change's CI has zero width because every answer is the same in both "
             "waves: it shows no variation, not an exact change")),
    )
    for low, high, note in notes:
        if low is not None and high is not None and low == high:
            row.add_note(note)

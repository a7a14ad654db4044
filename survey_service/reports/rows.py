"""The report's shape: rows of figures (unrounded; round only for display) and the lists of
what could not be compared."""

from __future__ import annotations

from typing import Literal

import msgspec

from ..indicators.composition import Composition
from .comparability import Difference
from .fieldwork import FieldworkReport

Status = Literal["met", "not met", "not significant", "not computable"]
Section = Literal["expected", "indicator", "adjusted", "item", "panel"]


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

    def add_note(self, note: str) -> None:
        self.note = f"{self.note}; {note}" if self.note else note

    def without_figures(self, note: str) -> Row:
        """The same row with every figure removed (a group too small to show)."""
        row = Row(section=self.section, id=self.id, label=self.label, kind=self.kind,
                  target=self.target, status=self.status, items_used=self.items_used,
                  items_declared=self.items_declared, left_out=self.left_out,
                  wording_baseline=self.wording_baseline,
                  wording_follow_up=self.wording_follow_up, note=self.note)
        row.add_note(note)
        return row


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

"""One wave's figure of an indicator (value, its 95 % CI, the answers it rests on) and the
change between two waves, in the shape the trend and the group tables share. The statistics
are those of :mod:`.kinds` (the report's one dispatch over indicator kinds); this module only
says how many answers a figure used and lays the numbers out."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from .. import indicators as ind
from ..indicators.result import Comparison, Estimate, NotComputable
from ..surveys.model import IndicatorDef
from .data import WaveMatrix
from .kinds import Side, compare_sides, positive_share, wave_side

Result = Comparison | NotComputable


class WaveValue(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One wave's figure; no value when hidden or not computable (``note`` says which)."""

    wave: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None  # the answers the figure used (not the wave's size)
    note: str | None = None


class Change(msgspec.Struct, kw_only=True, omit_defaults=True):
    """``follow_up`` − ``baseline`` (waves named), its 95 % CI and test; empty when hidden."""

    baseline: str
    follow_up: str
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
    note: str | None = None


def side_of(definition: IndicatorDef, m: WaveMatrix, items: list[str],
            population: int | None = None) -> Side | NotComputable:
    """The wave's side of the indicator over ``items`` (:func:`.kinds.wave_side`)."""
    if any(m.item(i) is None for i in items):
        return NotComputable("the question was not asked in this wave")
    return wave_side(definition.kind, m, items, population=population, definition=definition)


def answers_used(side: Side) -> int:
    """How many answers the figure rests on: the valid answers of a single item, the
    respondents with a composite score, with at least one valid answer of a theme's items."""
    figure = side.figure
    if isinstance(figure, Estimate | ind.NPSResult):
        return figure.n
    if isinstance(figure, ind.ThemeScore):
        return len(positive_share(side.sample, side.points, side.reverse))  # type: ignore[arg-type]
    return 0


def wave_value(wave: str, side: Side | NotComputable, *, hidden: str | None = None,
               min_group: int = 0, too_few: str = "") -> WaveValue:
    """The figure of ``side``; only the note when ``hidden`` (the reason) is given, when it
    is not computable, or when it rests on fewer than ``min_group`` answers (``too_few``)."""
    if hidden is not None:
        return WaveValue(wave=wave, note=hidden)
    if isinstance(side, NotComputable) or isinstance(side.figure, NotComputable):
        reason = side if isinstance(side, NotComputable) else side.figure
        assert isinstance(reason, NotComputable)
        return WaveValue(wave=wave, note=reason.reason)
    n = answers_used(side)
    if n < min_group:
        return WaveValue(wave=wave, note=too_few)
    low, high = side.ci
    return WaveValue(wave=wave, value=side.value, ci_low=low, ci_high=high, n=n)


def compare(definition: IndicatorDef, a: Side | NotComputable, b: Side | NotComputable
            ) -> Result:
    """The two-wave comparison of INDICATORS.md §4 (:func:`.kinds.compare_sides`)."""
    for side in (a, b):
        if isinstance(side, NotComputable):
            return side
        if isinstance(side.figure, NotComputable):
            return side.figure
    assert isinstance(a, Side) and isinstance(b, Side)
    return compare_sides(definition.kind, a, b)


def change_of(baseline: WaveValue, follow_up: WaveValue, result: Result,
              hidden: str | None = None) -> Change:
    """The change between two shown figures (hidden when either figure is: a change shown
    beside one figure gives the other)."""
    change = Change(baseline=baseline.wave, follow_up=follow_up.wave)
    if hidden is not None or baseline.value is None or follow_up.value is None:
        change.note = hidden or baseline.note or follow_up.note
        return change
    change.change = follow_up.value - baseline.value
    if isinstance(result, NotComputable):
        change.note = result.reason
        return change
    change.ci_low, change.ci_high = result.ci_low, result.ci_high
    change.test, change.statistic, change.p = result.test, result.statistic, result.p
    change.effect, change.effect_size = result.effect, result.effect_size
    change.n_baseline, change.n_follow_up = result.n1, result.n2
    change.p_adjusted, change.adjustment = result.p_adjusted, result.adjustment
    return change


def adjust(family: Sequence[Result], method: str) -> list[Result]:
    """Adjusted p over one family (Holm: ``holm``; Benjamini-Hochberg: ``fdr_bh``)."""
    return ind.adjust_comparisons(list(family), method)  # type: ignore[arg-type]

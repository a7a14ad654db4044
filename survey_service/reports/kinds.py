"""The one dispatch over indicator kinds: what a wave's figure is, and how two waves are
compared (INDICATORS.md §4). The report and the breakdown both go through it; a new kind is
one entry of :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..indicators.result import Comparison, Estimate, NotComputable
from ..indicators.theme import spearman_brown, theme_pseudo_values
from ..surveys.model import IndicatorDef
from ..surveys.share import share_rule
from .data import WaveMatrix

#: The scale each kind of figure lives on (the axis of its charts): ``None`` for no bound.
SCALE_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "index": (0.0, 100.0), "percent_positive": (0.0, 100.0), "share": (0.0, 100.0),
    "nps": (-100.0, 100.0), "mean": (1.0, None),
}

Figure = Estimate | ind.NPSResult | ind.ThemeScore | NotComputable


@dataclass(frozen=True)
class Side:
    """One wave's part of an indicator: its figure and what the comparison tests.

    ``n_used`` is the number of answers the figure rests on (respondents with a composite,
    valid answers of an item, respondents with a valid answer to a theme's items), never the
    wave's size. ``values`` are per-unit values whose mean is the figure (composites, 0/100
    per valid answer, a theme's pseudo-values, codes, NPS scores): the comparison tests their
    mean, and the standardisation to a fixed mix of organisations weights their group means.
    ``dropped``: respondents who answered some of an index's items but too few for the 60 %
    rule. ``spearman_brown``: the reliability of a two-item index (instead of α).
    """

    m: WaveMatrix
    items: list[str]
    points: int
    reverse: list[bool]
    figure: Figure
    sample: npt.NDArray[np.float64] | npt.NDArray[np.int8] | npt.NDArray[np.int32]
    alpha: float | None = None
    n_used: int = 0
    values: npt.NDArray[np.float64] | None = None
    dropped: int | None = None
    spearman_brown: float | None = None
    own_ci: tuple[float | None, float | None] | None = None

    @property
    def value(self) -> float | None:
        if isinstance(self.figure, ind.NPSResult):
            return self.figure.nps
        if isinstance(self.figure, Estimate | ind.ThemeScore):
            return self.figure.value
        return None

    @property
    def ci(self) -> tuple[float | None, float | None]:
        """This wave's own 95 % CI (with the finite population correction when N is known)."""
        if isinstance(self.figure, Estimate | ind.NPSResult):
            return self.figure.ci_low, self.figure.ci_high
        if self.own_ci is not None and not isinstance(self.figure, NotComputable):
            return self.own_ci
        return None, None


@dataclass(frozen=True)
class Kind:
    side: Callable[[WaveMatrix, list[str], int, list[bool], int | None, bool], Side]
    compare: Callable[[Side, Side], Comparison | NotComputable]


def _index(m: WaveMatrix, items: list[str], points: int, reverse: list[bool],
           population: int | None, reliability: bool) -> Side:
    matrix = m.likert_columns(items)
    scores = ind.composite_scores(matrix, points, reverse)
    used = ~np.isnan(scores)
    answered = ((matrix >= 1) & (matrix <= points)).any(axis=1)
    figure: Figure
    if scores.shape[0] and not used.any():
        figure = NotComputable(f"no respondent answered enough of the {len(items)} items")
    else:
        figure = ind.mean_estimate(scores, population=population)
    alpha = sb = None
    if reliability and len(items) == 2:  # α means little for two items: Spearman-Brown
        two = spearman_brown(matrix, points, reverse)
        sb = None if isinstance(two, NotComputable) else two
    elif reliability and len(items) > 2:
        rel = ind.cronbach_alpha(matrix, points, reverse)
        alpha = None if isinstance(rel, NotComputable) else rel.alpha
    return Side(m, items, points, reverse, figure, scores, alpha, n_used=int(used.sum()),
                values=scores[used], dropped=int((answered & ~used).sum()), spearman_brown=sb)


def _single(percent: bool) -> Callable[..., Side]:
    def side(m: WaveMatrix, items: list[str], points: int, reverse: list[bool],
             population: int | None, reliability: bool) -> Side:
        column = m.likert(items[0])
        assert column is not None
        valid = ind.valid_values(column, points, reverse=reverse[0]).astype(np.float64)
        values = (np.where(valid > (points + 1) / 2, 100.0, 0.0) if percent
                  else valid).astype(np.float64)
        pm = ind.positive_and_mean(column, points, reverse=reverse[0], population=population)
        figure: Figure = pm if isinstance(pm, NotComputable) else (
            pm.percent if percent else pm.mean)
        return Side(m, items, points, reverse, figure, column, n_used=int(valid.size),
                    values=values)
    return side


def _theme(m: WaveMatrix, items: list[str], points: int, reverse: list[bool],
           population: int | None, reliability: bool) -> Side:
    if len(items) == 1:
        return _single(True)(m, items, points, reverse, population, reliability)
    matrix = m.likert_columns(items)
    figure = ind.theme_score([m.likert(i) for i in items], points, reverse)
    u = theme_pseudo_values(matrix, points, reverse)
    n_used = int(((matrix >= 1) & (matrix <= points)).any(axis=1).sum())
    if isinstance(u, NotComputable) or isinstance(figure, NotComputable):
        return Side(m, items, points, reverse, figure, matrix, n_used=n_used)
    own = ind.mean_estimate(u, population=population)
    own_ci = None if isinstance(own, NotComputable) else (own.ci_low, own.ci_high)
    return Side(m, items, points, reverse, figure, matrix, n_used=n_used, values=u,
                own_ci=own_ci)


def _nps(m: WaveMatrix, items: list[str], points: int, reverse: list[bool],
         population: int | None, reliability: bool) -> Side:
    column = m.raw(items[0])
    assert column is not None
    valid = column[column != ind.NPS_MISSING]
    scores = np.where(valid >= 9, 100.0, np.where(valid <= 6, -100.0, 0.0))
    return Side(m, items, points, reverse, ind.nps(column, population=population), column,
                n_used=int(valid.size), values=scores)


def _compare_theme(a: Side, b: Side) -> Comparison | NotComputable:
    """ΔT with Welch's t and CI on the theme's pseudo-values (:mod:`..indicators.theme`): the
    test, the CI and the change describe the same quantity even when answers are missing."""
    if len(a.items) == 1:
        return ind.compare_percent_positive(a.sample, b.sample, a.points, reverse=a.reverse[0])
    for side, wave in ((a, "baseline"), (b, "follow-up")):
        if isinstance(side.figure, NotComputable) or side.values is None:
            reason = side.figure.reason if isinstance(side.figure, NotComputable) else ""
            return NotComputable(f"the {wave} value is not computable: {reason}")
    assert a.values is not None and b.values is not None
    comparison = ind.compare_means(a.values, b.values)
    if isinstance(comparison, NotComputable):
        return comparison
    va, vb = a.value or 0.0, b.value or 0.0
    return msgspec.structs.replace(comparison, baseline=va, follow_up=vb, change=vb - va)


def _compare_mean(a: Side, b: Side) -> Comparison | NotComputable:
    """Welch's t on the valid codes: the test and the CI of the mean change it shows."""
    return ind.compare_means(a.values, b.values)


def _share(m: WaveMatrix, definition: IndicatorDef, population: int | None) -> Side:
    """% of one single-choice or number item's valid answers that the rule accepts; the
    sample is the pair (accepted, valid) that the two-proportion comparison needs."""
    item = definition.items[0]
    column = m.raw(item)
    if column is None:
        missing = NotComputable("the question was not asked in this wave")
        return Side(m, [item], 0, [False], missing, np.zeros(2, dtype=np.int32))
    rule = share_rule(m.survey, definition)._asdict()
    accepted, valid = ind.share_counts(column, **rule)
    figure = ind.share(column, **rule, population=population)
    values = np.repeat(np.array([100.0, 0.0]), [accepted, valid - accepted])
    return Side(m, [item], 0, [False], figure, np.array([accepted, valid], dtype=np.int32),
                n_used=valid, values=values)


def _compare_share(a: Side, b: Side) -> Comparison | NotComputable:
    """Pooled two-proportion z with Newcombe's CI (Fisher's exact test for small counts)."""
    for side in (a, b):
        if isinstance(side.figure, NotComputable):
            return side.figure
    return ind.compare_proportions(
        int(a.sample[0]), int(a.sample[1]), int(b.sample[0]), int(b.sample[1])
    )


KINDS: dict[str, Kind] = {
    "index": Kind(_index, lambda a, b: ind.compare_means(a.sample, b.sample)),
    "mean": Kind(_single(False), _compare_mean),
    "percent_positive": Kind(_theme, _compare_theme),
    "nps": Kind(_nps, lambda a, b: ind.compare_nps(a.sample, b.sample)),
}


def points_of(m: WaveMatrix, items: Sequence[str]) -> int | NotComputable:
    """The one scale the items share (NPS: 11 points)."""
    specs = [m.item(i) for i in items]
    points = {s.points for s in specs if s is not None}
    if len(points) != 1 or None in specs:
        return NotComputable("the items are on different scales")
    return points.pop()


def wave_side(kind: str, m: WaveMatrix, items: list[str], *, population: int | None = None,
              reliability: bool = False, definition: IndicatorDef | None = None
              ) -> Side | NotComputable:
    """A wave's figure of an indicator of ``kind`` over ``items`` (``share`` indicators need
    their ``definition``, whose rule says which answers count)."""
    if kind == "share":
        if definition is None:
            raise ValueError("a share indicator needs its definition")
        return _share(m, definition, population)
    points = points_of(m, items)
    if isinstance(points, NotComputable):
        return points
    reverse = [bool(m.item(i).reverse) for i in items]  # type: ignore[union-attr]
    return KINDS[kind].side(m, items, points, reverse, population, reliability)


def compare_sides(kind: str, a: Side, b: Side) -> Comparison | NotComputable:
    return _compare_share(a, b) if kind == "share" else KINDS[kind].compare(a, b)


def positive_share(
    matrix: npt.NDArray[np.int8], points: int, reverse: list[bool]
) -> npt.NDArray[np.float64]:
    """Each respondent's share (%) of positive answers among their valid ones."""
    positive = np.zeros(matrix.shape[0])
    valid = np.zeros(matrix.shape[0])
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        ok = (column >= 1) & (column <= points)
        values = points + 1 - column if reverse[j] else column
        positive += ok & (values > (points + 1) / 2)
        valid += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100.0 * positive / valid
    return share[valid > 0]

"""Pooled figures over several organisations, standardised to one fixed organisation mix
(issue #19 §4).

Pooling the answers weights each municipality by its share of *that wave's* responses, so a
wave in which one municipality answered more moves the pooled figure without anything
changing. Here both waves are weighted by the same mix: each organisation's share of the
respondents of both waves together, s_o = (n_o,1 + n_o,2)/(n_1 + n_2).

For each wave w, with the per-unit values of :class:`.kinds.Side` (mean m_o,w, variance
v_o,w over n_o,w units in organisation o):

    value_w = Σ_o s_o·m_o,w        V_w = Σ_o s_o²·v_o,w/n_o,w

The change Δ = value_2 − value_1 has SE = √(V_1 + V_2), tested with t on the
Welch-Satterthwaite degrees of freedom ν = (ΣV)²/Σ_(o,w) (s_o²v_o,w/n_o,w)²/(n_o,w − 1), and
its CI is Δ ± t_{0.975,ν}·SE (with one organisation this is Welch's t exactly). Each wave's own
CI is value_w ± t·√V_w (times the FPC when the population is known).

A trend over N waves uses one mix for all of them, s_o = Σ_w n_o,w / Σ_w n_w, so that every
wave and every change on its line is on the same mix (for two waves it is the report's); each
change between two of its waves is the formula above on that mix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import msgspec
import numpy as np
from scipy import stats

from ..i18n import translations
from ..indicators._common import SMALL_N, t_quantile
from ..indicators.compare import hedges_g
from ..indicators.precision import fpc
from ..indicators.proportions import cohens_h
from ..indicators.result import Comparison, NotComputable
from .comparability import Plan
from .data import WaveMatrix
from .kinds import Side, wave_side
from .rows import Row


def organisation_mix(*waves: WaveMatrix) -> dict[str, float]:
    """Each organisation's share of the respondents of all ``waves`` together (empty if not
    known or only one organisation answered): both waves of a report, every wave of a
    trend."""
    if not waves or not all(m.grouped for m in waves) or sum(m.n for m in waves) == 0:
        return {}
    orgs, counts = np.unique(np.concatenate([m.organisations for m in waves]),
                             return_counts=True)
    if len(orgs) < 2 or "" in set(orgs.tolist()):
        return {}
    total = float(counts.sum())
    return {str(o): float(c) / total for o, c in zip(orgs, counts, strict=True)}


class StandardisedWave(NamedTuple):
    """One wave standardised to the mix: its value, the variance of the value, the
    Welch-Satterthwaite df, the answers used, the per-organisation parts (share, mean,
    variance of the mean, n) and the wave's own 95 % CI."""

    value: float
    var: float
    df: float
    n: int
    parts: list[tuple[float, float, float, int]]
    ci: tuple[float, float]


def _parts(sides: Mapping[str, Side], mix: Mapping[str, float], wave: str
           ) -> list[tuple[float, float, float, int]] | NotComputable:
    """Per organisation: (share, mean, variance of the mean, n) of one wave."""
    out = []
    for org, share in mix.items():
        side = sides.get(org)
        values = None if side is None else side.values
        if values is None or isinstance(side.figure, NotComputable):  # type: ignore[union-attr]
            return NotComputable(f"{org} has no figure in the {wave} wave")
        if values.size < 2:
            return NotComputable(f"{org} has fewer than 2 answers in the {wave} wave")
        out.append((share, float(values.mean()), float(values.var(ddof=1)) / values.size,
                    int(values.size)))
    return out


def _welch_den(parts: Sequence[tuple[float, float, float, int]]) -> float:
    return sum((s * s * v) ** 2 / (n - 1) for s, _m, v, n in parts)


def standardised_wave(sides: Mapping[str, Side], mix: Mapping[str, float], wave: str,
                      population: int | None = None) -> StandardisedWave | NotComputable:
    """One wave's figure standardised to ``mix`` (``sides``: the wave's side of each
    organisation; ``wave`` names it in the reason when not computable)."""
    parts = _parts(sides, mix, wave)
    if isinstance(parts, NotComputable):
        return parts
    value = sum(s * m for s, m, _v, _n in parts)
    var = sum(s * s * v for s, _m, v, _n in parts)
    den = _welch_den(parts)
    df = var * var / den if den > 0 else math.inf
    n = sum(n for *_x, n in parts)
    h = (t_quantile(df) if math.isfinite(df) else 1.959963984540054) * math.sqrt(var)
    h *= fpc(min(n, population), population) if population is not None else 1.0
    return StandardisedWave(value, var, df, n, parts, (value - h, value + h))


def compare_standardised(a: StandardisedWave, b: StandardisedWave
                         ) -> Comparison | NotComputable:
    """``b`` − ``a`` on the same mix: SE √(V_a + V_b), Welch-Satterthwaite df over both
    waves' parts, t test and CI (no effect size: :func:`with_effect`)."""
    se = math.sqrt(a.var + b.var)
    if se == 0:
        return NotComputable("zero variance in both waves: the t statistic is undefined")
    df = (a.var + b.var) ** 2 / _welch_den([*a.parts, *b.parts])
    delta = b.value - a.value
    t = delta / se
    half = t_quantile(df) * se
    return Comparison(
        baseline=a.value, follow_up=b.value, change=delta, ci_low=delta - half,
        ci_high=delta + half, test="standardised_welch_t", statistic=t, df=df,
        p=min(1.0, float(2 * stats.t.sf(abs(t), df))), effect="none", effect_size=None,
        n1=a.n, n2=b.n, small_n=min(a.n, b.n) < SMALL_N,
    )


def standardised(
    sides_a: Mapping[str, Side], sides_b: Mapping[str, Side], mix: Mapping[str, float],
    population: tuple[int | None, int | None] = (None, None),
) -> tuple[Comparison, tuple[float, float], tuple[float, float]] | NotComputable:
    """The standardised comparison and each wave's own CI."""
    wa = standardised_wave(sides_a, mix, "baseline", population[0])
    if isinstance(wa, NotComputable):
        return wa
    wb = standardised_wave(sides_b, mix, "follow-up", population[1])
    if isinstance(wb, NotComputable):
        return wb
    comparison = compare_standardised(wa, wb)
    if isinstance(comparison, NotComputable):
        return comparison
    return comparison, wa.ci, wb.ci


def organisation_parts(waves: Sequence[WaveMatrix], mix: Mapping[str, float]
                       ) -> dict[str, tuple[WaveMatrix, ...]]:
    """Each organisation's part of every wave, cut once for every indicator."""
    return {org: tuple(m.subset(m.organisations == org) for m in waves) for org in mix}


def organisation_sides(plan: Plan, parts: Mapping[str, tuple[WaveMatrix, ...]], wave: int
                       ) -> dict[str, Side]:
    """The ``wave``-th wave's side of the indicator in each organisation."""
    found: dict[str, Side] = {}
    for org, ms in parts.items():
        side = wave_side(plan.definition.kind, ms[wave], plan.items, definition=plan.definition)
        if isinstance(side, Side):
            found[org] = side
    return found


def with_effect(std: Comparison, crude: Comparison, sides: tuple[Side, Side]) -> Comparison:
    """The crude comparison's effect size, on the standardised values: Hedges g with the
    pooled SD of all answers, Cohen's h of the standardised percentages."""
    size: float | None = None
    if crude.effect == "hedges_g":
        a, b = (s.values for s in sides)
        if a is not None and b is not None and a.size > 1 and b.size > 1:
            size = hedges_g(std.baseline, float(a.var(ddof=1)), a.size,
                            std.follow_up, float(b.var(ddof=1)), b.size)
    elif crude.effect == "cohens_h" and all(0 <= v <= 100 for v in (std.baseline,
                                                                     std.follow_up)):
        size = cohens_h(std.baseline / 100, std.follow_up / 100)
    if size is None:
        return std
    return msgspec.structs.replace(std, effect=crude.effect, effect_size=size)


def standardise_row(row: Row, plan: Plan, parts: Mapping[str, tuple[WaveMatrix, ...]],
                    mix: Mapping[str, float], comparison: Comparison | NotComputable,
                    population: tuple[int | None, int | None], lang: str,
                    sides: tuple[Side, Side] | None = None) -> Comparison | NotComputable:
    """Over several organisations: the comparison standardised to the fixed ``mix`` (``parts``:
    :func:`organisation_parts`), the crude figures kept in the row's ``crude_*`` fields;
    unchanged otherwise."""
    if not mix or not isinstance(comparison, Comparison):
        return comparison
    result = standardised(organisation_sides(plan, parts, 0), organisation_sides(plan, parts, 1),
                          mix, population)
    if isinstance(result, NotComputable):
        _ = translations(lang).gettext
        row.add_note(_("not standardised to the organisation mix: %(reason)s")
                     % {"reason": result.reason})
        return comparison
    std, ci_a, ci_b = result
    if sides is not None:
        std = with_effect(std, comparison, sides)
    row.crude_baseline, row.crude_follow_up = comparison.baseline, comparison.follow_up
    row.crude_change = comparison.change
    row.baseline_ci_low, row.baseline_ci_high = ci_a
    row.follow_up_ci_low, row.follow_up_ci_high = ci_b
    return std

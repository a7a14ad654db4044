"""Result types of the indicators package (plain immutable values, no I/O).

Every function of the package returns either one of these results or
:class:`NotComputable`. A degenerate input (no respondents, one respondent, zero
variance, only "don't know" answers, a question missing in one wave, ...) always gives
:class:`NotComputable` with an English reason: never NaN, never an exception, never a
made-up number. Invalid *data* (codes outside the scale, weights of the wrong length,
a threshold below the legal minimum) is a programming error and raises ``ValueError``.

Percentages are on the 0-100 scale, changes of percentages are in percentage points,
scores are on the 0-100 scale unless a field says otherwise, NPS is on -100..100.
"""

from __future__ import annotations

from typing import Literal

import msgspec

TestName = Literal[
    "welch_t", "mann_whitney_u", "two_proportion_z", "fisher_exact", "wald_z",
    "standardised_welch_t",
]
EffectName = Literal["hedges_g", "rank_biserial_r", "cohens_h", "none"]
Adjustment = Literal["holm", "fdr_bh"]


class NotComputable(msgspec.Struct, frozen=True):
    """A statistic that cannot be computed from the data, and why (in English)."""

    reason: str


class ItemStats(msgspec.Struct, frozen=True, kw_only=True):
    """Descriptive statistics of one Likert item (S3, FEVS-style reporting).

    ``n_valid`` counts answers 1..K; "don't know" and missing are counted separately and
    excluded from every denominator. With weights, ``mean``, ``sd``, the percentages and
    ``distribution`` are weighted and ``n_eff`` is Kish's effective n; counts stay raw.
    ``sd`` is the sample SD (ddof = 1), not computable for a single valid answer.
    ``score`` is the mean on the 0-100 scale, 100·(mean − 1)/(K − 1).
    ``distribution`` holds the percentage of valid answers for each code 1..K.
    """

    points: int
    n_valid: int
    n_dont_know: int
    n_missing: int
    n_eff: float
    weighted: bool
    mean: float
    sd: float | NotComputable
    score: float
    pct_positive: float
    pct_neutral: float
    pct_negative: float
    distribution: tuple[float, ...]


class Estimate(msgspec.Struct, frozen=True, kw_only=True):
    """A point estimate with its standard error and 95 % confidence interval.

    ``n`` is the number of observations used, ``n_eff`` Kish's effective n (equal to ``n``
    without weights). ``fpc`` is the finite population correction factor that was applied
    to ``se`` (1.0 when the population size is unknown). ``moe`` is the margin of error
    z·se (means: t·se). For proportions the interval is Wilson's score interval, so it is
    not always ``value ± moe``; see :mod:`survey_service.indicators.precision`.
    """

    value: float
    se: float
    ci_low: float
    ci_high: float
    moe: float
    n: int
    n_eff: float
    fpc: float = 1.0


class PositiveAndMean(msgspec.Struct, frozen=True, kw_only=True):
    """A single-item indicator reported as % positive and mean code (C1 CSAT, C6 effort).

    ``percent`` is the % of valid answers in the positive range (0-100), ``mean`` the mean
    code on the item's own scale (1..K), not rescaled.
    """

    percent: Estimate
    mean: Estimate
    n_dont_know: int
    n_missing: int


class NPSResult(msgspec.Struct, frozen=True, kw_only=True):
    """Net Promoter Score (C5) on the −100..100 scale with its standard error.

    Var(NPS/100) = [p_P + p_D − (p_P − p_D)²]/n, so ``se`` = 100·√Var (n → Kish n_eff with
    weights, times the FPC when the population size is known). The CI is the Wald interval
    nps ± z·se (not clipped to ±100).
    """

    nps: float
    se: float
    ci_low: float
    ci_high: float
    n: int
    n_eff: float
    n_promoters: int
    n_passives: int
    n_detractors: int
    n_missing: int
    pct_promoters: float
    pct_passives: float
    pct_detractors: float
    fpc: float = 1.0


class ThemeScore(msgspec.Struct, frozen=True, kw_only=True):
    """Theme % positive (S2, also C2 "theme % positive" and GSI*): mean of item P_j."""

    value: float
    item_pct_positive: tuple[float, ...]


class ResponseRate(msgspec.Struct, frozen=True, kw_only=True):
    """Response rate (S4) in percent; partials (≥ 50 % of items answered) are separate."""

    rate: float
    rate_with_partials: float
    completed: int
    partials: int
    eligible: int


class Reliability(msgspec.Struct, frozen=True, kw_only=True):
    """Cronbach's α on complete cases; ``low`` is True when α < 0.70 (then publish the
    items beside the composite, not the composite alone)."""

    alpha: float
    k: int
    n_complete: int
    low: bool


class Comparison(msgspec.Struct, frozen=True, kw_only=True):
    """A baseline → follow-up change in the format of INDICATORS.md §4.

    ``change`` = follow_up − baseline, from unrounded values. ``ci_low``/``ci_high`` is the
    95 % CI of the change, ``None`` when the test has no interval for it (Mann-Whitney U,
    whose baseline/follow-up are mean codes). ``statistic`` is t, z, or for Fisher's exact
    test the sample odds ratio, follow-up over baseline (``None`` when infinite or
    undefined). ``df`` is given for t tests only. ``small_n`` flags n < 30 in either wave.
    ``p_adjusted`` is filled by :func:`survey_service.indicators.adjust.adjust_comparisons`.
    """

    baseline: float
    follow_up: float
    change: float
    ci_low: float | None
    ci_high: float | None
    test: TestName
    statistic: float | None
    df: float | None
    p: float
    effect: EffectName
    effect_size: float | None
    n1: int
    n2: int
    small_n: bool
    weighted: bool = False
    n_eff1: float | None = None
    n_eff2: float | None = None
    p_adjusted: float | None = None
    adjustment: Adjustment | None = None

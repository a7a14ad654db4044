"""Comparisons of two waves (INDICATORS.md §4.1-4.3), baseline ``a`` → follow-up ``b``.

The waves are independent cross-sections. Every function returns a
:class:`~.result.Comparison` (change = follow-up − baseline) or NotComputable; ``None``
instead of data means "not asked in that wave". Each wave needs n ≥ 2. Change tests never
use the finite population correction (superpopulation view).

* :func:`compare_means` — Welch's t: ``scipy.stats.ttest_ind(b, a, equal_var=False)``,
  CI from ``.confidence_interval(0.95)``; Hedges g = d·(1 − 3/(4(n₁ + n₂) − 9)) with
  d = Δ/s_p, s_p = √(((n₁ − 1)s₁² + (n₂ − 1)s₂²)/(n₁ + n₂ − 2)). With weights the same
  formulas use weighted means, reliability-weights variances and Kish n_eff for n.
* :func:`compare_ordinal` / :func:`compare_ranks` — Mann-Whitney U₂ = R₂ − n₂(n₂ + 1)/2,
  normal approximation with tie and continuity correction, identical to the pinned
  ``scipy.stats.mannwhitneyu(b, a, alternative='two-sided', method='asymptotic',
  use_continuity=True)``; rank-biserial r = 2U₂/(n₁n₂) − 1 (= Cliff's δ). Baseline and
  follow-up are mean codes; there is no CI of the change (``None``).
* Proportions and NPS: :mod:`.proportions`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import stats

from ._common import (
    DONT_KNOW,
    SMALL_N,
    FloatArray,
    as_values,
    as_weights,
    count_codes,
    missing_wave,
    t_quantile,
    too_few,
)
from .items import composite_scores
from .precision import weighted_mean_var
from .result import Comparison, NotComputable


def hedges_g(
    mean1: float, var1: float, n1: float, mean2: float, var2: float, n2: float
) -> float | None:
    """Hedges g of (mean2 − mean1) with the pooled SD; ``None`` if the pooled SD is 0."""
    sp2 = ((n1 - 1) * var1 + (n2 - 1) * var2) / (n1 + n2 - 2)
    if sp2 <= 0:
        return None
    d = (mean2 - mean1) / math.sqrt(sp2)
    return d * (1 - 3 / (4 * (n1 + n2) - 9))


def welch(
    mean1: float, var1: float, n1: float, mean2: float, var2: float, n2: float
) -> tuple[float, float, float, float, float]:
    """Welch's t from summary statistics: (t, ν, p, ci_low, ci_high) of mean2 − mean1."""
    q1, q2 = var1 / n1, var2 / n2
    se = math.sqrt(q1 + q2)
    df = (q1 + q2) ** 2 / (q1 * q1 / (n1 - 1) + q2 * q2 / (n2 - 1))
    delta = mean2 - mean1
    t = delta / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = t_quantile(df) * se
    return t, df, min(p, 1.0), delta - half, delta + half


def _drop_nan(x: FloatArray, w: FloatArray | None) -> tuple[FloatArray, FloatArray | None]:
    keep = ~np.isnan(x)
    if w is not None:
        keep &= w > 0
        return x[keep], w[keep]
    return x[keep], None


def compare_means(
    a: npt.ArrayLike | None,
    b: npt.ArrayLike | None,
    *,
    weights_a: npt.ArrayLike | None = None,
    weights_b: npt.ArrayLike | None = None,
) -> Comparison | NotComputable:
    """Welch's t of per-respondent values (composites 0-100; NaN entries are dropped)."""
    miss = missing_wave(a, b)
    if miss is not None:
        return miss
    assert a is not None and b is not None
    x1, x2 = as_values(a, "a"), as_values(b, "b")
    x1, w1 = _drop_nan(x1, as_weights(weights_a, x1.shape[0]))
    x2, w2 = _drop_nan(x2, as_weights(weights_b, x2.shape[0]))
    n1, n2 = int(x1.shape[0]), int(x2.shape[0])
    few = too_few(n1, n2, "respondents with a value")
    if few is not None:
        return few
    m1, v1, e1 = weighted_mean_var(x1, w1)
    m2, v2, e2 = weighted_mean_var(x2, w2)
    if v1 is None or v2 is None:
        return NotComputable("effective sample size not above 1 in a wave: no variance")
    if v1 == 0 and v2 == 0:
        return NotComputable("zero variance in both waves: the t statistic is undefined")
    weighted = w1 is not None or w2 is not None
    if weighted or v1 == 0 or v2 == 0:
        # own formula (identical to scipy's); scipy warns about a constant sample
        t, df, p, lo, hi = welch(m1, v1, e1, m2, v2, e2)
    else:
        res = stats.ttest_ind(x2, x1, equal_var=False)
        ci = res.confidence_interval(0.95)
        t, df, p = float(res.statistic), float(res.df), float(res.pvalue)
        lo, hi = float(ci.low), float(ci.high)
    g = hedges_g(m1, v1, e1, m2, v2, e2)
    return Comparison(
        baseline=m1,
        follow_up=m2,
        change=m2 - m1,
        ci_low=lo,
        ci_high=hi,
        test="welch_t",
        statistic=t,
        df=df,
        p=p,
        effect="hedges_g",
        effect_size=g,
        n1=n1,
        n2=n2,
        small_n=min(n1, n2) < SMALL_N,
        weighted=weighted,
        n_eff1=e1 if weighted else None,
        n_eff2=e2 if weighted else None,
    )


def compare_composite(
    matrix_a: npt.ArrayLike | None,
    matrix_b: npt.ArrayLike | None,
    points: int,
    reverse: bool | Sequence[bool] | None = None,
    *,
    weights_a: npt.ArrayLike | None = None,
    weights_b: npt.ArrayLike | None = None,
    min_share: float = 0.6,
) -> Comparison | NotComputable:
    """Welch comparison of a composite index (CSQI, EEI, driver score) between waves."""
    miss = missing_wave(matrix_a, matrix_b)
    if miss is not None:
        return miss
    assert matrix_a is not None and matrix_b is not None
    s1 = composite_scores(matrix_a, points, reverse, min_share=min_share)
    s2 = composite_scores(matrix_b, points, reverse, min_share=min_share)
    return compare_means(s1, s2, weights_a=weights_a, weights_b=weights_b)


def mann_whitney_from_counts(
    c1: npt.ArrayLike, c2: npt.ArrayLike
) -> tuple[float, float, float] | NotComputable:
    """(U₂, z, p) from the counts of each distinct value (in ascending order) per sample.

    Midranks from the pooled counts; σ = √(n₁n₂/12·[(N + 1) − Σ(t³ − t)/(N(N − 1))]);
    z = (U₂ − n₁n₂/2 − 0.5·sgn(U₂ − n₁n₂/2))/σ; p = 2·Φ(−|z|), at most 1.
    """
    a = np.asarray(c1, dtype=np.float64)
    b = np.asarray(c2, dtype=np.float64)
    n1, n2 = float(a.sum()), float(b.sum())
    t = a + b
    big_n = n1 + n2
    midrank = np.cumsum(t) - (t - 1) / 2
    u2 = float(np.dot(b, midrank)) - n2 * (n2 + 1) / 2
    tie = float(np.sum(t**3 - t))
    var = n1 * n2 / 12 * ((big_n + 1) - tie / (big_n * (big_n - 1)))
    if var <= 0:
        return NotComputable("all answers are identical in both waves: no ranking")
    diff = u2 - n1 * n2 / 2
    z = (diff - 0.5 * float(np.sign(diff))) / math.sqrt(var)
    p = min(1.0, float(2 * stats.norm.sf(abs(z))))
    return u2, z, p


def _ordinal_result(
    levels: FloatArray, c1: FloatArray, c2: FloatArray
) -> Comparison | NotComputable:
    n1, n2 = int(c1.sum()), int(c2.sum())
    few = too_few(n1, n2)
    if few is not None:
        return few
    mw = mann_whitney_from_counts(c1, c2)
    if isinstance(mw, NotComputable):
        return mw
    u2, _, p = mw
    m1 = float(np.dot(levels, c1) / n1)
    m2 = float(np.dot(levels, c2) / n2)
    return Comparison(
        baseline=m1,
        follow_up=m2,
        change=m2 - m1,
        ci_low=None,
        ci_high=None,
        test="mann_whitney_u",
        statistic=u2,
        df=None,
        p=p,
        effect="rank_biserial_r",
        effect_size=2 * u2 / (n1 * n2) - 1,
        n1=n1,
        n2=n2,
        small_n=min(n1, n2) < SMALL_N,
    )


def compare_ordinal(
    codes_a: npt.ArrayLike | None,
    codes_b: npt.ArrayLike | None,
    points: int,
    *,
    reverse: bool = False,
    dont_know: int | None = DONT_KNOW,
) -> Comparison | NotComputable:
    """Mann-Whitney U of one Likert item's valid codes (counting only, O(n))."""
    miss = missing_wave(codes_a, codes_b)
    if miss is not None:
        return miss
    assert codes_a is not None and codes_b is not None
    cc1 = count_codes(codes_a, points, reverse=reverse, dont_know=dont_know)
    cc2 = count_codes(codes_b, points, reverse=reverse, dont_know=dont_know)
    levels = np.arange(1, points + 1, dtype=np.float64)
    return _ordinal_result(levels, cc1.valid.astype(np.float64), cc2.valid.astype(np.float64))


def compare_ranks(a: npt.ArrayLike | None, b: npt.ArrayLike | None) -> Comparison | NotComputable:
    """Mann-Whitney U of arbitrary numeric values (NaN dropped)."""
    miss = missing_wave(a, b)
    if miss is not None:
        return miss
    assert a is not None and b is not None
    x1, _ = _drop_nan(as_values(a, "a"), None)
    x2, _ = _drop_nan(as_values(b, "b"), None)
    levels, inverse = np.unique(np.concatenate([x1, x2]), return_inverse=True)
    inv = inverse.reshape(-1)
    c1 = np.bincount(inv[: x1.shape[0]], minlength=levels.shape[0]).astype(np.float64)
    c2 = np.bincount(inv[x1.shape[0] :], minlength=levels.shape[0]).astype(np.float64)
    return _ordinal_result(levels, c1, c2)

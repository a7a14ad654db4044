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
* :func:`compare_proportions` — pooled two-proportion z (identical to statsmodels'
  ``test_proportions_2indep(..., method='score', correction=False)`` and
  ``proportions_ztest``), or Fisher's exact test (``scipy.stats.fisher_exact``,
  two-sided) when any expected cell count of the 2 × 2 table is below 5; the result's
  ``test`` says which. CI: Newcombe's hybrid score interval (method 10) from Wilson
  limits; Cohen's h = 2·asin√p₂ − 2·asin√p₁. Percentages in percent, change in points.
* :func:`compare_nps` — Wald z with SE = √(Var₁ + Var₂) from the C5 variance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy import stats

from ._common import (
    DONT_KNOW,
    Z95,
    FloatArray,
    as_values,
    as_weights,
    count_codes,
    t_quantile,
)
from .indicators import nps
from .items import composite_scores, polarity
from .precision import weighted_mean_var, wilson_interval
from .result import Comparison, NotComputable, TestName

SMALL_N = 30


def _missing(a: object, b: object) -> NotComputable | None:
    if a is None and b is None:
        return NotComputable("not asked in either wave")
    if a is None:
        return NotComputable("not asked in the baseline wave: no comparison")
    if b is None:
        return NotComputable("not asked in the follow-up wave: no comparison")
    return None


def _too_few(n1: float, n2: float, what: str = "valid answers") -> NotComputable | None:
    for n, wave in ((n1, "baseline"), (n2, "follow-up")):
        if n < 2:
            return NotComputable(f"{n:g} {what} in the {wave} wave: at least 2 are needed")
    return None


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
    miss = _missing(a, b)
    if miss is not None:
        return miss
    assert a is not None and b is not None
    x1, x2 = as_values(a, "a"), as_values(b, "b")
    x1, w1 = _drop_nan(x1, as_weights(weights_a, x1.shape[0]))
    x2, w2 = _drop_nan(x2, as_weights(weights_b, x2.shape[0]))
    n1, n2 = int(x1.shape[0]), int(x2.shape[0])
    few = _too_few(n1, n2, "respondents with a value")
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
    miss = _missing(matrix_a, matrix_b)
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
    few = _too_few(n1, n2)
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
    miss = _missing(codes_a, codes_b)
    if miss is not None:
        return miss
    assert codes_a is not None and codes_b is not None
    cc1 = count_codes(codes_a, points, reverse=reverse, dont_know=dont_know)
    cc2 = count_codes(codes_b, points, reverse=reverse, dont_know=dont_know)
    levels = np.arange(1, points + 1, dtype=np.float64)
    return _ordinal_result(levels, cc1.valid.astype(np.float64), cc2.valid.astype(np.float64))


def compare_ranks(a: npt.ArrayLike | None, b: npt.ArrayLike | None) -> Comparison | NotComputable:
    """Mann-Whitney U of arbitrary numeric values (NaN dropped)."""
    miss = _missing(a, b)
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


def newcombe_interval(p1: float, n1: float, p2: float, n2: float) -> tuple[float, float]:
    """Newcombe's hybrid score CI (method 10) of p2 − p1 from Wilson limits (fractions)."""
    l1, u1 = wilson_interval(p1, n1)
    l2, u2 = wilson_interval(p2, n2)
    d = p2 - p1
    return (
        d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )


def cohens_h(p1: float, p2: float) -> float:
    """Cohen's h = 2·asin√p₂ − 2·asin√p₁."""
    return 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))


def _min_expected(p1: float, n1: float, p2: float, n2: float) -> float:
    big_n = n1 + n2
    s = p1 * n1 + p2 * n2
    f = big_n - s
    return min(n1 * s, n1 * f, n2 * s, n2 * f) / big_n


def _proportions(
    p1: float,
    n1: float,
    p2: float,
    n2: float,
    raw: tuple[int, int, int, int] | None,
    weighted: bool,
    n_raw: tuple[int, int],
) -> Comparison | NotComputable:
    lo, hi = newcombe_interval(p1, n1, p2, n2)
    statistic: float | None
    if _min_expected(p1, n1, p2, n2) < 5:
        if raw is None:
            return NotComputable(
                "an expected cell count is below 5 and the data are weighted: Fisher's exact "
                "test needs unweighted counts"
            )
        x1, m1, x2, m2 = raw
        res = stats.fisher_exact([[x1, m1 - x1], [x2, m2 - x2]], alternative="two-sided")
        odds = float(res.statistic)
        statistic = odds if math.isfinite(odds) else None
        p = min(1.0, float(res.pvalue))
        test: TestName = "fisher_exact"
    else:
        pbar = (p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p2 - p1) / math.sqrt(pbar * (1 - pbar) * (1 / n1 + 1 / n2))
        statistic = z
        p = min(1.0, float(2 * stats.norm.sf(abs(z))))
        test = "two_proportion_z"
    return Comparison(
        baseline=100 * p1,
        follow_up=100 * p2,
        change=100 * (p2 - p1),
        ci_low=100 * lo,
        ci_high=100 * hi,
        test=test,
        statistic=statistic,
        df=None,
        p=p,
        effect="cohens_h",
        effect_size=cohens_h(p1, p2),
        n1=n_raw[0],
        n2=n_raw[1],
        small_n=min(n_raw) < SMALL_N,
        weighted=weighted,
        n_eff1=n1 if weighted else None,
        n_eff2=n2 if weighted else None,
    )


def compare_proportions(x1: int, n1: int, x2: int, n2: int) -> Comparison | NotComputable:
    """Baseline x1 of n1 positive vs follow-up x2 of n2 (CSAT, P_j, % agree)."""
    for x, n in ((x1, n1), (x2, n2)):
        if n < 0 or not 0 <= x <= n:
            raise ValueError(f"need 0 <= successes <= n, got {x} of {n}")
    few = _too_few(n1, n2)
    if few is not None:
        return few
    return _proportions(x1 / n1, n1, x2 / n2, n2, (x1, n1, x2, n2), weighted=False, n_raw=(n1, n2))


def compare_percent_positive(
    codes_a: npt.ArrayLike | None,
    codes_b: npt.ArrayLike | None,
    points: int,
    *,
    reverse: bool = False,
    weights_a: npt.ArrayLike | None = None,
    weights_b: npt.ArrayLike | None = None,
    dont_know: int | None = DONT_KNOW,
) -> Comparison | NotComputable:
    """% positive of one item between waves. Unweighted: :func:`compare_proportions`.
    Weighted: weighted shares with Kish n_eff in the z test and the Newcombe CI (no Fisher
    test is possible on weighted counts: NotComputable if an expected count is below 5)."""
    miss = _missing(codes_a, codes_b)
    if miss is not None:
        return miss
    assert codes_a is not None and codes_b is not None
    pos = polarity(points)[0]
    cc1 = count_codes(codes_a, points, reverse=reverse, weights=weights_a, dont_know=dont_know)
    cc2 = count_codes(codes_b, points, reverse=reverse, weights=weights_b, dont_know=dont_know)
    if not (cc1.weighted or cc2.weighted):
        return compare_proportions(
            int(cc1.valid[pos].sum()), cc1.n_valid, int(cc2.valid[pos].sum()), cc2.n_valid
        )
    few = _too_few(cc1.n_valid, cc2.n_valid)
    if few is None:
        few = _too_few(cc1.n_eff, cc2.n_eff, "effective answers (Kish)")
    if few is not None:
        return few
    p1 = float(cc1.wvalid[pos].sum() / cc1.w_total)
    p2 = float(cc2.wvalid[pos].sum() / cc2.w_total)
    return _proportions(
        p1, cc1.n_eff, p2, cc2.n_eff, None, weighted=True, n_raw=(cc1.n_valid, cc2.n_valid)
    )


def compare_nps(
    codes_a: npt.ArrayLike | None,
    codes_b: npt.ArrayLike | None,
    *,
    weights_a: npt.ArrayLike | None = None,
    weights_b: npt.ArrayLike | None = None,
) -> Comparison | NotComputable:
    """NPS change (codes 0..10, -1 missing): Wald z with SE = √(Var₁ + Var₂), no FPC."""
    miss = _missing(codes_a, codes_b)
    if miss is not None:
        return miss
    r1 = nps(codes_a, weights=weights_a)
    r2 = nps(codes_b, weights=weights_b)
    if isinstance(r1, NotComputable):
        return NotComputable(f"baseline wave: {r1.reason}")
    if isinstance(r2, NotComputable):
        return NotComputable(f"follow-up wave: {r2.reason}")
    se = math.sqrt(r1.se**2 + r2.se**2)
    if se == 0:
        return NotComputable("the NPS has zero variance in both waves: no test")
    delta = r2.nps - r1.nps
    z = delta / se
    weighted = weights_a is not None or weights_b is not None
    return Comparison(
        baseline=r1.nps,
        follow_up=r2.nps,
        change=delta,
        ci_low=delta - Z95 * se,
        ci_high=delta + Z95 * se,
        test="wald_z",
        statistic=z,
        df=None,
        p=min(1.0, float(2 * stats.norm.sf(abs(z)))),
        effect="none",
        effect_size=None,
        n1=r1.n,
        n2=r2.n,
        small_n=min(r1.n, r2.n) < SMALL_N,
        weighted=weighted,
        n_eff1=r1.n_eff if weighted else None,
        n_eff2=r2.n_eff if weighted else None,
    )

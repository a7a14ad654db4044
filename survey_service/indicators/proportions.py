"""Comparisons of two waves' proportions and NPS (INDICATORS.md §4.3-4.4), baseline ``a`` →
follow-up ``b``, as in :mod:`.compare` (change = follow-up − baseline, in points).

* :func:`compare_proportions` — pooled two-proportion z (identical to statsmodels'
  ``test_proportions_2indep(..., method='score', correction=False)`` and
  ``proportions_ztest``), or Fisher's exact test (``scipy.stats.fisher_exact``,
  two-sided) when any expected cell count of the 2 × 2 table is below 5; the result's
  ``test`` says which; Fisher's sample odds ratio is follow-up over baseline (odds₂/odds₁,
  above 1 for a rise, the same orientation as every other change). CI: Newcombe's hybrid
  score interval (method 10) from Wilson limits; Cohen's h = 2·asin√p₂ − 2·asin√p₁.
  Percentages in percent, change in points.
* :func:`compare_nps` — Wald z with SE = √(Var₁ + Var₂) from the C5 variance.
"""

from __future__ import annotations

import math

import numpy.typing as npt
from scipy import stats

from ._common import DONT_KNOW, SMALL_N, Z95, count_codes, missing_wave, too_few
from .indicators import nps
from .items import polarity
from .precision import wilson_interval
from .result import Comparison, NotComputable, TestName


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
        # follow-up first: the odds ratio is follow-up over baseline, like every other effect
        res = stats.fisher_exact([[x2, m2 - x2], [x1, m1 - x1]], alternative="two-sided")
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
    few = too_few(n1, n2)
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
    miss = missing_wave(codes_a, codes_b)
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
    few = too_few(cc1.n_valid, cc2.n_valid)
    if few is None:
        few = too_few(cc1.n_eff, cc2.n_eff, "effective answers (Kish)")
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
    miss = missing_wave(codes_a, codes_b)
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

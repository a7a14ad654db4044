"""Indicators: wave comparisons against scipy/statsmodels to 1e-9 and by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportions_ztest,
)
from statsmodels.stats.proportion import test_proportions_2indep as sm_score_test

from survey_service.indicators import (
    Comparison,
    NotComputable,
    cohens_h,
    compare_composite,
    compare_means,
    compare_nps,
    compare_ordinal,
    compare_percent_positive,
    compare_proportions,
    compare_ranks,
    composite_scores,
    hedges_g,
    newcombe_interval,
    nps,
    welch,
)

REL = 1e-9
SEEDS = range(8)


def close(a: float | None, b: float, rel: float = REL, abs_: float = 1e-12) -> bool:
    assert a is not None
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def samples(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Varied sizes; integer-valued (many ties) on even seeds, continuous on odd ones."""
    rng = np.random.default_rng(seed)
    n1, n2 = int(rng.integers(2, 400)), int(rng.integers(2, 400))
    if seed % 2 == 0:
        return rng.integers(0, 5, n1) * 25.0, rng.integers(0, 5, n2) * 25.0
    return rng.normal(60, 15, n1), rng.normal(63, 25, n2)


# ------------------------------------------------------------------------------- Welch


@pytest.mark.parametrize("seed", SEEDS)
def test_welch_matches_scipy(seed: int) -> None:
    a, b = samples(seed)
    res = stats.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval(0.95)
    c = compare_means(a, b)
    assert isinstance(c, Comparison) and c.test == "welch_t"
    assert close(c.statistic, res.statistic)
    assert close(c.p, res.pvalue)
    assert close(c.df, res.df)
    assert close(c.ci_low, ci.low) and close(c.ci_high, ci.high)
    assert close(c.change, b.mean() - a.mean(), abs_=1e-9)
    # own formula (used for weighted data) equals scipy too
    t, df, p, lo, hi = welch(a.mean(), a.var(ddof=1), a.size, b.mean(), b.var(ddof=1), b.size)
    assert close(t, res.statistic) and close(df, res.df) and close(p, res.pvalue)
    assert close(lo, ci.low) and close(hi, ci.high)
    # unit weights take the weighted code path and must give the same answer
    u = compare_means(a, b, weights_a=np.ones(a.size), weights_b=np.ones(b.size))
    assert isinstance(u, Comparison) and u.weighted
    assert close(u.statistic, res.statistic) and close(u.p, res.pvalue)
    assert close(u.df, res.df) and close(u.ci_low, ci.low) and close(u.ci_high, ci.high)


@pytest.mark.parametrize("seed", SEEDS)
def test_hedges_g_formula(seed: int) -> None:
    a, b = samples(seed)
    n1, n2 = a.size, b.size
    s1, s2 = a.var(ddof=1), b.var(ddof=1)
    sp = math.sqrt(((n1 - 1) * s1 + (n2 - 1) * s2) / (n1 + n2 - 2))
    g = (b.mean() - a.mean()) / sp * (1 - 3 / (4 * (n1 + n2) - 9))
    c = compare_means(a, b)
    assert isinstance(c, Comparison) and c.effect == "hedges_g"
    assert close(c.effect_size, g, abs_=1e-12)
    assert c.small_n == (min(n1, n2) < 30)


def test_welch_hand() -> None:
    # a = 1, 2, 3 (mean 2, var 1); b = 2, 4, 6, 8 (mean 5, var 20/3)
    # SE² = 1/3 + 20/12 = 2; t = 3/√2; ν = 4 / ((1/3)²/2 + (5/3)²/3) = 4/(1/18 + 25/27)
    c = compare_means([1, 2, 3], [2, 4, 6, 8])
    assert isinstance(c, Comparison)
    assert c.statistic == pytest.approx(3 / math.sqrt(2), rel=REL)
    assert c.df == pytest.approx(4 / (1 / 18 + 25 / 27), rel=REL)
    sp2 = (2 * 1 + 3 * 20 / 3) / 5
    assert c.effect_size == pytest.approx(3 / math.sqrt(sp2) * (1 - 3 / (4 * 7 - 9)), rel=REL)
    assert hedges_g(2, 1, 3, 5, 20 / 3, 4) == pytest.approx(c.effect_size, rel=REL)


def test_weighted_welch_hand_formula() -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(50, 10, 120), rng.normal(55, 12, 90)
    wa, wb = rng.uniform(0.3, 3, 120), rng.uniform(0.3, 3, 90)

    def summary(x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
        return (
            float(np.average(x, weights=w)),
            float(np.cov(x, aweights=w, ddof=1)),
            float(w.sum() ** 2 / (w**2).sum()),
        )

    m1, v1, e1 = summary(a, wa)
    m2, v2, e2 = summary(b, wb)
    se = math.sqrt(v1 / e1 + v2 / e2)
    df = (v1 / e1 + v2 / e2) ** 2 / ((v1 / e1) ** 2 / (e1 - 1) + (v2 / e2) ** 2 / (e2 - 1))
    t = (m2 - m1) / se
    c = compare_means(a, b, weights_a=wa, weights_b=wb)
    assert isinstance(c, Comparison) and c.weighted
    assert close(c.statistic, t) and close(c.df, df)
    assert close(c.p, 2 * stats.t.sf(abs(t), df))
    assert close(c.n_eff1, e1) and close(c.n_eff2, e2)
    q = stats.t.ppf(0.975, df)
    assert close(c.ci_low, m2 - m1 - q * se) and close(c.ci_high, m2 - m1 + q * se)


def test_compare_composite_drops_nan() -> None:
    rng = np.random.default_rng(5)
    ma, mb = rng.integers(0, 6, (200, 5)), rng.integers(0, 6, (150, 5))
    sa, sb = composite_scores(ma, 5), composite_scores(mb, 5)
    res = stats.ttest_ind(sb[~np.isnan(sb)], sa[~np.isnan(sa)], equal_var=False)
    c = compare_composite(ma, mb, 5)
    assert isinstance(c, Comparison)
    assert close(c.p, res.pvalue) and c.n1 == int((~np.isnan(sa)).sum())


def test_welch_degenerate() -> None:
    z = compare_means([50, 50, 50], [75, 75])
    assert isinstance(z, NotComputable) and "zero variance in both waves" in z.reason
    one = compare_means([50], [75, 80])
    assert isinstance(one, NotComputable) and "baseline" in one.reason
    none = compare_means([], [75, 80])
    assert isinstance(none, NotComputable)
    assert isinstance(compare_means(None, [1.0, 2.0]), NotComputable)
    assert "follow-up" in compare_means([1.0, 2.0], None).reason  # type: ignore[union-attr]
    assert isinstance(compare_means([np.nan, 1.0], [1.0, 2.0]), NotComputable)
    # one wave constant is fine (Welch handles it), with an exact ν = n2 − 1
    c = compare_means([50.0, 50.0, 50.0], [40.0, 60.0, 80.0])
    assert isinstance(c, Comparison) and c.df == pytest.approx(2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns about the constant sample
        ref = stats.ttest_ind([40.0, 60.0, 80.0], [50.0, 50.0, 50.0], equal_var=False)
    assert close(c.statistic, ref.statistic) and close(c.p, ref.pvalue)
    # constant floats that do not sum exactly are still zero variance
    x = np.full(1000, 100 / 3)
    assert isinstance(compare_means(x, x + 0.0), NotComputable)
    assert isinstance(compare_composite(None, np.ones((3, 5), dtype=int), 5), NotComputable)


# ------------------------------------------------------------------------ Mann-Whitney


def _hand_mwu(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """U₂ and p from the spec's formulas with rankdata (independent of the package)."""
    n1, n2 = a.size, b.size
    big_n = n1 + n2
    ranks = stats.rankdata(np.concatenate([a, b]))
    u2 = ranks[n1:].sum() - n2 * (n2 + 1) / 2
    _, t = np.unique(np.concatenate([a, b]), return_counts=True)
    sigma = math.sqrt(n1 * n2 / 12 * ((big_n + 1) - (t**3 - t).sum() / (big_n * (big_n - 1))))
    d = u2 - n1 * n2 / 2
    z = (d - 0.5 * np.sign(d)) / sigma
    return float(u2), min(1.0, float(2 * stats.norm.sf(abs(z))))


def _scipy_mwu(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    r = stats.mannwhitneyu(b, a, alternative="two-sided", method="asymptotic", use_continuity=True)
    return float(r.statistic), float(r.pvalue)


@pytest.mark.parametrize("seed", SEEDS)
def test_mann_whitney_matches_scipy(seed: int) -> None:
    a, b = samples(seed)
    u, p = _scipy_mwu(a, b)
    c = compare_ranks(a, b)
    assert isinstance(c, Comparison) and c.test == "mann_whitney_u"
    assert close(c.statistic, u) and close(c.p, p)
    hu, hp = _hand_mwu(a, b)
    assert close(hu, u) and close(hp, p)
    assert close(c.effect_size, 2 * u / (a.size * b.size) - 1, abs_=1e-12)
    assert c.ci_low is None and c.ci_high is None


@pytest.mark.parametrize("seed", SEEDS)
def test_compare_ordinal_codes_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n1, n2 = int(rng.integers(3, 2000)), int(rng.integers(3, 2000))
    ca = rng.choice([0, 1, 2, 3, 4, 5, 9], n1, p=[0.05, 0.1, 0.15, 0.2, 0.3, 0.15, 0.05])
    cb = rng.choice([0, 1, 2, 3, 4, 5, 9], n2, p=[0.05, 0.05, 0.1, 0.2, 0.35, 0.2, 0.05])
    for rev in (False, True):
        c = compare_ordinal(ca, cb, 5, reverse=rev)
        va, vb = ca[(ca >= 1) & (ca <= 5)], cb[(cb >= 1) & (cb <= 5)]
        if rev:
            va, vb = 6 - va, 6 - vb
        u, p = _scipy_mwu(va.astype(float), vb.astype(float))
        assert isinstance(c, Comparison)
        assert close(c.statistic, u) and close(c.p, p)
        assert close(c.baseline, va.mean()) and close(c.follow_up, vb.mean())


def test_mann_whitney_without_ties_stays_asymptotic() -> None:
    # with no ties and small n, method='auto' would switch to the exact test; we never do
    a, b = np.array([1.0, 2.5, 3.1, 4.7]), np.array([2.2, 5.5, 6.1, 7.3, 8.0])
    u, p = _scipy_mwu(a, b)
    c = compare_ranks(a, b)
    assert isinstance(c, Comparison) and close(c.statistic, u) and close(c.p, p)
    exact = stats.mannwhitneyu(b, a, alternative="two-sided", method="exact").pvalue
    assert not math.isclose(c.p, exact)


def test_mann_whitney_degenerate() -> None:
    same = compare_ordinal(np.array([3, 3, 3]), np.array([3, 3, 9]), 5)
    assert isinstance(same, NotComputable) and "identical" in same.reason
    dk = compare_ordinal(np.array([9, 9, 9]), np.array([3, 4, 5]), 5)
    assert isinstance(dk, NotComputable) and "baseline" in dk.reason
    assert isinstance(compare_ordinal(None, np.array([3, 4]), 5), NotComputable)
    assert isinstance(compare_ranks([1.0], [2.0, 3.0]), NotComputable)


# ------------------------------------------------------------------------ proportions


def _ci_newcomb(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb")
    return float(lo), float(hi)


@pytest.mark.parametrize("seed", SEEDS)
def test_two_proportion_z_and_newcombe_vs_statsmodels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n1, n2 = int(rng.integers(40, 3000)), int(rng.integers(40, 3000))
    x1 = int(rng.binomial(n1, rng.uniform(0.2, 0.8)))
    x2 = int(rng.binomial(n2, rng.uniform(0.2, 0.8)))
    c = compare_proportions(x1, n1, x2, n2)
    assert isinstance(c, Comparison) and c.test == "two_proportion_z"
    # the pooled z is statsmodels' score test without the n/(n-1) correction ...
    sm = sm_score_test(x2, n2, x1, n1, method="score", correction=False)
    assert close(c.statistic, sm.statistic) and close(c.p, sm.pvalue)
    # ... and proportions_ztest (pooled) as well
    z, p = proportions_ztest([x2, x1], [n2, n1])
    assert close(c.statistic, z) and close(c.p, p)
    lo, hi = _ci_newcomb(x1, n1, x2, n2)
    assert close(c.ci_low, 100 * lo, abs_=1e-9) and close(c.ci_high, 100 * hi, abs_=1e-9)
    p1, p2 = x1 / n1, x2 / n2
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    assert close(c.effect_size, h, abs_=1e-12) and close(cohens_h(p1, p2), h, abs_=1e-12)
    assert close(c.change, 100 * (p2 - p1), abs_=1e-9)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(0, 10, 3, 12), (10, 10, 12, 12), (1, 5, 4, 6), (0, 40, 0, 35), (3, 50, 9, 50), (2, 2, 0, 3)],
)
def test_newcombe_edge_counts_vs_statsmodels(x1: int, n1: int, x2: int, n2: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels may warn on p = 0 or 1
        lo, hi = _ci_newcomb(x1, n1, x2, n2)
    mlo, mhi = newcombe_interval(x1 / n1, n1, x2 / n2, n2)
    assert close(mlo, lo, abs_=1e-12) and close(mhi, hi, abs_=1e-12)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(1, 10, 6, 12), (0, 40, 0, 35), (2, 50, 5, 50), (2, 2, 0, 3)]
)
def test_fisher_when_expected_below_five(x1: int, n1: int, x2: int, n2: int) -> None:
    c = compare_proportions(x1, n1, x2, n2)
    assert isinstance(c, Comparison) and c.test == "fisher_exact"
    res = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])
    assert close(c.p, res.pvalue)
    # one orientation everywhere (issue #11): the odds ratio is follow-up over baseline
    follow_over_base = stats.fisher_exact([[x2, n2 - x2], [x1, n1 - x1]]).statistic
    if math.isfinite(follow_over_base):
        assert close(c.statistic, follow_over_base)
        if x1 and x2 and x1 < n1 and x2 < n2:
            assert close(c.statistic, (x2 / (n2 - x2)) / (x1 / (n1 - x1)))
    else:
        assert c.statistic is None


def test_fisher_odds_ratio_rises_with_the_follow_up() -> None:
    """1 of 10 → 6 of 12: odds 1/9 → 6/6, follow-up over baseline = 9 (> 1, a rise)."""
    c = compare_proportions(1, 10, 6, 12)
    assert isinstance(c, Comparison) and c.test == "fisher_exact"
    assert c.change > 0 and c.statistic == pytest.approx(9.0)


def test_expected_count_rule_boundary() -> None:
    # 2 × 2 table 10/20 vs 10/20: every expected count is exactly 10 -> z
    assert compare_proportions(10, 20, 10, 20).test == "two_proportion_z"  # type: ignore[union-attr]
    # successes 5 of 10 vs 4 of 10: expected successes 4.5 < 5 -> Fisher
    assert compare_proportions(5, 10, 4, 10).test == "fisher_exact"  # type: ignore[union-attr]


def test_two_proportion_hand() -> None:
    # 30/50 vs 20/60: pooled p̄ = 50/110; z = (1/3 - 3/5)/sqrt(p̄(1-p̄)(1/50 + 1/60))
    c = compare_proportions(30, 50, 20, 60)
    pbar = 50 / 110
    z = (1 / 3 - 3 / 5) / math.sqrt(pbar * (1 - pbar) * (1 / 50 + 1 / 60))
    assert isinstance(c, Comparison)
    assert c.statistic == pytest.approx(z, rel=REL)
    assert c.baseline == pytest.approx(60.0) and c.follow_up == pytest.approx(100 / 3)


def test_compare_percent_positive_codes() -> None:
    rng = np.random.default_rng(2)
    ca, cb = rng.integers(0, 6, 500), rng.choice([1, 2, 3, 4, 5, 9], 400)
    c = compare_percent_positive(ca, cb, 5)
    va, vb = ca[(ca >= 1) & (ca <= 5)], cb[(cb >= 1) & (cb <= 5)]
    ref = compare_proportions(int((va >= 4).sum()), va.size, int((vb >= 4).sum()), vb.size)
    assert c == ref


def test_weighted_percent_positive_uses_kish() -> None:
    rng = np.random.default_rng(4)
    ca, cb = rng.integers(1, 6, 300), rng.integers(1, 6, 250)
    wa, wb = rng.uniform(0.3, 3, 300), rng.uniform(0.3, 3, 250)
    c = compare_percent_positive(ca, cb, 5, weights_a=wa, weights_b=wb)
    p1, p2 = np.average(ca >= 4, weights=wa), np.average(cb >= 4, weights=wb)
    e1, e2 = wa.sum() ** 2 / (wa**2).sum(), wb.sum() ** 2 / (wb**2).sum()
    pbar = (p1 * e1 + p2 * e2) / (e1 + e2)
    z = (p2 - p1) / math.sqrt(pbar * (1 - pbar) * (1 / e1 + 1 / e2))
    assert isinstance(c, Comparison) and c.weighted
    assert close(c.statistic, z) and close(c.n_eff1, e1)
    lo, hi = newcombe_interval(p1, e1, p2, e2)
    assert close(c.ci_low, 100 * lo) and close(c.ci_high, 100 * hi)
    tiny = compare_percent_positive(ca[:6], cb[:6], 5, weights_a=wa[:6], weights_b=wb[:6])
    assert isinstance(tiny, NotComputable) and "Fisher" in tiny.reason


def test_proportions_degenerate() -> None:
    assert isinstance(compare_proportions(0, 0, 3, 10), NotComputable)
    assert isinstance(compare_proportions(3, 10, 0, 1), NotComputable)
    with pytest.raises(ValueError):
        compare_proportions(5, 4, 1, 10)
    dk = compare_percent_positive(np.array([9, 9]), np.array([4, 5, 1]), 5)
    assert isinstance(dk, NotComputable)
    assert isinstance(compare_percent_positive(None, np.array([4, 5]), 5), NotComputable)


# -------------------------------------------------------------------------------- NPS


def test_nps_change_hand() -> None:
    a = np.array([10, 9, 8, 7, 6, 0, -1, 10, 5, 9])  # 4 P, 2 passive, 3 D of 9: NPS 100/9
    b = np.array([10, 10, 9, 9, 9, 8, 2, -1])  # 5 P, 1 passive, 1 D of 7: NPS 400/7
    va = (4 / 9 + 3 / 9 - (1 / 9) ** 2) / 9
    vb = (5 / 7 + 1 / 7 - (4 / 7) ** 2) / 7
    se = 100 * math.sqrt(va + vb)
    c = compare_nps(a, b)
    assert isinstance(c, Comparison) and c.test == "wald_z"
    assert c.baseline == pytest.approx(100 / 9) and c.follow_up == pytest.approx(400 / 7)
    assert c.change == pytest.approx(400 / 7 - 100 / 9, rel=REL)
    z = (400 / 7 - 100 / 9) / se
    assert c.statistic == pytest.approx(z, rel=REL)
    assert c.p == pytest.approx(2 * stats.norm.sf(abs(z)), rel=REL)
    assert c.ci_low == pytest.approx(c.change - 1.959963984540054 * se, rel=REL)
    assert (c.n1, c.n2, c.small_n) == (9, 7, True)


@pytest.mark.parametrize("seed", SEEDS)
def test_nps_change_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.integers(-1, 11, 700), rng.integers(-1, 11, 500)
    ra, rb = nps(a), nps(b)
    c = compare_nps(a, b)
    assert not isinstance(ra, NotComputable) and not isinstance(rb, NotComputable)
    assert isinstance(c, Comparison)
    assert close(c.change, rb.nps - ra.nps, abs_=1e-9)
    assert close(c.statistic, (rb.nps - ra.nps) / math.hypot(ra.se, rb.se))


def test_nps_change_degenerate() -> None:
    allp = np.array([10, 9, 10])
    z = compare_nps(allp, allp)
    assert isinstance(z, NotComputable) and "zero variance" in z.reason
    assert isinstance(compare_nps(np.array([-1, -1]), allp), NotComputable)
    assert isinstance(compare_nps(allp, None), NotComputable)


def test_stored_small_integer_dtypes_give_identical_results() -> None:
    rng = np.random.default_rng(21)
    a = rng.choice([0, 1, 2, 3, 4, 5, 9], 3000)
    b = rng.choice([0, 1, 2, 3, 4, 5, 9], 2000)
    for dtype in (np.int8, np.uint8, np.int16, np.int32):
        assert compare_ordinal(a.astype(dtype), b.astype(dtype), 5) == compare_ordinal(a, b, 5)
        assert compare_percent_positive(a.astype(dtype), b.astype(dtype), 5, reverse=True) == (
            compare_percent_positive(a, b, 5, reverse=True)
        )
        ma, mb = a.reshape(-1, 5), b.reshape(-1, 5)
        assert compare_composite(ma.astype(dtype), mb.astype(dtype), 5, [True] + [False] * 4) == (
            compare_composite(ma, mb, 5, [True] + [False] * 4)
        )
    n = rng.integers(-1, 11, 500)
    assert compare_nps(n.astype(np.int8), n[::-1].astype(np.int8)) == compare_nps(n, n[::-1])

"""Indicators: descriptive precision with the FPC, sample sizes, weights and Kish n_eff."""

from __future__ import annotations

import math

import numpy as np
import pytest

from survey_service.indicators import (
    Estimate,
    NotComputable,
    PostStratWeights,
    fpc,
    kish_n_eff,
    margin_of_error,
    mean_estimate,
    poststratification_weights,
    proportion_estimate,
    required_sample_size,
    wilson_interval,
)

Z = 1.959963984540054


def test_fpc_and_moe_hand() -> None:
    assert fpc(50, None) == 1.0
    assert fpc(50, 200) == pytest.approx(math.sqrt(150 / 199))
    assert fpc(120, 120) == 0.0
    moe = margin_of_error(0.6, 50, 200)
    assert moe == pytest.approx(Z * math.sqrt(0.24 / 50) * math.sqrt(150 / 199), rel=1e-12)
    with pytest.raises(ValueError, match="larger than the population"):
        fpc(121, 120)


def test_required_sample_size_hand() -> None:
    # n0 = 1.96²·0.25/0.05² = 384.15 -> 385; with N = 1000: 384.15/(1 + 383.15/1000) = 277.7
    assert required_sample_size(0.05) == 385
    assert required_sample_size(0.05, population=1000) == 278
    n0 = Z**2 * 0.25 / 0.05**2
    assert required_sample_size(0.05, population=120) == math.ceil(n0 / (1 + (n0 - 1) / 120))


def test_mean_estimate_vs_numpy_with_fpc() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(60, 10, 80)
    e = mean_estimate(x, population=110)
    assert isinstance(e, Estimate)
    se = x.std(ddof=1) / math.sqrt(80) * math.sqrt(30 / 109)
    assert e.se == pytest.approx(se, rel=1e-9)
    from scipy import stats

    t = stats.t.ppf(0.975, 79)
    assert e.ci_low == pytest.approx(x.mean() - t * se, rel=1e-9)
    census = mean_estimate(x, population=80)
    assert isinstance(census, Estimate) and census.se == 0.0 and census.fpc == 0.0


def test_weighted_mean_estimate_vs_numpy_average() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(50, 12, 500)
    x[::17] = np.nan  # respondents without a composite are dropped with their weights
    w = rng.uniform(0.3, 3, 500)
    e = mean_estimate(x, weights=w)
    keep = ~np.isnan(x)
    assert isinstance(e, Estimate)
    assert e.value == pytest.approx(np.average(x[keep], weights=w[keep]), rel=1e-9)
    n_eff = w[keep].sum() ** 2 / (w[keep] ** 2).sum()
    assert e.n_eff == pytest.approx(n_eff, rel=1e-9) and e.n == int(keep.sum())
    var = np.cov(x[keep], aweights=w[keep], ddof=1)
    assert e.se == pytest.approx(math.sqrt(var / n_eff), rel=1e-9)


def test_proportion_estimate_wilson_and_wald_moe() -> None:
    e = proportion_estimate(0.6, 50, population=200)
    assert isinstance(e, Estimate)
    f = math.sqrt(150 / 199)
    assert e.moe == pytest.approx(100 * margin_of_error(0.6, 50, 200), rel=1e-12)
    lo, hi = wilson_interval(0.6, 50 / f**2)
    assert (e.ci_low, e.ci_high) == pytest.approx((100 * lo, 100 * hi))
    zero = proportion_estimate(0.0, 40)
    assert isinstance(zero, Estimate)
    assert zero.se == 0.0 and zero.ci_low == 0.0 and zero.ci_high > 0.0


def test_wilson_vs_statsmodels() -> None:
    from statsmodels.stats.proportion import proportion_confint

    for x, n in ((0, 10), (3, 10), (10, 10), (47, 300), (1, 2)):
        lo, hi = proportion_confint(x, n, method="wilson")
        mlo, mhi = wilson_interval(x / n, n)
        assert mlo == pytest.approx(lo, abs=1e-12) and mhi == pytest.approx(hi, abs=1e-12)


def test_precision_degenerate() -> None:
    assert isinstance(mean_estimate(np.array([])), NotComputable)
    assert isinstance(mean_estimate(np.array([5.0])), NotComputable)
    assert isinstance(mean_estimate(np.array([np.nan, np.nan])), NotComputable)
    assert isinstance(proportion_estimate(0.5, 0), NotComputable)
    assert isinstance(proportion_estimate(1.0, 1), NotComputable)
    # all weight on one respondent: n_eff = 1, no standard error
    one = mean_estimate(np.array([1.0, 2.0, 3.0]), weights=np.array([0.0, 0.0, 2.0]))
    assert isinstance(one, NotComputable)


# ---------------------------------------------------------------------------- weights


def test_poststratification_hand() -> None:
    # sample: 30 men, 70 women; population 50/50 -> w_m = 0.5/0.3, w_f = 0.5/0.7
    cells = np.array(["m"] * 30 + ["f"] * 70)
    r = poststratification_weights(cells, {"m": 0.5, "f": 0.5})
    assert isinstance(r, PostStratWeights)
    assert r.cell_weights == pytest.approx({"m": 5 / 3, "f": 5 / 7})
    assert r.weights[0] == pytest.approx(5 / 3) and r.weights[-1] == pytest.approx(5 / 7)
    assert r.n_trimmed == 0
    # Kish n_eff = (Σw)²/Σw² = 100²/(30·25/9 + 70·25/49) = 84
    assert r.n_eff == pytest.approx(84.0)
    assert kish_n_eff(r.weights) == pytest.approx(84.0)
    # weighted share of men equals the population share
    assert np.average(cells == "m", weights=r.weights) == pytest.approx(0.5)


def test_poststratification_trims_without_renormalising() -> None:
    # 95 young, 5 old; population 40/60 -> w_old = 0.6/0.05 = 12 -> trimmed to 3
    cells = np.array(["young"] * 95 + ["old"] * 5)
    r = poststratification_weights(cells, {"young": 4000, "old": 6000})  # counts are fine
    assert isinstance(r, PostStratWeights)
    assert r.cell_weights["old"] == pytest.approx(12.0)
    assert r.weights.max() == pytest.approx(3.0)
    assert r.weights.min() >= 0.3
    assert r.n_trimmed == 5
    assert r.weights[0] == pytest.approx(0.4 / 0.95)  # untouched, not rescaled


def test_poststratification_refusals() -> None:
    with pytest.raises(ValueError, match="no population share"):
        poststratification_weights(np.array(["a", "b", "x"]), {"a": 0.5, "b": 0.5})
    empty = poststratification_weights(np.array(["a", "a"]), {"a": 0.5, "b": 0.5})
    assert isinstance(empty, NotComputable) and "'b'" in empty.reason
    assert isinstance(poststratification_weights(np.array([], dtype=str), {"a": 1}), NotComputable)
    assert isinstance(kish_n_eff(np.zeros(3)), NotComputable)


def test_kish_vs_formula() -> None:
    w = np.random.default_rng(2).uniform(0.3, 3, 1000)
    assert kish_n_eff(w) == pytest.approx(w.sum() ** 2 / (w**2).sum(), rel=1e-12)
    assert kish_n_eff(np.ones(10)) == pytest.approx(10.0)

"""Indicators: citizen (C1-C7) and staff (S1, S2, S4) indicators, by hand and vs numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest

from survey_service.indicators import (
    NotComputable,
    NPSResult,
    PositiveAndMean,
    acsi_style_index,
    csat,
    csqi,
    driver_score,
    effort_score,
    engagement_index,
    nps,
    response_rate,
    theme_score,
)

TOL = 1e-9
Z = 1.959963984540054


def test_csat_hand() -> None:
    # codes 5, 4, 4, 3, 2, 9 (don't know), 0 (missing): 5 valid, 3 with x >= 4 -> 60 %
    r = csat(np.array([5, 4, 4, 3, 2, 9, 0]))
    assert isinstance(r, PositiveAndMean)
    assert r.percent.value == pytest.approx(60.0, abs=TOL)
    assert r.percent.n == 5 and r.n_dont_know == 1 and r.n_missing == 1
    assert r.percent.se == pytest.approx(100 * math.sqrt(0.6 * 0.4 / 5), abs=TOL)
    assert r.percent.moe == pytest.approx(Z * 100 * math.sqrt(0.6 * 0.4 / 5), abs=TOL)
    # mean x = 18/5 = 3.6; variance (1.96 + 0.16 + 0.16 + 0.36 + 2.56)/4 = 1.3
    assert r.mean.value == pytest.approx(3.6, abs=TOL)
    assert r.mean.se == pytest.approx(math.sqrt(1.3 / 5), abs=TOL)


def test_csat_wilson_interval_hand() -> None:
    # 3 of 5: Wilson centre (p + z²/2n)/(1 + z²/n), half z/(1 + z²/n)·sqrt(p(1-p)/n + z²/4n²)
    r = csat(np.array([5, 4, 4, 3, 2]))
    assert isinstance(r, PositiveAndMean)
    p, n = 0.6, 5
    d = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / d
    half = Z / d * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    assert r.percent.ci_low == pytest.approx(100 * (centre - half), abs=TOL)
    assert r.percent.ci_high == pytest.approx(100 * (centre + half), abs=TOL)


def test_csat_with_population_fpc() -> None:
    codes = np.array([5, 4, 4, 3, 2])
    r = csat(codes, population=20)
    assert isinstance(r, PositiveAndMean)
    f = math.sqrt((20 - 5) / (20 - 1))
    assert r.percent.fpc == pytest.approx(f)
    assert r.percent.se == pytest.approx(100 * math.sqrt(0.24 / 5) * f, abs=TOL)
    assert r.mean.se == pytest.approx(math.sqrt(1.3 / 5) * f, abs=TOL)


def test_csat_weighted_vs_numpy_average() -> None:
    rng = np.random.default_rng(8)
    codes = rng.choice([0, 1, 2, 3, 4, 5, 9], 600)
    w = rng.uniform(0.3, 3, 600)
    r = csat(codes, weights=w)
    ok = (codes >= 1) & (codes <= 5)
    v, wv = codes[ok], w[ok]
    n_eff = wv.sum() ** 2 / (wv**2).sum()
    assert isinstance(r, PositiveAndMean)
    p = np.average(v >= 4, weights=wv)
    assert r.percent.value == pytest.approx(100 * p, rel=TOL)
    assert r.percent.n_eff == pytest.approx(n_eff, rel=TOL)
    assert r.percent.se == pytest.approx(100 * math.sqrt(p * (1 - p) / n_eff), rel=TOL)
    assert r.mean.value == pytest.approx(np.average(v, weights=wv), rel=TOL)
    var = np.cov(v.astype(float), aweights=wv, ddof=1)
    assert r.mean.se == pytest.approx(math.sqrt(var / n_eff), rel=TOL)


def test_effort_score_seven_point() -> None:
    # codes 7, 6, 5, 4, 1, 0: 5 valid, 3 agree (5-7) -> 60 %, mean 23/5
    r = effort_score(np.array([7, 6, 5, 4, 1, 0]))
    assert isinstance(r, PositiveAndMean)
    assert r.percent.value == pytest.approx(60.0)
    assert r.mean.value == pytest.approx(23 / 5)
    with pytest.raises(ValueError, match="code 8"):
        effort_score(np.array([8, 1]))


def test_csat_degenerate() -> None:
    assert isinstance(csat(None), NotComputable)
    dk = csat(np.array([9, 9, 9]))
    assert isinstance(dk, NotComputable) and "don't know" in dk.reason
    one = csat(np.array([5, 9, 0]))
    assert isinstance(one, NotComputable) and "one valid answer" in one.reason
    assert isinstance(csat(np.array([], dtype=int)), NotComputable)
    # zero variance is a real (if uninformative) estimate: everyone said 5
    same = csat(np.array([5, 5, 5]))
    assert isinstance(same, PositiveAndMean) and same.percent.value == 100.0
    assert same.mean.se == 0.0 and same.percent.ci_low < 100.0


def test_nps_hand() -> None:
    # valid 10, 9, 8, 7, 6, 0, 10, 5, 9 (n = 9): promoters 4, passives 2, detractors 3
    r = nps(np.array([10, 9, 8, 7, 6, 0, -1, 10, 5, 9]))
    assert isinstance(r, NPSResult)
    assert r.nps == pytest.approx(100 / 9, abs=TOL)
    # Var(NPS/100) = (4/9 + 3/9 - (1/9)²)/9 = 62/729
    assert r.se == pytest.approx(100 * math.sqrt(62 / 729), abs=TOL)
    assert r.ci_low == pytest.approx(100 / 9 - Z * r.se, abs=TOL)
    assert (r.n, r.n_promoters, r.n_passives, r.n_detractors, r.n_missing) == (9, 4, 2, 3, 1)
    assert r.pct_promoters + r.pct_passives + r.pct_detractors == pytest.approx(100.0)


def test_nps_random_vs_numpy_and_weights() -> None:
    rng = np.random.default_rng(12)
    codes = rng.integers(-1, 11, 5000)
    v = codes[codes >= 0]
    pp, pd = (v >= 9).mean(), (v <= 6).mean()
    r = nps(codes)
    assert isinstance(r, NPSResult)
    assert r.nps == pytest.approx(100 * (pp - pd), rel=TOL)
    assert r.se == pytest.approx(100 * math.sqrt((pp + pd - (pp - pd) ** 2) / v.size), rel=TOL)
    w = rng.uniform(0.3, 3, 5000)
    rw = nps(codes, weights=w, population=20000)
    wv = w[codes >= 0]
    pp, pd = np.average(v >= 9, weights=wv), np.average(v <= 6, weights=wv)
    n_eff = wv.sum() ** 2 / (wv**2).sum()
    f = math.sqrt((20000 - n_eff) / 19999)
    assert isinstance(rw, NPSResult)
    assert rw.nps == pytest.approx(100 * (pp - pd), rel=TOL)
    assert rw.se == pytest.approx(100 * math.sqrt((pp + pd - (pp - pd) ** 2) / n_eff) * f, rel=TOL)


def test_nps_degenerate_and_invalid() -> None:
    assert isinstance(nps(None), NotComputable)
    assert isinstance(nps(np.array([-1, -1])), NotComputable)
    assert isinstance(nps(np.array([10])), NotComputable)
    with pytest.raises(ValueError, match="NPS code 11"):
        nps(np.array([11, 3]))
    with pytest.raises(ValueError, match="NPS code -2"):
        nps(np.array([-2, 3]))


def test_engagement_index_hand() -> None:
    # five 5-point items, s = 25(x - 1): R1 all 5 -> 100; R2 4,4,4,3,3 -> (75·3 + 50·2)/5 = 65;
    # R3 1,1,1,1,1 -> 0; R4 only 2 of 5 valid -> excluded. EEI = (100 + 65 + 0)/3 = 55
    m = np.array([[5, 5, 5, 5, 5], [4, 4, 4, 3, 3], [1, 1, 1, 1, 1], [4, 9, 9, 0, 5]])
    e = engagement_index(m)
    assert not isinstance(e, NotComputable)
    assert e.value == pytest.approx(55.0, abs=TOL) and e.n == 3
    # it is a mean score, not the % of engaged staff
    assert e.value != pytest.approx(100 * 2 / 3)


def test_csqi_and_driver_are_composite_means() -> None:
    m = np.array([[5, 4, 3], [2, 2, 9], [1, 0, 0]])  # R = 75, 25, (1 of 3 valid) excluded
    for f in (csqi, driver_score):
        r = f(m)
        assert not isinstance(r, NotComputable)
        assert r.value == pytest.approx(50.0) and r.n == 2
    assert isinstance(csqi(None), NotComputable)


def test_theme_score_gsi_style() -> None:
    cols = [
        np.array([4, 5, 2, 9]),
        np.array([1, 2, 3, 4]),
        np.array([5, 5, 5, 0]),
        np.array([3, 4]),
    ]
    # P_j = 200/3, 25, 100, 50 -> mean
    t = theme_score(cols)
    assert not isinstance(t, NotComputable)
    assert t.value == pytest.approx((200 / 3 + 25 + 100 + 50) / 4, abs=TOL)


def test_response_rate() -> None:
    r = response_rate(356_715, 549_574)
    assert not isinstance(r, NotComputable)
    assert round(r.rate) == 65  # CSPS 2023
    rp = response_rate(40, 100, partials=5)
    assert not isinstance(rp, NotComputable)
    assert (rp.rate, rp.rate_with_partials) == (40.0, 45.0)
    z = response_rate(0, 0)
    assert isinstance(z, NotComputable) and "eligible" in z.reason
    with pytest.raises(ValueError):
        response_rate(10, 5)


def test_acsi_style_index_hand() -> None:
    # item means 10, 5.5, 1 -> 100·(1/3)(9/9 + 4.5/9 + 0/9) = 50
    cols = [np.array([10, 10]), np.array([9, 2, 0]), np.array([1, 1])]
    assert acsi_style_index(cols) == pytest.approx(50.0)
    assert isinstance(acsi_style_index([cols[0], None, cols[2]]), NotComputable)
    assert isinstance(acsi_style_index([cols[0], np.array([0, 0]), cols[2]]), NotComputable)

"""The change adjusted for who answered (#19 §1): direct standardisation, OLS and logit AME with
SEs clustered by fieldwork day against statsmodels, on data whose crude change is entirely a
change of mix; and the Kitagawa split summing to the crude change."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from survey_service.indicators.adjust_mix import (
    AdjustedChange,
    collapse_cells,
    kitagawa_split,
    regression_adjust,
    standardise,
)
from survey_service.indicators.result import NotComputable

SERVICE_MEAN = {"tax": 40.0, "civil": 70.0, "building": 55.0}
MODE_SHIFT = {"paper": -5.0, "web": 5.0}


def mix_only(seed: int = 1) -> dict[str, np.ndarray]:
    """Two waves with the same scores within every service × mode cell (additive means, noise
    centred in every cell and wave) but a different mix: tax 60 % of the baseline, 20 % of
    the follow-up; paper mostly at baseline. Every difference of the waves is mix."""
    rng = np.random.default_rng(seed)
    shares = {False: {"tax": 0.6, "civil": 0.2, "building": 0.2},
              True: {"tax": 0.2, "civil": 0.5, "building": 0.3}}
    paper = {False: 0.7, True: 0.3}
    y, wave, service, mode = [], [], [], []
    noise = np.array([-20.0, -10.0, 0.0, 10.0, 20.0])
    for w in (False, True):
        for s, share in shares[w].items():
            for m, mshare in (("paper", paper[w]), ("web", 1 - paper[w])):
                n = 5 * round(400 * share * mshare / 5)
                y += list(SERVICE_MEAN[s] + MODE_SHIFT[m] + np.tile(noise, n // 5))
                wave += [w] * n
                service += [s] * n
                mode += [m] * n
    day = rng.integers(0, 40, len(y)).astype(str)
    return {"y": np.array(y), "wave": np.array(wave), "service": np.array(service),
            "mode": np.array(mode), "day": day}


def binary_mix_only() -> dict[str, np.ndarray]:
    """% positive: 30 % among tax visitors, 80 % among the rest, in both waves."""
    y, wave, service = [], [], []
    for w, n_tax, n_other in ((False, 300, 200), (True, 100, 400)):
        for s, n, rate in (("tax", n_tax, 0.3), ("other", n_other, 0.8)):
            positive = round(n * rate)
            y += [1.0] * positive + [0.0] * (n - positive)
            wave += [w] * n
            service += [s] * n
    rng = np.random.default_rng(5)
    return {"y": np.array(y), "wave": np.array(wave), "service": np.array(service),
            "day": rng.integers(0, 30, len(y)).astype(str)}


def _design(d: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    cols = [np.ones(d["y"].size), d["wave"].astype(float)]
    for name in names:
        levels = sorted(set(d[name].tolist()))
        cols += [(d[name] == lv).astype(float) for lv in levels[1:]]
    return np.column_stack(cols)


def test_mix_only_data_has_a_crude_change_and_no_adjusted_one() -> None:
    d = mix_only()
    covs = {"service": d["service"], "mode": d["mode"]}
    st = standardise(d["y"], d["wave"], covs, d["day"])
    ols = regression_adjust(d["y"], d["wave"], covs, d["day"])
    assert isinstance(st, AdjustedChange) and isinstance(ols, AdjustedChange)
    assert st.crude > 10  # a better mix, not a better service
    assert st.change == pytest.approx(0, abs=1e-9)
    assert ols.change == pytest.approx(0, abs=1e-9)
    assert st.ci_low < 0 < st.ci_high and st.p > 0.99
    split = kitagawa_split(d["y"], d["wave"], [f"{s}/{m}" for s, m in zip(
        d["service"], d["mode"], strict=True)])
    assert not isinstance(split, NotComputable)
    assert split.within == pytest.approx(0, abs=1e-9)
    assert split.mix == pytest.approx(st.crude, abs=1e-9)


def test_ols_matches_statsmodels_cluster() -> None:
    d = mix_only(2)
    rng = np.random.default_rng(3)
    d["y"] = d["y"] + rng.normal(0, 10, d["y"].size) + 3 * d["wave"]  # a real change of 3
    got = regression_adjust(d["y"], d["wave"], {"service": d["service"], "mode": d["mode"]},
                            d["day"])
    fit = sm.OLS(d["y"], _design(d, ["service", "mode"])).fit(
        cov_type="cluster", cov_kwds={"groups": np.unique(d["day"], return_inverse=True)[1]},
        use_t=True)
    assert isinstance(got, AdjustedChange) and got.method == "ols"
    assert got.change == pytest.approx(fit.params[1], abs=1e-9)
    assert got.se == pytest.approx(fit.bse[1], rel=1e-9)
    assert got.p == pytest.approx(fit.pvalues[1], rel=1e-7)
    assert (got.ci_low, got.ci_high) == pytest.approx(tuple(fit.conf_int()[1]), rel=1e-9)
    assert got.clusters == 40


def test_standardisation_matches_saturated_statsmodels_contrast() -> None:
    d = mix_only(4)
    rng = np.random.default_rng(4)
    d["y"] = d["y"] + rng.normal(0, 10, d["y"].size)
    cells = np.array([f"{s}/{m}" for s, m in zip(d["service"], d["mode"], strict=True)])
    got = standardise(d["y"], d["wave"], {"service": d["service"], "mode": d["mode"]},
                      d["day"], min_cell=1)
    levels = sorted(set(cells.tolist()))
    x = np.column_stack([((cells == c) & (d["wave"] == w)).astype(float)
                         for c in levels for w in (False, True)])
    fit = sm.OLS(d["y"], x).fit(cov_type="cluster", use_t=True,
                                cov_kwds={"groups": np.unique(d["day"], return_inverse=True)[1]})
    w = np.array([(cells == c).mean() for c in levels])
    contrast = np.zeros(x.shape[1])
    contrast[1::2], contrast[0::2] = w, -w
    test = fit.t_test(contrast)
    assert isinstance(got, AdjustedChange)
    assert got.change == pytest.approx(float(test.effect[0]), abs=1e-9)
    assert got.se == pytest.approx(float(test.sd[0, 0]), rel=1e-9)
    assert got.p == pytest.approx(float(test.pvalue), rel=1e-7)
    # by hand: Σ w_c ȳ_c per wave
    by_hand = [sum(wc * d["y"][(cells == c) & (d["wave"] == v)].mean()
                   for wc, c in zip(w, levels, strict=True)) for v in (False, True)]
    assert (got.baseline, got.follow_up) == pytest.approx(by_hand, abs=1e-9)


def test_logit_ame_matches_statsmodels_get_margeff() -> None:
    rng = np.random.default_rng(7)
    d = mix_only(7)
    logit_p = -0.5 + 0.4 * d["wave"] + (d["service"] == "civil") * 1.0 - (d["mode"] == "web") * 0.3
    d["y"] = (rng.uniform(size=d["y"].size) < 1 / (1 + np.exp(-logit_p))).astype(float)
    got = regression_adjust(d["y"], d["wave"], {"service": d["service"], "mode": d["mode"]},
                            d["day"], binary=True)
    groups = np.unique(d["day"], return_inverse=True)[1]
    fit = sm.Logit(d["y"], _design(d, ["service", "mode"])).fit(
        disp=0, cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    margeff = fit.get_margeff(at="overall", dummy=True)
    assert isinstance(got, AdjustedChange) and got.method == "logit"
    assert got.change == pytest.approx(100 * margeff.margeff[0], rel=1e-6)
    assert got.se == pytest.approx(100 * margeff.margeff_se[0], rel=1e-6)
    assert got.crude == pytest.approx(100 * (d["y"][d["wave"]].mean()
                                             - d["y"][~d["wave"]].mean()), abs=1e-9)


def test_logit_on_mix_only_percentages_is_zero() -> None:
    d = binary_mix_only()
    got = regression_adjust(d["y"], d["wave"], {"service": d["service"]}, d["day"], binary=True)
    st = standardise(d["y"] * 100, d["wave"], {"service": d["service"]}, d["day"])
    assert isinstance(got, AdjustedChange) and isinstance(st, AdjustedChange)
    assert got.crude == pytest.approx(20.0, abs=1e-9)  # 50 % → 70 % positive
    assert got.change == pytest.approx(0, abs=1e-6)
    assert st.change == pytest.approx(0, abs=1e-9)


def test_logit_that_does_not_converge_falls_back_and_says_so() -> None:
    d = binary_mix_only()
    d["y"][d["service"] == "other"] = 1.0  # every "other" visitor positive: separation
    got = regression_adjust(d["y"], d["wave"], {"service": d["service"]}, d["day"], binary=True)
    assert isinstance(got, AdjustedChange) and got.method == "linear probability"
    assert "did not converge" in got.note


def test_kitagawa_sums_to_the_crude_change() -> None:
    rng = np.random.default_rng(11)
    n = 900
    wave = rng.uniform(size=n) < 0.5
    cells = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    cells[wave & (cells == "d")] = "e"  # a cell of one wave only
    y = rng.normal(50, 20, n) + 5 * wave + (cells == "a") * 10
    split = kitagawa_split(y, wave, cells)
    assert not isinstance(split, NotComputable)
    assert split.mix + split.within == pytest.approx(split.crude, abs=1e-12)
    assert split.crude == pytest.approx(y[wave].mean() - y[~wave].mean(), abs=1e-12)


def test_kitagawa_with_a_cell_whose_respondents_have_no_value() -> None:
    """An indicator asked of some only (e.g. finished matters): a cell of the adjustment
    variables in which nobody has a value still gives a split (it was NaN + NaN)."""
    rng = np.random.default_rng(12)
    n = 600
    wave = rng.uniform(size=n) < 0.5
    cells = rng.choice(["a", "b", "c"], n)
    y = rng.normal(50, 20, n) + 4 * wave
    y[cells == "a"] = np.nan  # nobody in cell a (not the last code) was asked
    split = kitagawa_split(y, wave, cells)
    assert not isinstance(split, NotComputable)
    assert np.isfinite(split.mix) and np.isfinite(split.within) and split.cells == 2
    assert split.mix + split.within == pytest.approx(split.crude, abs=1e-12)
    ok = ~np.isnan(y)
    assert split.crude == pytest.approx(y[wave & ok].mean() - y[~wave & ok].mean(), abs=1e-12)


def test_small_cells_are_collapsed_and_named() -> None:
    service = np.array(["tax"] * 60 + ["civil"] * 60 + ["rare"] * 10)
    mode = np.array(["web", "paper"] * 65)
    wave = np.tile([False, False, True, True], 33)[:130]
    cells = collapse_cells({"service": service, "mode": mode}, wave, min_cell=10)
    assert "service=rare, mode=web" in cells.collapsed
    assert "service=rare, mode=paper" in cells.collapsed
    assert all(c.count("=") == 2 for c in cells.labels[:120])  # big cells kept whole
    # the rare cells went to service=rare, then (still small) to the largest cell
    assert set(cells.labels[120:]) <= set(cells.labels[:120])
    st = standardise(np.arange(130.0), wave, {"service": service, "mode": mode},
                     np.arange(130) % 7, min_cell=10)
    assert isinstance(st, AdjustedChange) and "collapsed" in st.note


def test_not_computable_inputs() -> None:
    y = np.array([1.0, 2.0, 3.0, 4.0])
    wave = np.array([False, False, True, True])
    assert isinstance(standardise(y, wave, {}, ["d1"] * 4), NotComputable)  # one day
    assert isinstance(regression_adjust(y[:3], wave[:3], {}, None), NotComputable)
    confounded = regression_adjust(y, wave, {"mode": np.array(["p", "p", "w", "w"])}, None)
    assert isinstance(confounded, NotComputable) and "confounded" in confounded.reason

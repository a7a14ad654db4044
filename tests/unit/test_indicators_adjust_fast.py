"""The adjusted change fitted on covariate patterns (issue #11, fast path) equals statsmodels'
row-by-row fits to 1e-8 relative on random data: OLS and the linear probability model with
day-clustered SEs, the logit's average marginal effect with its delta-method SE, the
standardised contrast; and the edge cases (a variable with one group, a group of one
respondent, perfect separation, all-positive cells, one fieldwork day, no days at all, a wave
confounded with a variable)."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from survey_service.indicators.adjust_mix import (
    AdjustedChange,
    collapse_cells,
    regression_adjust,
    standardise,
)
from survey_service.indicators.result import NotComputable

REL = 1e-8


def _data(seed: int, n: int = 1500, days: int = 25) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    wave = rng.uniform(size=n) < 0.45
    service = rng.choice(["tax", "civil", "building", "social"], n, p=[0.4, 0.3, 0.2, 0.1])
    org = rng.integers(0, 3, n)  # integer codes, as reports/mix.py passes them
    mode = rng.choice(["paper", "web", "kiosk"], n, p=[0.3, 0.5, 0.2])
    day = rng.integers(0, days, n)
    y = (50 + 8 * wave + 10 * (service == "civil") - 6 * (mode == "web") + 3 * org
         + rng.normal(0, 15, n))
    return {"y": y, "wave": wave, "service": service, "org": org, "mode": mode, "day": day}


def _design(d: dict[str, np.ndarray], names: list[str]) -> np.ndarray:
    cols = [np.ones(d["y"].size), d["wave"].astype(float)]
    for name in names:
        levels = np.unique(d[name])
        cols += [(d[name] == lv).astype(float) for lv in levels[1:]]
    return np.column_stack(cols)


def _groups(day: np.ndarray) -> np.ndarray:
    return np.unique(day, return_inverse=True)[1].reshape(-1)


def _covs(d: dict[str, np.ndarray], names: list[str]) -> dict[str, np.ndarray]:
    return {k: d[k] for k in names}


def _check_ols(got: AdjustedChange | NotComputable, y: np.ndarray, x: np.ndarray,
               groups: np.ndarray, scale: float = 1.0) -> None:
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    assert isinstance(got, AdjustedChange)
    assert got.change == pytest.approx(scale * fit.params[1], rel=REL)
    assert got.se == pytest.approx(scale * fit.bse[1], rel=REL)
    assert got.p == pytest.approx(fit.pvalues[1], rel=REL)
    low, high = fit.conf_int()[1]
    assert (got.ci_low, got.ci_high) == pytest.approx((scale * low, scale * high), rel=REL)
    assert got.clusters == np.unique(groups).size


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("names", [["service"], ["service", "org", "mode"]])
def test_ols_equals_statsmodels_cluster(seed: int, names: list[str]) -> None:
    d = _data(seed)
    got = regression_adjust(d["y"], d["wave"], _covs(d, names), d["day"])
    assert isinstance(got, AdjustedChange) and got.method == "ols"
    _check_ols(got, d["y"], _design(d, names), _groups(d["day"]))


def test_ols_with_missing_outcomes_and_respondents_without_a_day() -> None:
    d = _data(4)
    d["y"][::17] = np.nan
    day = d["day"].astype(str)
    day[::13] = ""  # no day: each is its own cluster
    got = regression_adjust(d["y"], d["wave"], _covs(d, ["service", "mode"]), day)
    ok = ~np.isnan(d["y"])
    kept = {k: v[ok] for k, v in d.items()}
    groups = np.where(day[ok] == "", -1 - np.arange(ok.sum()), _groups(day[ok]))
    _check_ols(got, kept["y"], _design(kept, ["service", "mode"]), _groups(groups))


def test_no_days_means_every_respondent_is_a_cluster() -> None:
    d = _data(5, n=400)
    got = regression_adjust(d["y"], d["wave"], _covs(d, ["service"]), None)
    _check_ols(got, d["y"], _design(d, ["service"]), np.arange(d["y"].size))


def test_a_variable_with_one_group_and_a_group_of_one() -> None:
    d = _data(6)
    d["mode"] = np.full(d["y"].size, "web")  # one group: no column
    d["service"][7] = "lonely"  # one respondent in a group
    names = ["service", "mode"]
    got = regression_adjust(d["y"], d["wave"], _covs(d, names), d["day"])
    _check_ols(got, d["y"], _design(d, ["service"]), _groups(d["day"]))


def test_collinear_variables_drop_the_redundant_columns() -> None:
    d = _data(7)
    d["copy"] = np.where(d["service"] == "tax", "T", "O")  # a function of service
    got = regression_adjust(d["y"], d["wave"], _covs(d, ["service", "copy"]), d["day"])
    _check_ols(got, d["y"], _design(d, ["service"]), _groups(d["day"]))


def _binary(seed: int, n: int = 2000) -> dict[str, np.ndarray]:
    d = _data(seed, n)
    rng = np.random.default_rng(seed + 100)
    eta = -0.3 + 0.5 * d["wave"] + 0.8 * (d["service"] == "civil") - 0.4 * (d["mode"] == "web")
    d["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    return d


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_logit_ame_equals_statsmodels_margins(seed: int) -> None:
    d = _binary(seed)
    names = ["service", "org", "mode"]
    got = regression_adjust(d["y"], d["wave"], _covs(d, names), d["day"], binary=True)
    fit = sm.Logit(d["y"], _design(d, names)).fit(
        method="newton", maxiter=100, tol=1e-14, disp=0, cov_type="cluster",
        cov_kwds={"groups": _groups(d["day"])}, use_t=True)
    margeff = fit.get_margeff(at="overall", dummy=True)
    assert isinstance(got, AdjustedChange) and got.method == "logit"
    assert got.change == pytest.approx(100 * margeff.margeff[0], rel=REL)
    assert got.se == pytest.approx(100 * margeff.margeff_se[0], rel=REL)
    assert got.clusters == np.unique(d["day"]).size


@pytest.mark.parametrize("how", ["separation", "all positive"])
def test_logit_without_an_estimate_falls_back_to_the_linear_probability_model(how: str) -> None:
    d = _binary(14)
    if how == "separation":
        d["y"][d["service"] == "social"] = 1.0  # a group that answered all alike
    else:
        d["y"][:] = 1.0
        d["y"][:40] = 0.0  # only in a few baseline or follow-up cells
        d["y"][d["service"] != "tax"] = 1.0
    got = regression_adjust(d["y"], d["wave"], _covs(d, ["service", "mode"]), d["day"],
                            binary=True)
    assert isinstance(got, AdjustedChange) and got.method == "linear probability"
    _check_ols(got, d["y"], _design(d, ["service", "mode"]), _groups(d["day"]), scale=100.0)


def test_one_fieldwork_day_and_a_confounded_wave_are_not_computable() -> None:
    d = _data(15, n=300)
    one = regression_adjust(d["y"], d["wave"], _covs(d, ["service"]), np.zeros(300, int))
    assert isinstance(one, NotComputable) and "one fieldwork day" in one.reason
    st = standardise(d["y"], d["wave"], _covs(d, ["service"]), np.zeros(300, int))
    assert isinstance(st, NotComputable)
    d["same"] = np.where(d["wave"], "b", "a")
    confounded = regression_adjust(d["y"], d["wave"], _covs(d, ["same"]), d["day"])
    assert isinstance(confounded, NotComputable) and "confounded" in confounded.reason


@pytest.mark.parametrize("seed", [21, 22])
def test_standardised_contrast_equals_the_saturated_statsmodels_model(seed: int) -> None:
    d = _data(seed)
    names = ["service", "org"]
    got = standardise(d["y"], d["wave"], _covs(d, names), d["day"], min_cell=1)
    cells = collapse_cells(_covs(d, names), d["wave"], 1).labels
    levels = np.unique(cells)
    x = np.column_stack([((cells == c) & (d["wave"] == w)).astype(float)
                         for c in levels for w in (False, True)])
    fit = sm.OLS(d["y"], x).fit(cov_type="cluster", use_t=True,
                                cov_kwds={"groups": _groups(d["day"])})
    w = np.array([(cells == c).mean() for c in levels])
    contrast = np.zeros(x.shape[1])
    contrast[1::2], contrast[0::2] = w, -w
    test = fit.t_test(contrast)
    assert isinstance(got, AdjustedChange)
    assert got.change == pytest.approx(float(test.effect[0]), rel=REL)
    assert got.se == pytest.approx(float(test.sd[0, 0]), rel=REL)
    assert got.p == pytest.approx(float(test.pvalue), rel=REL)


def test_collapsed_cells_match_a_row_by_row_count() -> None:
    d = _data(23, n=600)
    covs = _covs(d, ["service", "org", "mode"])
    cells = collapse_cells(covs, d["wave"], 20)
    for code in range(len(cells.names)):
        inside = cells.codes == code
        assert min(int((inside & d["wave"]).sum()), int((inside & ~d["wave"]).sum())) >= 20
    assert cells.collapsed  # some of the 36 combinations had to be merged

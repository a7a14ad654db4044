"""Issue 19 §4: the difference-in-differences against a comparison group equals the
interaction of OLS y ~ wave × group in statsmodels, with SEs clustered by fieldwork day within
group (or HC1 without days), to 1e-8."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from survey_service.indicators.did import DiD, difference_in_differences
from survey_service.indicators.result import NotComputable


def _data(binary: bool, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    sizes = (140, 160, 90, 110)  # project baseline, follow-up; comparison baseline, follow-up
    wave = np.concatenate([np.full(n, i % 2, dtype=bool) for i, n in enumerate(sizes)])
    group = np.concatenate([np.full(n, i >= 2, dtype=bool) for i, n in enumerate(sizes)])
    days = np.asarray([f"2026-0{3 + 6 * int(w)}-{rng.integers(1, 12):02d}" for w in wave])
    days[rng.random(days.size) < 0.05] = ""  # a few paper forms without a day
    shift = 8 * wave + 3 * group + 5 * (wave & group)
    if binary:
        y = (rng.random(wave.size) < 0.55 + shift / 100).astype(float)
    else:
        y = np.clip(rng.normal(60 + shift, 18), 0, 100)
    y[rng.random(y.size) < 0.03] = np.nan  # no value: left out
    return y, wave, group, days


def _statsmodels(y: np.ndarray, wave: np.ndarray, group: np.ndarray,
                 days: np.ndarray | None) -> tuple[float, float, float, float, float]:
    ok = ~np.isnan(y)
    project = ~group  # the "treated" group: its interaction with the wave is the DiD
    x = sm.add_constant(np.column_stack([wave, project, wave & project]).astype(float))
    model = sm.OLS(y[ok], x[ok])
    if days is None:
        fit = model.fit(cov_type="HC1", use_t=True)
    else:
        keys = np.char.add(np.where(group, "c:", "p:"), days)[ok]
        lone = days[ok] == ""
        keys[lone] = [f"lone{i}" for i in range(int(lone.sum()))]
        clusters = np.unique(keys, return_inverse=True)[1]
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": clusters}, use_t=True)
    low, high = fit.conf_int()[3]
    return fit.params[3], fit.bse[3], low, high, fit.pvalues[3]


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("clustered", [True, False])
def test_matches_statsmodels_interaction(binary: bool, clustered: bool) -> None:
    y, wave, group, days = _data(binary)
    result = difference_in_differences(y, wave, group, days if clustered else None)
    assert isinstance(result, DiD)
    beta, se, low, high, p = _statsmodels(y, wave, group, days if clustered else None)
    assert result.did == pytest.approx(beta, abs=1e-8)
    assert result.se == pytest.approx(se, abs=1e-8)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), abs=1e-8)
    assert result.p == pytest.approx(p, abs=1e-8)
    assert result.cov_type == ("cluster" if clustered else "HC1")
    assert result.did == pytest.approx(result.project_change - result.comparison_change,
                                       abs=1e-12)
    ok = ~np.isnan(y)
    assert sum(result.n) == int(ok.sum())
    assert result.project_baseline == pytest.approx(np.nanmean(y[~wave & ~group]), abs=1e-12)


def test_points_scale_every_figure_but_the_test() -> None:
    y, wave, group, days = _data(True)
    share = difference_in_differences(y, wave, group, days)
    points = difference_in_differences(y, wave, group, days, scale=100.0)
    assert isinstance(share, DiD) and isinstance(points, DiD)
    assert points.did == pytest.approx(100 * share.did, abs=1e-10)
    assert points.ci_low == pytest.approx(100 * share.ci_low, abs=1e-10)
    assert points.comparison_follow_up == pytest.approx(100 * share.comparison_follow_up)
    assert (points.p, points.statistic) == (share.p, share.statistic)


def test_the_same_change_in_both_groups_gives_zero() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(50, 10, 200)
    y = np.concatenate([base, base + 7, base - 4, base + 3])  # both rise by 7
    wave = np.tile(np.repeat([False, True], 200), 2)
    group = np.repeat([False, True], 400)
    result = difference_in_differences(y, wave, group)
    assert isinstance(result, DiD) and result.did == pytest.approx(0, abs=1e-10)
    assert result.ci_low < 0 < result.ci_high


def test_too_few_or_one_day_is_not_computable() -> None:
    y = np.asarray([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])
    wave = np.asarray([0, 0, 1, 1, 0, 0, 1], dtype=bool)
    group = np.asarray([0, 0, 0, 0, 1, 1, 1], dtype=bool)
    assert isinstance(difference_in_differences(y, wave, group), NotComputable)
    y8, w8, g8 = np.append(y, 8.0), np.append(wave, True), np.append(group, True)
    assert isinstance(difference_in_differences(y8, w8, g8), DiD)
    assert isinstance(difference_in_differences(y8, w8, g8, np.full(8, "2026-03-02")), DiD)
    one_day = difference_in_differences(y8, w8, np.zeros(8, dtype=bool) | g8,
                                        np.where(g8, "2026-03-02", "2026-03-02"))
    assert isinstance(one_day, DiD) and one_day.clusters == 2  # a day per group

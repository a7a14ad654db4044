"""Composition of the waves (#19 §1): counts per group and Pearson's chi-square vs scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from survey_service.indicators.composition import composition


@pytest.mark.parametrize("seed", range(5))
def test_chi_square_matches_scipy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 7))
    groups = [f"g{i}" for i in range(k)]
    a = rng.choice(groups, int(rng.integers(20, 400)))
    b = rng.choice(groups, int(rng.integers(20, 400)), p=np.linspace(1, 2, k) / np.linspace(
        1, 2, k).sum())
    got = composition("service", a, b)
    table = np.array([got.baseline, got.follow_up])
    chi2, p, df, expected = stats.chi2_contingency(table, correction=False)
    assert got.chi2 == pytest.approx(chi2, rel=1e-12)
    assert got.p == pytest.approx(p, rel=1e-9)
    assert got.df == df
    assert got.sparse == bool((expected < 5).mean() > 0.2)
    assert sum(got.baseline) == a.size and sum(got.follow_up) == b.size


def test_by_hand_and_edge_cases() -> None:
    # 30/10 against 10/30: expected 20 everywhere, chi2 = 4·10²/20 = 20, df 1
    got = composition("mode", ["paper"] * 30 + ["web"] * 10, ["paper"] * 10 + ["web"] * 30)
    assert got.groups == ["paper", "web"] and got.baseline == [30, 10]
    assert got.chi2 == pytest.approx(20.0) and got.df == 1
    assert got.p == pytest.approx(stats.chi2.sf(20.0, 1))
    one = composition("organisation", ["elena"] * 5, ["elena"] * 7)
    assert one.chi2 is None and one.p is None and one.baseline == [5]
    assert composition("mode", ["web", "kiosk"], ["web", "web"]).sparse

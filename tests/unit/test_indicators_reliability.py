"""Indicators: Cronbach's alpha by hand, vs a direct numpy formula, and degenerate cases."""

from __future__ import annotations

import numpy as np
import pytest

from survey_service.indicators import NotComputable, Reliability, cronbach_alpha


def numpy_alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


def test_alpha_hand() -> None:
    # item variances 5/3, 9/4, 11/12 (sum 29/6); sums 5, 7, 11, 13: variance 40/3
    # alpha = 3/2·(1 − (29/6)/(40/3)) = 3/2·51/80 = 153/160
    m = np.array([[1, 2, 2], [2, 2, 3], [3, 4, 4], [4, 5, 4]])
    r = cronbach_alpha(m, 5)
    assert isinstance(r, Reliability)
    assert r.alpha == pytest.approx(153 / 160, abs=1e-12)
    assert (r.k, r.n_complete, r.low) == (3, 4, False)


def test_alpha_complete_cases_and_reverse() -> None:
    m = np.array([[1, 2, 4], [2, 2, 3], [3, 4, 2], [4, 5, 2], [9, 1, 1], [0, 3, 3]])
    r = cronbach_alpha(m, 5, [False, False, True])
    x = m[:4].copy()
    x[:, 2] = 6 - x[:, 2]
    assert isinstance(r, Reliability)
    assert r.n_complete == 4
    assert r.alpha == pytest.approx(numpy_alpha(x.astype(float)), abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_alpha_vs_numpy_random(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 2000)), int(rng.integers(2, 12))
    latent = rng.normal(size=(n, 1))
    x = np.clip(np.round(3 + latent + rng.normal(scale=1.2, size=(n, k))), 1, 5).astype(int)
    holes = rng.random((n, k)) < 0.05
    m = np.where(holes, rng.choice([0, 9], size=(n, k)), x)
    complete = ~holes.any(axis=1)
    r = cronbach_alpha(m, 5)
    assert isinstance(r, Reliability)
    expected = numpy_alpha(x[complete].astype(float))
    assert r.alpha == pytest.approx(expected, rel=1e-9)
    assert r.low == (expected < 0.70)


def test_alpha_flags_low() -> None:
    rng = np.random.default_rng(1)
    r = cronbach_alpha(rng.integers(1, 6, (200, 4)), 5)  # independent items: alpha ~ 0
    assert isinstance(r, Reliability) and r.low


def test_alpha_degenerate() -> None:
    one = cronbach_alpha(np.array([[1], [2], [3]]), 5)
    assert isinstance(one, NotComputable) and "at least 2 items" in one.reason
    few = cronbach_alpha(np.array([[1, 2], [9, 3], [0, 1]]), 5)
    assert isinstance(few, NotComputable) and "complete cases" in few.reason
    flat = cronbach_alpha(np.array([[3, 3], [3, 3], [3, 3]]), 5)
    assert isinstance(flat, NotComputable) and "zero variance" in flat.reason
    # total variance 0 while items vary (perfectly opposed items)
    opp = cronbach_alpha(np.array([[1, 5], [5, 1], [3, 3]]), 5)
    assert isinstance(opp, NotComputable)
    assert isinstance(cronbach_alpha(None, 5), NotComputable)

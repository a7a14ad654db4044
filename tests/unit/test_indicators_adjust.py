"""Indicators: Holm and Benjamini-Hochberg adjustment vs statsmodels multipletests."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from survey_service.indicators import (
    Comparison,
    NotComputable,
    adjust_comparisons,
    adjust_pvalues,
    compare_proportions,
)


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
@pytest.mark.parametrize("seed", range(10))
def test_adjust_vs_multipletests(method: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 40))
    p = rng.uniform(0, 1, m) ** 3
    if seed % 3 == 0:
        p[: m // 2] = p[0]  # ties
    got = adjust_pvalues(list(p), method)  # type: ignore[arg-type]
    expected = multipletests(p, method=method)[1]
    np.testing.assert_allclose(np.array(got, dtype=float), expected, rtol=1e-12, atol=1e-15)


def test_holm_hand() -> None:
    # sorted 0.01, 0.02, 0.04 with m = 3: 0.03, max(0.03, 0.04) = 0.04, max(0.04, 0.04)
    assert adjust_pvalues([0.04, 0.01, 0.02], "holm") == pytest.approx([0.04, 0.03, 0.04])
    # BH: 0.04·3/3 = 0.04, 0.02·3/2 = 0.03, 0.01·3 = 0.03 (min from the top)
    assert adjust_pvalues([0.04, 0.01, 0.02], "fdr_bh") == pytest.approx([0.04, 0.03, 0.03])


def test_not_computable_entries_keep_positions() -> None:
    nc = NotComputable("not asked in the baseline wave: no comparison")
    got = adjust_pvalues([0.04, nc, 0.01, 0.02], "holm")
    assert got[1] is nc
    assert [got[0], got[2], got[3]] == pytest.approx(
        list(multipletests([0.04, 0.01, 0.02], method="holm")[1])
    )
    assert adjust_pvalues([nc], "fdr_bh") == [nc]
    with pytest.raises(ValueError):
        adjust_pvalues([1.5], "holm")


def test_adjust_comparisons() -> None:
    cs = [
        compare_proportions(30, 50, 20, 60),
        NotComputable("x"),
        compare_proportions(30, 50, 28, 50),
    ]
    out = adjust_comparisons(cs, "holm")
    assert isinstance(out[1], NotComputable)
    a, c = out[0], out[2]
    assert isinstance(a, Comparison) and isinstance(c, Comparison)
    raw = [a.p, c.p]
    assert [a.p_adjusted, c.p_adjusted] == pytest.approx(list(multipletests(raw, method="holm")[1]))
    assert a.adjustment == "holm"

"""Indicators: coding, item statistics and composites (hand-computed and vs numpy)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from survey_service.indicators import (
    DONT_KNOW,
    ItemStats,
    NotComputable,
    composite_index,
    composite_scores,
    count_codes,
    item_stats,
    pct_positive,
    polarity,
    rescale,
    theme_percent_positive,
    valid_values,
)
from survey_service.indicators._common import required_items, validate_codes, validated_counts
from survey_service.indicators.reliability import cronbach_alpha

TOL = 1e-9

# 4 respondents × 5 driver items on a 5-point scale; item 5 is reverse-worded.
# 0 = missing, 9 = don't know.
HAND = np.array(
    [
        [5, 4, 9, 0, 2],  # item 5 reversed 2 -> 4; valid 5, 4, 4 (3 of 5) -> s 100, 75, 75
        [3, 3, 3, 3, 3],  # all 3 -> s 50
        [1, 9, 9, 0, 5],  # valid 1 and 5 -> 1: only 2 of 5 valid -> no composite (NaN)
        [2, 4, 5, 9, 1],  # valid 2, 4, 5, 1 -> 5: s 25, 75, 100, 100
    ]
)
HAND_REVERSE = [False, False, False, False, True]


def test_rescale_five_point() -> None:
    assert rescale([1, 2, 3, 4, 5], 5).tolist() == [0, 25, 50, 75, 100]
    assert rescale([1, 4, 7], 7).tolist() == [0, 50, 100]


def test_polarity_five_seven_and_other_k() -> None:
    pos, neu, neg = polarity(5)
    assert pos.tolist() == [False, False, False, True, True]
    assert neu.tolist() == [False, False, True, False, False]
    assert neg.tolist() == [True, True, False, False, False]
    pos, neu, neg = polarity(7)
    assert np.flatnonzero(pos).tolist() == [4, 5, 6]  # codes 5-7
    assert np.flatnonzero(neu).tolist() == [3]  # code 4
    assert np.flatnonzero(neg).tolist() == [0, 1, 2]
    pos, neu, neg = polarity(4)  # even K: no neutral
    assert np.flatnonzero(pos).tolist() == [2, 3] and not neu.any()


def test_required_items_sixty_percent_rule() -> None:
    assert required_items(5, 0.6) == 3
    assert required_items(10, 0.6) == 6  # 0.6*10 is 6.000000000000001 in floating point
    assert required_items(4, 0.6) == 3
    assert required_items(1, 0.6) == 1
    assert required_items(3, 0.6) == 2


def test_item_stats_hand_item1() -> None:
    # item 1 codes 5, 3, 1, 2: mean 2.75; squared deviations 5.0625+0.0625+3.0625+0.5625=8.75
    st = item_stats(HAND[:, 0], 5)
    assert isinstance(st, ItemStats)
    assert (st.n_valid, st.n_dont_know, st.n_missing) == (4, 0, 0)
    assert st.mean == pytest.approx(2.75, abs=TOL)
    assert st.sd == pytest.approx(math.sqrt(8.75 / 3), abs=TOL)
    assert st.score == pytest.approx(100 * 1.75 / 4, abs=TOL)
    assert (st.pct_positive, st.pct_neutral, st.pct_negative) == pytest.approx((25, 25, 50))
    assert st.distribution == pytest.approx((25, 25, 25, 0, 25))


def test_item_stats_dont_know_and_missing_excluded() -> None:
    # item 3 codes 9, 3, 9, 5: two "don't know" are not valid answers
    st = item_stats(HAND[:, 2], 5)
    assert isinstance(st, ItemStats)
    assert (st.n_valid, st.n_dont_know, st.n_missing) == (2, 2, 0)
    assert st.mean == pytest.approx(4.0)
    assert st.pct_positive == pytest.approx(50.0)
    # item 4 codes 0, 3, 0, 9: one valid answer, SD not computable
    st4 = item_stats(HAND[:, 3], 5)
    assert isinstance(st4, ItemStats)
    assert (st4.n_valid, st4.n_dont_know, st4.n_missing) == (1, 1, 2)
    assert isinstance(st4.sd, NotComputable)


def test_item_stats_reverse() -> None:
    # item 5 codes 2, 3, 5, 1 reversed -> 4, 3, 1, 5: mean 3.25, positive 4 and 5 = 50 %
    st = item_stats(HAND[:, 4], 5, reverse=True)
    assert isinstance(st, ItemStats)
    assert st.mean == pytest.approx(3.25)
    assert (st.pct_positive, st.pct_neutral, st.pct_negative) == pytest.approx((50, 25, 25))
    raw = item_stats(HAND[:, 4], 5)
    assert isinstance(raw, ItemStats)
    assert raw.mean == pytest.approx(6 - 3.25)
    assert valid_values(HAND[:, 4], 5, reverse=True).tolist() == [4, 3, 1, 5]


def test_composite_scores_hand() -> None:
    r = composite_scores(HAND, 5, HAND_REVERSE)
    assert r[0] == pytest.approx(250 / 3, abs=TOL)
    assert r[1] == pytest.approx(50.0, abs=TOL)
    assert np.isnan(r[2])
    assert r[3] == pytest.approx(75.0, abs=TOL)


def test_csqi_hand_whole_path() -> None:
    # CSQI = mean(250/3, 50, 75) = 625/9. Deviations 125/9, -175/9, 50/9: sum of squares
    # 48750/81, variance 24375/81, SE = sqrt(24375/81/3) = sqrt(8125)/9; t(0.975, 2).
    est = composite_index(HAND, 5, HAND_REVERSE)
    assert not isinstance(est, NotComputable)
    assert est.value == pytest.approx(625 / 9, abs=TOL)
    assert est.n == 3
    se = math.sqrt(8125) / 9
    assert est.se == pytest.approx(se, abs=TOL)
    t = 4.302652729911275
    assert est.ci_low == pytest.approx(625 / 9 - t * se, abs=1e-8)
    assert est.ci_high == pytest.approx(625 / 9 + t * se, abs=1e-8)
    # with a staff head count N = 12: SE times sqrt((12 - 3)/(12 - 1))
    fin = composite_index(HAND, 5, HAND_REVERSE, population=12)
    assert not isinstance(fin, NotComputable)
    assert fin.se == pytest.approx(se * math.sqrt(9 / 11), abs=TOL)


def test_composite_scores_matches_naive_numpy() -> None:
    rng = np.random.default_rng(7)
    for k in (2, 3, 5, 10):
        m = rng.choice([0, 1, 2, 3, 4, 5, 9], size=(500, k), p=[0.1, 0.1, 0.1, 0.2, 0.2, 0.2, 0.1])
        rev = rng.random(k) < 0.3
        x = np.where(rev, 6 - m, m).astype(float)
        valid = (m >= 1) & (m <= 5)
        s = np.where(valid, 25 * (x - 1), np.nan)
        need = math.ceil(0.6 * k - 1e-9)
        cnt = valid.sum(axis=1)
        with np.errstate(invalid="ignore"):
            expected = np.where(cnt >= need, np.nansum(s, axis=1) / np.maximum(cnt, 1), np.nan)
        got = composite_scores(m, 5, list(rev))
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9, equal_nan=True)


def test_item_stats_vs_numpy_random() -> None:
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(2, 3000))
        points = int(rng.choice([4, 5, 7]))
        codes = rng.choice([0, *range(1, points + 1), 9], size=n)
        st = item_stats(codes, points)
        v = codes[(codes >= 1) & (codes <= points)].astype(float)
        if v.size < 2:
            continue
        assert isinstance(st, ItemStats)
        assert st.mean == pytest.approx(v.mean(), rel=TOL)
        assert st.sd == pytest.approx(v.std(ddof=1), rel=TOL)
        mid = (points + 1) / 2
        assert st.pct_positive == pytest.approx(100 * (v > mid).mean(), rel=TOL)
        assert st.pct_neutral == pytest.approx(100 * (v == mid).mean(), abs=TOL)
        assert st.pct_negative == pytest.approx(100 * (v < mid).mean(), rel=TOL)
        assert st.n_dont_know == int((codes == 9).sum())
        assert st.n_missing == int((codes == 0).sum())


def test_weighted_item_stats_vs_numpy_average_and_cov() -> None:
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        n = 400
        codes = rng.choice([0, 1, 2, 3, 4, 5, 9], size=n)
        w = rng.uniform(0.3, 3.0, size=n)
        st = item_stats(codes, 5, weights=w)
        ok = (codes >= 1) & (codes <= 5)
        v, wv = codes[ok].astype(float), w[ok]
        assert isinstance(st, ItemStats)
        assert st.weighted
        assert st.mean == pytest.approx(np.average(v, weights=wv), rel=TOL)
        assert st.sd == pytest.approx(math.sqrt(np.cov(v, aweights=wv, ddof=1)), rel=TOL)
        assert st.pct_positive == pytest.approx(100 * np.average(v >= 4, weights=wv), rel=TOL)
        assert st.n_eff == pytest.approx(wv.sum() ** 2 / (wv**2).sum(), rel=TOL)
        assert st.n_valid == int(ok.sum())


def test_weighted_composite_index_vs_numpy_average() -> None:
    rng = np.random.default_rng(3)
    m = rng.integers(0, 6, size=(300, 5))
    w = rng.uniform(0.3, 3, 300)
    r = composite_scores(m, 5)
    keep = ~np.isnan(r)
    est = composite_index(m, 5, weights=w)
    assert not isinstance(est, NotComputable)
    assert est.value == pytest.approx(np.average(r[keep], weights=w[keep]), rel=TOL)
    n_eff = w[keep].sum() ** 2 / (w[keep] ** 2).sum()
    assert est.n_eff == pytest.approx(n_eff, rel=TOL)
    var = np.cov(r[keep], aweights=w[keep], ddof=1)
    assert est.se == pytest.approx(math.sqrt(var / n_eff), rel=TOL)


def test_theme_percent_positive_hand() -> None:
    # P_1 = 25 (item 1), P_2: codes 4, 3, 9, 4 -> 2 of 3 positive = 66.67; T = mean
    t = theme_percent_positive([HAND[:, 0], HAND[:, 1]], 5)
    assert not isinstance(t, NotComputable)
    assert t.item_pct_positive == pytest.approx((25.0, 200 / 3))
    assert t.value == pytest.approx((25 + 200 / 3) / 2, abs=TOL)
    assert pct_positive(HAND[:, 1], 5) == pytest.approx(200 / 3)


def test_count_codes_bincount() -> None:
    cc = count_codes(np.array([0, 1, 1, 2, 5, 9, 9, 9]), 5)
    assert cc.valid.tolist() == [2, 1, 0, 0, 1]
    assert (cc.n_dont_know, cc.n_missing, cc.n_valid) == (3, 1, 4)
    rev = count_codes(np.array([0, 1, 1, 2, 5, 9]), 5, reverse=True)
    assert rev.valid.tolist() == [1, 0, 0, 1, 2]


# ----------------------------------------------------------------- degenerate and invalid


def test_item_stats_degenerate() -> None:
    assert isinstance(item_stats(None, 5), NotComputable)
    empty = item_stats(np.array([], dtype=int), 5)
    assert isinstance(empty, NotComputable) and "no respondents" in empty.reason
    dk = item_stats(np.array([9, 9, 9]), 5)
    assert isinstance(dk, NotComputable) and "don't know" in dk.reason
    miss = item_stats(np.array([0, 0, 9]), 5)
    assert isinstance(miss, NotComputable) and "no valid answers" in miss.reason
    one = item_stats(np.array([4]), 5)
    assert isinstance(one, ItemStats) and isinstance(one.sd, NotComputable)
    const = item_stats(np.array([3, 3, 3]), 5)
    assert isinstance(const, ItemStats) and const.sd == 0.0


def test_composite_index_degenerate() -> None:
    assert isinstance(composite_index(None, 5), NotComputable)
    few = composite_index(np.array([[1, 9, 9, 0, 0], [9, 9, 9, 9, 9]]), 5)
    assert isinstance(few, NotComputable) and "3 of the 5" in few.reason
    one = composite_index(np.array([[1, 2, 3, 4, 5]]), 5)
    assert isinstance(one, NotComputable)
    empty = composite_index(np.zeros((0, 5), dtype=int), 5)
    assert isinstance(empty, NotComputable)


def test_theme_degenerate() -> None:
    assert isinstance(theme_percent_positive([], 5), NotComputable)
    r = theme_percent_positive([np.array([4, 5]), None], 5)
    assert isinstance(r, NotComputable) and "item 2" in r.reason
    r = theme_percent_positive([np.array([4, 5]), np.array([9, 9])], 5)
    assert isinstance(r, NotComputable) and "don't know" in r.reason


@pytest.mark.parametrize(
    "codes", [np.array([1, 6]), np.array([-1, 2]), np.array([1, 8]), np.array([10])]
)
def test_invalid_codes_raise(codes: np.ndarray) -> None:
    with pytest.raises(ValueError, match="code"):
        item_stats(codes, 5)


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError, match="integer codes"):
        item_stats(np.array([1.5, 2.0]), 5)
    with pytest.raises(ValueError, match="weights"):
        item_stats(np.array([1, 2]), 5, weights=np.array([1.0]))
    with pytest.raises(ValueError, match="weights"):
        item_stats(np.array([1, 2]), 5, weights=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="don't-know code 9"):
        item_stats(np.array([1, 2]), 10)
    with pytest.raises(ValueError, match="reverse"):
        composite_scores(HAND, 5, [True])


def test_ten_point_scale_without_dont_know() -> None:
    st = item_stats(np.array([9, 10, 1, 0]), 10, dont_know=None)
    assert isinstance(st, ItemStats)
    assert st.n_valid == 3 and st.mean == pytest.approx(20 / 3)
    assert DONT_KNOW == 9


@pytest.mark.parametrize("dont_know", [DONT_KNOW, None])
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_codes_are_checked_without_counting_them_as_with_counting(dont_know: int | None,
                                                                 dtype: type) -> None:
    """The check of a composite's or α's codes (no counts wanted) refuses exactly what the
    counting check refuses, with the same message (the smallest code not allowed)."""
    rng = np.random.default_rng(11)
    for bad in (None, -3, 6, 7, 8, 9, 10, 12):
        arr = rng.integers(0, 6, 500).astype(dtype)
        if bad is not None:
            arr[rng.integers(0, 500, 3)] = bad
            arr[17] = 7 if bad > 7 else arr[17]  # a smaller wrong code beside it
        outcomes = []
        for check in (validated_counts, validate_codes):
            try:
                check(arr[::2], 5, dont_know)  # a strided column, as cut from a matrix
                outcomes.append("ok")
            except ValueError as error:
                outcomes.append(str(error))
        assert outcomes[0] == outcomes[1], (bad, outcomes)
    matrix = np.ones((40, 3), dtype=np.int8)
    matrix[5, 1] = 7
    for compute in (composite_scores, cronbach_alpha):
        with pytest.raises(ValueError, match="code 7 is not"):
            compute(matrix, 5)

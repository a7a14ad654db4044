"""Citizen (CAF 6.1) and staff (CAF 7.1) indicators of INDICATORS.md §3.

Thin, documented wrappers over :mod:`.items` and :mod:`.precision`; codes follow the
conventions of :mod:`.items` (0 missing, 1..K valid, 9 don't know). NPS columns are
different: codes 0..10 are valid and **-1 marks a missing answer** (pass -1, not 0,
since 0 is a valid NPS answer).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

from ._common import DONT_KNOW, Z95, as_codes, as_weights, count_codes
from .items import composite_index, moments, polarity, theme_percent_positive
from .precision import estimate_from_moments, fpc, proportion_estimate
from .result import (
    Estimate,
    NotComputable,
    NPSResult,
    PositiveAndMean,
    ResponseRate,
    ThemeScore,
)

#: Stored code of a missing NPS answer (0..10 are all valid answers).
NPS_MISSING = -1


def positive_and_mean(
    codes: npt.ArrayLike | None,
    points: int,
    *,
    reverse: bool = False,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
    dont_know: int | None = DONT_KNOW,
) -> PositiveAndMean | NotComputable:
    """% positive (x > (K + 1)/2) among valid answers and the mean code, both with SE/CI."""
    if codes is None:
        return NotComputable("the question was not asked in this wave")
    cc = count_codes(codes, points, reverse=reverse, weights=weights, dont_know=dont_know)
    n = cc.n_valid
    if n == 0:
        if cc.n_dont_know and not cc.n_missing:
            return NotComputable(f"all {cc.n_dont_know} answers are 'don't know'")
        return NotComputable("no valid answers")
    pos = polarity(points)[0]
    p = float(cc.wvalid[pos].sum() / cc.w_total) if cc.w_total > 0 else 0.0
    percent = proportion_estimate(
        p, n, n_eff=cc.n_eff if cc.weighted else None, population=population
    )
    if isinstance(percent, NotComputable):
        return percent
    m, var = moments(cc)
    mean = estimate_from_moments(m, var, n, cc.n_eff, population, weighted=cc.weighted)
    if isinstance(mean, NotComputable):
        return mean
    return PositiveAndMean(
        percent=percent, mean=mean, n_dont_know=cc.n_dont_know, n_missing=cc.n_missing
    )


def csat(
    codes: npt.ArrayLike | None,
    *,
    points: int = 5,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
) -> PositiveAndMean | NotComputable:
    """C1 CSAT = 100·#{x ≥ 4}/n_valid on the 5-point overall-satisfaction item, plus mean x."""
    return positive_and_mean(codes, points, weights=weights, population=population)


def effort_score(
    codes: npt.ArrayLike | None,
    *,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
) -> PositiveAndMean | NotComputable:
    """C6 Customer Effort Score on 7 points: mean (1-7) and % agree (codes 5-7)."""
    return positive_and_mean(codes, 7, weights=weights, population=population)


def driver_score(
    matrix: npt.ArrayLike | None,
    points: int = 5,
    reverse: bool | Sequence[bool] | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
) -> Estimate | NotComputable:
    """C2_d driver score I_d = mean_i R_i^(d) over the dimension's items (0-100)."""
    return composite_index(matrix, points, reverse, weights=weights, population=population)


def csqi(
    matrix: npt.ArrayLike | None,
    points: int = 5,
    reverse: bool | Sequence[bool] | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
) -> Estimate | NotComputable:
    """C3 Citizen Service Quality Index = mean_i R_i over all driver items (0-100)."""
    return composite_index(matrix, points, reverse, weights=weights, population=population)


def engagement_index(
    matrix: npt.ArrayLike | None,
    reverse: bool | Sequence[bool] | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
) -> Estimate | NotComputable:
    """S1 EEI (UK CSPS): the five 5-point items, s = 25·(x − 1), R_i = mean_j s_ij,
    EEI = mean_i R_i. A mean score (0-100), not a percentage."""
    return composite_index(matrix, 5, reverse, weights=weights, population=population)


def theme_score(
    columns: Sequence[npt.ArrayLike | None],
    points: int = 5,
    reverse: bool | Sequence[bool] | None = None,
    *,
    weights: npt.ArrayLike | None = None,
) -> ThemeScore | NotComputable:
    """S2 theme % positive T = mean_j P_j (also GSI* over its four items)."""
    return theme_percent_positive(columns, points, reverse, weights=weights)


def nps(
    codes: npt.ArrayLike | None,
    *,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
) -> NPSResult | NotComputable:
    """C5 NPS = 100·(#{9, 10} − #{0..6})/n on codes 0..10, -1 = missing.

    Var(NPS/100) = [p_P + p_D − (p_P − p_D)²]/n; the SE and the Wald 95 % CI are on the
    −100..100 scale. With weights the shares are weighted and n is Kish's n_eff; with a
    known population size the SE is multiplied by the FPC. Needs n ≥ 2.
    """
    if codes is None:
        return NotComputable("the question was not asked in this wave")
    arr = as_codes(codes)
    w = as_weights(weights, arr.shape[0])
    if arr.size and (int(arr.min()) < -1 or int(arr.max()) > 10):
        bad = int(arr.min()) if int(arr.min()) < -1 else int(arr.max())
        raise ValueError(f"NPS code {bad} is not -1 (missing) or 0..10")
    shifted = arr + 1  # -1 → 0
    counts = np.bincount(shifted, minlength=12)
    n_missing = int(counts[0])
    valid = counts[1:]
    n = int(valid.sum())
    if w is None:
        wv = valid.astype(np.float64)
        n_eff = float(n)
    else:
        wv = np.asarray(np.bincount(shifted, weights=w, minlength=12)[1:], dtype=np.float64)
        w2 = float(np.bincount(shifted, weights=w * w, minlength=12)[1:].sum())
        n_eff = float(wv.sum()) ** 2 / w2 if w2 > 0 else 0.0
    if n == 0:
        return NotComputable("no valid NPS answers")
    if n < 2 or n_eff <= 1 + 1e-12:
        return NotComputable("fewer than 2 valid NPS answers (or n_eff ≤ 1): no standard error")
    total = float(wv.sum())
    p_p = float(wv[9:].sum()) / total
    p_d = float(wv[:7].sum()) / total
    p_pas = float(wv[7:9].sum()) / total
    var = (p_p + p_d - (p_p - p_d) ** 2) / n_eff
    f = fpc(n_eff, population)
    se = 100.0 * float(np.sqrt(max(var, 0.0))) * f
    value = 100.0 * (p_p - p_d)
    return NPSResult(
        nps=value,
        se=se,
        ci_low=value - Z95 * se,
        ci_high=value + Z95 * se,
        n=n,
        n_eff=n_eff,
        n_promoters=int(valid[9:].sum()),
        n_passives=int(valid[7:9].sum()),
        n_detractors=int(valid[:7].sum()),
        n_missing=n_missing,
        pct_promoters=100 * p_p,
        pct_passives=100 * p_pas,
        pct_detractors=100 * p_d,
        fpc=f,
    )


def share_counts(
    codes: npt.ArrayLike | None,
    *,
    values: Collection[int] | None = None,
    low: int | None = None,
    high: int | None = None,
) -> tuple[int, int]:
    """(hits, valid) of a single-choice or number column in the stored convention (-1 =
    missing): a valid answer is a hit when it is one of ``values`` (option positions) or lies
    in the inclusive range ``low``..``high``."""
    if codes is None:
        return 0, 0
    arr = np.asarray(codes, dtype=np.int64).reshape(-1)
    valid = arr != NPS_MISSING
    if values is not None:
        hit = np.isin(arr, np.fromiter(values, dtype=np.int64))
    else:
        hit = np.ones(arr.shape, dtype=bool)
        if low is not None:
            hit &= arr >= low
        if high is not None:
            hit &= arr <= high
    return int((hit & valid).sum()), int(valid.sum())


def share(
    codes: npt.ArrayLike | None,
    *,
    values: Collection[int] | None = None,
    low: int | None = None,
    high: int | None = None,
    population: int | None = None,
) -> Estimate | NotComputable:
    """% of valid answers that :func:`share_counts` counts (e.g. % who waited 20 minutes or
    less), with its Wilson CI; compare two waves with :func:`compare_proportions`."""
    if codes is None:
        return NotComputable("the question was not asked in this wave")
    hits, n = share_counts(codes, values=values, low=low, high=high)
    if n == 0:
        return NotComputable("no valid answers")
    return proportion_estimate(hits / n, n, population=population)


def response_rate(completed: int, eligible: int, partials: int = 0) -> ResponseRate | NotComputable:
    """S4 RR = completed/eligible (percent); ``rate_with_partials`` also counts partial
    questionnaires (≥ 50 % of items answered), which are reported separately."""
    if min(completed, eligible, partials) < 0:
        raise ValueError("counts must be non-negative")
    if completed + partials > eligible:
        raise ValueError(
            f"{completed} completed + {partials} partial questionnaires exceed "
            f"{eligible} eligible staff"
        )
    if eligible == 0:
        return NotComputable("no eligible staff were invited")
    return ResponseRate(
        rate=100.0 * completed / eligible,
        rate_with_partials=100.0 * (completed + partials) / eligible,
        completed=completed,
        partials=partials,
        eligible=eligible,
    )


def acsi_style_index(
    columns: Sequence[npt.ArrayLike | None],
    *,
    weights: npt.ArrayLike | None = None,
) -> float | NotComputable:
    """C7 "ACSI-style, unweighted": 100·Σ_k (1/3)(X̄_k − 1)/9 over three 1-10 items.

    Codes 1..10 are valid and 0 is missing (no don't-know code on this scale). Each X̄_k
    is the (weighted) mean over that item's valid answers.
    """
    if len(columns) != 3:
        raise ValueError("the ACSI-style index has exactly three items")
    total = 0.0
    for j, col in enumerate(columns):
        if col is None:
            return NotComputable(f"item {j + 1} of the index was not asked in this wave")
        cc = count_codes(col, 10, weights=weights, dont_know=None)
        if cc.n_valid == 0 or cc.w_total <= 0:
            return NotComputable(f"item {j + 1} of the index has no valid answers")
        mean = float(np.dot(np.arange(1, 11), cc.wvalid) / cc.w_total)
        total += (mean - 1.0) / 9.0 / 3.0
    return 100.0 * total

"""Item statistics and respondent composites (INDICATORS.md §2, §3.3 S3).

Input conventions
-----------------
* An item column is a 1-D integer array of stored codes, one per respondent:
  ``0`` missing (not shown or not answered), ``1..K`` valid (1 = most negative),
  ``9`` "don't know / not applicable" (:data:`DONT_KNOW`), a code of its own that is
  counted separately and excluded from every denominator. Any other code raises
  ``ValueError``. For scales with K ≥ 9 pass ``dont_know=None`` (or another code).
* ``reverse=True`` recodes x → K + 1 − x before anything else (valid codes only).
* ``weights`` is an optional 1-D float array of the same length (finite, ≥ 0).
* ``None`` instead of a column means "the question was not asked in this wave" and
  gives :class:`~.result.NotComputable`.

Positive / neutral / negative on a K-point scale, with midpoint m = (K + 1)/2:
positive x > m, neutral x = m (odd K only), negative x < m. This gives exactly the
specification's 4-5 / 3 / 1-2 for K = 5 and 5-7 / 4 / 1-3 for K = 7.

Everything is vectorised (``np.bincount`` per column; the only Python loops are over
items, never over respondents).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ._common import (
    DONT_KNOW,
    CodeArray,
    FloatArray,
    as_codes,
    as_matrix,
    check_dont_know,
    check_points,
    count_codes,
    required_items,
    reverse_flags,
    validate_codes,
)
from ._common import CodeCounts as CodeCounts
from .precision import mean_estimate
from .result import Estimate, ItemStats, NotComputable, ThemeScore

__all__ = [
    "DONT_KNOW",
    "composite_index",
    "composite_scores",
    "count_codes",
    "item_stats",
    "pct_positive",
    "polarity",
    "rescale",
    "theme_percent_positive",
    "valid_values",
]


def rescale(x: npt.ArrayLike, points: int) -> FloatArray:
    """0-100 rescale s = 100·(x − 1)/(K − 1) (K = 5 gives 0, 25, 50, 75, 100)."""
    check_points(points)
    return 100.0 * (np.asarray(x, dtype=np.float64) - 1.0) / (points - 1)


def polarity(points: int) -> tuple[npt.NDArray[np.bool_], ...]:
    """Masks (positive, neutral, negative) over codes 1..K, midpoint (K + 1)/2."""
    check_points(points)
    v = np.arange(1, points + 1, dtype=np.float64)
    mid = (points + 1) / 2
    return v > mid, v == mid, v < mid


def valid_values(
    codes: npt.ArrayLike,
    points: int,
    *,
    reverse: bool = False,
    dont_know: int | None = DONT_KNOW,
) -> CodeArray:
    """The valid codes 1..K of a column (reverse-recoded if asked), missing and don't know
    dropped. Codes are validated like everywhere else."""
    check_points(points)
    check_dont_know(points, dont_know)
    arr = as_codes(codes)
    validate_codes(arr, points, dont_know)
    vals = arr[(arr >= 1) & (arr <= points)]
    return (points + 1 - vals) if reverse else vals


def _missing_column(what: str = "question") -> NotComputable:
    return NotComputable(f"the {what} was not asked in this wave")


def _no_valid(cc: CodeCounts) -> NotComputable:
    if cc.n_dont_know and not cc.n_missing:
        return NotComputable(f"all {cc.n_dont_know} answers are 'don't know'")
    if cc.n_dont_know or cc.n_missing:
        return NotComputable(
            f"no valid answers ({cc.n_dont_know} 'don't know', {cc.n_missing} missing)"
        )
    return NotComputable("no respondents")


def moments(cc: CodeCounts) -> tuple[float, float | None]:
    """Mean and sample variance (ddof = 1; reliability weights) from per-code counts."""
    v = np.arange(1, cc.points + 1, dtype=np.float64)
    used = np.flatnonzero(cc.wvalid > 0)
    w_total = cc.w_total
    if used.size == 1:
        mean = float(v[used[0]])
        var: float | None = 0.0
    else:
        mean = float(np.dot(v, cc.wvalid) / w_total)
        var = float(np.dot(cc.wvalid, (v - mean) ** 2))
    if cc.weighted:
        denom = w_total - float(cc.w2valid.sum()) / w_total if w_total > 0 else 0.0
        ok = cc.n_eff > 1 + 1e-12 and denom > 0
    else:
        denom = cc.n_valid - 1
        ok = denom > 0
    return mean, (var / denom if ok and var is not None else None)


def item_stats(
    codes: npt.ArrayLike | None,
    points: int,
    *,
    reverse: bool = False,
    weights: npt.ArrayLike | None = None,
    dont_know: int | None = DONT_KNOW,
) -> ItemStats | NotComputable:
    """n valid / don't know / missing, mean, SD, 0-100 score, % positive/neutral/negative.

    ``None`` (question not in this wave) or no valid answer gives NotComputable; a single
    valid answer gives an ItemStats whose ``sd`` is NotComputable.
    """
    if codes is None:
        return _missing_column()
    cc = count_codes(codes, points, reverse=reverse, weights=weights, dont_know=dont_know)
    if cc.n_valid == 0 or cc.w_total <= 0:
        if cc.n_valid:
            return NotComputable("all valid answers have weight 0")
        return _no_valid(cc)
    mean, var = moments(cc)
    pos, neu, neg = polarity(points)
    share = 100.0 * cc.wvalid / cc.w_total
    sd: float | NotComputable = (
        float(np.sqrt(var))
        if var is not None
        else NotComputable("only one valid answer (or n_eff ≤ 1): no standard deviation")
    )
    return ItemStats(
        points=points,
        n_valid=cc.n_valid,
        n_dont_know=cc.n_dont_know,
        n_missing=cc.n_missing,
        n_eff=cc.n_eff,
        weighted=cc.weighted,
        mean=mean,
        sd=sd,
        score=100.0 * (mean - 1.0) / (points - 1),
        pct_positive=float(share[pos].sum()),
        pct_neutral=float(share[neu].sum()),
        pct_negative=float(share[neg].sum()),
        distribution=tuple(float(s) for s in share),
    )


def pct_positive(
    codes: npt.ArrayLike | None,
    points: int,
    *,
    reverse: bool = False,
    weights: npt.ArrayLike | None = None,
    dont_know: int | None = DONT_KNOW,
) -> float | NotComputable:
    """P_j = 100·#positive/#valid (weighted if weights are given)."""
    st = item_stats(codes, points, reverse=reverse, weights=weights, dont_know=dont_know)
    return st if isinstance(st, NotComputable) else st.pct_positive


def composite_scores(
    matrix: npt.ArrayLike,
    points: int,
    reverse: bool | Sequence[bool] | None = None,
    *,
    min_share: float = 0.6,
    dont_know: int | None = DONT_KNOW,
) -> FloatArray:
    """Respondent composites R_i = mean of s = 100·(x − 1)/(K − 1) over the answered items.

    ``matrix`` is n respondents × k items of codes. R_i is NaN when fewer than
    ceil(min_share·k) items are valid (3 of 5, 6 of 10): NaN is allowed *inside* this
    per-respondent array, and every estimator of the package drops it.
    """
    check_points(points)
    check_dont_know(points, dont_know)
    m = as_matrix(matrix)
    n, k = m.shape
    if k == 0:
        raise ValueError("a composite needs at least one item")
    flags = reverse_flags(reverse, k)
    need = required_items(k, min_share)
    validate_codes(np.ravel(m, order="K"), points, dont_know)  # every code, once
    top = max(points, dont_know or 0)
    ok_lut = np.zeros(top + 1, dtype=np.int32)
    ok_lut[1 : points + 1] = 1
    plain = np.zeros(top + 1, dtype=np.int32)
    plain[1 : points + 1] = np.arange(1, points + 1)
    flipped = np.zeros(top + 1, dtype=np.int32)
    flipped[1 : points + 1] = np.arange(points, 0, -1)
    total = np.zeros(n, dtype=np.int32)
    count = np.zeros(n, dtype=np.int32)
    for j in range(k):  # loop over items, vectorised over respondents (lookup tables)
        col = m[:, j]
        total += (flipped if flags[j] else plain)[col]
        count += ok_lut[col]
    out = np.full(n, np.nan)
    enough = count >= need
    out[enough] = 100.0 * (total[enough] / count[enough] - 1.0) / (points - 1)
    return out


def composite_index(
    matrix: npt.ArrayLike | None,
    points: int,
    reverse: bool | Sequence[bool] | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
    min_share: float = 0.6,
    dont_know: int | None = DONT_KNOW,
) -> Estimate | NotComputable:
    """Mean of respondent composites on 0-100 (CSQI C3, driver score C2_d, EEI S1):
    a mean score, not a percentage. SE/CI as in :func:`.precision.mean_estimate`."""
    if matrix is None:
        return _missing_column("scale")
    scores = composite_scores(matrix, points, reverse, min_share=min_share, dont_know=dont_know)
    if scores.shape[0] and np.isnan(scores).all():
        k = np.asarray(matrix).shape[1]
        return NotComputable(
            f"no respondent answered at least {required_items(k, min_share)} of the {k} items"
        )
    return mean_estimate(scores, weights=weights, population=population)


def theme_percent_positive(
    columns: Sequence[npt.ArrayLike | None],
    points: int,
    reverse: bool | Sequence[bool] | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    dont_know: int | None = DONT_KNOW,
) -> ThemeScore | NotComputable:
    """Theme % positive T = mean_j P_j (S2; C2 theme % positive; GSI* with four items).

    Each item's P_j uses its own valid answers. NotComputable when the theme has no item,
    or any item is missing in this wave or has no valid answer (a mean over fewer items
    would be a different indicator).
    """
    k = len(columns)
    if k == 0:
        return NotComputable("the theme has no items")
    flags = reverse_flags(reverse, k)
    pcts: list[float] = []
    for j, col in enumerate(columns):
        p = pct_positive(col, points, reverse=flags[j], weights=weights, dont_know=dont_know)
        if isinstance(p, NotComputable):
            return NotComputable(f"item {j + 1} of the theme: {p.reason}")
        pcts.append(p)
    return ThemeScore(value=float(np.mean(pcts)), item_pct_positive=tuple(pcts))

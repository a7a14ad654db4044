"""Internal helpers: input validation and bincount-based code counting (vectorised)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

from .result import NotComputable

#: Stored code of "don't know / not applicable": a code of its own, never missing.
DONT_KNOW = 9
#: Code of a missing Likert answer (not shown or not answered) **as the indicators take it**.
#: Storage keeps -1 (``surveys.coding.MISSING``, shared by every scored item); the reports
#: convert a wave's Likert columns from -1 to 0 once (``reports.data.WaveMatrix``), so that
#: Likert counts can use ``np.bincount``. NPS columns come as stored: -1 missing
#: (``NPS_MISSING``).
MISSING = 0
#: Two-sided 95 % normal quantile.
Z95: float = float(stats.norm.ppf(0.975))

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
#: Codes keep their stored integer dtype (int8 columns are not widened: 1M × 20 matters).
CodeArray = npt.NDArray[np.integer[Any]]


@dataclass(frozen=True)
class CodeCounts:
    """Counts of one Likert column. ``valid[i]`` counts code i + 1 (after reverse
    recoding); ``wvalid``/``w2valid`` are the sums of weights and squared weights per code
    (equal to ``valid`` without weights)."""

    points: int
    valid: IntArray
    wvalid: FloatArray
    w2valid: FloatArray
    n_dont_know: int
    n_missing: int
    weighted: bool

    @property
    def n_valid(self) -> int:
        return int(self.valid.sum())

    @property
    def w_total(self) -> float:
        return float(self.wvalid.sum())

    @property
    def n_eff(self) -> float:
        """Kish effective n of the valid answers (the raw n without weights)."""
        if not self.weighted:
            return float(self.n_valid)
        w2 = float(self.w2valid.sum())
        return self.w_total**2 / w2 if w2 > 0 else 0.0


def check_points(points: int) -> None:
    if not isinstance(points, int) or isinstance(points, bool) or points < 2:
        raise ValueError(f"a scale needs an integer number of points >= 2, got {points!r}")


def check_dont_know(points: int, dont_know: int | None) -> None:
    if dont_know is not None and 1 <= dont_know <= points:
        raise ValueError(
            f"the don't-know code {dont_know} is a valid answer on a {points}-point scale; "
            "pass dont_know=None (or another code) for this scale"
        )


def as_codes(codes: npt.ArrayLike, name: str = "codes") -> CodeArray:
    """A 1-D integer array in its own integer dtype (no copy)."""
    arr = np.asarray(codes)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer codes, got dtype {arr.dtype}")
    return arr if arr.size else arr.astype(np.int64)


def as_values(values: npt.ArrayLike, name: str = "values") -> FloatArray:
    """A 1-D float array (NaN allowed: it marks respondents without a value)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if np.isinf(arr).any():
        raise ValueError(f"{name} must not contain infinite values")
    return arr


def as_weights(weights: npt.ArrayLike | None, n: int) -> FloatArray | None:
    """Validate optional weights: 1-D, length ``n``, finite, non-negative."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.shape[0] != n:
        raise ValueError(f"weights must be a 1-D array of length {n}, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and non-negative")
    return w


def as_matrix(matrix: npt.ArrayLike) -> CodeArray:
    """A 2-D integer matrix n respondents × k items."""
    arr = np.asarray(matrix)
    if arr.ndim != 2:
        raise ValueError(f"an item matrix must be 2-D (respondents × items), got {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"an item matrix must hold integer codes, got dtype {arr.dtype}")
    return arr if arr.size else arr.astype(np.int64)


def reverse_flags(reverse: bool | Sequence[bool] | None, k: int) -> list[bool]:
    if reverse is None:
        return [False] * k
    if isinstance(reverse, bool):
        return [reverse] * k
    flags = [bool(r) for r in reverse]
    if len(flags) != k:
        raise ValueError(f"reverse must have one flag per item ({k}), got {len(flags)}")
    return flags


def count_codes(
    codes: npt.ArrayLike,
    points: int,
    *,
    reverse: bool = False,
    weights: npt.ArrayLike | None = None,
    dont_know: int | None = DONT_KNOW,
) -> CodeCounts:
    """Count one Likert column with ``np.bincount`` (O(n), no Python loop).

    Codes: 0 missing (storage's -1, converted by the caller), 1..K valid, ``dont_know``
    (default 9). Anything else raises
    ``ValueError``. Reverse recoding x → K + 1 − x is applied to the counts.
    """
    check_points(points)
    check_dont_know(points, dont_know)
    arr = as_codes(codes)
    w = as_weights(weights, arr.shape[0])
    counts = validated_counts(arr, points, dont_know)
    top = counts.shape[0] - 1
    valid = counts[1 : points + 1].astype(np.int64)
    if w is None:
        wvalid = valid.astype(np.float64)
        w2valid = wvalid
    else:
        wvalid = np.asarray(
            np.bincount(arr, weights=w, minlength=top + 1)[1 : points + 1], dtype=np.float64
        )
        w2valid = np.asarray(
            np.bincount(arr, weights=w * w, minlength=top + 1)[1 : points + 1], dtype=np.float64
        )
    if reverse:
        valid, wvalid, w2valid = valid[::-1].copy(), wvalid[::-1].copy(), w2valid[::-1].copy()
    return CodeCounts(
        points=points,
        valid=valid,
        wvalid=wvalid,
        w2valid=w2valid,
        n_dont_know=int(counts[dont_know]) if dont_know is not None else 0,
        n_missing=int(counts[MISSING]),
        weighted=w is not None,
    )


def validated_counts(arr: CodeArray, points: int, dont_know: int | None) -> IntArray:
    """``np.bincount`` of a code column after checking every code is allowed."""
    top = max(points, dont_know if dont_know is not None else 0)
    if arr.size:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > top:
            bad = lo if lo < 0 else hi
            raise ValueError(f"code {bad} is not 0 (missing), 1..{points} or don't know")
    counts = np.bincount(arr, minlength=top + 1)
    allowed = np.zeros(top + 1, dtype=bool)
    allowed[: points + 1] = True
    if dont_know is not None:
        allowed[dont_know] = True
    if counts[~allowed].any():
        bad = int(np.flatnonzero(counts * ~allowed)[0])
        raise ValueError(f"code {bad} is not 0 (missing), 1..{points} or don't know")
    return counts


def validate_codes(arr: CodeArray, points: int, dont_know: int | None) -> None:
    """Check every code is allowed, as :func:`validated_counts` does (same error, naming the
    smallest code not allowed), without counting them: two comparisons over the codes in
    their own dtype instead of a ``bincount`` that widens them to 64 bits first."""
    if not arr.size:
        return
    top = max(points, dont_know if dont_know is not None else 0)
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi > top:
        bad = lo if lo < 0 else hi
        raise ValueError(f"code {bad} is not 0 (missing), 1..{points} or don't know")
    if hi > points:
        wrong = arr > points
        if dont_know is not None:
            wrong &= arr != dont_know
        if wrong.any():
            bad = int(arr[wrong].min())
            raise ValueError(f"code {bad} is not 0 (missing), 1..{points} or don't know")


def required_items(k: int, min_share: float) -> int:
    """ceil(min_share·k) without floating-point surprises (0.6·10 is 6, not 7)."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    return max(1, math.ceil(round(min_share * k, 9)))


def t_quantile(df: float) -> float:
    return float(stats.t.ppf(0.975, df))


#: Below this many answers in a wave a comparison is flagged ``small_n``.
SMALL_N = 30


def missing_wave(a: object, b: object) -> NotComputable | None:
    if a is None and b is None:
        return NotComputable("not asked in either wave")
    if a is None:
        return NotComputable("not asked in the baseline wave: no comparison")
    if b is None:
        return NotComputable("not asked in the follow-up wave: no comparison")
    return None


def too_few(n1: float, n2: float, what: str = "valid answers") -> NotComputable | None:
    for n, wave in ((n1, "baseline"), (n2, "follow-up")):
        if n < 2:
            return NotComputable(f"{n:g} {what} in the {wave} wave: at least 2 are needed")
    return None

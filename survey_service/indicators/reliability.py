"""Cronbach's α per composite and wave (INDICATORS.md §4.4).

α = k/(k − 1)·(1 − Σ_j s_j²/s_T²), with s_j² the item variances and s_T² the variance of
the item sum, all with ddof = 1, on **complete cases** (respondents with a valid answer
1..K on every item; missing and "don't know" exclude the respondent). Reverse-worded
items are recoded first. A composite with α < 0.70 is flagged ``low``: publish its items
beside it. Codes follow :mod:`.items`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ._common import (
    DONT_KNOW,
    as_matrix,
    check_dont_know,
    check_points,
    reverse_flags,
    validate_codes,
)
from .result import NotComputable, Reliability

#: Publication threshold for a composite.
ALPHA_THRESHOLD = 0.70


def cronbach_alpha(
    matrix: npt.ArrayLike | None,
    points: int,
    reverse: bool | Sequence[bool] | None = None,
    *,
    dont_know: int | None = DONT_KNOW,
) -> Reliability | NotComputable:
    """Cronbach's α of an n × k code matrix on complete cases (vectorised per item)."""
    if matrix is None:
        return NotComputable("the scale was not asked in this wave")
    check_points(points)
    check_dont_know(points, dont_know)
    m = as_matrix(matrix)
    n, k = m.shape
    if k < 2:
        return NotComputable(f"Cronbach's alpha needs at least 2 items, the scale has {k}")
    flags = reverse_flags(reverse, k)
    complete = np.ones(n, dtype=bool)
    for j in range(k):
        col = m[:, j]
        validate_codes(col, points, dont_know)
        complete &= (col >= 1) & (col <= points)
    n_complete = int(complete.sum())
    if n_complete < 2:
        return NotComputable(
            f"Cronbach's alpha needs at least 2 complete cases, there are {n_complete}"
        )
    x = m[complete].astype(np.float64)
    rev = np.asarray(flags)
    if rev.any():
        x[:, rev] = points + 1 - x[:, rev]
    item_var = x.var(axis=0, ddof=1)
    total_var = float(x.sum(axis=1).var(ddof=1))
    if np.ptp(x.sum(axis=1)) == 0 or total_var <= 0:
        return NotComputable("the item sum has zero variance: alpha is undefined")
    alpha = k / (k - 1) * (1.0 - float(item_var.sum()) / total_var)
    return Reliability(alpha=alpha, k=k, n_complete=n_complete, low=alpha < ALPHA_THRESHOLD)

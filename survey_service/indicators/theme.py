"""Themes over several items (S2 theme % positive, T = mean_j P_j) compared between waves, and
the reliability of two-item scores (INDICATORS.md §3.3, §4; issue #19 §4).

A theme's change ΔT = T₂ − T₁ is tested, and its CI built, on that very quantity. Each item's
P_j uses its own valid answers, so T is not the mean of each respondent's share when answers
are missing; the comparison therefore uses the linearisation (influence-function) pseudo-values

    u_i = T + (n/k)·Σ_j v_ij·(y_ij − p_j)/n_j

(v_ij = 1 when respondent i answered item j validly, y_ij = 1 when positive, p_j = P_j/100,
n_j the item's valid answers, n the respondents with at least one valid answer). Their mean
is exactly T and their variance/n is the linearised variance of T (times n/(n − 1)). Welch's t
on the pseudo-values of both waves gives the test and the CI of ΔT. Without missing answers
u_i is each respondent's share of positive answers, and the result is identical to
``scipy.stats.ttest_ind(share_b, share_a, equal_var=False)``.

Spearman–Brown: a two-item score's reliability 2r/(1 + r), r the Pearson correlation of the
two items on complete cases (α is not meaningful for two items).
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np
import numpy.typing as npt

from ._common import DONT_KNOW, FloatArray, as_matrix, check_points, reverse_flags
from .compare import compare_means
from .result import Comparison, NotComputable


def theme_pseudo_values(
    matrix: npt.ArrayLike,
    points: int,
    reverse: bool | Sequence[bool] | None = None,
    *,
    dont_know: int | None = DONT_KNOW,
) -> FloatArray | NotComputable:
    """Pseudo-values (percent) of the theme for each respondent with a valid answer to at
    least one of its items; NotComputable when an item has no valid answer (T is then not
    defined: a mean over fewer items would be another indicator)."""
    check_points(points)
    m = as_matrix(matrix)
    k = m.shape[1]
    if k == 0:
        return NotComputable("the theme has no items")
    flags = reverse_flags(reverse, k)
    valid = (m >= 1) & (m <= points)
    values = np.where(np.asarray(flags, dtype=bool), points + 1 - m, m)
    positive = valid & (values > (points + 1) / 2)
    n_j = valid.sum(axis=0)
    for j in range(k):
        if n_j[j] == 0:
            return NotComputable(f"item {j + 1} of the theme has no valid answers")
    p_j = positive.sum(axis=0) / n_j
    theme = float(p_j.mean())
    answered = valid.any(axis=1)
    n = int(answered.sum())
    deviations = (valid * (positive - p_j)) / n_j  # v_ij (y_ij − p_j)/n_j
    u = theme + (n / k) * deviations[answered].sum(axis=1)
    return np.asarray(100.0 * u, dtype=np.float64)


def compare_theme(
    matrix_a: npt.ArrayLike | None,
    matrix_b: npt.ArrayLike | None,
    points: int,
    reverse: bool | Sequence[bool] | None = None,
) -> Comparison | NotComputable:
    """ΔT = T₂ − T₁ with Welch's t and CI on the pseudo-values (Hedges g on them too)."""
    if matrix_a is None or matrix_b is None:
        return NotComputable("the theme was not asked in both waves")
    sides = []
    for matrix, wave in ((matrix_a, "baseline"), (matrix_b, "follow-up")):
        u = theme_pseudo_values(matrix, points, reverse)
        if isinstance(u, NotComputable):
            return NotComputable(f"{wave} wave: {u.reason}")
        sides.append(u)
    comparison = compare_means(sides[0], sides[1])
    if isinstance(comparison, NotComputable):
        return comparison
    t1, t2 = float(sides[0].mean()), float(sides[1].mean())
    return msgspec.structs.replace(comparison, baseline=t1, follow_up=t2, change=t2 - t1)


def spearman_brown(
    matrix: npt.ArrayLike | None,
    points: int,
    reverse: bool | Sequence[bool] | None = None,
) -> float | NotComputable:
    """2r/(1 + r) of a two-item score on complete cases (valid answers 1..K to both)."""
    if matrix is None:
        return NotComputable("the scale was not asked in this wave")
    m = as_matrix(matrix)
    if m.shape[1] != 2:
        return NotComputable(f"Spearman-Brown here is for two items, the score has {m.shape[1]}")
    flags = reverse_flags(reverse, 2)
    complete = ((m >= 1) & (m <= points)).all(axis=1)
    x = m[complete].astype(np.float64)
    if x.shape[0] < 3:
        return NotComputable(f"{x.shape[0]} complete cases: at least 3 are needed")
    for j in range(2):
        if flags[j]:
            x[:, j] = points + 1 - x[:, j]
    if np.ptp(x[:, 0]) == 0 or np.ptp(x[:, 1]) == 0:
        return NotComputable("an item has zero variance: no correlation")
    r = float(np.corrcoef(x[:, 0], x[:, 1])[0, 1])
    if r <= -1:
        return NotComputable("the items are perfectly negatively correlated")
    return 2 * r / (1 + r)

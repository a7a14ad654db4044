"""The models of :mod:`.adjust_mix` fitted on distinct covariate patterns (issue #11: fast).

Every adjustment variable is categorical, so the design matrix X has one distinct row per
combination of wave and groups present (a *pattern*, P of them, a few hundred at most),
however many respondents there are. X'X, X'y, the logit's score and Hessian and the average
marginal effect are sums over respondents of functions of their pattern, so they are computed
from the pattern's count and sum of y: O(P·k²) per Newton step instead of O(n·k²). The
clustered meat Σ_g s_g s_g' needs each day's scores s_g = Σ_{i∈g} x_i û_i, which is the
sparse (day × pattern) matrix of summed residuals times the P × k pattern design.

The figures are those of the row-by-row formulas (the same model, the same Newton start and
stopping rule, the same rank decisions on the same exact integer X'X); only the order of
floating-point summation differs. Tests check them against statsmodels to 1e-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse, special

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
AnyFloats = npt.NDArray[np.floating[Any]]


def compact(values: npt.ArrayLike) -> tuple[npt.NDArray[Any], IntArray]:
    """``np.unique(values, return_inverse=True)`` (sorted distinct values, each value's
    index), without a sort for integers in a range not much wider than their count."""
    raw = np.asarray(values)
    if raw.dtype.kind in "iub" and raw.size:
        ints = raw.astype(np.int64, copy=False)
        lo, hi = int(ints.min()), int(ints.max())
        span = hi - lo + 1
        if span <= 4 * ints.size + 4096:
            shifted = ints - lo
            present = np.zeros(span, dtype=bool)
            present[shifted] = True
            remap = np.cumsum(present, dtype=np.int64) - 1
            levels = (np.flatnonzero(present) + lo).astype(raw.dtype, copy=False)
            return levels, remap[shifted]
    levels, inverse = np.unique(raw, return_inverse=True)
    return levels, inverse.reshape(-1).astype(np.int64, copy=False)


@dataclass(frozen=True)
class Patterns:
    """Respondents grouped by (wave, code of each variable): ``pattern`` per respondent,
    ``table`` one row of codes per pattern (wave first), ``counts`` per pattern, and each
    variable's levels (sorted, only those present)."""

    pattern: IntArray
    table: IntArray
    counts: FloatArray
    levels: tuple[npt.NDArray[Any], ...]


def patterns(wave: npt.NDArray[np.bool_], covs: Mapping[str, npt.ArrayLike]) -> Patterns:
    codes: list[IntArray] = [wave.astype(np.int64)]
    sizes = [2]
    levels: list[npt.NDArray[Any]] = []
    for values in covs.values():
        lv, code = compact(values)
        levels.append(lv)
        codes.append(code)
        sizes.append(max(len(lv), 1))
    if float(np.prod(np.asarray(sizes, dtype=np.float64))) < 2.0**62:
        radix = np.cumprod([1, *sizes[:-1]]).astype(np.int64)
        combined = np.zeros(wave.size, dtype=np.int64)
        for code, r in zip(codes, radix.tolist(), strict=True):
            combined += code * r
        uniq, pattern = compact(combined)
        table = (uniq[:, None] // radix[None, :]) % np.asarray(sizes, dtype=np.int64)[None, :]
    else:  # too many combinations for one integer key
        stacked = np.column_stack(codes)
        table, inverse = np.unique(stacked, axis=0, return_inverse=True)
        pattern = inverse.reshape(-1).astype(np.int64)
    counts = np.bincount(pattern, minlength=table.shape[0]).astype(np.float64)
    return Patterns(pattern, table.astype(np.int64), counts, tuple(levels))


def pattern_sums(p: Patterns, y: FloatArray) -> FloatArray:
    return np.asarray(np.bincount(p.pattern, weights=y, minlength=p.table.shape[0]),
                      dtype=np.float64)


def _independent(x: FloatArray, counts: FloatArray) -> list[int]:
    """Columns that are not linear combinations of earlier ones, decided on X'X (its entries
    are exact integer counts, whether summed over respondents or over patterns)."""
    gram = x.T @ (x * counts[:, None])
    chosen: list[int] = []
    for j in range(x.shape[1]):
        trial = [*chosen, j]
        if np.linalg.matrix_rank(gram[np.ix_(trial, trial)]) == len(trial):
            chosen.append(j)
    return chosen


def design(p: Patterns) -> FloatArray:
    """The P × k design: intercept, wave, then one dummy per group but the first (sorted) of
    each variable, without columns collinear with earlier ones (the wave is kept)."""
    rows = p.table.shape[0]
    columns = [np.ones((rows, 1))]
    for j, lv in enumerate(p.levels):
        dummies = np.zeros((rows, len(lv)))
        dummies[np.arange(rows), p.table[:, j + 1]] = 1.0
        columns.append(dummies[:, 1:])
    others = np.column_stack(columns)
    others = others[:, _independent(others, p.counts)]
    x = np.column_stack([others[:, :1], p.table[:, 0].astype(float), others[:, 1:]])
    if np.linalg.matrix_rank(x.T @ (x * p.counts[:, None])) < x.shape[1]:
        raise ValueError("the wave is confounded with the adjustment variables")
    return x


def cluster_scores(p: Patterns, x: FloatArray, residuals: FloatArray,
                   groups: IntArray, g_count: int) -> FloatArray:
    """G × k: each cluster's Σ x_i û_i (residuals per respondent)."""
    summed = sparse.csr_matrix((residuals, (groups, p.pattern)),
                               shape=(g_count, p.table.shape[0]))
    return np.asarray(summed @ x)


def sandwich(bread: AnyFloats, scores: FloatArray, n: int) -> tuple[FloatArray, int]:
    """Cluster-robust covariance with statsmodels' small-sample correction, from the G × k
    cluster scores."""
    g_count, k = scores.shape
    meat = scores.T @ scores
    factor = g_count / (g_count - 1) * (n - 1) / (n - k)
    return np.asarray(factor * bread @ meat @ bread, dtype=np.float64), g_count


def ols(p: Patterns, x: FloatArray, y: FloatArray, groups: IntArray, g_count: int
        ) -> tuple[FloatArray, FloatArray, int]:
    """β and its clustered covariance of OLS y ~ X (X given per pattern)."""
    bread = np.linalg.inv(x.T @ (x * p.counts[:, None]))
    beta = bread @ (x.T @ pattern_sums(p, y))
    residuals = y - (x @ beta)[p.pattern]
    cov, g = sandwich(bread, cluster_scores(p, x, residuals, groups, g_count), y.size)
    return beta, cov, g


def _expit(eta: FloatArray) -> FloatArray:
    """1/(1 + e^−η) without overflowing for a large −η (a group that answered all alike
    drives the logit's η far out: 1/(1 + inf) is 0, but numpy warns)."""
    return np.asarray(special.expit(eta), dtype=np.float64)


def logit(p: Patterns, x: FloatArray, y: FloatArray) -> FloatArray | None:
    """Newton-Raphson from β = 0 on the pattern counts and sums (None: no convergence, or a
    coefficient beyond ±15, i.e. a group that answered all alike)."""
    sums = pattern_sums(p, y)
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        prob = _expit(x @ beta)
        hessian = x.T @ (x * (p.counts * prob * (1 - prob))[:, None])
        try:
            step = np.linalg.solve(hessian, x.T @ (sums - p.counts * prob))
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            return None if np.max(np.abs(beta)) > 15 else beta
    return None


def logit_ame(p: Patterns, x: FloatArray, y: FloatArray, beta: FloatArray, groups: IntArray,
              g_count: int) -> tuple[float, float, int]:
    """The wave's average marginal effect (a share) and its clustered delta-method SE."""
    prob = _expit(x @ beta)
    bread = np.linalg.inv(x.T @ (x * (p.counts * prob * (1 - prob))[:, None]))
    residuals = y - prob[p.pattern]
    cov, g = sandwich(bread, cluster_scores(p, x, residuals, groups, g_count), y.size)
    x0, x1 = x.copy(), x.copy()
    x0[:, 1], x1[:, 1] = 0.0, 1.0
    p0, p1 = _expit(x0 @ beta), _expit(x1 @ beta)
    share = p.counts / y.size
    ame = float(share @ (p1 - p0))
    grad = share @ ((p1 * (1 - p1))[:, None] * x1 - (p0 * (1 - p0))[:, None] * x0)
    return ame, float(np.sqrt(max(float(grad @ cov @ grad), 0.0))), g

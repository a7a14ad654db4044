"""Post-stratification weights and Kish's effective sample size (INDICATORS.md §4.7).

Weight only general-population resident surveys (post-stratified by sex × age band to
census shares); never exit or intercept surveys of service users, whose population is
the users. The caller decides; this module only computes.

w_h = (N_h/N)/(n_h/n) for every respondent of cell h, then **trimmed** to [0.3, 3].
Trimmed weights are **not renormalised**: every estimator of the package is a ratio
(weighted mean or proportion) and Kish's n_eff = (Σw)²/Σw² is scale-invariant, so a
rescaling would change no result, while an iterative trim-and-rescale would push weights
back outside the bounds. After trimming, weighted cell shares no longer match the
population exactly; ``n_trimmed`` says how many respondents were affected.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ._common import FloatArray
from .result import NotComputable

TRIM = (0.3, 3.0)


@dataclass(frozen=True)
class PostStratWeights:
    """Respondent weights with their diagnostics.

    ``cell_weights`` maps each respondent cell to its untrimmed w_h; ``weights`` holds the
    trimmed weight of every respondent (same order as the input labels).
    """

    weights: FloatArray
    n_eff: float
    cell_weights: dict[Hashable, float]
    n_trimmed: int


def kish_n_eff(weights: npt.ArrayLike) -> float | NotComputable:
    """Kish effective sample size (Σw)²/Σw² (weights finite and ≥ 0)."""
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be a 1-D array of finite non-negative numbers")
    s2 = float(np.dot(w, w))
    if s2 == 0:
        return NotComputable("no respondent has a positive weight")
    return float(w.sum()) ** 2 / s2


def poststratification_weights(
    cells: npt.ArrayLike,
    population: Mapping[Hashable, float],
    *,
    trim: tuple[float, float] = TRIM,
) -> PostStratWeights | NotComputable:
    """Weights from respondent cell labels and population counts or shares per cell.

    ``population`` values may be counts N_h or shares; they are divided by their sum.
    Raises ``ValueError`` when a respondent's cell has no (or a zero) population share;
    NotComputable when a cell with a positive population share has no respondent (the
    sample cannot represent it), or when there are no respondents.
    """
    labels = np.asarray(cells)
    if labels.ndim != 1:
        raise ValueError("cells must be a 1-D array of cell labels")
    lo, hi = trim
    if not 0 < lo <= 1 <= hi:
        raise ValueError(f"trim bounds must satisfy 0 < low <= 1 <= high, got {trim}")
    shares = {key: float(v) for key, v in population.items()}
    if any(not np.isfinite(v) or v < 0 for v in shares.values()):
        raise ValueError("population counts or shares must be finite and non-negative")
    big_n = sum(shares.values())
    if big_n <= 0:
        raise ValueError("population counts or shares sum to zero")
    n = labels.shape[0]
    if n == 0:
        return NotComputable("no respondents to weight")
    uniq, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    keys: list[Hashable] = [u.item() if isinstance(u, np.generic) else u for u in uniq]
    unknown = [key for key in keys if shares.get(key, 0.0) <= 0]
    if unknown:
        raise ValueError(
            f"respondent cell(s) {sorted(map(str, unknown))} have no population share: "
            "fix the cell coding or the census table"
        )
    present = set(keys)
    empty = [key for key, v in shares.items() if v > 0 and key not in present]
    if empty:
        return NotComputable(
            f"cell(s) {sorted(map(str, empty))} have a population share but no respondent: "
            "cannot weight (merge cells, e.g. coarser age bands)"
        )
    cell_w = np.array(
        [(shares[key] / big_n) / (c / n) for key, c in zip(keys, counts, strict=True)]
    )
    trimmed = np.clip(cell_w, lo, hi)
    w = trimmed[inverse.reshape(-1)]
    n_trimmed = int(counts[trimmed != cell_w].sum())
    n_eff = float(w.sum()) ** 2 / float(np.dot(w, w))
    return PostStratWeights(
        weights=w,
        n_eff=n_eff,
        cell_weights={key: float(v) for key, v in zip(keys, cell_w, strict=True)},
        n_trimmed=n_trimmed,
    )

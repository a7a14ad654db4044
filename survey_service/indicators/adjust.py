"""Multiple-comparison adjustment (INDICATORS.md §4.6).

* Holm step-down for the confirmatory family: p_(i)^adj = max_{j≤i} min(1, (m − j + 1)p_(j)).
* Benjamini-Hochberg for exploratory item screening: p_(i)^adj = min_{j≥i} min(1, m·p_(j)/j).

Both equal ``statsmodels.stats.multitest.multipletests(p, method='holm'|'fdr_bh')``.
NotComputable entries are skipped (m counts only the computable p-values) and keep their
positions in the output. Ties in p keep their input order (stable sort), as statsmodels.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
import numpy as np

from .result import Adjustment, Comparison, NotComputable


def _holm(p: np.ndarray) -> np.ndarray:
    m = p.shape[0]
    order = np.argsort(p, kind="mergesort")
    raw = p[order] * np.arange(m, 0, -1)
    adj = np.minimum(1.0, np.maximum.accumulate(raw))
    out = np.empty(m)
    out[order] = adj
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    m = p.shape[0]
    order = np.argsort(p, kind="mergesort")
    raw = p[order] * m / np.arange(1, m + 1)
    adj = np.minimum(1.0, np.minimum.accumulate(raw[::-1])[::-1])
    out = np.empty(m)
    out[order] = adj
    return out


def adjust_pvalues(
    pvalues: Sequence[float | NotComputable], method: Adjustment
) -> list[float | NotComputable]:
    """Adjusted p-values in input order; NotComputable entries stay where they are."""
    idx: list[int] = []
    given: list[float] = []
    for i, p in enumerate(pvalues):
        if not isinstance(p, NotComputable):
            idx.append(i)
            given.append(float(p))
    vals = np.array(given, dtype=np.float64)
    if vals.size and (np.isnan(vals).any() or (vals < 0).any() or (vals > 1).any()):
        raise ValueError("p-values must lie in [0, 1]")
    if method == "holm":
        adj = _holm(vals)
    elif method == "fdr_bh":
        adj = _bh(vals)
    else:
        raise ValueError(f"unknown adjustment {method!r}: use 'holm' or 'fdr_bh'")
    out: list[float | NotComputable] = list(pvalues)
    for i, a in zip(idx, adj, strict=True):
        out[i] = float(a)
    return out


def adjust_comparisons(
    comparisons: Sequence[Comparison | NotComputable], method: Adjustment
) -> list[Comparison | NotComputable]:
    """Copies of the comparisons with ``p_adjusted`` and ``adjustment`` filled in.

    Pass the whole declared family at once (e.g. the confirmatory family of
    ``forms/expected-results.toml``) so that the adjusted p never depends on which subset
    a command happened to compute.
    """
    ps: list[float | NotComputable] = [
        c if isinstance(c, NotComputable) else c.p for c in comparisons
    ]
    adj = adjust_pvalues(ps, method)
    out: list[Comparison | NotComputable] = []
    for c, a in zip(comparisons, adj, strict=True):
        if isinstance(c, NotComputable) or isinstance(a, NotComputable):
            out.append(c)
        else:
            out.append(msgspec.structs.replace(c, p_adjusted=a, adjustment=method))
    return out

"""Who answered in each wave, and whether the mix differs (issue #19 §1): the counts of each
group of one variable (service, answering mode, municipality...) per wave, with Pearson's
chi-square test of independence of group and wave (no continuity correction; equal to
``scipy.stats.chi2_contingency(table, correction=False)``). Groups empty in both waves are
left out; with fewer than two groups there is nothing to test. ``sparse`` flags a table where
more than a fifth of the expected counts are under 5 (Cochran's rule: read the p with care).
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["Composition", "composition"]


class Composition(msgspec.Struct, frozen=True, kw_only=True):
    variable: str
    groups: list[str]
    baseline: list[int]
    follow_up: list[int]
    chi2: float | None = None
    df: int | None = None
    p: float | None = None
    sparse: bool = False


def composition(variable: str, baseline: npt.ArrayLike, follow_up: npt.ArrayLike
                ) -> Composition:
    """Counts per group in each wave (``baseline``/``follow_up``: a label per respondent)."""
    a = np.asarray(baseline).astype(str)
    b = np.asarray(follow_up).astype(str)
    groups = sorted(set(a.tolist()) | set(b.tolist()))
    counts_a = [int((a == g).sum()) for g in groups]
    counts_b = [int((b == g).sum()) for g in groups]
    result = Composition(variable=variable, groups=groups, baseline=counts_a,
                         follow_up=counts_b)
    if len(groups) < 2 or a.size == 0 or b.size == 0:
        return result
    table = np.array([counts_a, counts_b], dtype=np.float64)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    df = len(groups) - 1
    return msgspec.structs.replace(
        result, chi2=chi2, df=df, p=float(stats.chi2.sf(chi2, df)),
        sparse=bool((expected < 5).mean() > 0.2))

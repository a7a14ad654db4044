"""Difference-in-differences against a comparison group (issue #19 §4; pure: arrays in, a
struct out). Context for a before/after change, not a causal effect.

One row per respondent of four cells: the project's and the comparison group's baseline and
follow-up. The model is OLS y ~ 1 + follow_up + comparison + follow_up × comparison (for
%-positive figures a linear probability model on 0/1, or on each respondent's share positive
for several items, reported in points). The design is saturated, so the interaction is
exactly (project follow-up − project baseline) − (comparison follow-up − comparison
baseline) of the cell means; it is computed that way, and its standard error is the same
contrast's sandwich:

* clustered by fieldwork day *within each group* (a day at the project's sites and the same
  date at the comparison's are different clusters; respondents without a day are their own
  cluster): V = G/(G − 1)·(N − 1)/(N − 4)·Σ_g (Σ_{i∈g} c_i û_i)², with c_i = ±1/n_cell, the
  CI and p from t with G − 1 degrees of freedom (statsmodels ``cov_type='cluster'``,
  ``use_t=True``);
* without fieldwork days, HC1: N/(N − 4)·Σ_i (c_i û_i)², t with N − 4 degrees of freedom
  (statsmodels ``cov_type='HC1'``, ``use_t=True``).
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

from .result import NotComputable

__all__ = ["DiD", "difference_in_differences"]


class DiD(msgspec.Struct, frozen=True, kw_only=True):
    """The difference of the two changes, with its 95 % CI and t test."""

    project_baseline: float
    project_follow_up: float
    comparison_baseline: float
    comparison_follow_up: float
    did: float
    se: float
    ci_low: float
    ci_high: float
    statistic: float
    p: float
    df: int
    cov_type: str  # "cluster" (by fieldwork day within group) or "HC1"
    clusters: int  # 0 for HC1
    n: tuple[int, int, int, int]  # project baseline, follow-up; comparison baseline, follow-up

    @property
    def project_change(self) -> float:
        return self.project_follow_up - self.project_baseline

    @property
    def comparison_change(self) -> float:
        return self.comparison_follow_up - self.comparison_baseline


def _clusters(days: npt.NDArray[np.str_], group: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """A cluster per (group, day); each respondent without a day is a cluster of its own."""
    keys = np.char.add(np.where(group, "c:", "p:"), days.astype(np.str_))
    codes = np.unique(keys, return_inverse=True)[1].reshape(-1).astype(np.int64)
    absent = days == ""
    codes[absent] = codes.max() + 1 + np.arange(int(absent.sum()))
    return np.asarray(np.unique(codes, return_inverse=True)[1].reshape(-1), dtype=np.int64)


def difference_in_differences(
    y: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    comparison: npt.ArrayLike,
    days: npt.ArrayLike | None = None,
    *,
    scale: float = 1.0,
) -> DiD | NotComputable:
    """DiD of ``y`` (NaN: no value, left out) over the four cells; ``days``: each
    respondent's fieldwork day (ISO, "" for none), or None for HC1 standard errors.
    ``scale`` multiplies every figure (100 for a 0/1 outcome in points)."""
    values = np.asarray(y, dtype=np.float64)
    wave = np.asarray(follow_up, dtype=bool)
    group = np.asarray(comparison, dtype=bool)
    if not (values.shape == wave.shape == group.shape) or values.ndim != 1:
        raise ValueError("y, follow_up and comparison must be 1-d arrays of the same length")
    ok = ~np.isnan(values)
    day = None if days is None else np.asarray(days, dtype=np.str_)[ok]
    values, wave, group = values[ok], wave[ok], group[ok]
    cell = 2 * group.astype(np.int64) + wave.astype(np.int64)  # 0 pa, 1 pb, 2 ca, 3 cb
    counts = np.bincount(cell, minlength=4)
    if counts.min() < 2:
        return NotComputable("fewer than 2 answers in a wave of the project or the "
                             "comparison group")
    means = np.bincount(cell, weights=values, minlength=4) / counts
    contrast = np.asarray([-1.0, 1.0, 1.0, -1.0])  # (pb − pa) − (cb − ca)
    did = float(contrast @ means)
    n = values.size
    z = (contrast / counts)[cell] * (values - means[cell])
    if day is not None:
        clusters = _clusters(day, group)
        g = int(clusters.max()) + 1
        if g < 2:
            return NotComputable("all answers come from one fieldwork day: no clustered SE")
        summed = np.bincount(clusters, weights=z, minlength=g)
        variance = g / (g - 1) * (n - 1) / (n - 4) * float(summed @ summed)
        df, cov_type = g - 1, "cluster"
    else:
        g = 0
        variance = n / (n - 4) * float(z @ z)
        df, cov_type = n - 4, "HC1"
    se = float(np.sqrt(max(variance, 0.0)))
    q = float(stats.t.ppf(0.975, df))
    t = did / se if se > 0 else 0.0
    p = float(2 * stats.t.sf(abs(t), df)) if se > 0 else float(did == 0)
    s = scale
    return DiD(project_baseline=s * float(means[0]), project_follow_up=s * float(means[1]),
               comparison_baseline=s * float(means[2]), comparison_follow_up=s * float(means[3]),
               did=s * did, se=s * se, ci_low=s * (did - q * se), ci_high=s * (did + q * se),
               statistic=t, p=p, df=df, cov_type=cov_type, clusters=g,
               n=(int(counts[0]), int(counts[1]), int(counts[2]), int(counts[3])))

"""Descriptive precision of one wave (INDICATORS.md §4.5 and §4.7).

Conventions (apply to every :class:`~.result.Estimate` of the package):

* The finite population correction FPC = √((N − n)/(N − 1)) multiplies the standard
  error when the population size ``population`` = N is known (staff head count; optional
  for citizens). It is applied to *descriptive* estimates of a wave only; change tests in
  :mod:`.compare` never use it (superpopulation view, conservative).
* With weights, Kish's n_eff = (Σw)²/Σw² replaces n everywhere, including inside the FPC
  (which is conservative: n_eff ≤ n).
* Means: SE = (s/√n)·FPC with s the sample SD (ddof = 1; with weights the unbiased
  "reliability weights" SD Σw(x − x̄)²/(Σw − Σw²/Σw)); 95 % CI = x̄ ± t_{0.975, n−1}·SE
  (n_eff − 1 degrees of freedom with weights); ``moe`` = t·SE.
* Proportions: SE = √(p(1 − p)/n)·FPC and ``moe`` = z·SE exactly as in §4.5 (Wald); the
  reported CI is **Wilson's score interval** computed with n* = n/FPC² (n_eff/FPC² with
  weights), which stays inside [0, 100] and has non-zero width at p = 0 or 1; for a
  census (FPC = 0) it collapses to the point. Values are in percent.
* An estimate needs n ≥ 2 (and n_eff > 1 with weights): a single respondent has no
  spread, and a standard error of 0 would be made up.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ._common import Z95, as_values, as_weights, t_quantile
from .result import Estimate, NotComputable


def fpc(n: float, population: int | None) -> float:
    """√((N − n)/(N − 1)), or 1.0 when N is unknown. ``ValueError`` if n > N or N < 2."""
    if population is None:
        return 1.0
    if population < 2:
        raise ValueError(f"a population size must be >= 2, got {population}")
    if n > population + 1e-9:
        raise ValueError(f"the sample ({n:g}) is larger than the population ({population})")
    return math.sqrt(max(population - n, 0.0) / (population - 1))


def margin_of_error(p: float, n: float, population: int | None = None, *, z: float = Z95) -> float:
    """MoE of a proportion (fraction in [0, 1]): z·√(p(1 − p)/n)·FPC (§4.5)."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must be a fraction in [0, 1], got {p}")
    if n <= 0:
        raise ValueError("n must be positive")
    return z * math.sqrt(p * (1 - p) / n) * fpc(n, population)


def required_sample_size(
    margin: float, p: float = 0.5, population: int | None = None, *, z: float = Z95
) -> int:
    """n = n₀/(1 + (n₀ − 1)/N) with n₀ = z²p(1 − p)/e², rounded up (§4.5).

    ``margin`` e and ``p`` are fractions (0.05 = ±5 points). Without N, n₀ rounded up.
    """
    if not 0 < margin < 1:
        raise ValueError(f"margin must be a fraction in (0, 1), got {margin}")
    if not 0 < p < 1:
        raise ValueError(f"p must be in (0, 1), got {p}")
    n0 = z * z * p * (1 - p) / (margin * margin)
    n = n0 if population is None else n0 / (1 + (n0 - 1) / population)
    return math.ceil(round(n, 9))


def wilson_interval(p: float, n: float, *, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (fractions) for a proportion p observed on n (may be non-integer)."""
    if n <= 0:
        raise ValueError("n must be positive")
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(max(p * (1 - p) / n + z2 / (4 * n * n), 0.0))
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion_estimate(
    p: float,
    n: int,
    *,
    n_eff: float | None = None,
    population: int | None = None,
) -> Estimate | NotComputable:
    """Percent estimate from a fraction ``p`` observed on ``n`` valid answers.

    ``n_eff`` (Kish) replaces n for weighted data. Value, SE, MoE and CI are in percent.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be a fraction in [0, 1], got {p}")
    m = float(n) if n_eff is None else n_eff
    if n < 2 or m <= 1:
        return NotComputable(_few(n, m, n_eff is not None))
    f = fpc(m, population)
    se = math.sqrt(p * (1 - p) / m) * f
    if f > 0:
        lo, hi = wilson_interval(p, m / (f * f))
    else:
        lo = hi = p
    return Estimate(
        value=100 * p,
        se=100 * se,
        ci_low=100 * lo,
        ci_high=100 * hi,
        moe=100 * Z95 * se,
        n=int(n),
        n_eff=m,
        fpc=f,
    )


def weighted_mean_var(
    x: npt.NDArray[np.float64], w: npt.NDArray[np.float64] | None
) -> tuple[float, float | None, float]:
    """(mean, sample variance or None when undefined, n_eff) of non-NaN values.

    Unweighted: ddof = 1. Weighted: Σw(x − x̄)²/(Σw − Σw²/Σw) ("reliability weights",
    equal to ``np.cov(x, aweights=w, ddof=1)``). Identical values give a variance of
    exactly 0 (no rounding residue).
    """
    n = x.shape[0]
    if w is None:
        mean = float(x.mean())
        if n < 2:
            return mean, None, float(n)
        if float(x.max()) == float(x.min()):
            return float(x[0]), 0.0, float(n)
        return mean, float(x.var(ddof=1)), float(n)
    sw = float(w.sum())
    sw2 = float((w * w).sum())
    mean = float(np.dot(w, x) / sw)
    n_eff = sw * sw / sw2
    denom = sw - sw2 / sw
    if denom <= 0 or n_eff <= 1 + 1e-12:
        return mean, None, n_eff
    pos = x[w > 0]
    if float(pos.max()) == float(pos.min()):
        return float(pos[0]), 0.0, n_eff
    var = float(np.dot(w, (x - mean) ** 2) / denom)
    return mean, var, n_eff


def mean_estimate(
    values: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
    population: int | None = None,
) -> Estimate | NotComputable:
    """Mean with SE, t-based 95 % CI and FPC. NaN values (respondents without a value,
    e.g. composites under the 60 % rule) are dropped together with their weights."""
    x = as_values(values)
    w = as_weights(weights, x.shape[0])
    keep = ~np.isnan(x)
    if w is not None:
        keep &= w > 0
        w = w[keep]
    x = x[keep]
    n = int(x.shape[0])
    if n == 0:
        return NotComputable("no respondents with a value")
    mean, var, m = weighted_mean_var(x, w)
    return estimate_from_moments(mean, var, n, m, population, weighted=w is not None)


def estimate_from_moments(
    mean: float,
    var: float | None,
    n: int,
    n_eff: float,
    population: int | None,
    *,
    weighted: bool = False,
) -> Estimate | NotComputable:
    """Estimate of a mean from its sample moments (``var`` None = undefined)."""
    if n == 0:
        return NotComputable("no respondents with a value")
    if var is None or n < 2 or n_eff <= 1 + 1e-12:
        return NotComputable(_few(n, n_eff, weighted))
    f = fpc(n_eff, population)
    se = math.sqrt(var / n_eff) * f
    t = t_quantile(n_eff - 1)
    return Estimate(
        value=mean,
        se=se,
        ci_low=mean - t * se,
        ci_high=mean + t * se,
        moe=t * se,
        n=n,
        n_eff=n_eff,
        fpc=f,
    )


def _few(n: int, n_eff: float, weighted: bool) -> str:
    if n == 0:
        return "no valid answers"
    if n < 2:
        return "only one valid answer: no standard error"
    if weighted:
        return f"effective sample size {n_eff:.3g} is not above 1: no standard error"
    return "fewer than 2 valid answers: no standard error"

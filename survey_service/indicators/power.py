"""How many responses a wave needs, and the smallest change a wave can show (issue #19 §2).

Pure functions, no I/O. Every figure is per wave (baseline and follow-up of equal size) and
two-sided, as the report's tests are (INDICATORS.md §4):

* **Means and indices** (Welch t in the report): the two-sample t power of
  ``statsmodels.stats.power.TTestIndPower`` with Cohen's d = change/SD, i.e. the noncentral t
  with df = 2n − 2 and noncentrality d·√(n/2); power = P(T > t_crit) + P(T < −t_crit).
* **Percentages** (pooled two-proportion z): either Cohen's h = 2·asin√p₂ − 2·asin√p₁ with the
  normal power of ``NormalIndPower`` (both tails), or the "exact" (Fleiss, no continuity
  correction) formula n = [z_{α/2}·√(2p̄q̄) + z_β·√(p₁q₁ + p₂q₂)]²/(p₂ − p₁)², which is
  ``statsmodels.stats.proportion.samplesize_proportions_2indep_onetail``.
* **Holm**: a confirmatory result in a family of k is sure to be rejected by Holm's first step
  only if p < α/k, so planning uses α/k (:func:`alpha_share`); later steps are less strict, so
  this is conservative.
* **Design effect** (clustered fieldwork: days, desks): responses = n·deff; the smallest
  detectable change uses n/deff.
* **Finite population** (staff census, head count N): each wave's variance is multiplied by
  (N − n)/(N − 1), i.e. the t power is evaluated at n* = n·(N − 1)/(N − n). The report's change
  tests do not use the FPC (§4.5, superpopulation view), so the plan shows both.

Changes are in points (0-100 scales and percentages); proportions are fractions in (0, 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import msgspec
from scipy import optimize, stats

__all__ = [
    "Fieldwork",
    "alpha_share",
    "cohen_h",
    "fieldwork",
    "mdc_mean",
    "mdc_proportion",
    "n_mean_change",
    "n_proportion_change",
    "power_mean_change",
    "power_proportion_change",
]

_N_MAX = 1e9  # a search bound: no survey needs more per wave


def _check(alpha: float, power: float) -> None:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not alpha < power < 1:
        raise ValueError(f"power must be in (alpha, 1), got {power}")


def alpha_share(alpha: float, k: int) -> float:
    """The α a confirmatory result can count on in a Holm family of ``k``: α/k."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if k < 1:
        raise ValueError(f"a family has at least one member, got {k}")
    return alpha / k


def cohen_h(p1: float, p2: float) -> float:
    """2·asin√p₂ − 2·asin√p₁ (``statsmodels proportion_effectsize(p2, p1)``)."""
    for p in (p1, p2):
        if not 0 <= p <= 1:
            raise ValueError(f"a proportion must lie in [0, 1], got {p}")
    return 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))


def _t_power(d: float, n: float, alpha: float) -> float:
    """Power of the two-sided two-sample t with n per group (``TTestIndPower.power``)."""
    df = 2 * n - 2
    nc = d * math.sqrt(n / 2)
    crit = float(stats.t.isf(alpha / 2, df))
    far = float(stats.nct.cdf(-crit, df, nc))  # the far tail: scipy may give NaN for ~0
    return float(stats.nct.sf(crit, df, nc)) + (far if math.isfinite(far) else 0.0)


def _z_power(h: float, n: float, alpha: float) -> float:
    """Power of the two-sided two-sample z with n per group (``NormalIndPower.power``)."""
    crit = float(stats.norm.isf(alpha / 2))
    shift = h * math.sqrt(n / 2)
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def power_mean_change(change: float, sd: float, n: float, *, alpha: float = 0.05) -> float:
    """Power to detect ``change`` (points) with ``n`` per wave when the SD is ``sd``."""
    if sd <= 0:
        raise ValueError(f"the SD must be positive, got {sd}")
    if n < 2:
        raise ValueError(f"a wave needs at least 2 responses, got {n}")
    return _t_power(abs(change) / sd, n, alpha)


def power_proportion_change(p1: float, p2: float, n: float, *, alpha: float = 0.05) -> float:
    """Power (Cohen's h, normal) to detect p₁ → p₂ with ``n`` per wave."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    return _z_power(abs(cohen_h(p1, p2)), n, alpha)


def _solve_n(power_at: Callable[[float], float], power: float, low: float) -> float:
    if power_at(low) >= power:
        return low
    high = max(2 * low, 4.0)
    while power_at(high) < power:
        if high > _N_MAX:
            raise ValueError("the change is too small to detect with any sample")
        low, high = high, 2 * high
    return float(
        optimize.brentq(lambda n: power_at(n) - power, low, high, xtol=1e-12, rtol=1e-15)
    )


def n_mean_change(
    change: float, sd: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Responses per wave (unrounded, before the design effect) to detect ``change``."""
    _check(alpha, power)
    if change == 0:
        raise ValueError("a change of 0 cannot be detected")
    if sd <= 0:
        raise ValueError(f"the SD must be positive, got {sd}")
    d = abs(change) / sd
    return _solve_n(lambda n: _t_power(d, n, alpha), power, 2.0 + 1e-9)


def n_proportion_change(
    p1: float,
    p2: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    method: str = "cohen_h",
) -> float:
    """Responses per wave (unrounded, before the design effect) to detect p₁ → p₂.

    ``method``: ``"cohen_h"`` (arcsine, both tails) or ``"exact"`` (Fleiss, one tail).
    """
    _check(alpha, power)
    if p1 == p2:
        raise ValueError("a change of 0 cannot be detected")
    for p in (p1, p2):
        if not 0 < p < 1:
            raise ValueError(f"a proportion must lie in (0, 1), got {p}")
    if method == "cohen_h":
        h = abs(cohen_h(p1, p2))
        return _solve_n(lambda n: _z_power(h, n, alpha), power, 1e-9)
    if method == "exact":
        z_a = float(stats.norm.isf(alpha / 2))
        z_b = float(stats.norm.isf(1 - power))
        pbar = (p1 + p2) / 2
        root = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(
            p1 * (1 - p1) + p2 * (1 - p2)
        )
        return (max(root, 0.0) / (p2 - p1)) ** 2
    raise ValueError(f"unknown method {method!r}: use 'cohen_h' or 'exact'")


def _effective_n(n: float, deff: float, population: int | None) -> float:
    if deff < 1:
        raise ValueError(f"a design effect is at least 1, got {deff}")
    n_eff = n / deff
    if population is None:
        return n_eff
    if population < 2 or n > population:
        raise ValueError(f"{n:g} responses cannot come from a population of {population}")
    if n >= population:
        return math.inf
    return n_eff * (population - 1) / (population - n)


def mdc_mean(
    n: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    deff: float = 1.0,
    population: int | None = None,
) -> float:
    """Smallest change (points) of a mean detectable with ``n`` responses per wave.

    With ``population`` (a head count), each wave's variance carries the FPC."""
    _check(alpha, power)
    if sd <= 0:
        raise ValueError(f"the SD must be positive, got {sd}")
    m = _effective_n(n, deff, population)
    if math.isinf(m):
        return 0.0
    if m < 2:
        raise ValueError(f"a wave needs at least 2 responses, got {m:g}")
    high = 1.0
    while _t_power(high, m, alpha) < power:
        high *= 2
    d = optimize.brentq(lambda e: _t_power(e, m, alpha) - power, 1e-12, high, xtol=1e-14)
    return float(d) * sd


def mdc_proportion(
    p1: float,
    n: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    deff: float = 1.0,
    population: int | None = None,
) -> float | None:
    """Smallest rise (points) from p₁ detectable with ``n`` per wave (Cohen's h), or
    ``None`` when no rise to at most 100 % could be detected."""
    _check(alpha, power)
    if not 0 <= p1 < 1:
        raise ValueError(f"a baseline proportion must lie in [0, 1), got {p1}")
    m = _effective_n(n, deff, population)
    if math.isinf(m):
        return 0.0
    h_max = cohen_h(p1, 1.0)
    if _z_power(h_max, m, alpha) < power:
        return None
    h = optimize.brentq(lambda e: _z_power(e, m, alpha) - power, 1e-12, h_max, xtol=1e-14)
    p2 = math.sin(math.asin(math.sqrt(p1)) + float(h) / 2) ** 2
    return 100 * (p2 - p1)


class Fieldwork(msgspec.Struct, frozen=True, kw_only=True):
    """What a wave needs: responses (after the design effect), forms to hand out (after the
    response rate) and fieldwork days (from visitors per day), or ``None`` when not given."""

    n: float
    responses: int
    forms: int | None
    days: int | None


def fieldwork(
    n: float,
    *,
    deff: float = 1.0,
    response_rate: float | None = None,
    visitors_per_day: float | None = None,
) -> Fieldwork:
    """From a per-wave ``n``: responses = ⌈n·deff⌉, forms = ⌈responses/rate⌉, days =
    ⌈forms/visitors per day⌉ (every visitor is offered a form)."""
    if deff < 1:
        raise ValueError(f"a design effect is at least 1, got {deff}")
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    responses = math.ceil(round(n * deff, 9))
    forms = None
    if response_rate is not None:
        if not 0 < response_rate <= 1:
            raise ValueError(f"a response rate must be in (0, 1], got {response_rate}")
        forms = math.ceil(round(responses / response_rate, 9))
    days = None
    if visitors_per_day is not None:
        if visitors_per_day <= 0:
            raise ValueError(f"visitors per day must be positive, got {visitors_per_day}")
        days = math.ceil(round((forms if forms is not None else responses) / visitors_per_day, 9))
    return Fieldwork(n=n, responses=responses, forms=forms, days=days)

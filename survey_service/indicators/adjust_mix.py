"""The change between two waves adjusted for who answered (issue #19 §1).

Not :mod:`.adjust` (Holm/BH p-value adjustment). Pure: arrays in, structs out. Inputs are
one row per respondent of both waves: the outcome ``y`` (a 0-100 score, or 0/1 "positive"
for percentages, reported in points), ``follow_up`` (False for the baseline wave), the
adjustment variables (name -> a group label per respondent, e.g. service, organisation,
answering mode) and ``cluster`` (the fieldwork day; respondents without one are their own
cluster).

* **Direct standardisation** to a fixed mix: cells are the combinations of the adjustment
  variables; every wave's cell needs at least ``min_cell`` respondents, smaller cells are
  collapsed (last variable first, then the next, ...; a remainder still too small joins the
  largest cell) and the collapsed cells are named. Each wave's figure is Σ_c w_c·ȳ_c with the
  pooled shares w_c = (n_c,baseline + n_c,follow-up)/n. Its standard error is that of the same
  contrast in the saturated regression y ~ cell × wave (identical point estimate).
* **Regression adjustment**: OLS y ~ wave + main effects (indices), or a logit with the
  average marginal effect of the wave, the mean of Λ(x_i with wave = 1) − Λ(x_i with wave = 0),
  in points (percentages), its SE by the delta method. A logit that does not converge (a
  group answered all alike) falls back to the linear probability model, and says so.
* Standard errors are clustered by day: V = (X'X)⁻¹(Σ_g X_g'û_g û_g'X_g)(X'X)⁻¹ (H⁻¹ and scores
  for the logit) times G/(G − 1)·(N − 1)/(N − K), CIs and p from t with G − 1 degrees of
  freedom; exactly statsmodels' ``cov_type='cluster'`` with ``use_t=True``.
* **Kitagawa split** of the crude change over the same cells: "change in mix"
  Σ(p_c,b − p_c,a)(ȳ_c,a + ȳ_c,b)/2 plus "change within groups" Σ(ȳ_c,b − ȳ_c,a)(p_c,a + p_c,b)/2,
  which sum exactly to the crude change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

from . import adjust_fit as fit
from ._common import FloatArray
from .result import NotComputable

__all__ = [
    "AdjustedChange",
    "Cells",
    "MixSplit",
    "collapse_cells",
    "kitagawa_split",
    "regression_adjust",
    "standardise",
]

MIN_CELL = 20
Labels = npt.NDArray[Any]


class AdjustedChange(msgspec.Struct, frozen=True, kw_only=True):
    """A change adjusted for the mix, in points, with its clustered SE and 95 % CI."""

    method: str  # "standardised", "ols", "logit" or "linear probability"
    crude: float
    change: float
    se: float
    ci_low: float
    ci_high: float
    p: float
    n1: int
    n2: int
    clusters: int
    baseline: float | None = None  # standardised figures of each wave
    follow_up: float | None = None
    cells: int = 0  # standardised: the cells after collapsing
    collapsed: tuple[str, ...] = ()
    note: str = ""


class MixSplit(msgspec.Struct, frozen=True, kw_only=True):
    """Crude change = change in mix + change within groups (Kitagawa)."""

    crude: float
    mix: float
    within: float
    cells: int


@dataclass(frozen=True)
class Cells:
    """Each respondent's cell (``codes`` index ``names``), and the cells that were collapsed
    into coarser ones."""

    codes: npt.NDArray[np.int64]
    names: tuple[str, ...]
    collapsed: tuple[str, ...]

    @property
    def labels(self) -> npt.NDArray[np.str_]:
        return np.asarray(self.names, dtype=np.str_)[self.codes]


def _clean(y: npt.ArrayLike, follow_up: npt.ArrayLike) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    values = np.asarray(y, dtype=np.float64)
    wave = np.asarray(follow_up, dtype=bool)
    if values.shape != wave.shape or values.ndim != 1:
        raise ValueError("y and follow_up must be 1-d arrays of the same length")
    return values, wave


def collapse_cells(
    covariates: Mapping[str, npt.ArrayLike], follow_up: npt.ArrayLike, min_cell: int = MIN_CELL
) -> Cells:
    """Cells of the adjustment variables with at least ``min_cell`` respondents in each wave
    (on the distinct (wave, groups) patterns with their counts: an integer code per variable,
    -1 where a cell was collapsed)."""
    wave = np.asarray(follow_up, dtype=bool)
    names = list(covariates)
    found = fit.patterns(wave, {n: np.asarray(covariates[n]) for n in names})
    levels = list(found.levels)
    keys = found.table[:, 1:].copy()
    pwave = found.table[:, 0].astype(bool)
    weight = found.counts
    bases = np.cumprod([1, *(len(v) + 1 for v in levels)])[:-1].astype(np.int64)
    collapsed: list[str] = []

    def tally() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Unique cells (one row of keys each), each pattern's cell, min count per wave."""
        combined = (keys + 1) @ bases if names else np.zeros(len(keys), dtype=np.int64)
        _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        k = first.size
        per_wave = np.minimum(np.bincount(inverse[~pwave], weights=weight[~pwave], minlength=k),
                              np.bincount(inverse[pwave], weights=weight[pwave], minlength=k))
        return keys[first], inverse, per_wave.astype(np.int64)

    for level in range(len(names), 0, -1):
        unique, inverse, per_wave = tally()
        small = per_wave < min_cell
        if not small.any():
            break
        collapsed += sorted(_label(names, levels, k) for k in unique[small] if (k >= 0).all())
        keys[small[inverse], level - 1:] = -1
    unique, inverse, per_wave = tally()
    rest = (unique == -1).all(axis=1) if names else np.zeros(len(unique), dtype=bool)
    if rest.any() and per_wave[rest][0] < min_cell and (~rest).any():
        sizes = np.bincount(inverse, weights=weight, minlength=len(unique))
        sizes[rest] = -1
        keys[rest[inverse]] = unique[int(np.argmax(sizes))]
        unique, inverse, _ = tally()
    return Cells(inverse.astype(np.int64)[found.pattern],
                 tuple(_label(names, levels, k) for k in unique),
                 tuple(dict.fromkeys(collapsed)))


def _label(names: list[str], levels: list[npt.NDArray[Any]],
           key: npt.NDArray[np.int64]) -> str:
    parts = [f"{n}={lv[k]}" for n, lv, k in zip(names, levels, key.tolist(), strict=True)
             if k >= 0]
    return ", ".join(parts) or "all"


def _groups(cluster: npt.ArrayLike | None, n: int) -> npt.NDArray[np.int64]:
    if cluster is None:
        return np.arange(n)
    raw = np.asarray(cluster)
    if raw.dtype.kind in "iub":  # integer day codes: every value its own cluster
        return fit.compact(raw)[1]
    if raw.dtype.kind in "US":
        absent = raw == ""
    else:
        absent = np.asarray([v is None or v == "" for v in raw.tolist()], dtype=bool)
    ids = np.unique(raw[~absent].astype(str), return_inverse=True)[1].reshape(-1)
    out = np.empty(n, dtype=np.int64)
    out[~absent] = ids
    out[absent] = (ids.max() + 1 if ids.size else 0) + np.arange(int(absent.sum()))
    return out  # respondents without a day are each their own cluster


def _result(method: str, crude: float, change: float, se: float, clusters: int,
            n1: int, n2: int, **extra: object) -> AdjustedChange:
    df = clusters - 1
    t = change / se if se > 0 else 0.0
    q = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(t), df)) if se > 0 else float(change == 0)
    return AdjustedChange(method=method, crude=crude, change=change, se=se,
                          ci_low=change - q * se, ci_high=change + q * se, p=p, n1=n1, n2=n2,
                          clusters=clusters, **extra)  # type: ignore[arg-type]


def _crude(y: FloatArray, wave: npt.NDArray[np.bool_]) -> float:
    return float(y[wave].mean() - y[~wave].mean())


def _prepare(y: npt.ArrayLike, follow_up: npt.ArrayLike, covariates: Mapping[str, npt.ArrayLike],
             cluster: npt.ArrayLike | None
             ) -> tuple[FloatArray, npt.NDArray[np.bool_], dict[str, Labels],
                        npt.NDArray[np.int64]] | NotComputable:
    values, wave = _clean(y, follow_up)
    ok = ~np.isnan(values)
    covs = {k: np.asarray(v)[ok] for k, v in covariates.items()}
    groups = _groups(None if cluster is None else np.asarray(cluster)[ok], int(ok.sum()))
    values, wave = values[ok], wave[ok]
    if min(int(wave.sum()), int((~wave).sum())) < 2:
        return NotComputable("fewer than 2 respondents in a wave")
    if int(groups.max()) + 1 < 2:
        return NotComputable("all answers come from one fieldwork day: no clustered SE")
    return values, wave, covs, groups


def standardise(
    y: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    covariates: Mapping[str, npt.ArrayLike],
    cluster: npt.ArrayLike | None = None,
    *,
    min_cell: int = MIN_CELL,
) -> AdjustedChange | NotComputable:
    """Both waves standardised to the pooled mix of the (collapsed) cells."""
    prepared = _prepare(y, follow_up, covariates, cluster)
    if isinstance(prepared, NotComputable):
        return prepared
    values, wave, covs, groups = prepared
    cells = collapse_cells(covs, wave, min_cell)
    k = len(cells.names)
    # the saturated model y ~ cell × wave, without its n × 2k design: β are the cell means of
    # each wave, X'X is diagonal (the counts), so the contrast's sandwich is a sum per day
    column = 2 * cells.codes + wave
    counts = np.bincount(column, minlength=2 * k).astype(float)
    if (counts == 0).any():
        return NotComputable("a cell has no respondents in one wave")
    beta = np.bincount(column, weights=values, minlength=2 * k) / counts
    weights = np.bincount(cells.codes, minlength=k) / values.size
    contrast_a = np.zeros(2 * k)
    contrast_a[0::2] = weights
    contrast_b = np.zeros(2 * k)
    contrast_b[1::2] = weights
    contrast = contrast_b - contrast_a
    change = float(contrast @ beta)
    z = (contrast / counts)[column] * (values - beta[column])
    g = int(groups.max()) + 1
    summed = np.bincount(groups, weights=z, minlength=g)
    factor = g / (g - 1) * (values.size - 1) / (values.size - 2 * k)
    se = float(np.sqrt(max(factor * float(summed @ summed), 0.0)))
    note = (f"cells under {min_cell} collapsed: {'; '.join(cells.collapsed)}"
            if cells.collapsed else "")
    return _result("standardised", _crude(values, wave), change, se, g,
                   int((~wave).sum()), int(wave.sum()),
                   baseline=float(contrast_a @ beta), follow_up=float(contrast_b @ beta),
                   cells=k, collapsed=cells.collapsed, note=note)


def regression_adjust(
    y: npt.ArrayLike,
    follow_up: npt.ArrayLike,
    covariates: Mapping[str, npt.ArrayLike],
    cluster: npt.ArrayLike | None = None,
    *,
    binary: bool = False,
) -> AdjustedChange | NotComputable:
    """OLS (``binary=False``: ``y`` a score) or logit AME in points (``y`` 0/1)."""
    prepared = _prepare(y, follow_up, covariates, cluster)
    if isinstance(prepared, NotComputable):
        return prepared
    values, wave, covs, groups = prepared
    found = fit.patterns(wave, covs)
    try:
        x = fit.design(found)
    except ValueError as exc:
        return NotComputable(str(exc))
    n1, n2 = int((~wave).sum()), int(wave.sum())
    crude = _crude(values, wave)
    g_count = int(groups.max()) + 1
    if binary:
        if not np.isin(values, (0.0, 1.0)).all():
            raise ValueError("a binary outcome takes only the values 0 and 1")
        beta = fit.logit(found, x, values)
        if beta is not None:
            ame, se, g = fit.logit_ame(found, x, values, beta, groups, g_count)
            return _result("logit", 100 * crude, 100 * ame, 100 * se, g, n1, n2)
    # a score, or a 0/1 outcome whose logit did not converge: OLS (in points for 0/1)
    beta, cov, g = fit.ols(found, x, values, groups, g_count)
    scale, method, note = ((100.0, "linear probability",
                            "the logit did not converge (a group answered all alike): "
                            "linear probability model") if binary else (1.0, "ols", ""))
    return _result(method, scale * crude, scale * float(beta[1]),
                   scale * float(np.sqrt(max(cov[1, 1], 0.0))), g, n1, n2, note=note)


def kitagawa_split(y: npt.ArrayLike, follow_up: npt.ArrayLike, cells: npt.ArrayLike
                   ) -> MixSplit | NotComputable:
    """Crude change = Σ(p_b − p_a)(ȳ_a + ȳ_b)/2 + Σ(ȳ_b − ȳ_a)(p_a + p_b)/2 over ``cells``.

    A cell present in one wave only takes that wave's mean for the other (it adds to the
    mix, not to the change within groups)."""
    values, wave = _clean(y, follow_up)
    ok = ~np.isnan(values)
    values, wave = values[ok], wave[ok]
    # cells of the respondents with a value only: a cell empty in both waves would make
    # the split 0·NaN
    codes = np.unique(np.asarray(cells)[ok], return_inverse=True)[1].reshape(-1)
    if not wave.any() or wave.all():
        return NotComputable("a wave has no respondents")
    k = int(codes.max()) + 1
    n_a = np.bincount(codes[~wave], minlength=k).astype(float)
    n_b = np.bincount(codes[wave], minlength=k).astype(float)
    sum_a = np.bincount(codes[~wave], weights=values[~wave], minlength=k)
    sum_b = np.bincount(codes[wave], weights=values[wave], minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        ya, yb = sum_a / n_a, sum_b / n_b
    ya = np.where(n_a > 0, ya, yb)  # a cell of one wave only: its mix, no change within
    yb = np.where(n_b > 0, yb, ya)
    pa, pb = n_a / n_a.sum(), n_b / n_b.sum()
    mix = float(((pb - pa) * (ya + yb) / 2).sum())
    within = float(((yb - ya) * (pa + pb) / 2).sum())
    return MixSplit(crude=_crude(values, wave), mix=mix, within=within, cells=k)

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

from collections import Counter
from collections.abc import Mapping
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt
from scipy import stats

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
Labels = npt.NDArray[np.str_]


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


class Cells(msgspec.Struct, frozen=True):
    """A cell label per respondent, and the cells that were collapsed into coarser ones."""

    labels: tuple[str, ...]
    collapsed: tuple[str, ...]


def _clean(y: npt.ArrayLike, follow_up: npt.ArrayLike) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    values = np.asarray(y, dtype=np.float64)
    wave = np.asarray(follow_up, dtype=bool)
    if values.shape != wave.shape or values.ndim != 1:
        raise ValueError("y and follow_up must be 1-d arrays of the same length")
    return values, wave


def collapse_cells(
    covariates: Mapping[str, npt.ArrayLike], follow_up: npt.ArrayLike, min_cell: int = MIN_CELL
) -> Cells:
    """Cells of the adjustment variables with at least ``min_cell`` respondents in each wave."""
    wave = np.asarray(follow_up, dtype=bool)
    names = list(covariates)
    columns = [np.asarray(covariates[v]).astype(str) for v in names]
    keys = [tuple(col[i] for col in columns) for i in range(wave.size)]
    collapsed: list[str] = []
    for level in range(len(names), 0, -1):
        counts = Counter(zip(keys, wave.tolist(), strict=True))
        small = {k for k in set(keys) if min(counts[(k, False)], counts[(k, True)]) < min_cell}
        if not small:
            break
        collapsed += sorted(_label(names, k) for k in small if "*" not in k)
        keys = [(*k[: level - 1], *("*",) * (len(names) - level + 1)) if k in small else k
                for k in keys]
    counts = Counter(zip(keys, wave.tolist(), strict=True))
    rest = tuple("*" for _ in names)
    if names and rest in set(keys) and min(counts[(rest, False)], counts[(rest, True)]) < min_cell:
        sizes = Counter(k for k in keys if k != rest)
        if sizes:
            largest = max(sizes, key=lambda k: (sizes[k], k))
            keys = [largest if k == rest else k for k in keys]
    labels = tuple(_label(names, k) for k in keys)
    return Cells(labels, tuple(dict.fromkeys(collapsed)))


def _label(names: list[str], key: tuple[str, ...]) -> str:
    parts = [f"{n}={v}" for n, v in zip(names, key, strict=True) if v != "*"]
    return ", ".join(parts) or "all"


def _dummies(labels: npt.ArrayLike) -> FloatArray:
    values = np.asarray(labels).astype(str)
    levels = sorted(set(values.tolist()))
    return np.column_stack([(values == lv).astype(float) for lv in levels[1:]]) if len(
        levels) > 1 else np.zeros((values.size, 0))


def _independent(x: FloatArray) -> FloatArray:
    """Drop columns that are linear combinations of earlier ones."""
    chosen: list[int] = []
    for j in range(x.shape[1]):
        if np.linalg.matrix_rank(x[:, [*chosen, j]]) == len(chosen) + 1:
            chosen.append(j)
    return x[:, chosen]


def _groups(cluster: npt.ArrayLike | None, n: int) -> npt.NDArray[np.int64]:
    if cluster is None:
        return np.arange(n)
    raw = np.asarray(cluster, dtype=object)
    ids = [f"\0{i}" if v is None or v == "" else str(v) for i, v in enumerate(raw.tolist())]
    return np.unique(np.asarray(ids), return_inverse=True)[1].astype(np.int64)


AnyFloats = npt.NDArray[np.floating[Any]]


def _sandwich(bread: AnyFloats, scores: AnyFloats, groups: npt.NDArray[np.int64]
              ) -> tuple[FloatArray, int]:
    """Cluster-robust covariance with statsmodels' small-sample correction."""
    n, k = scores.shape
    g_count = int(groups.max()) + 1
    summed = np.zeros((g_count, k))
    np.add.at(summed, groups, scores)
    meat = summed.T @ summed
    factor = g_count / (g_count - 1) * (n - 1) / (n - k)
    return factor * bread @ meat @ bread, g_count


def _result(method: str, crude: float, change: float, se: float, clusters: int,
            n1: int, n2: int, **extra: object) -> AdjustedChange:
    df = clusters - 1
    t = change / se if se > 0 else 0.0
    q = float(stats.t.ppf(0.975, df))
    p = float(2 * stats.t.sf(abs(t), df)) if se > 0 else float(change == 0)
    return AdjustedChange(method=method, crude=crude, change=change, se=se,
                          ci_low=change - q * se, ci_high=change + q * se, p=p, n1=n1, n2=n2,
                          clusters=clusters, **extra)  # type: ignore[arg-type]


def _ols(x: FloatArray, y: FloatArray, groups: npt.NDArray[np.int64]
         ) -> tuple[FloatArray, FloatArray, int]:
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ x.T @ y
    cov, g = _sandwich(bread, x * (y - x @ beta)[:, None], groups)
    return beta, cov, g


def _crude(y: FloatArray, wave: npt.NDArray[np.bool_]) -> float:
    return float(y[wave].mean() - y[~wave].mean())


def _prepare(y: npt.ArrayLike, follow_up: npt.ArrayLike, covariates: Mapping[str, npt.ArrayLike],
             cluster: npt.ArrayLike | None
             ) -> tuple[FloatArray, npt.NDArray[np.bool_], dict[str, Labels],
                        npt.NDArray[np.int64]] | NotComputable:
    values, wave = _clean(y, follow_up)
    ok = ~np.isnan(values)
    covs = {k: np.asarray(v).astype(str)[ok] for k, v in covariates.items()}
    groups = _groups(None if cluster is None else np.asarray(cluster, dtype=object)[ok],
                     int(ok.sum()))
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
    labels = np.asarray(cells.labels)
    levels = sorted(set(cells.labels))
    # saturated model: a mean per cell and wave; the contrast gives Σ w_c (ȳ_c,b − ȳ_c,a)
    cols = [((labels == c) & (wave == w)).astype(float) for c in levels for w in (False, True)]
    x = np.column_stack(cols)
    if (x.sum(axis=0) == 0).any():
        return NotComputable("a cell has no respondents in one wave")
    beta, cov, g = _ols(x, values, groups)
    weights = np.array([(labels == c).mean() for c in levels])
    contrast_a = np.zeros(x.shape[1])
    contrast_a[0::2] = weights
    contrast_b = np.zeros(x.shape[1])
    contrast_b[1::2] = weights
    contrast = contrast_b - contrast_a
    change = float(contrast @ beta)
    se = float(np.sqrt(max(float(contrast @ cov @ contrast), 0.0)))
    note = (f"cells under {min_cell} collapsed: {'; '.join(cells.collapsed)}"
            if cells.collapsed else "")
    return _result("standardised", _crude(values, wave), change, se, g,
                   int((~wave).sum()), int(wave.sum()),
                   baseline=float(contrast_a @ beta), follow_up=float(contrast_b @ beta),
                   cells=len(levels), collapsed=cells.collapsed, note=note)


def _design(wave: npt.NDArray[np.bool_], covs: Mapping[str, Labels]) -> FloatArray:
    others = _independent(np.column_stack(
        [np.ones((wave.size, 1)), *(_dummies(v) for v in covs.values())]))
    x = np.column_stack([others[:, :1], wave.astype(float), others[:, 1:]])
    if np.linalg.matrix_rank(x) < x.shape[1]:
        raise ValueError("the wave is confounded with the adjustment variables")
    return x


def _logit(x: FloatArray, y: FloatArray) -> FloatArray | None:
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ beta)))
        hessian = x.T @ (x * (p * (1 - p))[:, None])
        try:
            step = np.linalg.solve(hessian, x.T @ (y - p))
        except np.linalg.LinAlgError:
            return None
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            return None if np.max(np.abs(beta)) > 15 else beta
    return None


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
    try:
        x = _design(wave, covs)
    except ValueError as exc:
        return NotComputable(str(exc))
    n1, n2 = int((~wave).sum()), int(wave.sum())
    crude = _crude(values, wave)
    if binary:
        if not np.isin(values, (0.0, 1.0)).all():
            raise ValueError("a binary outcome takes only the values 0 and 1")
        beta = _logit(x, values)
        if beta is not None:
            p = 1 / (1 + np.exp(-(x @ beta)))
            bread = np.linalg.inv(x.T @ (x * (p * (1 - p))[:, None]))
            cov, g = _sandwich(bread, x * (values - p)[:, None], groups)
            x0, x1 = x.copy(), x.copy()
            x0[:, 1], x1[:, 1] = 0.0, 1.0
            p0, p1 = 1 / (1 + np.exp(-(x0 @ beta))), 1 / (1 + np.exp(-(x1 @ beta)))
            ame = float(np.mean(p1 - p0))
            grad = ((p1 * (1 - p1))[:, None] * x1 - (p0 * (1 - p0))[:, None] * x0).mean(axis=0)
            se = float(np.sqrt(max(float(grad @ cov @ grad), 0.0)))
            return _result("logit", 100 * crude, 100 * ame, 100 * se, g, n1, n2)
        beta, cov, g = _ols(x, values, groups)
        return _result("linear probability", 100 * crude, 100 * float(beta[1]),
                       100 * float(np.sqrt(max(cov[1, 1], 0.0))), g, n1, n2,
                       note="the logit did not converge (a group answered all alike): "
                            "linear probability model")
    beta, cov, g = _ols(x, values, groups)
    return _result("ols", crude, float(beta[1]), float(np.sqrt(max(cov[1, 1], 0.0))), g, n1, n2)


def kitagawa_split(y: npt.ArrayLike, follow_up: npt.ArrayLike, cells: npt.ArrayLike
                   ) -> MixSplit | NotComputable:
    """Crude change = Σ(p_b − p_a)(ȳ_a + ȳ_b)/2 + Σ(ȳ_b − ȳ_a)(p_a + p_b)/2 over ``cells``.

    A cell present in one wave only takes that wave's mean for the other (it adds to the
    mix, not to the change within groups)."""
    values, wave = _clean(y, follow_up)
    labels = np.asarray(cells).astype(str)
    ok = ~np.isnan(values)
    values, wave, labels = values[ok], wave[ok], labels[ok]
    if not wave.any() or wave.all():
        return NotComputable("a wave has no respondents")
    mix = within = 0.0
    levels = sorted(set(labels.tolist()))
    for c in levels:
        in_a, in_b = (labels == c) & ~wave, (labels == c) & wave
        pa, pb = in_a.sum() / (~wave).sum(), in_b.sum() / wave.sum()
        ya = float(values[in_a].mean()) if in_a.any() else float(values[in_b].mean())
        yb = float(values[in_b].mean()) if in_b.any() else ya
        mix += (pb - pa) * (ya + yb) / 2
        within += (yb - ya) * (pa + pb) / 2
    return MixSplit(crude=_crude(values, wave), mix=float(mix), within=float(within),
                    cells=len(levels))

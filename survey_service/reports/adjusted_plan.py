"""The adjusted-change section (:mod:`.mix`) as the disclosure attacker reads it (issue #14).

Per indicator the section publishes linear equations in the answers of *both* waves, each a
weighted sum of the figure's values over sets of atoms (:data:`..indicators.disclosure.Combo`),
with wave b's atoms numbered after wave a's:

- each wave's standardised figure, Σ_c w_c · value(cell c of that wave), w_c the pooled shares
  of the cells of the adjustment variables (unions of atoms when those variables are among
  organisation, mode and service: the atoms' own dimensions);
- the crude change, value(all of b) − value(all of a);
- the Kitagawa change in mix, Σ_c (p_c,b − p_c,a)/2 · (value(c in a) + value(c in b));
- the regression's change when it is linear (OLS on an index, or the linear probability model
  when the logit did not converge): Σ_p c_p·n_p · value(pattern p), c the wave's row of
  (X'X)⁻¹X' over the covariate patterns.

Confidence intervals, p-values and the logit's average marginal effect are not linear: the LP
attacker does not use them, as it does not use any figure's confidence interval.

:func:`withheld` decides, per indicator, whether its rows may be shown: with everything the two
waves' plans show of the figure, and these equations, every small group of either wave must
keep an interval at least the protection level wide (or as wide as the plans alone leave it).
What this model cannot express (an adjustment variable outside the atoms' dimensions, a
percentage averaged per respondent over several items, the regression that adds
``shown_both_ways``) is shown only when neither wave has a small group for the figure.
The attacker is weaker than the audit's per-wave one in one way: the figure is attacked
alone, without the ties to its theme and items (:mod:`.disclosure_links`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..indicators import adjust_fit as fit
from ..indicators.adjust_mix import collapse_cells
from ..indicators.disclosure import Cell, Combo, Shape, interval
from ..surveys.loader import indicator_items
from .data import WaveMatrix
from .disclosure import (
    ITEM,
    POSITIVE,
    Disclosure,
    Figure,
    WavePlan,
    figure_key,
    figure_of,
    plan_atoms,
    shape_of,
)

ATOM_VARIABLES = ("organisation", "mode", "service")
Equation = Combo  # its value is the functional applied to the true sums
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Joint:
    """One figure over both waves' atoms (wave a's first, then wave b's from ``offset``)."""

    shape: Shape
    sums: npt.NDArray[np.float64]
    offset: int
    plans: tuple[WavePlan, WavePlan]
    keys: tuple[str, str]

    def value(self, what: Combo | Cell) -> float:
        return float(self.shape.functional_of(what) @ self.sums.reshape(-1))

    def cell(self, side: int, index: int) -> Cell:
        """A plan cell of wave a (``side`` 0) or b (1) in the joint numbering."""
        shift = self.offset if side else 0
        return tuple(shift + i for i in self.plans[side].cells[index])


def joint(plans: tuple[WavePlan, WavePlan], full: tuple[WaveMatrix, WaveMatrix],
          figures: tuple[Figure, Figure]) -> Joint | None:
    """The figure of both waves as one LP (``full``: every response of each wave)."""
    found = [shape_of(p, m, f) for p, m, f in zip(plans, full, figures, strict=True)]
    if found[0] is None or found[1] is None:
        return None
    (sa, xa), (sb, xb) = found[0], found[1]
    if sa.weights.shape[1] != sb.weights.shape[1] or (sa.low, sa.high) != (sb.low, sb.high):
        return None
    shape = Shape(np.vstack([sa.weights, sb.weights]), sa.low, sa.high, sa.scale, sa.signs,
                  sa.exclusive)
    return Joint(shape, np.vstack([xa, xb]), len(plans[0].atoms), plans,
                 (figures[0].key, figures[1].key))


def _sets(atoms: IntArray, codes: IntArray, count: int) -> list[Cell]:
    """The atoms of the respondents of each code (0..count-1)."""
    out: list[Cell] = []
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(count + 1))
    for k in range(count):
        out.append(tuple(sorted(set(atoms[order[bounds[k]:bounds[k + 1]]].tolist()))))
    return out


def equations(j: Joint, scope: tuple[WaveMatrix, WaveMatrix], y: npt.NDArray[np.float64],
              covariates: Mapping[str, IntArray], kitagawa: IntArray | None,
              binary: bool) -> list[Equation]:
    """The section's linear equations for one indicator over the report's ``scope`` (each
    wave's respondents): ``y`` each respondent's outcome (NaN: none), ``covariates`` the
    declared adjustment variables (codes, both waves), ``kitagawa`` each respondent's cell of
    the change-in-mix split (None: not shown)."""
    a, b = scope
    atoms = np.concatenate([plan_atoms(j.plans[0], a), j.offset + plan_atoms(j.plans[1], b)])
    wave = np.concatenate([np.zeros(a.n, dtype=bool), np.ones(b.n, dtype=bool)])
    ok = ~np.isnan(y)
    atoms, wave, y = atoms[ok], wave[ok], y[ok]
    covs = {k: np.asarray(v)[ok] for k, v in covariates.items()}
    if min(int(wave.sum()), int((~wave).sum())) < 2:
        return []
    whole = [tuple(sorted(set(atoms[wave == w].tolist()))) for w in (False, True)]
    out: list[Equation] = [((whole[0], -1.0), (whole[1], 1.0))]  # the crude change
    cells = collapse_cells(covs, wave)
    k = len(cells.names)
    for w in (False, True):  # each wave standardised to the pooled mix
        mine = wave == w
        sets = _sets(atoms[mine], cells.codes[mine], k)
        shares = np.bincount(cells.codes, minlength=k) / y.size
        if all(sets):
            out.append(tuple((s, float(share)) for s, share in zip(sets, shares, strict=True)))
    if kitagawa is not None:
        out += _mix(atoms, wave, np.asarray(kitagawa)[ok])
    found = fit.patterns(wave, covs)
    try:
        x = fit.design(found)
    except ValueError:
        return out
    if binary and fit.logit(found, x, y) is not None:
        return out  # the logit's average marginal effect: not linear
    c = (np.linalg.inv(x.T @ (x * found.counts[:, None])) @ x.T)[1]
    sets = _sets(atoms, found.pattern, found.table.shape[0])
    out.append(tuple((s, float(cp * n)) for s, cp, n in
                     zip(sets, c.tolist(), found.counts.tolist(), strict=True) if s))
    return out


def _mix(atoms: IntArray, wave: npt.NDArray[np.bool_], cells: IntArray) -> list[Equation]:
    codes = np.unique(cells, return_inverse=True)[1].reshape(-1)
    k = int(codes.max()) + 1
    sets = [_sets(atoms[wave == w], codes[wave == w], k) for w in (False, True)]
    n = [np.bincount(codes[wave == w], minlength=k).astype(float) for w in (False, True)]
    pa, pb = n[0] / n[0].sum(), n[1] / n[1].sum()
    terms: list[tuple[Cell, float]] = []
    for c in range(k):
        d = float(pb[c] - pa[c])
        if n[0][c] and n[1][c]:
            terms += [(sets[0][c], d / 2), (sets[1][c], d / 2)]
        else:  # a cell of one wave only takes that wave's mean for the other
            terms.append((sets[0][c] or sets[1][c], d))
    return [tuple(terms)]


def exposed(j: Joint, extra: Sequence[Equation]) -> list[tuple[int, int, float, float]]:
    """The small groups of either wave that ``extra`` narrows below the protection level
    (below what the plans alone leave them, when that is already less): (side, plan cell,
    low, high), given every cell the plans show of the figure and ``extra``."""
    shown: list[tuple[Combo | Cell, float]] = []
    targets: list[tuple[int, int, Cell]] = []
    for side in (0, 1):
        plan, key = j.plans[side], j.keys[side]
        hidden, primary = set(plan.hidden.get(key, [])), set(plan.primary.get(key, []))
        for i in range(len(plan.cells)):
            cell = j.cell(side, i)
            if not j.shape.defined(cell):
                continue
            if i in primary:
                targets.append((side, i, cell))
            elif i not in hidden:
                shown.append((cell, j.value(cell)))
    with_extra = shown + [(e, j.value(e)) for e in extra]
    lo, hi = j.shape.value_range()
    need = j.plans[0].protection / 100.0 * (hi - lo) - 1e-9
    out = []
    for side, i, cell in targets:
        low, high = interval(j.shape, with_extra, cell)
        if high - low >= need:
            continue
        alone = interval(j.shape, shown, cell)
        if high - low < alone[1] - alone[0] - 1e-6 * (hi - lo):
            out.append((side, i, low, high))
    return out


@dataclass
class Guard:
    """What the disclosure plans let the section show over one report's ``scope``
    (``plans`` and ``full``: each wave's plan and every response of it; None when not
    available, and then nothing of the section is shown)."""

    scope: tuple[WaveMatrix, WaveMatrix]
    plans: tuple[WavePlan, WavePlan] | None
    full: tuple[WaveMatrix, WaveMatrix] | None
    names: tuple[str, ...]

    def _figures(self, indicator: str, items: Sequence[str]) -> tuple[Figure, Figure] | None:
        found = []
        for m in self.scope:
            figure = figure_of(m.survey, figure_key(indicator, items,
                                                    indicator_items(m.survey, indicator)))
            if figure is None:
                return None
            found.append(figure)
        return found[0], found[1]

    def modelled(self, kind: str, items: Sequence[str]) -> bool:
        return all(n in ATOM_VARIABLES for n in self.names) and not (
            kind == "percent_positive" and len(items) > 1)

    def quiet(self, indicator: str, items: Sequence[str]) -> bool:
        """Neither wave has a small group for the figure (what the model cannot read may be
        shown)."""
        figures = self._figures(indicator, items)
        if self.plans is None or figures is None:
            return False
        return all(f.key in p.primary and not p.primary[f.key]
                   for p, f in zip(self.plans, figures, strict=True))

    def allows(self, indicator: str, kind: str, items: Sequence[str],
               y: npt.NDArray[np.float64], binary: bool, covariates: Mapping[str, IntArray],
               kitagawa: IntArray | None) -> bool:
        """Whether the indicator's standardised, crude, mix and linear regression figures
        leave every small group of both waves protected."""
        if self.quiet(indicator, items):
            return True
        figures = self._figures(indicator, items)
        if (self.plans is None or self.full is None or figures is None
                or not self.modelled(kind, items)):
            return False
        j = joint(self.plans, self.full, figures)
        if j is None:
            return False
        return not exposed(j, equations(j, self.scope, y, covariates, kitagawa, binary))


def guard_for(d: Disclosure | None, a: WaveMatrix, b: WaveMatrix) -> Guard | None:
    """The guard of a report over ``a`` and ``b`` (its scope) following ``d``'s plans (None:
    no plans to follow)."""
    if d is None:
        return None
    analysis = b.survey.analysis
    plans = [d.plans.get(m.wave.id) for m in (a, b)]
    full = [d.full.get(m.wave.id) for m in (a, b)]
    return Guard((a, b),
                 (plans[0], plans[1]) if plans[0] and plans[1] else None,
                 (full[0], full[1]) if full[0] and full[1] else None,
                 tuple(analysis.adjust_for) if analysis is not None else ())


def guarded(d: Disclosure) -> bool:
    """Whether some plan of ``d`` has a small group of an indicator (else the section's guard
    needs no wave's responses: nothing to protect)."""
    return any(cells for plan in d.plans.values() for key, cells in plan.primary.items()
               if not key.startswith((ITEM, POSITIVE)))

"""Disclosure control over linked tables: an attacker who solves linear programs, and a
planner that hides complementary cells until that attacker cannot narrow any sensitive cell
below a protection level (Hundepool et al., *Statistical Disclosure Control*, 2012, ch. 4;
the approach of tau-ARGUS's modular/hierarchical suppression, done here over every linked
table at once).

The data are **atoms**: the finest groups any output can describe (e.g. organisation × unit ×
channel × service). A published **cell** is a set of atoms (an organisation, a unit, a unit of
the other structure, a channel...). A figure of a cell is

    value(S) = scale · Σ_c coef_c · X_c(S) / W_c(S),   X_c(S) = Σ_{a∈S} x_ac,  W_c(S) = Σ_{a∈S} w_ac

where ``w_ac`` is the number of valid answers of atom a for component c and ``x_ac`` their sum
(composite scores 0-100, positive answers, codes 1..K...). Every mean-like indicator has this
form: an index or a mean (one component), a theme (one component per item, coef 1/k), an NPS
(promoters − detractors). The attacker knows every ``w_ac`` (all respondent and valid-answer
counts), every published value, and that each answer lies in [low, high]; for a hidden cell it
minimises and maximises its value over all ``x`` consistent with that: the interval the cell
can still lie in. The relaxation ignores that counts are integers (as tau-ARGUS does).

A published figure may also be a **weighted sum of cells' values** (a :data:`Combo`): the
figure over all organisations standardised to a fixed organisation mix is
Σ_o s_o · value(organisation o), with shares s_o the attacker can compute from the published
counts (and the report prints). It is one more linear equation, with other weights than the
pooled value of the same people; beside the pooled value it gives the organisations' values
away (exactly, with two organisations).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.optimize import linprog

FloatArray = npt.NDArray[np.float64]
Cell = tuple[int, ...]  # sorted atom indices
Combo = tuple[tuple[Cell, float], ...]  # Σ weight · value(cell): a standardised figure
Published = Cell | Combo
DEFAULT_PROTECTION = 20.0  # points on a 0-100 scale
MAX_TRIALS = 12

#: Set by the audit: an attack whose linear program has no solution (the published figures
#: contradict the attacker's model of them) gives (nan, nan), which the audit counts as a
#: failure, instead of the figure's whole range (the planner's "nothing is narrowed").
STRICT: ContextVar[bool] = ContextVar("strict_attacks", default=False)


def no_solution(shape: Shape) -> tuple[float, float]:
    """What an attack with no solution proves (see :data:`STRICT`)."""
    return (float("nan"), float("nan")) if STRICT.get() else shape.value_range()


@dataclass(frozen=True)
class Shape:
    """What the attacker knows of one figure: valid answers per atom and component, and the
    bounds of one answer's contribution."""

    weights: FloatArray  # atoms × components
    low: float
    high: float
    scale: float = 1.0
    signs: tuple[float, ...] | None = None  # None: mean over components; else Σ sign_c ·
    exclusive: bool = False  # an answer counts in at most one component (NPS)

    @property
    def components(self) -> int:
        return int(self.weights.shape[1])

    def coef(self) -> FloatArray:
        c = self.components
        return np.asarray(self.signs if self.signs is not None else [1.0 / c] * c)

    def value_range(self) -> tuple[float, float]:
        coef = self.coef()
        lo = self.scale * float(np.minimum(coef * self.low, coef * self.high).sum())
        hi = self.scale * float(np.maximum(coef * self.low, coef * self.high).sum())
        return lo, hi

    def defined(self, cell: Cell) -> bool:
        return bool(cell) and bool((self.weights[list(cell)].sum(axis=0) > 0).all())

    def functional(self, cell: Cell) -> FloatArray:
        """Coefficients of value(cell) over the flattened x (atoms × components)."""
        row = np.zeros(self.weights.shape)
        atoms = list(cell)
        totals = self.weights[atoms].sum(axis=0)
        row[atoms, :] = self.scale * self.coef() / totals
        return row.reshape(-1)

    def value(self, sums: FloatArray, cell: Cell) -> float:
        return float(self.functional(cell) @ sums.reshape(-1))

    def functional_of(self, what: Published) -> FloatArray:
        """Coefficients of a published figure: one cell's value, or a :data:`Combo`."""
        if what and isinstance(what[0], tuple):
            row = np.zeros(self.weights.size)
            for cell, weight in what:
                row += weight * self.functional(cell)
            return row
        return self.functional(what)  # type: ignore[arg-type]


def interval(
    shape: Shape, published: Sequence[tuple[Published, float]], target: Cell
) -> tuple[float, float]:
    """The narrowest interval the attacker can prove for ``target``'s value, given the
    published (cell or combo, value) pairs (two linear programs, HiGHS)."""
    w = shape.weights.reshape(-1)
    bounds = list(zip((shape.low * w).tolist(), (shape.high * w).tolist(), strict=True))
    eps = 1e-7 * (shape.value_range()[1] - shape.value_range()[0] or 1.0)
    rows, rhs = [], []
    for cell, value in published:
        f = shape.functional_of(cell)
        rows += [f, -f]
        rhs += [value + eps, -value + eps]
    if shape.exclusive:  # x_a0 + x_a1 <= w_a (promoters and detractors of the same answers)
        atoms, comps = shape.weights.shape
        for a in range(atoms):
            r = np.zeros((atoms, comps))
            r[a, :] = 1.0
            rows.append(r.reshape(-1))
            rhs.append(float(shape.weights[a, 0]))
    a_ub = np.asarray(rows) if rows else None
    b_ub = np.asarray(rhs) if rows else None
    goal = shape.functional(target)
    ends = []
    for sign in (1.0, -1.0):
        res = linprog(sign * goal, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
        if res.status != 0:  # published figures inconsistent with the bounds
            return no_solution(shape)
        ends.append(sign * float(res.fun))
    return ends[0], ends[1]


@dataclass
class Plan:
    """Cells hidden for one figure: ``primary`` (sensitive: fewer than k respondents or
    valid answers) and every hidden cell (primary, complementary, and undefined-but-small)."""

    hidden: set[int] = field(default_factory=set)
    primary: set[int] = field(default_factory=set)


def plan_cells(
    shape: Shape,
    sums: FloatArray,
    respondents: npt.NDArray[np.int64],
    cells: Sequence[Cell],
    *,
    k: int,
    protection: float = DEFAULT_PROTECTION,
    implied: Mapping[int, Sequence[int]] | None = None,
    sensitive: Collection[int] = (),
) -> Plan:
    """Hide the sensitive cells, then complementary cells (cheapest first, among the cells
    linked to the one still exposed) until the attacker's interval of every sensitive cell is
    at least ``protection``/100 of the figure's range wide. Deterministic: the same input
    always gives the same plan.

    ``implied``: cell i -> cells whose values cell i's output gives away whenever it is shown
    (the figure over all organisations, standardised to a fixed organisation mix, gives the
    organisations' values: exactly with two organisations, and with any number of them once
    outputs over other sets of waves publish it on other mixes). A cell in it is hidden only
    with i: hiding it alone would hide nothing. ``sensitive``: cells that are sensitive for
    another reason (a value that alone tells what few people answered), hidden like small
    ones."""
    ties = {j: i for i, js in (implied or {}).items() for j in js}

    def closed(hidden: set[int]) -> set[int]:
        return hidden | {ties[j] for j in hidden if j in ties}

    n = [int(respondents[list(c)].sum()) for c in cells]
    valid = [float(shape.weights[list(c)].sum(axis=0).min()) if c else 0.0 for c in cells]
    defined = [shape.defined(c) for c in cells]
    plan = Plan()
    for i in range(len(cells)):
        if 0 < n[i] < k or (defined[i] and valid[i] < k) or (defined[i] and i in sensitive):
            plan.hidden.add(i)
            if defined[i]:
                plan.primary.add(i)
    plan.hidden = closed(plan.hidden)
    lo, hi = shape.value_range()
    need = protection / 100.0 * (hi - lo) - 1e-9
    values = [shape.value(sums, c) if d else 0.0 for c, d in zip(cells, defined, strict=True)]
    sets = [frozenset(c) for c in cells]

    def width(target: int, hidden: set[int]) -> float:
        region = linked(target)
        shown = [(cells[j], values[j]) for j in range(len(cells))
                 if defined[j] and j not in hidden and sets[j] & region]
        low, high = interval(shape, shown, cells[target])
        return high - low

    def slack(j: int, room: float) -> bool:
        """Whether cell j could absorb the target's movement (first to try)."""
        return valid[j] * max(values[j] - lo, hi - values[j]) >= room

    def linked(target: int) -> frozenset[int]:
        """Atoms connected to the target through published cells (others cannot matter)."""
        reach = set(sets[target])
        grown = True
        while grown:
            grown = False
            for j, s in enumerate(sets):
                if defined[j] and j not in plan.hidden and s & reach and not s <= reach:
                    reach |= s
                    grown = True
        return frozenset(reach)

    for t in sorted(plan.primary, key=lambda i: cells[i]):
        while (current := width(t, plan.hidden)) < need:
            region = linked(t)
            cands = [j for j in range(len(cells))
                     if defined[j] and j not in plan.hidden and j != t and sets[j] & region]
            if not cands:
                break
            mine = sets[t]
            cands.sort(key=lambda j: (bool(sets[j] & mine), not slack(j, need * valid[t]),
                                      n[j], cells[j]))
            best, gain = cands[0], 0.0
            for j in cands[:MAX_TRIALS]:
                wid = width(t, closed(plan.hidden | {j}))
                if wid >= need:
                    best, gain = j, wid
                    break
                if wid - current > gain + 1e-9:
                    best, gain = j, wid - current
            plan.hidden = closed(plan.hidden | {best})
    return plan


def audit(
    shape: Shape, published: Sequence[tuple[Published, float]], targets: Sequence[Cell]
) -> list[tuple[Cell, float, float]]:
    """Each target's interval given everything published: (cell, low, high)."""
    return [(t, *interval(shape, published, t)) for t in targets]

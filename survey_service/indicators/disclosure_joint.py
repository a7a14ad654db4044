"""The LP attacker over several linked figures at once (a theme and its items), and the pass
of the planner that hides more cells when that attacker narrows a sensitive cell.

Each figure has its own variables (its :class:`~.disclosure.Shape`: sums per atom and
component); :class:`Tie` rows say what the attacker knows of how they relate within an atom:
a theme's component for item q *is* item q's sum over the same answers (equality), an item's
count of positive answers bounds its sum of answers (two inequalities), an index's sum is a
known linear function of its items' sums when every respondent of the atom answered every
item (equality; otherwise no tie is assumed). One figure alone is
:func:`~.disclosure.interval`'s problem.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from .attack_model import INF, AttackModel
from .disclosure import MAX_TRIALS, Cell, FloatArray, Published, Shape, no_solution


@dataclass(frozen=True)
class Tie:
    """Σ coef · x[figure][atom, component] (== or <=) rhs, the known relation of figures."""

    terms: tuple[tuple[int, int, int, float], ...]  # figure, atom, component, coef
    rhs: float
    equal: bool = True


def offsets(shapes: Sequence[Shape]) -> list[int]:
    out, at = [], 0
    for s in shapes:
        out.append(at)
        at += s.weights.size
    return [*out, at]


@dataclass
class Ends:
    """The two ends of an attack: the values, the solutions (every figure's sums) at each
    end, and per figure the published entries whose rows bind at either end (removing any
    other leaves both ends where they are: its multiplier is zero in an optimal dual)."""

    low: float
    high: float
    points: list[FloatArray]
    binding: list[set[int]]


def joint_interval(shapes: Sequence[Shape],
                   published: Sequence[Sequence[tuple[Published, float]]],
                   ties: Sequence[Tie], figure: int, target: Cell,
                   memo: dict[Any, Any] | None = None) -> tuple[float, float]:
    """The narrowest interval of figure ``figure`` in cell ``target`` that an attacker can
    prove knowing every published (cell, value) of every figure and the ``ties``. ``memo``:
    a dict kept between calls over the same shapes and ties (their rows are built once)."""
    ends = joint_ends(shapes, published, ties, figure, target, memo)
    return no_solution(shapes[figure]) if ends is None else (ends.low, ends.high)


def joint_ends(shapes: Sequence[Shape],
               published: Sequence[Sequence[tuple[Published, float]]],
               ties: Sequence[Tie], figure: int, target: Cell,
               memo: dict[Any, Any] | None = None) -> Ends | None:
    """:func:`joint_interval`'s attack, with its solutions (None: it has none)."""
    memo = {} if memo is None else memo
    goal = shapes[figure].functional(target)
    cols = np.flatnonzero(goal)
    return joint_extremes(shapes, published, ties, offsets(shapes)[figure] + cols, goal[cols],
                          memo)


def joint_extremes(shapes: Sequence[Shape],
                   published: Sequence[Sequence[tuple[Published, float]]],
                   ties: Sequence[Tie], cols: npt.NDArray[np.int64], coefs: FloatArray,
                   memo: dict[Any, Any]) -> Ends | None:
    """The least and greatest Σ coefs · x[cols] (x: every figure's sums, one after the
    other) consistent with what is published: :func:`joint_ends` for any linear goal."""
    model = _model(shapes, ties, memo)
    off, rows = memo["off"], memo["rows"]
    missing: list[tuple[int, Published]] = []
    for f, shown in enumerate(published):
        missing += [(f, cell) for cell, _ in shown if (f, cell) not in rows]
    missing = list(dict.fromkeys(missing))
    built = []
    for f, cell in missing:
        dense = shapes[f].functional_of(cell)
        nonzero = np.flatnonzero(dense)
        built.append((off[f] + nonzero, dense[nonzero], -INF, INF))
    rows.update(zip(missing, model.add(built), strict=True))
    wanted: dict[int, tuple[float, float]] = {}
    order: list[int] = []
    for f, (s, shown) in enumerate(zip(shapes, published, strict=True)):
        lo, hi = s.value_range()
        eps = 1e-7 * (hi - lo or 1.0)
        for cell, value in shown:
            r = rows[(f, cell)]
            low, high = wanted.get(r, (-INF, INF))
            wanted[r] = (max(low, value - eps), min(high, value + eps))
            order.append(r)
    if any(low > high for low, high in wanted.values()):
        return None  # one cell published with two values
    model.set_bounds(wanted)
    solved = model.solve(cols, coefs)
    if solved is None:  # inconsistent with the bounds
        return None
    values, points, duals = solved
    at = np.asarray(order, dtype=np.int64)
    binds = (np.abs(duals[0][at]) > 1e-12) | (np.abs(duals[1][at]) > 1e-12)
    starts = np.cumsum([0] + [len(shown) for shown in published])
    binding = [set(np.flatnonzero(binds[a:b]).tolist()) for a, b in pairwise(starts)]
    return Ends(values[0], values[1], points, binding)


def _model(shapes: Sequence[Shape], ties: Sequence[Tie], memo: dict[Any, Any]
           ) -> AttackModel:
    """The kept model of these figures (``memo``): bounds, the rows of exclusive
    components and of the ties; a row per published cell is added when first met."""
    if "model" not in memo:
        off = offsets(shapes)
        low = np.concatenate([s.low * s.weights.reshape(-1) for s in shapes])
        high = np.concatenate([s.high * s.weights.reshape(-1) for s in shapes])
        made = AttackModel(low, high)
        static: list[tuple[npt.NDArray[np.int64], FloatArray, float, float]] = []
        for f, s in enumerate(shapes):
            if s.exclusive:
                comps = s.components
                static += [(off[f] + a * comps + np.arange(comps), np.ones(comps), -INF,
                            float(s.weights[a, 0])) for a in range(s.weights.shape[0])]
        for tie in ties:
            cols = np.asarray([off[f] + a * shapes[f].components + c
                               for f, a, c, _ in tie.terms], dtype=np.int64)
            static.append((cols, np.asarray([t[3] for t in tie.terms], dtype=np.float64),
                           tie.rhs if tie.equal else -INF, tie.rhs))
        made.add(static)
        memo.update(model=made, off=off, rows={})
    model: AttackModel = memo["model"]
    return model


class Pool:
    """Points the attacker cannot rule out: the true sums and every end an attack found
    while no more cells were shown than now. Two of them whose values of a cell lie a width
    apart prove the cell's interval is at least that wide, without a linear program."""

    def __init__(self, shapes: Sequence[Shape], sums: Sequence[FloatArray] | None) -> None:
        """``sums``: the true sums of each figure (None: start with no point)."""
        self.off = offsets(shapes)
        self.shapes = shapes
        self._rows = np.empty((8, self.off[-1]))  # grown by doubling: adding stays linear
        self.count = 0
        if sums is not None:
            self.add([np.concatenate([np.asarray(x, dtype=np.float64).reshape(-1)
                                      for x in sums])])

    @property
    def points(self) -> FloatArray:
        return self._rows[:self.count]

    def add(self, found: Sequence[FloatArray]) -> None:
        for point in found:
            if self.count == len(self._rows):
                self._rows = np.concatenate([self._rows, np.empty_like(self._rows)])
            self._rows[self.count] = point
            self.count += 1

    def span(self, f: int, cell: Cell) -> tuple[float, float]:
        """The least and greatest value of figure f in ``cell`` among the points."""
        values = self.points[:, self.off[f]:self.off[f + 1]] @ self.shapes[f].functional(cell)
        return float(values.min()), float(values.max())

    def width(self, f: int, cell: Cell) -> float:
        low, high = self.span(f, cell)
        return high - low


def plan_jointly(shapes: Sequence[Shape], sums: Sequence[FloatArray],
                 respondents: Sequence[int], cells: Sequence[Sequence[Cell]],
                 hidden: Sequence[set[int]], primary: Sequence[set[int]],
                 ties: Sequence[Tie], editable: set[int], protection: float,
                 fixed: Sequence[set[int]] | None = None,
                 needs: Callable[[int, int], float | None] | None = None
                 ) -> list[tuple[int, int]]:
    """Hide more cells (in ``hidden``, per figure; only of the ``editable`` figures, and
    never the ``fixed`` cells of a figure) until the joint attacker leaves every primary cell
    of every figure at least ``protection``/100 of its figure's range wide. ``cells[f]``:
    figure f's cells (indices as in ``hidden``); ``respondents``: per atom. With ``fixed``,
    a primary cell that stays narrow even with every cell it may hide hidden is left as it
    is (what is fixed narrows it, not what is planned here). ``needs(f, t)``: the width
    figure f's cell t must be left instead, on the figure's scale (None: the level's).
    Returns the primary cells (figure, cell) left narrower than they need. Deterministic."""
    if not ties and fixed is None:
        return []
    locked = fixed if fixed is not None else [set() for _ in shapes]
    values = [[s.value(x, c) if s.defined(c) else 0.0 for c in cs]
              for s, x, cs in zip(shapes, sums, cells, strict=True)]

    def shown() -> tuple[list[list[tuple[Cell, float]]], list[list[int]]]:
        """The published (cell, value) of each figure, and their indices in ``cells``."""
        where = [[j for j in range(len(cs)) if j not in hs and s.defined(cs[j])]
                 for s, cs, hs in zip(shapes, cells, hidden, strict=True)]
        return [[(cs[j], vs[j]) for j in js]
                for cs, vs, js in zip(cells, values, where, strict=True)], where

    memo: dict[Any, Any] = {}
    pool = Pool(shapes, sums)
    binding: set[tuple[int, int]] = set()  # of the last exact attack on the cells hidden now

    def width(f: int, t: int, need: float | None = None, keep: bool = True) -> float:
        """Cell t's width under the cells hidden now; with ``need``, any width of at
        least ``need`` (the widest the pool proves) may be given instead of the exact one.
        ``keep``: the cells hidden now stay hidden (its solutions join the pool, and its
        binding rows are those a trial may free)."""
        if need is not None and (known := pool.width(f, cells[f][t])) >= need:
            return known
        published, where = shown()
        if keep:
            binding.clear()
        elif "model" in memo:
            memo["model"].recall()
        ends = joint_ends(shapes, published, ties, f, cells[f][t], memo)
        if ends is None:  # inconsistent: as joint_interval, nothing is narrowed
            low, high = no_solution(shapes[f])
            return high - low
        if keep:
            pool.add(ends.points)
            binding.update((g, where[g][k]) for g, ks in enumerate(ends.binding) for k in ks)
            memo["model"].remember()
        return ends.high - ends.low

    def size(cell: Cell) -> int:
        return sum(int(respondents[a]) for a in cell)

    left: list[tuple[int, int]] = []
    for f in range(len(shapes)):
        lo, hi = shapes[f].value_range()
        level = protection / 100.0 * (hi - lo)
        for t in sorted(primary[f], key=lambda i: cells[f][i]):
            own = needs(f, t) if needs is not None else None
            need = (level if own is None else own) - 1e-9
            target = set(cells[f][t])
            current = width(f, t, need)
            if fixed is not None and current < need:
                saved = [set(h) for h in hidden]
                for g in editable:
                    hidden[g] |= set(range(len(cells[g]))) - locked[g]
                hopeless = width(f, t, keep=False) < need
                for g, h in enumerate(saved):
                    hidden[g].clear()
                    hidden[g].update(h)
                if hopeless:
                    left.append((f, t))
                    continue
            while current < need:
                hidden_any = {cells[g][j] for g in range(len(shapes)) for j in hidden[g]}
                cands = [(g, j) for g in sorted(editable) for j, c in enumerate(cells[g])
                         if j not in hidden[g] and j not in locked[g] and shapes[g].defined(c)]
                if not cands:
                    left.append((f, t))
                    break
                cands.sort(key=lambda gj: (cells[gj[0]][gj[1]] not in hidden_any,
                                           not target & set(cells[gj[0]][gj[1]]),
                                           size(cells[gj[0]][gj[1]]), gj))
                best, gain = cands[0], 0.0
                for g, j in cands[:MAX_TRIALS]:
                    if (g, j) not in binding:  # hiding it moves neither end
                        continue
                    hidden[g].add(j)
                    wid = width(f, t, need, keep=False)
                    hidden[g].discard(j)
                    if wid >= need:
                        best, gain = (g, j), wid
                        break
                    if wid - current > gain + 1e-9:
                        best, gain = (g, j), wid - current
                hidden[best[0]].add(best[1])
                current = width(f, t, need)
    return left

"""The audit's attacks on every hidden cell of linked figures at once, certified where it can.

An audit attacks hundreds of cells against the same published figures. Every answer an attack
finds is consistent with everything published, so it is an answer the attacker cannot rule
out for *every* cell, not only the one attacked: two such answers whose values of a cell lie
a width apart prove that cell's interval is at least that wide (:class:`.disclosure_joint.Pool`).
The true sums are one such answer. A few "spread" attacks (the least and greatest sum of
every attacked cell's value, then sums with random signs, seeded so the audit is
deterministic) give answers far apart in many cells at once.

A cell that must be left some width (a small group's) and is proved that wide this way is
reported with the interval its answers span, marked as not exact: its true narrowest
interval holds it. Every other such cell is attacked exactly (two linear programs), and its
ends join the answers. Cells with no width to meet (hidden only to protect others) get the
proved interval. With ``exact``, every cell is attacked exactly: the slow, complete listing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .disclosure import Cell, FloatArray, Published, Shape, no_solution
from .disclosure_joint import Pool, Tie, joint_ends, joint_extremes, offsets

#: the share of a figure's range a proved interval must exceed its need by (see _margin)
MARGIN = 1e-5
#: rounds of spread attacks with random signs (after the one with every sign positive)
ROUNDS = 3


@dataclass(frozen=True)
class Target:
    """A cell of figure ``figure`` to attack; ``need``: the width it must be left on the
    figure's scale (None: nothing, it is hidden to protect other cells)."""

    figure: int
    cell: Cell
    need: float | None


@dataclass(frozen=True)
class Bound:
    """What the attacker is shown to be left with: exactly the narrowest interval, or
    (``exact`` False) an interval the narrowest one holds."""

    low: float
    high: float
    exact: bool


def attack_many(shapes: Sequence[Shape], sums: Sequence[FloatArray],
                published: Sequence[Sequence[tuple[Published, float]]],
                ties: Sequence[Tie], targets: Sequence[Target], exact: bool = False
                ) -> list[Bound]:
    """Each target's :class:`Bound` (in order) against the ``published`` cells of every
    figure and the ``ties`` (``sums``: each figure's true sums per atom and component)."""
    memo: dict[Any, Any] = {}  # one kept model for every attack on these figures
    out: list[Bound | None] = [None] * len(targets)
    pool = Pool(shapes, sums)
    if not _consistent(shapes, published, pool.points[0]):
        pool = Pool(shapes, None)  # only the answers attacks find
    if not exact and targets and not _spread(shapes, published, ties, targets, pool, memo):
        exact = True  # nothing published is consistent: every attack says so
    # the narrowest first (the likeliest to need an exact attack); the cells with no need
    # last, so that they get every answer found
    order = sorted(range(len(targets)),
                   key=lambda i: (targets[i].need is None, _width(pool, targets[i])))
    for i in order:
        t = targets[i]
        if not exact and pool.count:
            low, high = pool.span(t.figure, t.cell)
            if t.need is None or high - low >= t.need + _margin(shapes[t.figure]):
                lo, hi = shapes[t.figure].value_range()  # within the scale, not a millionth out
                out[i] = Bound(max(low, lo), min(high, hi), False)
                continue
        ends = joint_ends(shapes, published, ties, t.figure, t.cell, memo)
        if ends is None:
            low, high = no_solution(shapes[t.figure])
            out[i] = Bound(low, high, True)
            continue
        pool.add(ends.points)
        out[i] = Bound(ends.low, ends.high, True)
    return [b for b in out if b is not None]


def _range(shape: Shape) -> float:
    low, high = shape.value_range()
    return high - low


def _margin(shape: Shape) -> float:
    """How much wider than needed a proved interval must be: the answers of a linear
    program meet its rows only within the solver's tolerance (values a few millionths of the
    range outside the scale are seen); an interval that close to the level is attacked."""
    return MARGIN * _range(shape)


def _width(pool: Pool, t: Target) -> float:
    if not pool.count:
        return 0.0
    low, high = pool.span(t.figure, t.cell)
    return high - low


def _consistent(shapes: Sequence[Shape],
                published: Sequence[Sequence[tuple[Published, float]]], x: FloatArray
                ) -> bool:
    """Whether the true sums give every published value (the outputs may round them)."""
    at = offsets(shapes)
    for f, (s, shown) in enumerate(zip(shapes, published, strict=True)):
        lo, hi = s.value_range()
        eps = 1e-7 * (hi - lo or 1.0)
        part = x[at[f]:at[f + 1]]
        if any(abs(float(s.functional_of(cell) @ part) - value) > eps for cell, value in shown):
            return False
    return True


def _spread(shapes: Sequence[Shape], published: Sequence[Sequence[tuple[Published, float]]],
            ties: Sequence[Tie], targets: Sequence[Target], pool: Pool,
            memo: dict[Any, Any]) -> bool:
    """Add the answers of the spread attacks to ``pool``; False: there are none."""
    at = offsets(shapes)
    rows = [shapes[t.figure].functional(t.cell) for t in targets]
    scale = [1.0 / (_range(shapes[t.figure]) or 1.0) for t in targets]  # 0-1 for each
    rng = np.random.default_rng(0)
    left = list(range(len(targets)))
    for round_ in range(ROUNDS + 1):
        signs = np.ones(len(targets)) if round_ == 0 else rng.choice([-1.0, 1.0], len(targets))
        goal = np.zeros(at[-1])
        for i in left:
            t = targets[i]
            goal[at[t.figure]:at[t.figure + 1]] += signs[i] * scale[i] * rows[i]
        cols = np.flatnonzero(goal)
        ends = joint_extremes(shapes, published, ties, cols, goal[cols], memo)
        if ends is None:
            return False
        pool.add(ends.points)
        left = [i for i in left if (need := targets[i].need) is not None
                and _width(pool, targets[i]) < need + _margin(shapes[targets[i].figure])]
        if not left:
            break
    return True

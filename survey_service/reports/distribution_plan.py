"""The plan of the answer distributions the report pages draw (answers per scale point of a
likert item, for all organisations or one: the wave plan's report cells).

A distribution is k figures (the share of answers at each point), tied to each other and to
the item's mean: per atom the counts add up to the valid answers (known to the attacker) and
Σ p · count_p is the item's sum of answers. A count of 1 or 2 answers (below
:data:`MIN_ANSWERS`) can tell what a few people answered even where the item's mean is
shown, so it is a sensitive cell: the distribution of that organisation (or of all) is not
shown, and complementary distributions are hidden by the joint planner
(:func:`..indicators.disclosure_joint.plan_jointly`) until the attacker who knows every shown
distribution, every shown mean and % positive of the item and every count cannot narrow a
small count below the protection level on the 0-100 scale of shares, or below
:data:`MIN_ANSWERS` answers where that is fewer answers (:func:`count_need`: in a cell of 75
answers, "0 to 5 people answered 1" hides the one who did). The item's own plan is fixed (a
distribution is never shown where the item's figures are hidden); its hidden means stay
protected against the distributions too. Deterministic; kept with the closed wave under
``WAVE|distributions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from ..indicators.disclosure import Cell, FloatArray, Published, Shape
from ..indicators.disclosure_joint import Tie, joint_interval, plan_jointly
from .data import WaveMatrix
from .disclosure import ITEM, POSITIVE, Figure, WavePlan, plan_atoms, shape_of

#: Answer counts from 1 to this minus 1 are sensitive (the frequency-table threshold rule).
MIN_ANSWERS = 3
DIST = "dist:"
Where = int | tuple[tuple[int, float], ...]  # a plan cell, or a weighted sum of them


def dist_key(item: str) -> str:
    return f"{DIST}{item}"


def count_need(level: float, valid: float) -> float:
    """The width (share points) a small count's interval must keep in a cell of ``valid``
    answers: the protection level, or MIN_ANSWERS answers where that is narrower (the
    attacker then cannot tell no such answer from a count that is not small)."""
    return min(level, 100.0 * MIN_ANSWERS / valid) if valid > 0 else level


@dataclass
class Problem:
    """A figure (0: an item's mean, an NPS), the share of each point or band (figures
    1..k) and, after them, figures tied to the counts (an item's % positive), over the wave
    plan's report cells, with their ties. ``fixed``: figure -> its key in the wave plan
    (figure 0 and the ones after the shares: planned there, fixed here)."""

    item: str
    shapes: list[Shape]
    sums: list[FloatArray]
    cells: list[Cell]  # the report cells, as atoms
    counts: npt.NDArray[np.int64]  # report cell × point: answers
    ties: list[Tie]
    fixed: dict[int, str] = field(default_factory=dict)

    def need(self, level: float, j: int) -> float:
        """:func:`count_need` of report cell ``j``."""
        return count_need(level, float(self.counts[j].sum()))


class Found(NamedTuple):
    """A small count attacked: its report cell, point, count, the interval of its share,
    whether some output showed it, and the width it needs (:func:`count_need`)."""

    cell: int
    point: int
    answers: int
    low: float
    high: float
    shown: bool
    need: float


def problem(plan: WavePlan, m: WaveMatrix, item: str) -> Problem | None:
    spec, column = m.item(item), m.likert(item)
    known = shape_of(plan, m, Figure(f"{ITEM}{item}", "item", (item,)))
    positive = shape_of(plan, m, Figure(f"{POSITIVE}{item}", "item_positive", (item,)))
    if spec is None or column is None or known is None or positive is None:
        return None
    k, atom = spec.points, plan_atoms(plan, m)
    ok = (column >= 1) & (column <= k)
    point = np.where(spec.reverse, k + 1 - column, column).astype(np.int64) - 1
    size = len(plan.atoms)
    per = np.bincount(atom[ok] * k + point[ok], minlength=size * k).reshape(size, k)
    first = (k + 1) // 2 + 1  # the lowest positive point
    p = counts_problem(item, plan, known, per, lambda a: [
        Tie(((0, a, 0, 1.0), *((q + 1, a, 0, -(q + 1.0)) for q in range(k))), 0.0),
        Tie(((k + 1, a, 0, 1.0), *((q, a, 0, -1.0) for q in range(first, k + 1))), 0.0)],
        [positive])
    p.fixed = {0: f"{ITEM}{item}", k + 1: f"{POSITIVE}{item}"}
    return p


def counts_problem(key: str, plan: WavePlan, known: tuple[Shape, FloatArray],
                   per: npt.NDArray[np.int64], linked: Callable[[int], list[Tie]],
                   after: Sequence[tuple[Shape, FloatArray]] = ()) -> Problem:
    """Figure 0 (``known``), the share of each column of ``per`` (answers per atom and
    point or band, figures 1..) over the plan's report cells, and the figures ``after``
    them; each atom's shares sum to its valid answers, and ``linked(atom)`` ties them to the
    other figures."""
    valid = per.sum(axis=1).astype(np.float64)[:, None]
    shapes, sums = [known[0]], [known[1]]
    for p in range(per.shape[1]):
        shapes.append(Shape(valid, 0.0, 1.0, 100.0))
        sums.append(per[:, p:p + 1].astype(np.float64))
    shapes += [s for s, _ in after]
    sums += [x for _, x in after]
    cells = [tuple(plan.cells[i]) for i in plan.report_cells]
    counts = np.asarray([per[list(c)].sum(axis=0) for c in cells], dtype=np.int64)
    ties: list[Tie] = []
    for a in range(len(valid)):
        if valid[a, 0] > 0:
            ties.append(Tie(tuple((p + 1, a, 0, 1.0) for p in range(per.shape[1])),
                            float(valid[a, 0])))
            ties += linked(a)
    return Problem(key, shapes, sums, cells, counts, ties, {0: key})


def small(counts: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """The sensitive counts: 1 to MIN_ANSWERS − 1 answers."""
    return (counts > 0) & (counts < MIN_ANSWERS)


def plan_distributions(plan: WavePlan, wave: WavePlan, m: WaveMatrix,
                       items: Sequence[str]) -> bool:
    """Plan the distributions of ``items`` that ``plan`` lacks (``wave``: the wave's own plan,
    with those items; ``plan.hidden[dist:ITEM]``: the report cells whose distribution is not
    shown). True when the plan changed."""
    missing = [i for i in items if dist_key(i) not in plan.hidden]
    for item in missing:
        plan_one(plan, wave, m, problem(wave, m, item), dist_key(item))
    return bool(missing)


def plan_one(plan: WavePlan, wave: WavePlan, m: WaveMatrix, p: Problem | None,
             key: str) -> None:
    """Plan one problem's shares (under ``key``) with its fixed figures as the wave's plan
    has them: not shown where figure 0 is hidden."""
    if p is None or any(f not in wave.hidden for f in p.fixed.values()):
        plan.hidden[key] = list(wave.report_cells)
        plan.primary[key] = []
        return
    report = wave.report_cells
    k = p.counts.shape[1]
    off = [{j for j, i in enumerate(report) if i in wave.hidden[p.fixed.get(f, p.fixed[0])]}
           for f in range(len(p.shapes))]
    n_small = small(p.counts)
    sensitive = {j for j in range(len(report)) if n_small[j].any()}
    few = {j for j, c in enumerate(p.cells)
           if p.shapes[0].weights[list(c)].sum(axis=0).min() < wave.min_group}
    hidden = [off[f] if f in p.fixed else off[0] | sensitive | few
              for f in range(len(p.shapes))]
    primary = [{j for j, i in enumerate(report) if i in wave.primary[p.fixed[f]]}
               if f in p.fixed else {j for j in range(len(report)) if n_small[j, f - 1]}
               for f in range(len(p.shapes))]
    every = set(range(len(report)))
    fixed = [every if f in p.fixed else off[0] for f in range(len(p.shapes))]
    people = np.bincount(plan_atoms(wave, m), minlength=len(wave.atoms)).tolist()
    plan_jointly(p.shapes, p.sums, people, [p.cells] * len(p.shapes), hidden, primary,
                 p.ties, set(range(1, k + 1)), wave.protection, fixed=fixed,
                 needs=lambda f, t: None if f in p.fixed else p.need(wave.protection, t))
    plan.hidden[key] = sorted({report[j] for f, h in enumerate(hidden) if f not in p.fixed
                               for j in h})
    plan.primary[key] = sorted(report[j] for j in sensitive)


def attack_distribution(wave: WavePlan, m: WaveMatrix, item: str,
                        figures: Mapping[str, Mapping[Where, float]],
                        shown: dict[int, list[float]], p: Problem | None = None
                        ) -> list[Found]:
    """Each small count of the item's distributions, attacked with the ``figures`` shown of
    its fixed figures (key -> cell -> value: the item's mean and % positive, or ``p``'s
    figure 0; a cell may be a weighted sum of cells: a standardised figure) and the
    distributions ``shown`` (plan cell -> counts or shares), all cells of the wave."""
    p = problem(wave, m, item) if p is None else p
    if p is None:
        return []
    report = wave.report_cells
    at = {i: j for j, i in enumerate(report)}

    def values(f: int) -> list[tuple[Published, float]]:
        given = figures.get(p.fixed[f], {}) if f in p.fixed else {}
        return ([(p.cells[at[i]], v) for i, v in given.items() if isinstance(i, int) and i in at]
                + [(tuple((p.cells[at[c]], w) for c, w in i), v) for i, v in given.items()
                   if not isinstance(i, int) and all(c in at for c, _ in i)])

    published = [values(f) if f in p.fixed else
                 [(p.cells[j], 100.0 * shown[i][f - 1] / max(sum(shown[i]), 1))
                  for j, i in enumerate(report) if i in shown] for f in range(len(p.shapes))]
    out = []
    for j, q in zip(*np.nonzero(small(p.counts)), strict=True):
        low, high = joint_interval(p.shapes, published, p.ties, int(q) + 1, p.cells[int(j)])
        out.append(Found(report[int(j)], int(q) + 1, int(p.counts[j, q]), low, high,
                         report[int(j)] in shown, p.need(wave.protection, int(j))))
    return out

"""The plan of the answer distributions the report pages draw (answers per scale point of a
likert item, for all organisations or one: the wave plan's report cells).

A distribution is k figures (the share of answers at each point), tied to each other and to
the item's mean: per atom the counts add up to the valid answers (known to the attacker) and
Σ p · count_p is the item's sum of answers. A count of 1 or 2 answers (below
:data:`MIN_ANSWERS`) can tell what a few people answered even where the item's mean is
shown, so it is a sensitive cell: the distribution of that organisation (or of all) is not
shown, and complementary distributions are hidden by the joint planner
(:func:`..indicators.disclosure_joint.plan_jointly`) until the attacker who knows every shown
distribution, every shown mean of the item and every count cannot narrow a small count's
share below the protection level (on the 0-100 scale of shares). The item's own plan is fixed
(a distribution is never shown where the item's figure is hidden); its hidden means stay
protected against the distributions too. Deterministic; kept with the closed wave under
``WAVE|distributions``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..indicators.disclosure import Cell, FloatArray, Published, Shape
from ..indicators.disclosure_joint import Tie, joint_interval, plan_jointly
from .data import WaveMatrix
from .disclosure import Figure, WavePlan, plan_atoms, shape_of

#: Answer counts from 1 to this minus 1 are sensitive (the frequency-table threshold rule).
MIN_ANSWERS = 3
DIST = "dist:"
Where = int | tuple[tuple[int, float], ...]  # a plan cell, or a weighted sum of them


def dist_key(item: str) -> str:
    return f"{DIST}{item}"


@dataclass
class Problem:
    """An item's mean (figure 0) and the share of each point (figures 1..k) over the wave
    plan's report cells, with their ties."""

    item: str
    shapes: list[Shape]
    sums: list[FloatArray]
    cells: list[Cell]  # the report cells, as atoms
    counts: npt.NDArray[np.int64]  # report cell × point: answers
    ties: list[Tie]


def problem(plan: WavePlan, m: WaveMatrix, item: str) -> Problem | None:
    spec, column = m.item(item), m.likert(item)
    known = shape_of(plan, m, Figure(f"item:{item}", "item", (item,)))
    if spec is None or column is None or known is None:
        return None
    k, atom = spec.points, plan_atoms(plan, m)
    ok = (column >= 1) & (column <= k)
    point = np.where(spec.reverse, k + 1 - column, column).astype(np.int64) - 1
    size = len(plan.atoms)
    per = np.bincount(atom[ok] * k + point[ok], minlength=size * k).reshape(size, k)
    return counts_problem(item, plan, known, per, lambda a: [
        Tie(((0, a, 0, 1.0), *((p + 1, a, 0, -(p + 1.0)) for p in range(k))), 0.0)])


def counts_problem(key: str, plan: WavePlan, known: tuple[Shape, FloatArray],
                   per: npt.NDArray[np.int64],
                   linked: Callable[[int], list[Tie]]) -> Problem:
    """Figure 0 (``known``) and the share of each column of ``per`` (answers per atom and
    point or band, figures 1..) over the plan's report cells; each atom's shares sum to its
    valid answers, and ``linked(atom)`` ties them to figure 0."""
    valid = per.sum(axis=1).astype(np.float64)[:, None]
    shapes, sums = [known[0]], [known[1]]
    for p in range(per.shape[1]):
        shapes.append(Shape(valid, 0.0, 1.0, 100.0))
        sums.append(per[:, p:p + 1].astype(np.float64))
    cells = [tuple(plan.cells[i]) for i in plan.report_cells]
    counts = np.asarray([per[list(c)].sum(axis=0) for c in cells], dtype=np.int64)
    ties: list[Tie] = []
    for a in range(len(valid)):
        if valid[a, 0] > 0:
            ties.append(Tie(tuple((p + 1, a, 0, 1.0) for p in range(per.shape[1])),
                            float(valid[a, 0])))
            ties += linked(a)
    return Problem(key, shapes, sums, cells, counts, ties)


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
        plan_one(plan, wave, m, problem(wave, m, item), f"item:{item}", dist_key(item))
    return bool(missing)


def plan_one(plan: WavePlan, wave: WavePlan, m: WaveMatrix, p: Problem | None, figure: str,
             key: str) -> None:
    """Plan one problem's shares (under ``key``) with ``figure`` (its figure 0) fixed as the
    wave's plan has it: not shown where that figure is hidden."""
    if p is None or figure not in wave.hidden:
        plan.hidden[key] = list(wave.report_cells)
        plan.primary[key] = []
        return
    report = wave.report_cells
    off = {j for j, i in enumerate(report) if i in wave.hidden[figure]}
    n_small = small(p.counts)
    k = p.counts.shape[1]
    sensitive = {j for j in range(len(report)) if n_small[j].any()}
    few = {j for j, c in enumerate(p.cells)
           if p.shapes[0].weights[list(c)].sum(axis=0).min() < wave.min_group}
    hidden = [off] + [off | sensitive | few for _ in range(k)]
    primary = [{j for j, i in enumerate(report) if i in wave.primary[figure]}] + [
        {j for j in range(len(report)) if n_small[j, q]} for q in range(k)]
    fixed = [set(range(len(report)))] + [off for _ in range(k)]
    people = np.bincount(plan_atoms(wave, m), minlength=len(wave.atoms)).tolist()
    plan_jointly(p.shapes, p.sums, people, [p.cells] * (k + 1), hidden,
                 primary, p.ties, set(range(1, k + 1)), wave.protection, fixed=fixed)
    plan.hidden[key] = sorted({report[j] for h in hidden[1:] for j in h})
    plan.primary[key] = sorted(report[j] for j in sensitive)


def attack_distribution(wave: WavePlan, m: WaveMatrix, item: str,
                        means: Mapping[Where, float], shown: dict[int, list[float]],
                        p: Problem | None = None
                        ) -> list[tuple[int, int, int, float, float, bool]]:
    """Each small count of the item's distributions (report cell, point, count, low and high
    of its share, whether some output showed it), attacked with the ``means`` shown of the
    item (or of ``p``'s figure 0; a key may be a weighted sum of cells: a standardised
    figure) and the distributions ``shown`` (plan cell -> counts or shares), all cells of the
    wave."""
    p = problem(wave, m, item) if p is None else p
    if p is None:
        return []
    k = p.counts.shape[1]
    report = wave.report_cells
    at = {i: j for j, i in enumerate(report)}
    published: list[list[tuple[Published, float]]] = [
        [(p.cells[at[i]], v) for i, v in means.items() if isinstance(i, int) and i in at]
        + [(tuple((p.cells[at[c]], w) for c, w in i), v) for i, v in means.items()
           if not isinstance(i, int) and all(c in at for c, _ in i)]]
    for q in range(k):
        published.append([(p.cells[j], 100.0 * shown[i][q] / max(sum(shown[i]), 1))
                          for j, i in enumerate(report) if i in shown])
    out = []
    n_small = small(p.counts)
    for j, q in zip(*np.nonzero(n_small), strict=True):
        low, high = joint_interval(p.shapes, published, p.ties, int(q) + 1, p.cells[int(j)])
        out.append((report[int(j)], int(q) + 1, int(p.counts[j, q]), low, high,
                    report[int(j)] in shown))
    return out

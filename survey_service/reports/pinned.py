"""Figures that alone tell what a few people answered (issue #14): a value near its scale's end
pins the small answer counts beside it. An NPS of +80 from 20 answers leaves room for at most
two detractors, so the one detractor of that group lies within 0-10 % whatever else is hidden;
a mean of 4.8 on a 1-5 item from 10 answers leaves room for at most one answer of 1.

The report pages draw answer distributions and NPS bands over the wave plan's report cells
(all organisations, each organisation), where a count of 1 or 2 answers is sensitive
(:mod:`.distribution_plan`, :mod:`.band_plan`). Their plans can hide distributions, but not the
figure they are tied to. So a report cell is sensitive **for the figure itself** when that
figure's value alone (with every count the attacker knows, and the ties between the figure
and its counts) narrows one of its small counts' shares below the protection level: the wave
plan then hides the figure there, with complementary cells, as it hides small groups.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..indicators.disclosure import Published
from ..indicators.disclosure_joint import joint_interval
from .band_plan import band_problem
from .data import WaveMatrix
from .disclosure import Figure, WavePlan
from .distribution_plan import Problem, problem, small


def pinned(plan: WavePlan, m: WaveMatrix, figure: Figure) -> set[int]:
    """The report cells whose value of ``figure`` (a likert item or an NPS) pins a small
    count of its answers below the protection level (``m``: every response of the wave)."""
    p: Problem | None
    if figure.kind == "item":
        p = problem(plan, m, figure.items[0])
    elif figure.kind == "nps" and figure.definition is not None:
        p = band_problem(plan, m, figure.key)
    else:
        return set()
    if p is None:
        return set()
    found: set[int] = set()
    n_small = small(p.counts)
    shape = p.shapes[0]
    for j, cell in enumerate(p.cells):
        if not n_small[j].any() or not shape.defined(cell):
            continue
        published: list[list[tuple[Published, float]]] = [
            [(cell, shape.value(p.sums[0], cell))], *([] for _ in range(p.counts.shape[1]))]
        for q in np.flatnonzero(n_small[j]).tolist():
            low, high = joint_interval(p.shapes, published, p.ties, q + 1, cell)
            if high - low < plan.protection - 1e-6:
                found.add(plan.report_cells[j])
                break
    return found


def pinned_cells(plan: WavePlan, m: WaveMatrix, figures: Iterable[Figure]
                 ) -> dict[str, set[int]]:
    """:func:`pinned` of each figure (item or NPS) the plan has not planned yet."""
    return {f.key: found for f in figures if f.key not in plan.hidden
            and (found := pinned(plan, m, f))}

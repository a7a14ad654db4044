"""A figure that alone tells what a few people answered (issue #14): a value near its scale's
end pins the small counts beside it. An NPS of +80 from 20 answers leaves room for at most two
detractors, so the one detractor of that group lies within 0-10 % whatever else is hidden; an
item with 98 % positive answers from 100 tells that at most two people answered 1.

The report pages draw answer distributions and NPS bands over the wave plan's report cells
(all organisations, each organisation), where a count of 1 or 2 answers is sensitive
(:mod:`.distribution_plan`, :mod:`.band_plan`). Those plans can hide counts, but not the figures
they are tied to. So a report cell is sensitive **for the figure itself** (an NPS; an item's
mean and % positive, which the report shows together) when its values alone (with every count
the attacker knows, and the ties between the figures and the counts) narrow one of its small
counts below what the count needs (:func:`.distribution_plan.count_need`: the protection level
on the share scale, or three answers where that is fewer): the wave plan then hides the figure
there, with complementary cells, as it hides small groups. A mean of 4.7 from 75 answers leaves
its one answer of 1 within 0-5.6 answers, and stays shown.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..indicators.disclosure import Published
from ..indicators.disclosure_joint import joint_interval
from .band_plan import band_problem
from .data import WaveMatrix
from .disclosure import ITEM_KINDS, Figure, WavePlan
from .distribution_plan import Problem, problem, small


def pinned_problem(plan: WavePlan, m: WaveMatrix, figure: Figure) -> Problem | None:
    """The counts tied to ``figure``: an NPS's bands, an item's distribution."""
    if figure.kind == "nps" and figure.definition:
        return band_problem(plan, m, figure.key)
    if figure.kind in ITEM_KINDS:
        return problem(plan, m, figure.items[0])
    return None


def pinned(plan: WavePlan, p: Problem | None) -> set[int]:
    """The report cells whose own values of ``p``'s fixed figures pin one of its small
    counts below what it needs."""
    if p is None:
        return set()
    found: set[int] = set()
    n_small = small(p.counts)
    for j, cell in enumerate(p.cells):
        if not n_small[j].any() or not all(p.shapes[f].defined(cell) for f in p.fixed):
            continue
        published: list[list[tuple[Published, float]]] = [
            [(cell, p.shapes[f].value(p.sums[f], cell))] if f in p.fixed else []
            for f in range(len(p.shapes))]
        for q in np.flatnonzero(n_small[j]).tolist():
            low, high = joint_interval(p.shapes, published, p.ties, q + 1, cell)
            if high - low < p.need(plan.protection, j) - 1e-6:
                found.add(plan.report_cells[j])
                break
    return found


def pinned_cells(plan: WavePlan, m: WaveMatrix, figures: Iterable[Figure]
                 ) -> dict[str, set[int]]:
    """:func:`pinned` of each NPS and item the plan has not planned yet (an item's mean and
    % positive get the same cells: the report shows them together)."""
    out: dict[str, set[int]] = {}
    done: dict[str, set[int]] = {}
    for f in figures:
        if f.key in plan.hidden:
            continue
        name = f.items[0] if f.kind in ITEM_KINDS else f.key
        if name not in done:
            done[name] = pinned(plan, pinned_problem(plan, m, f))
        if done[name]:
            out[f.key] = done[name]
    return out

"""An NPS that alone tells what a few people answered (issue #14): a value near its scale's end
pins the small bands beside it. An NPS of +80 from 20 answers leaves room for at most two
detractors, so the one detractor of that group lies within 0-10 % whatever else is hidden.

The report pages draw NPS bands over the wave plan's report cells (all organisations, each
organisation), where a band of 1 or 2 answers is sensitive (:mod:`.band_plan`). The band plan
can hide bands, but not the NPS they are tied to. So a report cell is sensitive **for the NPS
itself** when its value alone (with every count the attacker knows, and the ties between the
NPS and its bands) narrows one of its small bands below the protection level: the wave plan
then hides the NPS there, with complementary cells, as it hides small groups.

Item means are not treated so: a mean of 4.7 from 75 answers pins its one answer of 1 within
0-7.5 %, and hiding such means (and the indices tied to them) hid the staff survey's headline
index in the demo. Their answer distributions are still planned, and the audit reports such a
count (:mod:`..services.disclosure_audit`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..indicators.disclosure import Published
from ..indicators.disclosure_joint import joint_interval
from .band_plan import band_problem
from .data import WaveMatrix
from .disclosure import Figure, WavePlan
from .distribution_plan import small


def pinned(plan: WavePlan, m: WaveMatrix, figure: Figure) -> set[int]:
    """The report cells whose value of ``figure`` (an NPS) pins a small band of its answers
    below the protection level (``m``: every response of the wave)."""
    p = band_problem(plan, m, figure.key) if figure.kind == "nps" and figure.definition else None
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
    """:func:`pinned` of each NPS the plan has not planned yet."""
    return {f.key: found for f in figures if f.key not in plan.hidden
            and (found := pinned(plan, m, f))}

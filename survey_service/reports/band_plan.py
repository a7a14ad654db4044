"""The plan of the NPS bands the report pages draw (% detractors 0-6, passives 7-8 and
promoters 9-10 of an NPS indicator, for all organisations or one: the wave plan's report
cells), planned as answer distributions are (:mod:`.distribution_plan`).

The bands are three shares tied to each other and to the NPS: per atom the three counts add up
to the valid answers (known to the attacker), the NPS's promoters are the third band and its
detractors the first. A band of 1 or 2 answers in a cell tells what a few people answered
(the one detractor of a small municipality) even where the NPS is shown, so it is a sensitive
cell: that cell's bands are not drawn, and complementary cells' bands are hidden until the
attacker who knows every band drawn, every NPS shown and every count cannot narrow a small
band's share below the protection level. The bands are never drawn where the NPS is hidden.
Kept with the distributions' plan (``WAVE|distributions``) under ``bands:ID``.
"""

from __future__ import annotations

import numpy as np

from ..indicators.disclosure_joint import Tie
from ..surveys.loader import indicator_items
from .data import WaveMatrix
from .disclosure import WavePlan, figure_of, plan_atoms, shape_of
from .distribution_plan import Problem, counts_problem, plan_one

BANDS = "bands:"
#: the bands' answers: detractors, passives, promoters
EDGES = ((0, 6), (7, 8), (9, 10))


def bands_key(indicator: str) -> str:
    return f"{BANDS}{indicator}"


def nps_indicators(plan: WavePlan, m: WaveMatrix) -> list[str]:
    """The NPS indicators the wave's plan has planned."""
    return [d.id for d in m.survey.indicators if d.kind == "nps" and d.id in plan.hidden]


def band_problem(plan: WavePlan, m: WaveMatrix, indicator: str) -> Problem | None:
    """The NPS (figure 0: promoters and detractors per atom) and the share of each band
    (figures 1-3) over the wave plan's report cells, with their ties."""
    figure = figure_of(m.survey, indicator)
    items = indicator_items(m.survey, indicator)
    column = m.raw(items[0]) if items else None
    known = shape_of(plan, m, figure) if figure is not None else None
    if known is None or column is None:
        return None
    atom, size = plan_atoms(plan, m), len(plan.atoms)
    per = np.zeros((size, len(EDGES)), dtype=np.int64)
    for b, (low, high) in enumerate(EDGES):
        hit = (column >= low) & (column <= high)
        per[:, b] = np.bincount(atom[hit], minlength=size)
    return counts_problem(indicator, plan, known, per, lambda a: [
        Tie(((0, a, 0, 1.0), (3, a, 0, -1.0)), 0.0),  # promoters
        Tie(((0, a, 1, 1.0), (1, a, 0, -1.0)), 0.0)])  # detractors


def plan_bands(plan: WavePlan, wave: WavePlan, m: WaveMatrix) -> bool:
    """Plan the bands of every NPS indicator of the wave that ``plan`` lacks (``wave``: the
    wave's own plan); True when the plan changed."""
    missing = [i for i in nps_indicators(wave, m) if bands_key(i) not in plan.hidden]
    for indicator in missing:
        plan_one(plan, wave, m, band_problem(wave, m, indicator), bands_key(indicator))
    return bool(missing)

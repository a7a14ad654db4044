"""What the outputs a disclosure audit reads show (:mod:`.disclosure_audit`): each figure's
cells, and the wave's plan covering every figure shown of it; and what the audit finds of
each hidden cell (:class:`Interval`)."""

from __future__ import annotations

import msgspec

from ..reports.data import WaveMatrix
from ..reports.disclosure import WavePlan, figure_of, wave_figures
from ..settings import Settings
from ..storage.base import Store
from .disclosure import wave_plan

#: what a figure shows: a cell of the plan, a weighted sum of cells (the standardised figure
#: over all organisations), or None (a group the plan does not have)
Where = int | tuple[tuple[int, float], ...] | None
Shown = dict[tuple[str, str], list[tuple[Where, float]]]  # (wave, figure) -> cells
#: (wave, question, figure) -> the group plan's cells shown
QuestionShown = dict[tuple[str, str, str], list[tuple[Where, float]]]


async def plan_with_shown(settings: Settings, store: Store, m: WaveMatrix, shown: Shown
                          ) -> WavePlan:
    """The wave's plan, with every figure the outputs showed of it."""
    figures = wave_figures(m.survey)
    extra = {key for wave, key in shown if wave == m.wave.id}
    figures += [f for f in (figure_of(m.survey, k) for k in sorted(extra)) if f is not None]
    return await wave_plan(settings, store, m.wave, figures)


class Interval(msgspec.Struct, kw_only=True):
    """What the attacker can prove about one hidden (or sensitive) cell's figure."""

    wave: str
    figure: str
    cell: str
    n: int
    low: float
    high: float
    width: float
    sensitive: bool  # fewer than min_group respondents or valid answers
    published: bool = False  # shown by some output (a sensitive cell never may be)
    needed: float = 0.0  # the protection level on this figure's scale
    exact: bool = True  # False: the narrowest interval holds [low, high] (proved wide enough)

    @property
    def exposed(self) -> bool:
        """A small group shown, narrowed below the level, or attacked with no solution (the
        published figures contradict the attacker's model: the audit proves nothing)."""
        return self.sensitive and (self.published or not self.width >= self.needed)


def cell_name(plan: WavePlan, cell: int) -> str:
    """A plan cell's first label in sorted order (its index when it has none)."""
    names = sorted(name for name, j in plan.labels.items() if j == cell)
    return names[0] if names else str(cell)

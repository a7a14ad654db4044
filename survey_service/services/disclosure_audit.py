"""``disclosure audit``: produce everything the service would publish about some waves (the
report and every breakdown, over all organisations and each one, in both orders against every
other wave of the survey), then play the LP attacker against it: for each cell that is hidden
or sensitive, the narrowest interval its figure can be proved to lie in.

The attacker knows every figure any of those outputs shows, every respondent and valid-answer
count of every group (``waves status`` publishes the counts per unit) and the scales' bounds.
The outputs are read as they are produced, so an output that ignored the plan is caught.
"""

from __future__ import annotations

from collections import defaultdict

import msgspec
import numpy as np

from ..indicators.disclosure import Cell
from ..indicators.disclosure_joint import joint_interval
from ..reports.breakdown import Breakdown, groups_of
from ..reports.comparability import plan_indicators
from ..reports.data import WaveMatrix
from ..reports.disclosure import (
    ALL,
    WavePlan,
    atom_index,
    atoms_of,
    figure_key,
    figure_of,
    org_label,
    wave_figures,
)
from ..reports.disclosure_links import joint_figures, ties
from ..reports.report import Report
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import indicator_items
from ..surveys.versions import diff_versions
from ..surveys.waves import Wave
from .catalog import load
from .disclosure import full_matrix, wave_plan
from .errors import ServiceError
from .reports import BY, compute_report, unit_labels
from .waves import find_wave

Shown = dict[tuple[str, str], list[tuple[int | None, float]]]  # (wave, figure) -> cells


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


def _keys(m: WaveMatrix, other: WaveMatrix) -> dict[str, str]:
    plans, _ = plan_indicators(m.survey, other.survey, diff_versions(m.survey, other.survey),
                               "en")
    return {i: figure_key(i, p.items, indicator_items(m.survey, i)) for i, p in plans.items()}


def _record(shown: Shown, plan: WavePlan, m: WaveMatrix, keys: dict[str, str], side: str,
            output: Report | Breakdown, org: str | None, mapping: dict[str, str] | None
            ) -> None:
    if isinstance(output, Report):
        cell = plan.labels.get(ALL if org is None else org_label(org))
        for row in output.rows:
            value = getattr(row, side)
            if value is None or row.section not in ("indicator", "item"):
                continue
            key = keys.get(row.id, row.id) if row.section == "indicator" else f"item:{row.id}"
            shown[(m.wave.id, key)].append((cell, float(value)))
        return
    scope = m if org is None else m.subset(m.organisations == org)
    groups = groups_of(scope, output.by, mapping)
    for group in output.rows:
        found = getattr(group, side)
        if not found.n:
            continue
        where = plan.cell_of(atoms_of(scope.subset(groups == group.group)))
        for ind_id, value in found.values.items():
            if value is not None:
                shown[(m.wave.id, keys.get(ind_id, ind_id))].append((where, float(value)))


async def collect(settings: Settings, store: Store, waves: list[Wave]
                  ) -> tuple[Shown, dict[str, WaveMatrix], int]:
    """Every figure every output shows about ``waves`` (and the waves they are compared
    with), each wave's responses, and how many outputs were produced."""
    shown: Shown = defaultdict(list)
    matrices: dict[str, WaveMatrix] = {}
    orgs: list[str | None] = [None, *load(settings).organisations]
    pairs: dict[tuple[str, str], tuple[Wave, Wave]] = {}
    everything = await store.waves()
    for wave in waves:
        for other in everything:
            if other.survey_id == wave.survey_id and other.id != wave.id:
                pairs[(wave.id, other.id)] = (wave, other)
                pairs[(other.id, wave.id)] = (other, wave)
    outputs = 0
    for a, b in pairs.values():
        ma, mb = await full_matrix(store, a), await full_matrix(store, b)
        keys = {"baseline": _keys(ma, mb), "follow_up": _keys(mb, ma)}
        _, mapping = await unit_labels(store, a, b, "en")
        for org in orgs:
            for by in (None, *BY):
                try:
                    out = await compute_report(settings, store, a.survey_id, a.id, b.id, org,
                                               "en", True, by)
                except ServiceError:
                    continue  # refused: nothing published
                outputs += 1
                for side, m, maps in (("baseline", ma, mapping), ("follow_up", mb, None)):
                    matrices[m.wave.id] = m
                    plan = await _plan(settings, store, m, shown)
                    _record(shown, plan, m, keys[side], side, out, org, maps)
    return shown, matrices, outputs


async def _plan(settings: Settings, store: Store, m: WaveMatrix, shown: Shown) -> WavePlan:
    """The wave's plan, with every figure the outputs showed of it."""
    figures = wave_figures(m.survey)
    extra = {key for wave, key in shown if wave == m.wave.id}
    figures += [f for f in (figure_of(m.survey, k) for k in sorted(extra)) if f is not None]
    return await wave_plan(settings, store, m.wave, figures)


def attack(plan: WavePlan, m: WaveMatrix, key: str, everything: Shown, level: float
           ) -> list[Interval]:
    """Each cell of one figure that is sensitive or hidden: its interval given every figure
    shown, attacked together with the figures linked to it (its theme, its items)."""
    figures, shapes, _ = joint_figures(plan, m, [key])
    if not figures or figures[0].key != key:
        return []
    figure, shape = figures[0], shapes[0]
    shown = everything.get((m.wave.id, key), [])
    together = [[(tuple(plan.cells[c]), v) for c, v in everything.get((m.wave.id, f.key), [])
                 if c is not None] for f in figures]
    index = {a: i for i, a in enumerate(plan.atoms)}
    present, inverse = atom_index(m)
    counts = np.bincount(np.asarray([index[a] for a in present])[inverse],
                         minlength=len(plan.atoms))
    linked = ties(m, figures, shapes, counts.astype(np.int64))
    on = {c for c, _ in shown}
    lo, hi = shape.value_range()
    out = []
    for i, atoms in enumerate(plan.cells):
        cell: Cell = tuple(atoms)
        if (figure.kind == "item" and i not in plan.report_cells) or not shape.defined(cell):
            continue
        n = int(counts[list(cell)].sum())
        valid = float(shape.weights[list(cell)].sum(axis=0).min())
        sensitive = n < plan.min_group or valid < plan.min_group
        if i in on and not sensitive:
            continue
        low, high = joint_interval(shapes, together, linked, 0, cell)
        names = sorted(name for name, j in plan.labels.items() if j == i)
        out.append(Interval(wave=plan.wave, figure=key, cell=names[0] if names else str(i),
                            n=n, low=low, high=high, width=high - low, sensitive=sensitive,
                            published=i in on, needed=level / 100 * (hi - lo)))
    return out


async def audit(settings: Settings, store: Store, wave_ids: list[str]
                ) -> tuple[list[Interval], int]:
    """The attacker's interval of every hidden or sensitive cell of the waves' figures, and
    how many outputs were read."""
    waves = [await find_wave(store, w) for w in dict.fromkeys(wave_ids)]
    shown, matrices, outputs = await collect(settings, store, waves)
    found: list[Interval] = []
    for wave in waves:
        if wave.id not in matrices:
            continue
        m = matrices[wave.id]
        plan = await _plan(settings, store, m, shown)
        found += [Interval(wave=wave.id, figure=key, cell="(a group outside the plan)", n=0,
                           low=value, high=value, width=0.0, sensitive=True, published=True)
                  for (w, key), cells in sorted(shown.items()) if w == wave.id
                  for cell, value in cells if cell is None]
        for key in sorted(plan.hidden):
            found += attack(plan, m, key, shown, settings.protection_level)
    return found, outputs

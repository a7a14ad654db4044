"""The disclosure audit's reading of the reports' adjusted-change section
(:mod:`..reports.adjusted_plan`): each indicator whose section shows figures gives the
attacker the section's linear equations in both waves' answers, which are attacked together
with every figure the outputs showed of the indicator in either wave (one LP over both waves'
atoms). A figure of the section that the attacker's model cannot read, shown while a wave has
a small group for the indicator, is reported as exposed (as a group outside the plan is).
"""

from __future__ import annotations

import numpy as np

from ..indicators.adjust_mix import collapse_cells
from ..indicators.disclosure import Cell, Combo, interval
from ..reports.adjusted_plan import Guard, equations, joint
from ..reports.comparability import plan_indicators
from ..reports.data import WaveMatrix
from ..reports.disclosure import WavePlan, figure_key, figure_of
from ..reports.mix import pool_groups, respondent_outcome
from ..reports.report import Report
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import indicator_items
from ..surveys.versions import diff_versions
from .audit_shown import Interval, Shown, Where, cell_name, plan_with_shown


def _published(plan: WavePlan, where: Where, shift: int) -> Cell | Combo | None:
    if where is None:
        return None
    if isinstance(where, int):
        return tuple(shift + a for a in plan.cells[where])
    return tuple((tuple(shift + a for a in plan.cells[c]), w) for c, w in where)


def attack_adjusted(report: Report, scope: tuple[WaveMatrix, WaveMatrix],
                    full: tuple[WaveMatrix, WaveMatrix], plans: tuple[WavePlan, WavePlan],
                    shown: Shown) -> list[Interval]:
    """Every small group of the two waves, for each indicator whose adjusted change the
    report shows: its interval given the section's equations and everything ``shown``."""
    a, b = scope
    analysis = b.survey.analysis
    if analysis is None or not analysis.adjust_for:
        return []
    compared, _ = plan_indicators(a.survey, b.survey, diff_versions(a.survey, b.survey), "en")
    names = list(analysis.adjust_for)
    covariates, _days, _missing = pool_groups(a, b, names)
    wave = np.concatenate([np.zeros(a.n, dtype=bool), np.ones(b.n, dtype=bool)])
    kitagawa = collapse_cells(covariates, wave).codes
    guard = Guard(scope, plans, full, tuple(covariates))
    org = f", {report.organisation}" if report.organisation is not None else ""
    label = f" (adjusted change, {a.wave.id} vs {b.wave.id}{org})"
    out: list[Interval] = []
    for indicator in dict.fromkeys(r.id for r in report.rows if r.section == "adjusted"):
        rows = [r for r in report.rows if r.section == "adjusted" and r.id == indicator]
        if all(r.change is None and r.baseline is None for r in rows):
            continue  # nothing of it shown
        plan = compared[indicator]
        kind, items = plan.definition.kind, plan.items
        keys = [figure_key(indicator, items, indicator_items(m.survey, indicator))
                for m in scope]
        figures = [figure_of(m.survey, k) for m, k in zip(scope, keys, strict=True)]
        j = None if None in figures else joint(plans, full, (figures[0], figures[1]))  # type: ignore[arg-type]
        quiet = guard.quiet(indicator, items)
        unread = not guard.modelled(kind, items) or j is None or any(
            "+" in (r.test or "") and r.change is not None for r in rows)
        if unread and not quiet:
            out.append(Interval(wave=a.wave.id, figure=keys[0] + label,
                                cell="(a figure outside the model)", n=0, low=0.0, high=0.0,
                                width=0.0, sensitive=True, published=True))
            continue
        if j is None:
            continue
        outcomes = [respondent_outcome(m, kind, items) for m in scope]
        if outcomes[0] is None or outcomes[1] is None:
            continue
        y = np.concatenate([outcomes[0][0], outcomes[1][0]])
        extra = equations(j, scope, y, covariates, kitagawa, outcomes[0][1])
        published: list[tuple[Cell | Combo, float]] = [(e, j.value(e)) for e in extra]
        for side, m in enumerate(scope):
            shift = j.offset if side else 0
            for where, value in shown.get((m.wave.id, keys[side]), []):
                cell = _published(plans[side], where, shift)
                if cell is not None:
                    published.append((cell, value))
        lo, hi = j.shape.value_range()
        for side, m in enumerate(scope):
            for i in plans[side].primary.get(keys[side], []):
                cell = j.cell(side, i)
                if not j.shape.defined(cell):
                    continue
                low, high = interval(j.shape, published, cell)
                n = int(j.shape.weights[list(cell)].sum(axis=0).min())  # valid answers
                out.append(Interval(wave=m.wave.id, figure=keys[side] + label,
                                    cell=cell_name(plans[side], i), n=n, low=low, high=high,
                                    width=high - low, sensitive=True,
                                    needed=plans[side].protection / 100 * (hi - lo)))
    return out


#: the reports a disclosure audit produced: (report, baseline, follow-up, organisation)
Produced = list[tuple[Report, str, str, str | None]]


async def adjusted_found(settings: Settings, store: Store, produced: Produced,
                         matrices: dict[str, WaveMatrix], shown: Shown) -> list[Interval]:
    """:func:`attack_adjusted` over every report the audit produced."""
    out: list[Interval] = []
    for report, first, second, org in produced:
        full = (matrices[first], matrices[second])
        if not any(r.section == "adjusted" for r in report.rows):
            continue
        scope = full if org is None else (full[0].subset(full[0].organisations == org),
                                          full[1].subset(full[1].organisations == org))
        plans = (await plan_with_shown(settings, store, full[0], shown),
                 await plan_with_shown(settings, store, full[1], shown))
        out += attack_adjusted(report, scope, full, plans, shown)
    return out

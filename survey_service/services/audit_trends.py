"""The trends a disclosure audit reads (:mod:`.disclosure_audit`): every trend the service
would draw that holds an audited wave, each wave's figure as the trend shows it (over the items
common to the set; over all organisations, standardised to the trend's published mix)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from ..reports.data import WaveMatrix
from ..reports.disclosure import ALL, figure_key, org_label
from ..reports.trend import Trend, common_plans
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import indicator_items
from ..surveys.waves import Wave
from .audit_shown import Shown, plan_with_shown
from .disclosure import full_matrix
from .errors import ServiceError
from .trend import MAX_WAVES, compute_trend

#: a survey with at most this many waves has its trends over every set of them audited
TREND_WAVES = 6


def trend_sets(members: list[str], audited: set[str]) -> Iterator[list[str]]:
    """The sets of waves (in the order given) whose trends are read: every set of two or more
    holding an audited wave; with more than :data:`TREND_WAVES` waves, each run of 2 to
    :data:`~.trend.MAX_WAVES` consecutive ones holding an audited wave instead."""
    if len(members) <= TREND_WAVES:
        for size in range(2, len(members) + 1):
            for chosen in combinations(members, size):
                if audited.intersection(chosen):
                    yield list(chosen)
        return
    for start in range(len(members)):
        for end in range(start + 2, min(len(members), start + MAX_WAVES) + 1):
            if audited.intersection(members[start:end]):
                yield members[start:end]


async def audit_trends(settings: Settings, store: Store, waves: list[Wave],
                       everything: list[Wave], orgs: list[str | None], shown: Shown,
                       matrices: dict[str, WaveMatrix]) -> int:
    """Record what every trend over the audited waves' surveys shows; how many were read."""
    outputs = 0
    audited = {w.id for w in waves}
    for survey_id in dict.fromkeys(w.survey_id for w in waves):
        members = [w for w in everything if w.survey_id == survey_id]
        for chosen in trend_sets([w.id for w in members], audited):
            for org in orgs:
                try:
                    trend = await compute_trend(settings, store, survey_id, chosen, org, "en")
                except ServiceError:
                    continue  # refused: nothing published
                outputs += 1
                for wave_id in chosen:
                    if wave_id not in matrices:
                        matrices[wave_id] = await full_matrix(
                            store, next(w for w in members if w.id == wave_id))
                await _record_trend(settings, store, [matrices[w] for w in chosen], trend,
                                    org, shown)
    return outputs


async def _record_trend(settings: Settings, store: Store, ms: list[WaveMatrix], trend: Trend,
                        org: str | None, shown: Shown) -> None:
    plans, _ = common_plans(ms, "en")
    for k, m in enumerate(ms):
        plan = await plan_with_shown(settings, store, m, shown)
        cell = plan.labels.get(ALL if org is None else org_label(org))
        shares = [(plan.labels.get(org_label(o)), s) for o, s in sorted(trend.mix.items())]
        mix = None if any(c is None for c, _ in shares) else tuple(
            (c, s) for c, s in shares if c is not None)
        for row in trend.rows:
            value = row.waves[k].value
            if value is None or row.id not in plans:
                continue
            key = figure_key(row.id, plans[row.id].items, indicator_items(m.survey, row.id))
            standardised = bool(trend.mix) and row.note is None  # else the crude figure
            shown[(m.wave.id, key)].append((mix if standardised else cell, float(value)))

"""Breakdowns by a single-choice question of the form (``report --by question:ID``), with
each wave's group plan kept beside the wave's own disclosure plan once the wave is closed (under
the key ``WAVE|question:ID``), so that every output hides the same cells."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from ..anonymity import results_available
from ..reports.data import WaveMatrix
from ..reports.disclosure import Figure, WavePlan, figures_compared
from ..reports.group_plan import add_group_figures, new_group_plan
from ..reports.groups import QUESTION, Groups, build_groups, cannot_group
from ..reports.trend import common_plans
from ..settings import Settings
from ..storage.base import Store
from ..surveys.waves import now
from .catalog import find_organisation, load
from .disclosure import full_matrix
from .errors import Refused
from .reports import load_matrix
from .trend import refuse_small_organisations, trend_matrices

__all__ = ["QUESTION", "compute_groups", "group_plan"]
_decode = msgspec.json.Decoder(WavePlan)


def plan_key(wave_id: str, question: str) -> str:
    return f"{wave_id}|question:{question}"


async def group_plan(settings: Settings, store: Store, m: WaveMatrix, question: str,
                     figures: Sequence[Figure]) -> WavePlan:
    """The wave's plan of the tables by ``question``, covering ``figures``."""
    kept = m.wave.state(now()) == "closed" and results_available(m.wave, m.survey.kind)
    key = plan_key(m.wave.id, question)
    saved = await store.disclosure_plan(key) if kept else None
    plan = _decode.decode(saved) if saved is not None else None
    wanted = [f for f in figures if f.kind != "item"]
    if plan is not None and all(f.key in plan.hidden for f in wanted):
        return plan
    full = await full_matrix(store, m.wave)
    if plan is None:
        min_group = max(m.wave.min_group, settings.min_group)
        plan = new_group_plan(full, question, min_group, settings.protection_level)
    add_group_figures(plan, full, question, wanted)
    if kept:
        await store.save_disclosure_plan(key, msgspec.json.encode(plan))
    return plan


async def compute_groups(settings: Settings, store: Store, survey_id: str,
                         waves: Sequence[str], question: str, organisation: str | None,
                         channel: str | None, lang: str) -> Groups:
    """Every indicator by the answer to ``question`` in each of ``waves`` (one or more, in
    order), within ``organisation`` and the contact ``channel`` when given."""
    catalog = load(settings)
    if organisation is not None:
        find_organisation(catalog, organisation)
    if len(waves) == 1:
        ms = [await load_matrix(store, survey_id, waves[0], organisation, True)]
    else:
        ms = await trend_matrices(settings, store, survey_id, waves, organisation, True)
    reason = cannot_group(ms, question, channel)
    if reason is not None:
        raise Refused(reason)
    min_group = max([settings.min_group, *(m.wave.min_group for m in ms)])
    if organisation is None:
        await refuse_small_organisations(store, ms, min_group)
    plans = common_plans(ms, lang)[0]
    items = {i: p.items for i, p in plans.items()}
    kept = {m.wave.id: await group_plan(settings, store, m, question,
                                        figures_compared(m.survey, items)) for m in ms}
    return build_groups(ms, question, kept, lang=lang, organisation=organisation,
                        channel=channel, min_group=min_group)

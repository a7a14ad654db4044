"""The analysis plan, frozen in the store when the first follow-up wave opens
(:func:`freeze_family`, called by ``services.waves.open_wave``): the project's confirmatory
family (read by the project report through :func:`family`) and the whole analysis plan
(expected results, targets, confirmatory flags, adjustment sets: :func:`analysis`), which
every report follows and prints with its hash and date."""

from __future__ import annotations

from ..reports.family import (
    ANALYSIS_PLAN,
    PLAN_NAME,
    AnalysisPlan,
    Family,
    analysis_plan,
    confirmatory_family,
    decode_family,
    decode_plan,
    encode_family,
    encode_plan,
)
from ..reports.report import PlanStamp
from ..storage.base import Plan, Store
from ..surveys.loader import Catalog
from ..surveys.waves import Wave, now


async def freeze_family(catalog: Catalog, store: Store, wave: Wave) -> Plan:
    """Freeze the confirmatory family and the analysis plan of the files as they are now,
    unless they are frozen already (then the frozen ones are kept; the family is returned)."""
    at = now()
    if await store.plan(ANALYSIS_PLAN) is None:
        data, digest = encode_plan(analysis_plan(catalog))
        await store.save_plan(Plan(name=ANALYSIS_PLAN, hash=digest, definition=data,
                                   frozen=at, wave_id=wave.id))
    kept = await store.plan(PLAN_NAME)
    if kept is not None:
        return kept
    data, digest = encode_family(confirmatory_family(catalog.project_results))
    return await store.save_plan(
        Plan(name=PLAN_NAME, hash=digest, definition=data, frozen=at, wave_id=wave.id)
    )


async def family(catalog: Catalog, store: Store) -> tuple[Family, Plan | None]:
    """The frozen family, or (before any follow-up wave opened) the files' current one with
    ``None``."""
    kept = await store.plan(PLAN_NAME)
    if kept is None:
        return confirmatory_family(catalog.project_results), None
    return decode_family(kept.definition), kept


async def analysis(catalog: Catalog, store: Store) -> tuple[AnalysisPlan, PlanStamp]:
    """The frozen analysis plan and its stamp; before it is frozen, the files' plan now (its
    stamp has no date). A store whose family was frozen before the analysis plan existed
    keeps its frozen family inside the files' plan."""
    kept = await store.plan(ANALYSIS_PLAN)
    if kept is not None:
        return decode_plan(kept.definition), PlanStamp(hash=kept.hash, frozen=kept.frozen,
                                                       wave=kept.wave_id)
    plan = analysis_plan(catalog)
    fam, frozen_family = await family(catalog, store)
    if frozen_family is not None:
        plan = AnalysisPlan(family=fam.members, results=plan.results,
                            adjust_for=plan.adjust_for, shown_both_ways=plan.shown_both_ways,
                            comparison=plan.comparison)
    return plan, PlanStamp(hash=encode_plan(plan)[1])

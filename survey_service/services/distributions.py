"""Which answer distributions the report pages may draw: each wave's plan of them
(:mod:`..reports.distribution_plan`), kept beside the wave's own plan once the wave is closed
(under ``WAVE|distributions``), so that every page hides the same ones."""

from __future__ import annotations

import msgspec

from ..anonymity import results_available
from ..reports.band_plan import BANDS, bands_key, plan_bands
from ..reports.disclosure import ALL, PLANNER, WavePlan, org_label
from ..reports.distribution_plan import DIST, dist_key, plan_distributions
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import decode_survey
from ..surveys.waves import Wave, now
from .disclosure import closed_others, disclosure_for, full_matrix, wave_plan

_decode = msgspec.json.Decoder(WavePlan)


def plan_key(wave_id: str) -> str:
    return f"{wave_id}|distributions"


async def distribution_plan(settings: Settings, store: Store, wave: Wave) -> WavePlan:
    """The wave's plan of the distributions of every likert item."""
    own = await wave_plan(settings, store, wave)
    items = sorted(k[len("item:"):] for k in own.hidden if k.startswith("item:"))
    definition = await store.form_version(wave.version)
    survey = decode_survey(definition) if definition is not None else None
    kind = survey.kind if survey is not None else ""
    kept = wave.state(now()) == "closed" and results_available(wave, kind)
    saved = await store.disclosure_plan(plan_key(wave.id)) if kept else None
    plan = _decode.decode(saved) if saved is not None else None
    nps = [d.id for d in survey.indicators if d.kind == "nps" and d.id in own.hidden
           ] if survey is not None else []
    if plan is not None and plan.planner >= PLANNER and all(
            dist_key(i) in plan.hidden for i in items) and all(
            bands_key(i) in plan.hidden for i in nps):
        return plan
    old = plan if plan is not None and plan.planner < PLANNER else None
    if plan is None or old is not None:  # an older planner's: planned again, keeping its hiding
        plan = WavePlan(wave=wave.id, min_group=own.min_group, protection=own.protection,
                        atoms=own.atoms, cells=own.cells, labels=own.labels,
                        report_cells=own.report_cells, planner=PLANNER)
    m = await full_matrix(store, wave)
    plan_distributions(plan, own, m, items)
    plan_bands(plan, own, m)
    for key, cells in (old.hidden if old is not None else {}).items():
        plan.hidden[key] = sorted({*plan.hidden.get(key, []), *cells})
    if kept:
        await store.save_disclosure_plan(plan_key(wave.id), msgspec.json.encode(plan))
    return plan


async def distributions_shown(settings: Settings, store: Store, wave: Wave,
                              organisation: str | None) -> set[str]:
    """The likert items whose distribution a page of ``wave`` (all organisations, or one)
    may draw, and the NPS indicators whose bands it may draw (as ``bands:ID``)."""
    plan = await distribution_plan(settings, store, wave)
    cell = plan.labels.get(ALL if organisation is None else org_label(organisation))
    return {k[len(DIST):] if k.startswith(DIST) else k for k, hidden in plan.hidden.items()
            if k.startswith((DIST, BANDS)) and cell is not None and cell not in hidden}


async def plan_when_closed(settings: Settings, store: Store, wave: Wave) -> bool:
    """Make and keep the plans of a wave that has just closed (``waves close``): its own and
    its distributions', so that the first output about it does not wait for them; False when
    the wave's data can still change (a staff wave not mixed yet: its first output plans it)."""
    definition = await store.form_version(wave.version)
    kind = decode_survey(definition).kind if definition is not None else ""
    if not (wave.state(now()) == "closed" and results_available(wave, kind)):
        return False
    await distribution_plan(settings, store, wave)  # makes the wave's own plan first
    await plan_comparisons(settings, store, wave, kind)
    return True


async def plan_comparisons(settings: Settings, store: Store, wave: Wave, kind: str) -> None:
    """The figures a comparison of ``wave`` with each other closed wave of its survey shows
    (each indicator over the items the two have in common), planned in both waves' plans now,
    the other waves taken by start and id: which report is asked for first then decides no
    plan. (A trend over three or more waves whose common items are fewer still plans its
    variants when first drawn.)"""
    for other in await closed_others(store, wave, kind):
        await disclosure_for(settings, store, other, wave)

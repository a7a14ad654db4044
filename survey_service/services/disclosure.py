"""The disclosure plans every output uses (:func:`disclosure_for`), kept with each closed
wave, and the audit that plays the LP attacker against everything the service would publish
(:func:`audit`).

What is public by decision: every respondent count of every unit (``waves status`` prints the
codes used per unit while a staff wave is open, because administrators need response rates
during fieldwork), and so every count of every published group. The plans protect the
figures against an attacker who knows those counts, the valid-answer counts and the scales'
bounds.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from ..anonymity import results_available
from ..reports.comparability import plan_indicators
from ..reports.data import WaveMatrix, wave_matrix
from ..reports.disclosure import (
    PLANNER,
    Disclosure,
    Figure,
    WavePlan,
    add_figures,
    close_standardised,
    figure_of,
    figures_compared,
    new_plan,
    wave_figures,
)
from ..reports.disclosure_links import plan_linked, unite_items
from ..reports.pinned import pinned_cells
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import decode_survey
from ..surveys.model import Survey
from ..surveys.versions import diff_versions
from ..surveys.waves import Wave, now
from .catalog import load, wave_structures
from .errors import Unavailable
from .open_plans import data_marker, keep_open_plan, open_plan

_decode = msgspec.json.Decoder(WavePlan)


async def full_matrix(store: Store, wave: Wave) -> WaveMatrix:
    definition = await store.form_version(wave.version)
    if definition is None:
        raise Unavailable(f"form version {wave.version} of '{wave.id}' is missing")
    data = await store.wave_codes(wave.id, None, groups=True)
    return wave_matrix(wave, decode_survey(definition), data)


async def mappings(settings: Settings, store: Store, wave: Wave) -> list[dict[str, str]]:
    """Per later structure that maps this wave's units: ``org/old`` -> ``org/new``."""
    frozen = await wave_structures(store, wave)
    catalog = load(settings)
    found: dict[str, dict[str, str]] = {}
    for org, structure in sorted(frozen.items()):
        organisation = catalog.organisations.get(org)
        for later in organisation.structures if organisation else []:
            if later.previous == structure.id and later.mapping:
                found.setdefault(later.id, {}).update(
                    {f"{org}/{old}": f"{org}/{new}" for old, new in later.mapping.items()})
    return [found[k] for k in sorted(found)]


def _kept(wave: Wave, kind: str) -> bool:
    """A plan is kept once the wave's data can no longer change."""
    return wave.state(now()) == "closed" and results_available(wave, kind)


async def _survey(store: Store, wave: Wave) -> Survey:
    definition = await store.form_version(wave.version)
    if definition is None:
        raise Unavailable(f"form version {wave.version} of '{wave.id}' is missing")
    return decode_survey(definition)


async def wave_plan(settings: Settings, store: Store, wave: Wave,
                    figures: list[Figure] | None = None, full: WaveMatrix | None = None
                    ) -> WavePlan:
    """The wave's plan (the kept one once the wave is closed; while it is open, the one kept
    for its responses as they are: :mod:`.open_plans`), covering ``figures`` too (by default
    every figure of the wave); reads a closed wave's responses only when it must plan
    (``full``: every response of the wave with its groups, already read)."""
    survey = await _survey(store, wave)
    figures = figures if figures is not None else wave_figures(survey)
    kept = _kept(wave, survey.kind)
    marker = None
    if kept:
        saved = await store.disclosure_plan(wave.id)
        plan = _decode.decode(saved) if saved is not None else None
    else:  # an open wave's plan, kept for the responses it was made from
        full = full if full is not None else await full_matrix(store, wave)
        maps = await mappings(settings, store, wave)
        marker = data_marker(settings, full, maps)
        plan = await open_plan(store, wave.id, marker)
    if plan is not None and plan.planner < PLANNER:
        full = full if full is not None else await full_matrix(store, wave)
        plan = replanned(plan, full, survey)
        if kept:
            await store.save_disclosure_plan(wave.id, msgspec.json.encode(plan))
        elif marker is not None:
            await keep_open_plan(store, wave.id, marker, plan)
    if plan is not None and all(f.key in plan.hidden for f in figures):
        return plan
    m = full if full is not None else await full_matrix(store, wave)
    if plan is None:
        min_group = max(wave.min_group, settings.min_group)
        plan = new_plan(m, await mappings(settings, store, wave), min_group,
                        settings.protection_level)
    missing = [f.key for f in figures if f.key not in plan.hidden]
    add_figures(plan, m, figures, pinned_cells(plan, m, figures))
    plan_linked(plan, m, missing)  # a theme and its items, attacked together
    close_standardised(plan, missing)  # what the joint pass hid, with the standardised figure
    unite_items(plan)
    if kept:
        await store.save_disclosure_plan(wave.id, msgspec.json.encode(plan))
    elif marker is not None:
        await keep_open_plan(store, wave.id, marker, plan)
    return plan


def replanned(old: WavePlan, m: WaveMatrix, survey: Survey) -> WavePlan:
    """A plan kept by an older planner, planned again by this one over the same cells and
    figures (``m``: every response of the wave); every cell either plan hides stays hidden:
    what the old plan let out is out, and hiding more never narrows anything."""
    fresh = WavePlan(wave=old.wave, min_group=old.min_group, protection=old.protection,
                     atoms=old.atoms, cells=old.cells, labels=old.labels,
                     report_cells=old.report_cells, planner=PLANNER)
    keys = list(old.hidden)
    figures = [f for f in (figure_of(survey, k) for k in keys) if f is not None]
    add_figures(fresh, m, figures, pinned_cells(fresh, m, figures))
    plan_linked(fresh, m, [f.key for f in figures])
    close_standardised(fresh, [f.key for f in figures])
    for key in keys:
        fresh.hidden[key] = sorted({*fresh.hidden.get(key, []), *old.hidden[key]})
        fresh.primary[key] = sorted({*fresh.primary.get(key, []), *old.primary.get(key, [])})
    unite_items(fresh)
    return fresh


async def disclosure_for(settings: Settings, store: Store, a: Wave, b: Wave | None = None,
                         full: Mapping[str, WaveMatrix] | None = None) -> Disclosure:
    """The plans an output about wave ``a`` (or comparing ``a`` with ``b``) must follow: the
    one function every output calls. Each wave has its own plan (two waves' respondents are
    different people, and each plan covers every grouping of its wave), so the order of the
    waves never makes a new table. ``full``: wave id -> every response of that wave with its
    groups, when already read."""
    if b is None:
        return Disclosure({a.id: await wave_plan(settings, store, a)})
    figures = await compared_figures(store, a, b)
    return Disclosure({
        wave.id: await wave_plan(settings, store, wave, figures[wave.id],
                                 (full or {}).get(wave.id))
        for wave in (a, b)
    })


async def closed_others(store: Store, wave: Wave, kind: str) -> list[Wave]:
    """The survey's other closed waves whose results may be shown, by start and id: the
    waves a closed wave is compared with."""
    return sorted((w for w in await store.waves() if w.survey_id == wave.survey_id
                   and w.id != wave.id and _kept(w, kind)),
                  key=lambda w: (w.starts.isoformat() if w.starts else "", w.id))


async def compared_figures(store: Store, a: Wave, b: Wave) -> dict[str, list[Figure]]:
    """Wave id -> the figures a comparison of ``a`` with ``b`` shows of that wave (each
    indicator over the items the two have in common)."""
    first, second = await _survey(store, a), await _survey(store, b)
    plans, _ = plan_indicators(first, second, diff_versions(first, second), "en")
    items = {i: p.items for i, p in plans.items()}
    return {a.id: figures_compared(first, items), b.id: figures_compared(second, items)}

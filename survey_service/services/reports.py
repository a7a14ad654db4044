"""Figures from waves: the before/after report or its breakdown by group, and the live
response rates of a staff wave (code counts only; its answers stay sealed until it closes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..anonymity import results_available
from ..reports.adjusted_plan import guarded
from ..reports.breakdown import Breakdown, By, breakdown, cannot_break_down
from ..reports.data import WaveMatrix, wave_matrix
from ..reports.family import follow_plan
from ..reports.report import Report, build_report
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import decode_survey
from ..surveys.waves import Wave, now
from .catalog import find_organisation, load, wave_structures
from .comparison import add_benchmarks, add_comparison, comparison_organisations
from .disclosure import disclosure_for, full_matrix
from .errors import Invalid, Refused, Unavailable
from .fieldwork import for_report as fieldwork_for_report
from .plans import analysis
from .waves import find_wave

BY: tuple[By, ...] = ("organisation", "unit", "mode", "channel", "service")


async def _matrix(
    store: Store, survey_id: str, wave_id: str, organisation: str | None, groups: bool
) -> WaveMatrix:
    wave = await find_wave(store, wave_id)
    if wave.survey_id != survey_id:
        raise Invalid(f"wave '{wave_id}' is a wave of '{wave.survey_id}'")
    definition = await store.form_version(wave.version)
    if definition is None:
        raise Unavailable(f"form version {wave.version} of '{wave_id}' is missing")
    survey = decode_survey(definition)
    if not results_available(wave, survey.kind):
        raise Refused(
            f"wave '{wave_id}' is still open: results of a staff wave appear when it is "
            "closed (two reports minutes apart would reveal one person's answers)"
        )
    adjusting = survey.analysis is not None and bool(survey.analysis.adjust_for)
    data = await store.wave_codes(wave_id, organisation, groups=groups or wave.panel or adjusting)
    return wave_matrix(wave, survey, data)


async def _organisation_counts(store: Store, m: WaveMatrix) -> dict[str, int]:
    """Responses per organisation of a whole wave: counted in its matrix when that was read
    with its groups (no second pass over the wave's rows), else asked of the store."""
    if not m.grouped:
        return await store.organisation_counts(m.wave.id)
    values, inverse = m.factor("organisations")
    counts = np.bincount(inverse, minlength=len(values))
    return {str(v): int(n) for v, n in zip(values.tolist(), counts.tolist(), strict=True)
            if n}


async def compute_report(
    settings: Settings,
    store: Store,
    survey_id: str,
    baseline: str,
    follow_up: str,
    organisation: str | None,
    lang: str,
    items: bool,
    by: str | None = None,
    details: bool = True,
    matrices: list[WaveMatrix] | None = None,
) -> Report | Breakdown:
    """Load two waves and build their report, or with ``by`` their breakdown by group
    (``details=False``: without the panel, adjusted-change and composition sections);
    ``matrices`` (when given) receives the two waves' matrices as read, for reuse."""
    catalog = load(settings)
    if organisation is not None:
        find_organisation(catalog, organisation)
    if by is not None and by not in BY:
        raise Invalid(f"cannot break down by '{by}' (only by {', '.join(BY)})")
    if baseline == follow_up:
        raise Invalid(
            f"wave '{baseline}' cannot be both the baseline and the follow-up: compare two "
            "different waves"
        )
    plan, stamp = await analysis(catalog, store)
    # over all organisations the groups are read too: the figures are standardised to a
    # fixed organisation mix (issue #19 §4); and against a comparison group, the days
    compared = by is None and details and bool(comparison_organisations(plan, survey_id))
    groups = by is not None or organisation is None or compared
    a = await _matrix(store, survey_id, baseline, organisation, groups)
    b = await _matrix(store, survey_id, follow_up, organisation, groups)
    if matrices is not None:
        matrices.extend((a, b))
    reason = cannot_break_down(by, a, b) if by is not None else None
    if reason is not None:
        raise Refused(reason)
    min_group = max(a.wave.min_group, b.wave.min_group, settings.min_group)
    if organisation is None:
        for m in (a, b):
            for org, n in (await _organisation_counts(store, m)).items():
                if n < min_group:
                    raise Refused(
                        f"organisation '{org}' has only {n} responses in wave '{m.wave.id}' "
                        f"(fewer than {min_group}): a report over all organisations would "
                        "reveal its answers by subtraction; report each organisation with --org"
                    )
    # over all organisations the matrices hold every response with its groups: what a
    # wave's plan is made from, so a plan still to make reads nothing more
    full = {m.wave.id: m for m in (a, b)} if organisation is None and groups else None
    disclosure = await disclosure_for(settings, store, a.wave, b.wave, full)
    if by is not None:
        labels, mapping = await unit_labels(store, a.wave, b.wave, lang)
        if by == "organisation":
            labels = {o.id: o.name.get(lang) for o in catalog.organisations.values()}
        return breakdown(
            a,
            b,
            by,
            lang=lang,
            min_group=min_group,
            labels=labels,
            unit_mapping=mapping,
            disclosure=disclosure,
        )
    if details and b.survey.analysis is not None and b.survey.analysis.adjust_for:
        # the adjusted-change section is checked against everything published of the waves
        # (read in full only when a plan has a small group for some indicator to protect)
        if full is not None:
            disclosure.full = dict(full)
        elif guarded(disclosure):
            disclosure.full = {w.id: await full_matrix(store, w) for w in (a.wave, b.wave)}
    expected, late = follow_plan(catalog.expected_results, plan)
    built = build_report(
        a,
        b,
        expected,
        lang=lang,
        organisation=organisation,
        min_group=min_group,
        population=(
            await population(store, a.wave, organisation),
            await population(store, b.wave, organisation),
        ),
        items=items,
        disclosure=disclosure,
        confirmatory={i for s, i in plan.family if s == survey_id},
        plan=stamp,
        late=late,
        details=details,
    )
    built.fieldwork = await fieldwork_for_report(store, a, b, organisation, lang)
    if compared:
        await add_comparison(catalog, store, plan, built, a, b, organisation, min_group)
    if details:
        add_benchmarks(catalog, built)
    return built


async def unit_labels(
    store: Store, baseline: Wave, follow_up: Wave, lang: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Unit names of the follow-up structure, and the map from baseline units to them."""
    labels: dict[str, str] = {}
    mapping: dict[str, str] = {}
    before_all = await wave_structures(store, baseline)
    for org, structure in (await wave_structures(store, follow_up)).items():
        labels.update({f"{org}/{u.id}": u.name.get(lang) for u in structure.units})
        before = before_all.get(org)
        if before is not None and structure.previous == before.id:
            mapping.update(
                {f"{org}/{old}": f"{org}/{new}" for old, new in structure.mapping.items()}
            )
    return labels, mapping


async def population(store: Store, wave: Wave, organisation: str | None) -> int | None:
    """Staff waves: the head count of the organisations covered (for the FPC)."""
    frozen = await wave_structures(store, wave)
    return (
        sum(
            u.head_count
            for org, s in frozen.items()
            for u in s.units
            if organisation is None or org == organisation
        )
        or None
    )


def _rate(used: int, eligible: int) -> float | None:
    """Percent, unrounded (machine outputs keep full precision; tables round on display)."""
    return 100 * used / eligible if eligible else None


async def response_rates(store: Store, wave_id: str) -> dict[str, Any]:
    """Per unit: head count, codes issued and used, response rate (live), and the total."""
    wave = await find_wave(store, wave_id)
    structures = await wave_structures(store, wave)
    units: list[dict[str, Any]] = []
    for (org, unit), (issued, used) in (await store.token_counts(wave_id)).items():
        unit_def = structures[org].unit(unit) if org in structures else None
        eligible = unit_def.head_count if unit_def else issued
        units.append(
            {
                "organisation": org,
                "unit": unit,
                "head_count": eligible,
                "issued": issued,
                "used": used,
                "response_rate": _rate(used, eligible),
            }
        )
    total = {key: sum(u[key] for u in units) for key in ("issued", "used", "head_count")}
    total["response_rate"] = _rate(total["used"], total["head_count"])
    return {"wave": wave.id, "state": wave.state(now()), "units": units, "total": total}


#: One wave's matrix, refused while a staff wave is open (for other services, e.g. ``plan``).
load_matrix = _matrix

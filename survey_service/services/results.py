"""The project report: every expected result of ``forms/expected-results.toml`` across all
surveys, each on its survey's baseline and follow-up waves (found by phase: the earliest
baseline and the latest follow-up wave; overridable), or on its training waves for a level
target, for all organisations together and for each one.

Changes come from each survey's own report (:func:`services.reports.compute_report`); the
confirmatory indicators of all surveys are then adjusted together with Holm over the family
frozen when the first follow-up wave opened (:mod:`services.plans`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..i18n import translations
from ..reports.family import Member, encode_family, follow_plan, holm_family
from ..reports.project import (
    ALL,
    ProjectReport,
    ProjectRow,
    measure_basis,
    measure_status,
    result_row,
    target_text,
)
from ..reports.report import CAUTION, LATE
from ..reports.rows import Report, Row
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import Catalog
from ..surveys.model import ExpectedResult
from ..surveys.waves import Wave, now
from .catalog import find_organisation, load
from .comparison import is_comparison_wave
from .errors import Invalid, ServiceError
from .levels import Level, not_ready, small_organisation, wave_levels
from .plans import analysis, family
from .reports import compute_report
from .waves import find_wave


@dataclass
class _Waves:
    """The waves a survey's figures come from, chosen once for every scope."""

    baseline: Wave | None = None
    follow_up: Wave | None = None
    training: list[Wave] | None = None


async def _choose(
    store: Store, catalog: Catalog, overrides: dict[str, Sequence[str]]
) -> dict[str, _Waves]:
    """Per survey: the earliest baseline and latest follow-up wave, and every training wave,
    unless ``overrides`` (role -> wave ids) names others."""
    plan, _stamp = await analysis(catalog, store)
    # a comparison group's waves are never the project's (issue #19 §4)
    waves = sorted((w for w in await store.waves() if not is_comparison_wave(w, plan)),
                   key=lambda w: (w.starts or now(), w.id))
    chosen = {s: _Waves() for s in catalog.surveys}
    for survey_id, ws in chosen.items():
        own = [w for w in waves if w.survey_id == survey_id]
        ws.baseline = next((w for w in own if w.phase == "baseline"), None)
        ws.follow_up = next((w for w in reversed(own) if w.phase == "follow-up"), None)
        ws.training = [w for w in own if w.phase == "training"]
    given: dict[tuple[str, str], list[Wave]] = {}
    for role, ids in overrides.items():
        for wave_id in ids:
            wave = await find_wave(store, wave_id)
            given.setdefault((role, wave.survey_id), []).append(wave)
    for (role, survey_id), picked in given.items():
        if survey_id not in chosen:
            raise Invalid(f"wave '{picked[0].id}' is of survey '{survey_id}', not in forms/")
        if role != "training" and len(picked) > 1:
            raise Invalid(f"give one {role} wave of '{survey_id}', not {len(picked)}")
        if role == "baseline":
            chosen[survey_id].baseline = picked[0]
        elif role == "follow-up":
            chosen[survey_id].follow_up = picked[0]
        else:
            chosen[survey_id].training = picked
    return chosen


async def _comparison(
    settings: Settings, store: Store, survey_id: str, ws: _Waves, kind: str,
    scope: str | None, lang: str,
) -> Report | str:
    """A survey's report for one scope, or why there is none."""
    reason = (not_ready(ws.baseline, "baseline", kind, lang)
              or not_ready(ws.follow_up, "follow-up", kind, lang))
    if reason is not None:
        return reason
    assert ws.baseline is not None and ws.follow_up is not None
    if scope is None:
        min_group = max(ws.baseline.min_group, ws.follow_up.min_group, settings.min_group)
        small = await small_organisation(store, [ws.baseline, ws.follow_up], min_group, lang)
        if small is not None:
            return small
    try:
        report = await compute_report(settings, store, survey_id, ws.baseline.id,
                                      ws.follow_up.id, scope, lang, items=False,
                                      details=False)
    except ServiceError as exc:
        return str(exc)
    assert isinstance(report, Report)
    return report


def _from_comparison(row: ProjectRow, source: Report | str, indicator: str, lang: str) -> None:
    if isinstance(source, str):
        row.add_note(source)
        return
    row.waves = f"{source.baseline} → {source.follow_up}"
    found: Row | None = next((r for r in source.rows
                              if r.section == "indicator" and r.id == indicator), None)
    if found is None:
        reason = next((d.reason for d in source.not_comparable if d.id == indicator), "")
        row.add_note(translations(lang).gettext("not comparable: %(reason)s")
                     % {"reason": reason})
        return
    row.baseline, row.follow_up, row.change = found.baseline, found.follow_up, found.change
    row.ci_low, row.ci_high, row.p = found.ci_low, found.ci_high, found.p
    row.follow_up_ci_low, row.follow_up_ci_high = found.follow_up_ci_low, found.follow_up_ci_high
    row.p_adjusted, row.adjustment = found.p_adjusted, found.adjustment
    row.n_baseline, row.n_follow_up = found.n_baseline, found.n_follow_up
    if found.note:
        row.add_note(found.note)


def _from_level(row: ProjectRow, source: dict[str, Level] | str, indicator: str) -> None:
    if isinstance(source, str):
        row.add_note(source)
        return
    level = source[indicator]
    row.waves = ", ".join(level.waves)
    if level.reason is not None:
        row.add_note(level.reason)
        return
    row.follow_up, row.ci_low, row.ci_high = level.value, level.ci_low, level.ci_high
    row.follow_up_ci_low, row.follow_up_ci_high = level.ci_low, level.ci_high
    row.n_follow_up = level.n
    if level.note:
        row.add_note(level.note)


def _levels_wanted(catalog: Catalog) -> set[str]:
    return {m.survey for r in catalog.project_results for m in r.measures
            if m.target.change_at_least is None}


async def compute_results(
    settings: Settings,
    store: Store,
    organisation: str | None,
    lang: str,
    baseline: Sequence[str] = (),
    follow_up: Sequence[str] = (),
    training: Sequence[str] = (),
) -> ProjectReport:
    """Every expected result for all organisations together and for each (or only for
    ``organisation``), with the confirmatory family adjusted together."""
    _ = translations(lang).gettext
    catalog = load(settings)
    if organisation is not None:
        find_organisation(catalog, organisation)
    chosen = await _choose(store, catalog,
                           {"baseline": baseline, "follow-up": follow_up, "training": training})
    fam, plan = await family(catalog, store)
    analysis_plan, stamp = await analysis(catalog, store)
    members = set(fam.members)
    compared = ({m.survey for r in catalog.project_results for m in r.measures
                 if m.target.change_at_least is not None} | {s for s, _i in fam.members})
    compared &= set(catalog.surveys)
    levels = _levels_wanted(catalog) & set(catalog.surveys)
    scopes: list[str | None] = ([organisation] if organisation is not None
                                else [None, *catalog.organisations])
    rows: list[ProjectRow] = []
    for scope in scopes:
        name = scope or ALL
        comparisons = {s: await _comparison(settings, store, s, chosen[s],
                                            catalog.surveys[s].survey.kind, scope, lang)
                       for s in sorted(compared)}
        level_sources = {}
        for s in sorted(levels):
            kind = catalog.surveys[s].survey.kind
            ws = chosen[s]
            use = (ws.training or []) if kind == "training" else (
                [ws.follow_up] if ws.follow_up else [])
            role = "training" if kind == "training" else "follow-up"
            level_sources[s] = await wave_levels(settings, store, s, use, role, scope, lang)
        p_raw: dict[Member, float | None] = {}
        for s, i in fam.members:
            source = comparisons.get(s)
            found = None if source is None or isinstance(source, str) else next(
                (r for r in source.rows if r.section == "indicator" and r.id == i), None)
            p_raw[(s, i)] = found.p if found is not None else None
        holm = holm_family(fam, p_raw)
        for result in catalog.project_results:
            planned, late = follow_plan(result.measures, analysis_plan)
            measures = [_measure_row(name, result.id, m, comparisons, level_sources, members,
                                     holm, plan is not None, catalog, lang)
                        for m in planned]
            for m in measures:
                if result.id in late:
                    m.add_note(_(LATE))
            rows.append(result_row(name, result.id, result.text.get(lang), measures, lang))
            rows += measures
    return ProjectReport(
        lang=lang, organisation=organisation, family=[f"{s}/{i}" for s, i in fam.members],
        family_hash=plan.hash if plan is not None else encode_family(fam)[1],
        family_frozen=plan.frozen if plan is not None else None,
        family_wave=plan.wave_id if plan is not None else None, rows=rows,
        plan_hash=stamp.hash, plan_frozen=stamp.frozen, plan_wave=stamp.wave,
        caution=_(CAUTION),
    )


def _measure_row(
    scope: str, result_id: str, m: ExpectedResult, comparisons: dict[str, Report | str],
    level_sources: dict[str, dict[str, Level] | str], members: set[Member],
    holm: dict[Member, float], frozen: bool, catalog: Catalog, lang: str,
) -> ProjectRow:
    _ = translations(lang).gettext
    survey = catalog.surveys[m.survey].survey
    label = next(i.label.get(lang) for i in survey.indicators if i.id == m.indicator)
    key = (m.survey, m.indicator)
    change = m.target.change_at_least is not None
    row = ProjectRow(scope=scope, result=result_id, line="measure", label=label,
                     survey=m.survey, indicator=m.indicator, target=target_text(m, lang),
                     confirmatory=change and key in members)
    if change:
        _from_comparison(row, comparisons[m.survey], m.indicator, lang)
        if key in members:
            row.p_adjusted = holm.get(key) if row.p is not None else None
            row.adjustment = "holm" if row.p is not None else None
        elif m.confirmatory and frozen:  # (a plan frozen before it held the results)
            row.add_note(_("marked confirmatory after the family was frozen: outside the "
                           "project's confirmatory family (adjusted within its survey only)"))
    else:
        _from_level(row, level_sources[m.survey], m.indicator)
    row.status = measure_status(m, row)
    row.status_basis = measure_basis(m, row, lang)
    return row

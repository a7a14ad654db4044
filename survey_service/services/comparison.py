"""The comparison group of a before/after report (issue #19 §4): the organisations the frozen
analysis plan names for the survey, surveyed in waves of their own. Their waves are matched to
the report's by phase (baseline, follow-up, annual), the nearest start; the section is
:mod:`survey_service.reports.comparison`. Nothing is shown when no comparison group is
declared or it has no wave of either phase."""

from __future__ import annotations

import datetime as dt

from ..i18n import translations
from ..reports.comparability import plan_indicators
from ..reports.comparison import CAVEAT, benchmark_rows, comparison_rows
from ..reports.data import WaveMatrix
from ..reports.family import AnalysisPlan
from ..reports.rows import ComparisonContext, Report, Row
from ..storage.base import Store
from ..surveys.loader import Catalog
from ..surveys.versions import diff_versions
from ..surveys.waves import Wave
from .errors import Refused


def comparison_organisations(plan: AnalysisPlan, survey_id: str) -> list[str]:
    return list(plan.comparison.get(survey_id, []))


def is_comparison_wave(wave: Wave, plan: AnalysisPlan) -> bool:
    """Whether ``wave`` surveys only the comparison group of its survey (not the project)."""
    orgs = set(plan.comparison.get(wave.survey_id, []))
    return bool(orgs) and bool(wave.organisations) and set(wave.organisations) <= orgs


def mixed_wave(survey_id: str, organisations: list[str], comparisons: dict[str, list[str]]
               ) -> str | None:
    """Why a new wave may not cover these organisations: the comparison group is surveyed
    in waves of its own (else its answers would count as the project's), or None."""
    orgs = set(comparisons.get(survey_id, []))
    if not orgs:
        return None
    if not organisations:
        return (f"'{survey_id}' has a comparison group ({', '.join(sorted(orgs))}): name the "
                "organisations of the wave (--org), the project's or the comparison group's")
    inside = sorted(set(organisations) & orgs)
    if inside and len(inside) < len(set(organisations)):
        return (f"{', '.join(inside)} is the comparison group of '{survey_id}': survey it in a "
                "wave of its own, not with the project's organisations")
    return None


def _match(waves: list[Wave], like: Wave, organisations: set[str]) -> Wave | None:
    """The comparison group's wave of ``like``'s phase that starts nearest to it."""
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    found = [w for w in waves if w.survey_id == like.survey_id and w.phase == like.phase
             and w.organisations and set(w.organisations) <= organisations]
    return min(found, key=lambda w: abs((w.starts or far) - (like.starts or far)),
               default=None)


async def add_comparison(catalog: Catalog, store: Store, plan: AnalysisPlan, report: Report,
                         a: WaveMatrix, b: WaveMatrix, organisation: str | None,
                         min_group: int) -> None:
    """Add the comparison rows and their context to ``report`` (``a``, ``b``: the project's
    waves, read with their groups and fieldwork days)."""
    from .reports import load_matrix  # the report service loads waves the same way

    orgs = comparison_organisations(plan, a.survey.id)
    if not orgs or organisation in orgs:
        return
    if organisation is not None:
        a = a.subset(a.organisations == organisation)
        b = b.subset(b.organisations == organisation)
    waves = [w for w in await store.waves() if w.id not in (a.wave.id, b.wave.id)]
    before, after = _match(waves, a.wave, set(orgs)), _match(waves, b.wave, set(orgs))
    if before is None or after is None or before.id == after.id:
        return
    _ = translations(report.lang).gettext
    names = [catalog.organisations[o].name.get(report.lang) if o in catalog.organisations
             else o for o in orgs]
    declared = next((c for c in catalog.comparisons if c.survey == a.survey.id), None)
    context = ComparisonContext(organisations=orgs, baseline=before.id, follow_up=after.id,
                                text=", ".join(names) + (
                                    f": {declared.text.get(report.lang)}"
                                    if declared is not None and declared.text else ""),
                                caveat=_(CAVEAT))
    report.comparison = context
    try:
        ca = await load_matrix(store, a.survey.id, before.id, None, True)
        cb = await load_matrix(store, a.survey.id, after.id, None, True)
    except Refused as exc:
        context.note = str(exc)
        return
    small = [m.wave.id for m in (ca, cb) if m.n < max(min_group, m.wave.min_group)]
    if small:
        context.note = _("the comparison group's wave %(waves)s has fewer than %(n)s "
                         "responses: not shown") % {"waves": ", ".join(small), "n": min_group}
        return
    plans, _refused = plan_indicators(a.survey, b.survey, diff_versions(a.survey, b.survey),
                                      report.lang)
    shown = {r.id: r for r in report.rows if r.section == "indicator"}
    rows = comparison_rows(a, b, ca, cb, plans, shown, report.lang)
    if rows:
        rows[0].add_note(_(CAVEAT))
    _insert(report, rows)


def _insert(report: Report, rows: list[Row]) -> None:
    """After the adjusted change (and the comparison rows already there), before the items."""
    at = next((i for i, r in enumerate(report.rows) if r.section in ("item", "panel")),
              len(report.rows))
    report.rows[at:at] = rows


def add_benchmarks(catalog: Catalog, report: Report) -> None:
    """The external benchmarks of the report's survey, beside the change (none declared, or
    none of their indicators with a change shown: nothing)."""
    declared = [b for b in catalog.benchmarks if b.survey == report.survey]
    shown = {r.id: r for r in report.rows if r.section == "indicator"}
    rows = benchmark_rows(declared, shown, report.lang)
    if not rows:
        return
    _ = translations(report.lang).gettext
    sources = list(dict.fromkeys(b.source.get(report.lang) for b in declared
                                 if b.indicator in {r.id for r in rows}))
    if report.comparison is None:
        report.comparison = ComparisonContext(caveat=_(CAVEAT))
        rows[0].add_note(_(CAVEAT))
    report.comparison.benchmarks = sources
    _insert(report, rows)

"""The report's comparison-group section (issue #19 §4; pure): beside each index and
percent-positive indicator's change, the difference of that change and the change of a
comparison group (organisations outside the project, surveyed with the same questionnaire in
waves of their own, declared in ``forms/expected-results.toml`` and frozen with the analysis
plan): a difference-in-differences, context for the change and never an effect of the
project. Means: OLS y ~ wave × group; percentages: the same linear probability model, in
points; SE clustered by fieldwork day within group (:mod:`..indicators.did`). The project's
side is its crude change (not standardised to the organisation mix, not adjusted).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..i18n import N_, translations
from ..indicators.did import DiD, difference_in_differences
from ..indicators.result import NotComputable
from ..surveys.model import Benchmark
from ..surveys.versions import diff_versions
from .comparability import Plan
from .data import WaveMatrix
from .mix import ADJUSTED_KINDS, respondent_outcome
from .rows import Row

CAVEAT = N_("Context, not a causal effect: the difference assumes that without the project "
            "the project's figures would have changed as the comparison group's did, which the "
            "data cannot show; the groups differ in more than the project.")


def _row(base: Row, result: DiD | NotComputable, binary: bool, lang: str) -> Row:
    _ = translations(lang).gettext
    row = Row(section="comparison", id=base.id, label=base.label, kind=base.kind)
    if isinstance(result, NotComputable):
        row.add_note(result.reason)
        return row
    row.baseline, row.follow_up = result.comparison_baseline, result.comparison_follow_up
    row.change, row.ci_low, row.ci_high = result.did, result.ci_low, result.ci_high
    row.statistic, row.p = result.statistic, result.p
    row.test = _("DiD, linear probability") if binary else _("DiD, OLS")
    row.n_baseline, row.n_follow_up = result.n[2], result.n[3]
    row.add_note(_("project change %(project)+.1f (crude, n %(na)s/%(nb)s) − comparison "
                   "change %(comparison)+.1f = %(did)+.1f") % {
        "project": result.project_change, "na": result.n[0], "nb": result.n[1],
        "comparison": result.comparison_change, "did": result.did})
    if result.cov_type == "cluster":
        row.add_note(_("standard error clustered by fieldwork day within group (%(g)s days)")
                     % {"g": result.clusters})
    else:
        row.add_note(_("robust standard error (HC1): no fieldwork days recorded"))
    return row


def comparison_rows(a: WaveMatrix, b: WaveMatrix, ca: WaveMatrix, cb: WaveMatrix,
                    plans: Mapping[str, Plan], indicator_rows: Mapping[str, Row], lang: str
                    ) -> list[Row]:
    """One row per index and percent-positive indicator the report shows a change of:
    the comparison group's baseline and follow-up, and the difference of the changes."""
    _ = translations(lang).gettext
    diffs = (diff_versions(a.survey, ca.survey), diff_versions(b.survey, cb.survey))
    rows: list[Row] = []
    for indicator, plan in plans.items():
        base = indicator_rows.get(indicator)
        if plan.definition.kind not in ADJUSTED_KINDS or base is None or base.change is None:
            continue
        if not all(d.comparable(i) for d in diffs for i in plan.items) or any(
                m.item(i) is None for m in (ca, cb) for i in plan.items):
            row = Row(section="comparison", id=base.id, label=base.label, kind=base.kind)
            row.add_note(_("the comparison group was asked otherwise: not comparable"))
            rows.append(row)
            continue
        outcomes = [respondent_outcome(m, plan.definition.kind, plan.items)
                    for m in (a, b, ca, cb)]
        if any(o is None for o in outcomes):
            continue
        values = [o[0] for o in outcomes if o is not None]
        binary = plan.definition.kind == "percent_positive"
        y = np.concatenate(values)
        sizes = [v.size for v in values]
        wave = np.repeat([False, True, False, True], sizes)
        group = np.repeat([False, False, True, True], sizes)
        days = None
        if all(m.days is not None for m in (a, b, ca, cb)):
            days = np.concatenate([m.days for m in (a, b, ca, cb) if m.days is not None])
        result = difference_in_differences(y, wave, group, days,
                                           scale=100.0 if binary else 1.0)
        rows.append(_row(base, result, binary, lang))
    return rows


def benchmark_rows(benchmarks: list[Benchmark], indicator_rows: Mapping[str, Row], lang: str
                   ) -> list[Row]:
    """Beside each indicator with a benchmark and a change in the report: the benchmark's
    figures, and the report's change less the benchmark's. The benchmark is taken as exact
    (its sampling error is unknown here): the CI is the change's, shifted, and there is no
    test of its own."""
    _ = translations(lang).gettext
    rows: list[Row] = []
    for b in benchmarks:
        base = indicator_rows.get(b.indicator)
        if base is None or base.change is None:
            continue
        moved = b.follow_up - b.baseline
        row = Row(section="comparison", id=base.id, label=base.label, kind=base.kind,
                  baseline=b.baseline, follow_up=b.follow_up, change=base.change - moved,
                  test=_("DiD, benchmark"))
        if base.ci_low is not None and base.ci_high is not None:
            row.ci_low, row.ci_high = base.ci_low - moved, base.ci_high - moved
        row.add_note(_("project change %(project)+.1f − benchmark change %(benchmark)+.1f "
                       "(%(source)s) = %(did)+.1f; the benchmark is taken as exact: the CI is "
                       "the change's, shifted, with no test of its own") % {
            "project": base.change, "benchmark": moved, "source": b.source.get(lang),
            "did": row.change})
        rows.append(row)
    return rows

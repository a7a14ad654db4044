"""The expected-results report: every declared indicator of a survey, baseline against
follow-up, with the statistics of INDICATORS.md §4 and the targets of
``forms/expected-results.toml`` (pure: arrays in, rows out).

Only what means the same in both waves' frozen form versions is compared
(:mod:`.comparability`): an item reworded, rescaled, asked of other people... is listed as not
comparable with both wordings, and composites and themes are compared over the items
comparable in both versions, saying which were left out.

Families for multiple comparisons are fixed by the files, never by the command: the
indicators named by confirmatory expected results are adjusted with Holm; every other
indicator and every single item with Benjamini-Hochberg.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import msgspec

from .. import indicators as ind
from ..i18n import translations
from ..indicators.result import Comparison, NotComputable
from ..surveys.model import ExpectedResult
from ..surveys.versions import FormDiff, diff_versions
from .comparability import Difference, Plan, item_difference, plan_indicators, wordings
from .data import WaveMatrix
from .disclosure import ALL, Disclosure, org_label
from .kinds import compare_sides, wave_side
from .panel import panel_rows
from .rows import Report, Row, Status

__all__ = [
    "Difference", "Report", "Row", "Status", "build_report", "describe_target", "target_status",
]
SIGNIFICANCE = 0.05
Result = Comparison | NotComputable


@dataclass
class _Context:
    a: WaveMatrix
    b: WaveMatrix
    lang: str
    min_group: int
    population: tuple[int | None, int | None]
    diff: FormDiff
    disclosure: Disclosure | None = None

    @property
    def _(self) -> Callable[[str], str]:
        return translations(self.lang).gettext


def _fill(row: Row, va: float | None, vb: float | None, comparison: object, n1: int, n2: int
          ) -> None:
    row.baseline, row.follow_up = va, vb
    row.n_baseline, row.n_follow_up = n1, n2
    if va is not None and vb is not None:
        row.change = vb - va
    if isinstance(comparison, Comparison):
        row.ci_low, row.ci_high = comparison.ci_low, comparison.ci_high
        row.test, row.statistic, row.p = comparison.test, comparison.statistic, comparison.p
        row.effect, row.effect_size = comparison.effect, comparison.effect_size
        row.n_baseline, row.n_follow_up = comparison.n1, comparison.n2
        if comparison.p_adjusted is not None:
            row.p_adjusted, row.adjustment = comparison.p_adjusted, comparison.adjustment
    elif isinstance(comparison, NotComputable):
        row.add_note(comparison.reason)


def _indicator_row(plan: Plan, c: _Context, too_small: bool) -> tuple[Row, Result]:
    """One indicator over the items comparable in both waves."""
    _ = c._
    definition, items = plan.definition, plan.items
    row = Row(section="indicator", id=definition.id, label=definition.label.get(c.lang),
              kind=definition.kind)
    if plan.left_out:
        row.items_used, row.items_declared = len(items), plan.declared
        row.left_out = ", ".join(plan.left_out)
        row.add_note(_("compared over %(used)s of its %(declared)s items; left out as not "
                       "comparable: %(items)s") % {"used": len(items),
                                                   "declared": plan.declared,
                                                   "items": row.left_out})
    if too_small:
        note = _("fewer than %(n)s respondents in a wave: not shown") % {"n": c.min_group}
        row.add_note(note)
        return row, NotComputable(note)
    reliability = definition.kind == "index"
    sides = [wave_side(definition.kind, m, items, population=pop, reliability=reliability,
                       definition=definition)
             for m, pop in ((c.a, c.population[0]), (c.b, c.population[1]))]
    sa, sb = sides
    if isinstance(sa, NotComputable) or isinstance(sb, NotComputable):
        reason = sa if isinstance(sa, NotComputable) else sb
        _fill(row, None, None, reason, c.a.n, c.b.n)
        return row, reason  # type: ignore[return-value]
    comparison = compare_sides(definition.kind, sa, sb)
    row.baseline_ci_low, row.baseline_ci_high = sa.ci
    row.follow_up_ci_low, row.follow_up_ci_high = sb.ci
    row.alpha_baseline, row.alpha_follow_up = sa.alpha, sb.alpha
    if definition.kind == "percent_positive" and len(items) > 1:
        row.add_note(_("test: Welch t on each respondent's share of positive answers"))
    if row.alpha_baseline is not None and min(
        row.alpha_baseline, row.alpha_follow_up or 1.0
    ) < ind.ALPHA_THRESHOLD:
        row.add_note(_("Cronbach's alpha below %(threshold).2f: read the items (%(items)s) "
                       "beside it") % {"threshold": ind.ALPHA_THRESHOLD,
                                       "items": ", ".join(items)})
    _fill(row, sa.value, sb.value, comparison, c.a.n, c.b.n)
    return row, comparison


def _wording(c: _Context, item: str) -> tuple[str, str] | None:
    """The item's wording in each wave, when an editorial change made them differ."""
    change = c.diff.items.get(item)
    if change is None or change.before is None or change.after is None:
        return None
    before, after = wordings(change.before, change.after, c.lang)
    return before or "", after or ""


def _item_rows(c: _Context) -> tuple[dict[str, Row], dict[str, Result]]:
    """Every likert item comparable in both waves (the exploratory family)."""
    rows: dict[str, Row] = {}
    comparisons: dict[str, Result] = {}
    for item in c.a.items:
        spec = c.a.item(item)
        if spec is None or spec.kind != "likert" or not c.diff.comparable(item):
            continue
        question = c.a.survey.question(spec.question)
        label = question.text.get(c.lang) if question else item
        if question is not None and question.kind == "matrix":
            label = next(r.text.get(c.lang) for r in question.rows if r.id == item)
        ca, cb = c.a.likert(item), c.b.likert(item)
        sa = ind.item_stats(ca, spec.points, reverse=spec.reverse)
        sb = ind.item_stats(cb, spec.points, reverse=spec.reverse)
        row = Row(section="item", id=item, label=label, kind="mean")
        wording = _wording(c, item)
        if wording is not None:
            row.wording_baseline, row.wording_follow_up = wording
            row.add_note(c._("editorial change declared in the survey file: still comparable"))
        comparisons[item] = ind.compare_ordinal(ca, cb, spec.points, reverse=spec.reverse)
        _fill(
            row,
            sa.mean if not isinstance(sa, NotComputable) else None,
            sb.mean if not isinstance(sb, NotComputable) else None,
            comparisons[item],
            sa.n_valid if not isinstance(sa, NotComputable) else 0,
            sb.n_valid if not isinstance(sb, NotComputable) else 0,
        )
        rows[item] = row
    return rows, comparisons


def _adjust(families: Sequence[tuple[str, list[tuple[Row, Result]]]]) -> None:
    """Adjusted p within each family (Holm for the confirmatory, BH for the rest)."""
    for method, members in families:
        adjusted = ind.adjust_comparisons([c for _, c in members], method)  # type: ignore[arg-type]
        for (row, _), comparison in zip(members, adjusted, strict=True):
            if isinstance(comparison, Comparison) and comparison.p_adjusted is not None:
                row.p_adjusted, row.adjustment = comparison.p_adjusted, comparison.adjustment


def _withheld(c: _Context, organisation: str | None, plan: Plan | None = None,
              item: str | None = None) -> bool:
    """Whether the waves' disclosure plans hide this figure of either wave (a figure shown
    for one wave only would still give the other's by the change)."""
    d = c.disclosure
    if d is None:
        return False
    label = ALL if organisation is None else org_label(organisation)
    if plan is not None:
        return any(d.indicator_hidden(m, plan.definition.id, plan.items, label=label)
                   for m in (c.a, c.b))
    return item is not None and any(d.item_hidden(m, item, label) for m in (c.a, c.b))


def _hide_small(row: Row, c: _Context, withheld: bool = False) -> Row:
    """No figure may rest on fewer than ``min_group`` answers (a few people answering an item
    that the others did not know, or were not shown, would be exposed), nor be one the
    disclosure plan hides."""
    if withheld:
        return row.without_figures(
            c._("not shown: it would reveal a group of fewer than %(n)s people")
            % {"n": c.min_group})
    counts = [n for n in (row.n_baseline, row.n_follow_up) if n is not None]
    if counts and min(counts) < c.min_group:
        return row.without_figures(
            c._("fewer than %(n)s answers in a wave: not shown") % {"n": c.min_group})
    return row


def target_status(result: ExpectedResult, row: Row) -> Status:
    target = result.target
    if row.follow_up is None or (target.change_at_least is not None and row.change is None):
        return "not computable"
    if target.at_least is not None and row.follow_up < target.at_least:
        return "not met"
    if target.change_at_least is not None:
        assert row.change is not None
        p = row.p_adjusted if row.p_adjusted is not None else row.p
        if p is None:
            return "not computable"
        if p >= SIGNIFICANCE:
            return "not significant"
        if row.change < target.change_at_least:
            return "not met"
    return "met"


def describe_target(result: ExpectedResult, lang: str) -> str:
    _ = translations(lang).gettext
    parts = []
    if result.target.change_at_least is not None:
        parts.append(_("rise of at least %(points)s points")
                     % {"points": f"{result.target.change_at_least:g}"})
    if result.target.at_least is not None:
        parts.append(_("at least %(level)s") % {"level": f"{result.target.at_least:g}"})
    return "; ".join(parts)


def _expected_row(result: ExpectedResult, source: Row | None, c: _Context) -> Row:
    label = result.text.get(c.lang)
    if source is None:
        row = Row(section="expected", id=result.id, label=label, kind="",
                  note=c._("indicator %(id)s is not comparable") % {"id": result.indicator})
    else:
        row = msgspec.structs.replace(source, section="expected", id=result.id, label=label)
    row.target = describe_target(result, c.lang)
    row.status = target_status(result, row)
    if row.items_used is not None and row.status != "not computable":
        row.add_note(c._("the status rests on %(used)s of the %(declared)s declared items")
                     % {"used": row.items_used, "declared": row.items_declared})
    return row


def build_report(
    baseline: WaveMatrix,
    follow_up: WaveMatrix,
    expected: Sequence[ExpectedResult],
    *,
    lang: str = "bg",
    organisation: str | None = None,
    min_group: int = 10,
    population: tuple[int | None, int | None] = (None, None),
    items: bool = True,
    disclosure: Disclosure | None = None,
) -> Report:
    """Compare every indicator (and, with ``items``, every likert item) of two waves; with a
    ``disclosure``, only the figures the waves' plans show."""
    a, b = baseline, follow_up
    if organisation is not None and a.grouped and b.grouped:  # else filtered when read
        a = a.subset(a.organisations == organisation)
        b = b.subset(b.organisations == organisation)
    diff = diff_versions(a.survey, b.survey)
    c = _Context(a, b, lang, min_group, population, diff, disclosure)
    plans, not_comparable = plan_indicators(a.survey, b.survey, diff, lang)
    not_comparable += [item_difference(ch, lang) for ch in diff.items.values()
                       if not ch.comparable]
    editorial = [item_difference(ch, lang) for ch in diff.items.values()
                 if ch.comparable and ch.editorial]
    results = [r for r in expected if r.survey == a.survey.id]
    confirmatory = {r.indicator for r in results if r.confirmatory}
    too_small = min(a.n, b.n) < min_group
    computed = {i: _indicator_row(plan, c, too_small) for i, plan in plans.items()}
    indicator_rows = {i: row for i, (row, _) in computed.items()}
    # items are always compared: they belong to the exploratory family whether shown or not
    item_rows, item_comparisons = ({}, {}) if too_small else _item_rows(c)
    _adjust([
        ("holm", [computed[i] for i in computed if i in confirmatory]),
        ("fdr_bh", [computed[i] for i in computed if i not in confirmatory]
         + [(item_rows[i], item_comparisons[i]) for i in item_rows]),
    ])
    panel = [] if too_small else panel_rows(a, b, plans, lang, min_group)
    indicator_rows = {i: _hide_small(r, c, _withheld(c, organisation, plans[i]))
                      for i, r in indicator_rows.items()}
    item_rows = {i: _hide_small(r, c, _withheld(c, organisation, item=i))
                 for i, r in item_rows.items()}
    panel = [_hide_small(r, c, r.id in plans and _withheld(c, organisation, plans[r.id]))
             for r in panel]  # the paired figures of an indicator the plans hide: hidden too
    expected_rows = [_expected_row(r, indicator_rows.get(r.indicator), c) for r in results]
    return Report(
        survey=a.survey.id,
        baseline=a.wave.id,
        follow_up=b.wave.id,
        organisation=organisation,
        lang=lang,
        min_group=min_group,
        rows=[*expected_rows, *indicator_rows.values(),
              *(item_rows.values() if items else ()), *panel],
        not_comparable=not_comparable,
        editorial=editorial,
    )


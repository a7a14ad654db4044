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

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import msgspec

from .. import indicators as ind
from ..i18n import N_, translations
from ..indicators.result import Comparison, NotComputable
from ..surveys.model import ExpectedResult
from ..surveys.versions import FormDiff, diff_versions
from .adjusted_plan import guard_for
from .comparability import Difference, Plan, item_difference, plan_indicators, wordings
from .data import WaveMatrix
from .disclosure import ALL, Disclosure, org_label
from .kinds import Side, compare_sides, wave_side
from .mix import adjusted_rows, composition_tables
from .panel import panel_rows
from .pooled import organisation_mix, organisation_parts, standardise_row
from .rows import Report, Row, Status, zero_width_notes
from .status import describe_target, status_basis, target_status

__all__ = [
    "Difference", "PlanStamp", "Report", "Row", "Status", "build_report", "describe_target",
    "target_status",
]
Result = Comparison | NotComputable
LATE = N_("changed or added after the analysis plan was frozen: the frozen plan's target and "
          "flag are used (an added result is exploratory)")
#: said once in every report (issue #19 §4)
CAUTION = N_(
    "A change between two waves is not an effect of the project: other things changed too "
    "(who answered, the season, the services asked about). The adjusted change corrects for "
    "who answered, not for everything else."
)


class PlanStamp(msgspec.Struct, frozen=True, kw_only=True):
    """Which frozen analysis plan a report follows: its hash, and when and by which wave it
    was frozen (``frozen`` None: not frozen yet, the files' current plan)."""

    hash: str
    frozen: dt.datetime | None = None
    wave: str | None = None


@dataclass
class _Context:
    a: WaveMatrix
    b: WaveMatrix
    lang: str
    min_group: int
    population: tuple[int | None, int | None]
    diff: FormDiff
    disclosure: Disclosure | None = None
    mix: dict[str, float] = field(default_factory=dict)
    parts: dict[str, tuple[WaveMatrix, ...]] = field(default_factory=dict)

    @property
    def _(self) -> Callable[[str], str]:
        return translations(self.lang).gettext


def _fill(row: Row, va: float | None, vb: float | None, comparison: object, n1: int, n2: int,
          c: _Context) -> None:
    """Figures of a comparison; ``n1``/``n2`` are the answers used in each wave."""
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
        row.add_note(c._("not computable: %(reason)s") % {"reason": comparison.reason})


def _empty_item(m: WaveMatrix, items: list[str], points: int) -> str | None:
    """The first of ``items`` without a valid answer in ``m``."""
    for item in items:
        column = m.likert(item)
        if column is None or not ((column >= 1) & (column <= points)).any():
            return item
    return None


def _not_computable_side(side: Side, m: WaveMatrix, follow_up: bool, c: _Context) -> str:
    """Why a wave's figure is not computable, in the report's language where it is known."""
    _ = c._
    if len(side.items) > 1 and side.points:
        empty = _empty_item(m, side.items, side.points)
        if empty is not None:
            text = (_("the follow-up value is not computable: item %(item)s has no valid "
                      "answers") if follow_up else
                    _("the baseline value is not computable: item %(item)s has no valid "
                      "answers"))
            return text % {"item": empty}
    reason = side.figure.reason if isinstance(side.figure, NotComputable) else ""
    text = (_("the follow-up value is not computable: %(reason)s") if follow_up else
            _("the baseline value is not computable: %(reason)s"))
    return text % {"reason": reason}


def _sides(kind: str, plan: Plan, m: WaveMatrix, population: int | None,
           reliability: bool) -> Side | NotComputable:
    return wave_side(kind, m, plan.items, population=population, reliability=reliability,
                     definition=plan.definition)


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
    sa = _sides(definition.kind, plan, c.a, c.population[0], reliability)
    sb = _sides(definition.kind, plan, c.b, c.population[1], reliability)
    if isinstance(sa, NotComputable) or isinstance(sb, NotComputable):
        reason = sa if isinstance(sa, NotComputable) else sb
        _fill(row, None, None, reason, 0, 0, c)
        return row, reason  # type: ignore[return-value]
    row.n_baseline, row.n_follow_up = sa.n_used, sb.n_used
    if definition.kind == "index":
        row.dropped_baseline, row.dropped_follow_up = sa.dropped, sb.dropped
        if sa.dropped or sb.dropped:
            row.add_note(_("the 60 %% rule left out %(a)s respondents in the baseline and "
                           "%(b)s in the follow-up (too few of the items answered)")
                         % {"a": sa.dropped, "b": sb.dropped})
    bad = [(s, m, w) for s, m, w in ((sa, c.a, False), (sb, c.b, True))
           if isinstance(s.figure, NotComputable)]
    if bad:  # no test, CI or effect on a value that does not exist
        for s, m, follow in bad:
            row.add_note(_not_computable_side(s, m, follow, c))
        va = None if isinstance(sa.figure, NotComputable) else sa.value
        vb = None if isinstance(sb.figure, NotComputable) else sb.value
        row.baseline, row.follow_up = va, vb
        row.baseline_ci_low, row.baseline_ci_high = sa.ci
        row.follow_up_ci_low, row.follow_up_ci_high = sb.ci
        return row, NotComputable(row.note or "")
    comparison = compare_sides(definition.kind, sa, sb)
    row.baseline_ci_low, row.baseline_ci_high = sa.ci
    row.follow_up_ci_low, row.follow_up_ci_high = sb.ci
    row.alpha_baseline, row.alpha_follow_up = sa.alpha, sb.alpha
    row.spearman_brown_baseline = sa.spearman_brown
    row.spearman_brown_follow_up = sb.spearman_brown
    if definition.kind == "percent_positive" and len(items) > 1:
        row.add_note(_("test: Welch t on the theme's linearised values (the change, its CI "
                       "and the test describe the same mean of the items' percent positive)"))
    low = [v for v in (row.alpha_baseline, row.alpha_follow_up, row.spearman_brown_baseline,
                       row.spearman_brown_follow_up) if v is not None]
    if low and min(low) < ind.ALPHA_THRESHOLD:
        name = _("Cronbach's alpha") if row.alpha_baseline is not None else _(
            "Spearman-Brown reliability")
        row.add_note(_("%(name)s below %(threshold).2f: read the items (%(items)s) beside it")
                     % {"name": name, "threshold": ind.ALPHA_THRESHOLD,
                        "items": ", ".join(items)})
    comparison = standardise_row(row, plan, c.parts, c.mix, comparison, c.population, c.lang,
                                 (sa, sb))
    if isinstance(comparison, Comparison) and row.crude_change is not None:
        _fill(row, comparison.baseline, comparison.follow_up, comparison, sa.n_used,
              sb.n_used, c)
    else:
        _fill(row, sa.value, sb.value, comparison, sa.n_used, sb.n_used, c)
    zero_width_notes(row, c._)
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
        sa = ind.positive_and_mean(ca, spec.points, reverse=spec.reverse)
        sb = ind.positive_and_mean(cb, spec.points, reverse=spec.reverse)
        row = Row(section="item", id=item, label=label, kind="percent_positive")
        wording = _wording(c, item)
        if wording is not None:
            row.wording_baseline, row.wording_follow_up = wording
            row.add_note(c._("editorial change declared in the survey file: still comparable"))
        # the headline is the % positive change with Newcombe's CI and the test of that same
        # quantity (issue #19 §4); the mean code stays beside it
        comparisons[item] = ind.compare_percent_positive(ca, cb, spec.points,
                                                         reverse=spec.reverse)
        n_valid = [ind.valid_values(col, spec.points).size if col is not None else 0
                   for col in (ca, cb)]
        _fill(
            row,
            sa.percent.value if not isinstance(sa, NotComputable) else None,
            sb.percent.value if not isinstance(sb, NotComputable) else None,
            comparisons[item], n_valid[0], n_valid[1], c,
        )
        for wave, pm in (("baseline", sa), ("follow_up", sb)):
            if not isinstance(pm, NotComputable):
                setattr(row, f"mean_{wave}", pm.mean.value)
                setattr(row, f"{wave}_ci_low", pm.percent.ci_low)
                setattr(row, f"{wave}_ci_high", pm.percent.ci_high)
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
        hidden = row.without_figures(
            c._("fewer than %(n)s answers in a wave: not shown") % {"n": c.min_group})
        # a count of 0, or one at the threshold, reveals no one: it stays (issue #11: n is
        # the answers used, and 0 valid answers shows 0)
        for name in ("n_baseline", "n_follow_up"):
            n = getattr(row, name)
            if n is not None and (n == 0 or n >= c.min_group):
                setattr(hidden, name, n)
        return hidden
    return row


def _expected_row(result: ExpectedResult, source: Row | None, c: _Context) -> Row:
    label = result.text.get(c.lang)
    if source is None:
        row = Row(section="expected", id=result.id, label=label, kind="",
                  note=c._("indicator %(id)s is not comparable") % {"id": result.indicator})
    else:
        row = msgspec.structs.replace(source, section="expected", id=result.id, label=label)
    row.target = describe_target(result, c.lang)
    row.status = target_status(result, row)
    row.status_basis = status_basis(result, row, c.lang)
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
    confirmatory: Collection[str] | None = None,
    plan: PlanStamp | None = None,
    late: Collection[str] = (),
    details: bool = True,
) -> Report:
    """Compare every indicator (and, with ``items``, every likert item) of two waves; with a
    ``disclosure``, only the figures the waves' plans show.

    ``confirmatory``: the indicators adjusted together with Holm (the frozen family's members
    of this survey); by default those of the confirmatory ``expected`` results. ``plan``: the
    frozen analysis plan the report follows, printed with it; ``late``: expected results
    added after it was frozen (exploratory, said so). ``details=False`` leaves out the
    paired-panel, adjusted-change and composition sections (the project report reads only
    the indicator rows). Over several organisations
    (no ``organisation``, and the waves' organisations known), every indicator is
    standardised to the fixed organisation mix of :func:`.pooled.organisation_mix`."""
    a, b = baseline, follow_up
    if organisation is not None and a.grouped and b.grouped:  # else filtered when read
        a = a.subset(a.organisations == organisation)
        b = b.subset(b.organisations == organisation)
    diff = diff_versions(a.survey, b.survey)
    too_small = min(a.n, b.n) < min_group
    mix = organisation_mix(a, b) if organisation is None and not too_small else {}
    c = _Context(a, b, lang, min_group, population, diff, disclosure, mix,
                 organisation_parts((a, b), mix))
    plans, not_comparable = plan_indicators(a.survey, b.survey, diff, lang)
    not_comparable += [item_difference(ch, lang) for ch in diff.items.values()
                       if not ch.comparable]
    editorial = [item_difference(ch, lang) for ch in diff.items.values()
                 if ch.comparable and ch.editorial]
    results = [r for r in expected if r.survey == a.survey.id]
    if confirmatory is None:
        confirmatory = {r.indicator for r in results if r.confirmatory}
    computed = {i: _indicator_row(plan, c, too_small) for i, plan in plans.items()}
    indicator_rows = {i: row for i, (row, _) in computed.items()}
    # items are always compared: they belong to the exploratory family whether shown or not
    item_rows, item_comparisons = ({}, {}) if too_small else _item_rows(c)
    _adjust([
        ("holm", [computed[i] for i in computed if i in confirmatory]),
        ("fdr_bh", [computed[i] for i in computed if i not in confirmatory]
         + [(item_rows[i], item_comparisons[i]) for i in item_rows]),
    ])
    skip = too_small or not details
    panel = [] if skip else panel_rows(a, b, plans, lang, min_group)
    adjusted = [] if skip else adjusted_rows(a, b, plans, indicator_rows, lang,
                                             guard_for(c.disclosure, a, b), min_group)
    indicator_rows = {i: _hide_small(r, c, _withheld(c, organisation, plans[i]))
                      for i, r in indicator_rows.items()}
    item_rows = {i: _hide_small(r, c, _withheld(c, organisation, item=i))
                 for i, r in item_rows.items()}
    panel = [_hide_small(r, c, r.id in plans and _withheld(c, organisation, plans[r.id]))
             for r in panel]  # the paired figures of an indicator the plans hide: hidden too
    adjusted = [_hide_small(r, c, r.id in plans and _withheld(c, organisation, plans[r.id]))
                for r in adjusted]  # the adjusted change of a hidden indicator: hidden too
    expected_rows = [_expected_row(r, indicator_rows.get(r.indicator), c) for r in results]
    for row in expected_rows:
        if row.id in late:
            row.add_note(c._(LATE))
    return Report(
        survey=a.survey.id,
        baseline=a.wave.id,
        follow_up=b.wave.id,
        organisation=organisation,
        lang=lang,
        min_group=min_group,
        rows=[*expected_rows, *indicator_rows.values(),
              *adjusted, *(item_rows.values() if items else ()), *panel],
        not_comparable=not_comparable,
        editorial=editorial,
        composition=[] if skip else composition_tables(a, b),
        plan_hash=plan.hash if plan is not None else None,
        plan_frozen=plan.frozen if plan is not None else None,
        plan_wave=plan.wave if plan is not None else None,
        mix=mix,
        caution=translations(lang).gettext(CAUTION),
    )


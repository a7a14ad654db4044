"""A trend over N waves (baseline, follow-up, the annual rounds after it): each indicator's
value, 95 % CI and answers used per wave, and its change from the first and from the previous
wave, each with its CI and test (pure: arrays in, rows out).

A trend line must show one quantity in every wave, so each indicator is followed over the
items comparable between every pair of waves it compares (the first with each later wave,
each wave with the one before): an item reworded in the third wave leaves the whole line. The
changes are the report's two-wave comparisons (:mod:`.kinds`); adjusted p are within each
pair of waves, Holm over the indicators of confirmatory expected results and
Benjamini-Hochberg over the others (the trend shows no single items).

Over several organisations every wave is standardised to one fixed organisation mix, each
organisation's share of the respondents of all the trend's waves (:mod:`.pooled`), and the
changes are computed on that mix: for two waves, the report's figures exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

from ..i18n import translations
from ..indicators.result import Comparison, NotComputable
from ..surveys.loader import indicator_items
from ..surveys.model import ExpectedResult, Survey
from ..surveys.versions import diff_versions
from .comparability import Difference, Plan, plan_indicators
from .data import WaveMatrix
from .disclosure import ALL, Disclosure, org_label
from .estimates import Change, Result, WaveValue, adjust, change_of, compare, side_of, wave_value
from .kinds import Side
from .pooled import (
    StandardisedWave,
    compare_standardised,
    organisation_mix,
    organisation_parts,
    organisation_sides,
    standardised_wave,
    with_effect,
)

#: The pairs a trend compares: from the first wave, and from the previous one.
Pair = tuple[int, int]


class TrendRow(msgspec.Struct, kw_only=True, omit_defaults=True):
    id: str
    label: str
    kind: str
    waves: list[WaveValue]
    from_first: list[Change]  # one per wave after the first
    from_previous: list[Change]  # one per wave after the first (the second's repeats)
    items_used: int | None = None
    items_declared: int | None = None
    left_out: str | None = None
    note: str | None = None


class Trend(msgspec.Struct, kw_only=True):
    survey: str
    waves: list[str]
    organisation: str | None
    lang: str
    min_group: int
    rows: list[TrendRow]
    #: indicators not followed, and why (naming the waves whose versions differ)
    not_comparable: list[Difference] = []
    #: the fixed organisation mix every wave is standardised to (all waves' respondents)
    mix: dict[str, float] = {}


def pairs(count: int) -> list[Pair]:
    """The pairs of wave positions compared: (0, k) and (k − 1, k) for each later wave."""
    found: list[Pair] = []
    for k in range(1, count):
        for p in ((0, k), (k - 1, k)):
            if p not in found:
                found.append(p)
    return found


def common_plans(matrices: Sequence[WaveMatrix], lang: str
                 ) -> tuple[dict[str, Plan], list[Difference]]:
    """Each indicator over the items comparable in every compared pair of waves (one wave:
    over all its items)."""
    _ = translations(lang).gettext
    if len(matrices) == 1:
        return own_plans(matrices[0].survey), []
    plans: dict[str, Plan] | None = None
    refused: dict[str, Difference] = {}
    for i, j in pairs(len(matrices)):
        a, b = matrices[i].survey, matrices[j].survey
        found, not_here = plan_indicators(a, b, diff_versions(a, b), lang)
        waves = f"{matrices[i].wave.id} → {matrices[j].wave.id}"
        for d in not_here:
            refused.setdefault(d.id, Difference(id=d.id, reason=f"{waves}: {d.reason}"))
        if plans is None:
            plans = found
            continue
        for ind_id in list(plans):
            other = found.get(ind_id)
            if other is None:
                del plans[ind_id]
                continue
            mine = plans[ind_id]
            items = [x for x in mine.items if x in other.items]
            left = list(dict.fromkeys([*mine.left_out, *other.left_out,
                                       *(x for x in mine.items if x not in items)]))
            if not items or (left and mine.definition.kind in ("mean", "nps")):
                del plans[ind_id]
                refused.setdefault(ind_id, Difference(id=ind_id, reason=_(
                    "none of its items is comparable: %(items)s") % {"items": ", ".join(left)}))
                continue
            plans[ind_id] = Plan(mine.definition, items, max(mine.declared, other.declared),
                                 left)
    return plans or {}, [d for k, d in refused.items() if k not in (plans or {})]


def own_plans(survey: Survey) -> dict[str, Plan]:
    """Each indicator of one form version over all its items."""
    found: dict[str, Plan] = {}
    for d in survey.indicators:
        items = indicator_items(survey, d.id)
        if items:
            found[d.id] = Plan(d, items, len(items), [])
    return found


def _standardised_line(plan: Plan, parts: dict[str, tuple[WaveMatrix, ...]],
                       mix: dict[str, float], pops: Sequence[int | None],
                       sides: Sequence[Side | NotComputable]
                       ) -> list[StandardisedWave | None] | NotComputable:
    """Every wave of the line on the fixed ``mix`` (None where its figure is not computable
    at all), or why not (then the whole line stays crude: one quantity along it)."""
    line: list[StandardisedWave | None] = []
    for k, (side, pop) in enumerate(zip(sides, pops, strict=True)):
        if isinstance(side, NotComputable) or isinstance(side.figure, NotComputable):
            line.append(None)
            continue
        std = standardised_wave(organisation_sides(plan, parts, k), mix, side.m.wave.id, pop)
        if isinstance(std, NotComputable):
            return std
        line.append(std)
    return line


def _pair(line: list[StandardisedWave | None] | None, sides: Sequence[Side | NotComputable],
          i: int, j: int, crude: Result) -> Result:
    """The change between waves ``i`` and ``j``: on the line's mix when it has one."""
    a, b = sides[i], sides[j]
    if line is None or not isinstance(crude, Comparison):
        return crude
    wa, wb = line[i], line[j]
    if wa is None or wb is None:
        return crude
    std = compare_standardised(wa, wb)
    if isinstance(std, NotComputable):
        return std
    assert isinstance(a, Side) and isinstance(b, Side)
    return with_effect(std, crude, (a, b))


def build_trend(
    matrices: Sequence[WaveMatrix],
    expected: Sequence[ExpectedResult],
    *,
    lang: str = "bg",
    organisation: str | None = None,
    min_group: int = 10,
    populations: Sequence[int | None] | None = None,
    disclosure: Disclosure | None = None,
) -> Trend:
    """Every indicator comparable across the waves (in the order given), per wave and per
    change (one wave: its figures only); with a ``disclosure``, only the figures every
    wave's plan shows."""
    if not matrices:
        raise ValueError("a trend needs at least one wave")
    ms = list(matrices)
    if organisation is not None:
        ms = [m.subset(m.organisations == organisation) if m.grouped else m for m in ms]
    _: Callable[[str], str] = translations(lang).gettext
    pops = list(populations) if populations is not None else [None] * len(ms)
    plans, refused = common_plans(ms, lang)
    label = ALL if organisation is None else org_label(organisation)
    small = _("fewer than %(n)s answers in a wave: not shown") % {"n": min_group}
    withheld = _("not shown: it would reveal a group of fewer than %(n)s people") % {
        "n": min_group}
    confirmatory = {r.indicator for r in expected
                    if r.survey == ms[0].survey.id and r.confirmatory}
    not_std = _("not standardised to the organisation mix: %(reason)s")
    mix = (organisation_mix(*ms) if organisation is None and min(m.n for m in ms) >= min_group
           else {})
    parts = organisation_parts(ms, mix)
    rows: dict[str, TrendRow] = {}
    results: dict[tuple[str, Pair], Result] = {}
    for ind_id, plan in plans.items():
        definition, items = plan.definition, plan.items
        sides = [side_of(definition, m, items, pop) for m, pop in zip(ms, pops, strict=True)]
        line = _standardised_line(plan, parts, mix, pops, sides) if mix else None
        values = []
        for k, (m, side) in enumerate(zip(ms, sides, strict=True)):
            hide = None
            if m.n < min_group:
                hide = small
            elif disclosure is not None and disclosure.indicator_hidden(
                    m, ind_id, items, label=label):
                hide = withheld
            value = wave_value(m.wave.id, side, hidden=hide, min_group=min_group,
                               too_few=small)
            std = line[k] if isinstance(line, list) else None
            if std is not None and value.value is not None:
                value.value, (value.ci_low, value.ci_high) = std.value, std.ci
            values.append(value)
        std_line = line if isinstance(line, list) else None
        for i, j in pairs(len(ms)):
            results[(ind_id, (i, j))] = _pair(std_line, sides, i, j,
                                              compare(definition, sides[i], sides[j]))
        row = TrendRow(id=ind_id, label=definition.label.get(lang), kind=definition.kind,
                       waves=values, from_first=[], from_previous=[])
        if isinstance(line, NotComputable):
            row.note = not_std % {"reason": line.reason}
        if plan.left_out:
            row.items_used, row.items_declared = len(items), plan.declared
            row.left_out = ", ".join(plan.left_out)
        rows[ind_id] = row
    for pair in pairs(len(ms)):  # adjusted p within each pair's families
        for method, members in (("holm", [i for i in rows if i in confirmatory]),
                                ("fdr_bh", [i for i in rows if i not in confirmatory])):
            adjusted = adjust([results[(i, pair)] for i in members], method)
            results.update({(i, pair): r for i, r in zip(members, adjusted, strict=True)})
    for ind_id, row in rows.items():
        for k in range(1, len(ms)):
            for target, i in ((row.from_first, 0), (row.from_previous, k - 1)):
                target.append(change_of(row.waves[i], row.waves[k], results[(ind_id, (i, k))]))
    return Trend(survey=ms[0].survey.id, waves=[m.wave.id for m in ms],
                 organisation=organisation, lang=lang, min_group=min_group,
                 rows=list(rows.values()), not_comparable=refused, mix=mix)


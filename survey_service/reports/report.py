"""The expected-results report: every declared indicator of a survey, baseline against
follow-up, with the statistics of INDICATORS.md §4 and the targets of
``forms/expected-results.toml`` (pure: arrays in, rows out).

Families for multiple comparisons are fixed by the files, never by the command: the
indicators named by confirmatory expected results are adjusted with Holm; every other
indicator and every single item with Benjamini-Hochberg.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..indicators.result import Comparison, Estimate, NotComputable
from ..surveys.loader import indicator_items
from ..surveys.model import ExpectedResult, IndicatorDef, Survey
from .data import WaveMatrix
from .shares import compare_share

Status = Literal["met", "not met", "not significant", "not computable"]
SIGNIFICANCE = 0.05


class Row(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One line of the report; values unrounded (round only for display)."""

    section: Literal["expected", "indicator", "item", "panel"]
    id: str
    label: str
    kind: str
    baseline: float | None = None
    baseline_ci_low: float | None = None
    baseline_ci_high: float | None = None
    follow_up: float | None = None
    follow_up_ci_low: float | None = None
    follow_up_ci_high: float | None = None
    change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    test: str | None = None
    statistic: float | None = None
    p: float | None = None
    p_adjusted: float | None = None
    adjustment: str | None = None
    effect: str | None = None
    effect_size: float | None = None
    n_baseline: int | None = None
    n_follow_up: int | None = None
    alpha_baseline: float | None = None
    alpha_follow_up: float | None = None
    target: str | None = None
    status: Status | None = None
    note: str | None = None


class Report(msgspec.Struct, kw_only=True):
    survey: str
    baseline: str
    follow_up: str
    organisation: str | None
    lang: str
    min_group: int
    rows: list[Row]
    not_comparable: list[tuple[str, str]]


def _scale_signature(survey: Survey, item_id: str) -> tuple[object, ...] | None:
    """What must be equal for an item to be comparable across two form versions."""
    for q in survey.questions():
        for row in q.rows if q.kind == "matrix" else []:
            if row.id == item_id:
                scale = survey.scales.get(q.scale or "")
                return ("likert", scale.labels if scale else None, row.reverse, q.dont_know)
        if q.id == item_id:
            if q.kind == "likert":
                scale = survey.scales.get(q.scale or "")
                return ("likert", scale.labels if scale else None, q.reverse, q.dont_know)
            return (q.kind,)
    return None


def comparable(a: Survey, b: Survey, definition: IndicatorDef) -> str | None:
    """``None`` if the indicator can be compared across the two versions, else why not."""
    other = next((i for i in b.indicators if i.id == definition.id), None)
    if other is None:
        return "not declared in the follow-up form version"
    if other.kind != definition.kind:
        return f"its kind changed ({definition.kind} -> {other.kind})"
    if other.share != definition.share:
        return "the answers it counts changed"
    items_a, items_b = indicator_items(a, definition.id), indicator_items(b, definition.id)
    if set(items_a) != set(items_b):
        changed = sorted(set(items_a) ^ set(items_b))
        return f"its items differ between the waves ({', '.join(changed)})"
    for item in items_a:
        if _scale_signature(a, item) != _scale_signature(b, item):
            return f"item {item} has a different scale or wording of answers"
    return None


def _points(m: WaveMatrix, items: Sequence[str]) -> int | NotComputable:
    points = {m.item(i).points for i in items if m.item(i) is not None}  # type: ignore[union-attr]
    if len(points) != 1:
        return NotComputable("the items are on different scales")
    return points.pop()


def _matrix(m: WaveMatrix, items: Sequence[str]) -> npt.NDArray[np.int8]:
    return m.likert_columns(list(items))


def _index_estimate(scores: npt.NDArray[np.float64], k: int, population: int | None
                    ) -> Estimate | NotComputable:
    """As :func:`indicators.composite_index`, from respondent composites computed once."""
    if scores.shape[0] and np.isnan(scores).all():
        return NotComputable(f"no respondent answered enough of the {k} items")
    return ind.mean_estimate(scores, population=population)


def _reverse(m: WaveMatrix, items: Sequence[str]) -> list[bool]:
    return [bool(m.item(i).reverse) for i in items]  # type: ignore[union-attr]


def _value(estimate: object) -> float | None:
    if isinstance(estimate, Estimate):
        return estimate.value
    return None


def _compute(
    definition: IndicatorDef,
    items: list[str],
    a: WaveMatrix,
    b: WaveMatrix,
    pop_a: int | None,
    pop_b: int | None,
) -> tuple[float | None, float | None, Comparison | NotComputable, Row]:
    """Baseline value, follow-up value and comparison of one indicator."""
    row = Row(section="indicator", id=definition.id, label="", kind=definition.kind)
    kind = definition.kind
    if kind == "nps":
        ra, rb = (
            ind.nps(a.raw(items[0]), population=pop_a),
            ind.nps(b.raw(items[0]), population=pop_b),
        )
        va = ra.nps if not isinstance(ra, NotComputable) else None
        vb = rb.nps if not isinstance(rb, NotComputable) else None
        _precision(row, ra, rb)
        return va, vb, ind.compare_nps(a.raw(items[0]), b.raw(items[0])), row
    if kind == "share":
        ea, eb, comparison = compare_share(definition, a, b, pop_a, pop_b)
        _precision(row, ea, eb)
        return _value(ea), _value(eb), comparison, row
    points = _points(a, items)
    if isinstance(points, NotComputable):
        return None, None, points, row
    reverse = _reverse(a, items)
    if kind == "index":
        ma, mb = _matrix(a, items), _matrix(b, items)
        sa = ind.composite_scores(ma, points, reverse)
        sb = ind.composite_scores(mb, points, reverse)
        ea = _index_estimate(sa, len(items), pop_a)
        eb = _index_estimate(sb, len(items), pop_b)
        for matrix, name in ((ma, "alpha_baseline"), (mb, "alpha_follow_up")):
            if len(items) > 1:
                rel = ind.cronbach_alpha(matrix, points, reverse)
                if not isinstance(rel, NotComputable):
                    setattr(row, name, rel.alpha)
        _precision(row, ea, eb)
        return _value(ea), _value(eb), ind.compare_means(sa, sb), row
    if kind == "mean":
        ca, cb = a.likert(items[0]), b.likert(items[0])
        pa = ind.positive_and_mean(ca, points, reverse=reverse[0], population=pop_a)
        pb = ind.positive_and_mean(cb, points, reverse=reverse[0], population=pop_b)
        va = pa.mean.value if not isinstance(pa, NotComputable) else None
        vb = pb.mean.value if not isinstance(pb, NotComputable) else None
        _precision(row, getattr(pa, "mean", None), getattr(pb, "mean", None))
        return va, vb, ind.compare_ordinal(ca, cb, points, reverse=reverse[0]), row
    # percent_positive
    if len(items) == 1:
        ca, cb = a.likert(items[0]), b.likert(items[0])
        pa = ind.positive_and_mean(ca, points, reverse=reverse[0], population=pop_a)
        pb = ind.positive_and_mean(cb, points, reverse=reverse[0], population=pop_b)
        va = pa.percent.value if not isinstance(pa, NotComputable) else None
        vb = pb.percent.value if not isinstance(pb, NotComputable) else None
        _precision(row, getattr(pa, "percent", None), getattr(pb, "percent", None))
        return va, vb, ind.compare_percent_positive(ca, cb, points, reverse=reverse[0]), row
    ta = ind.theme_score([a.likert(i) for i in items], points, reverse)
    tb = ind.theme_score([b.likert(i) for i in items], points, reverse)
    va = ta.value if not isinstance(ta, NotComputable) else None
    vb = tb.value if not isinstance(tb, NotComputable) else None
    # test: Welch on each respondent's share of positive answers over the theme's items
    shares = [_positive_share(_matrix(m, items), points, reverse) for m in (a, b)]
    comparison = ind.compare_means(shares[0], shares[1])
    if not isinstance(comparison, NotComputable):
        comparison = msgspec.structs.replace(
            comparison, baseline=va or 0.0, follow_up=vb or 0.0, change=(vb or 0.0) - (va or 0.0)
        )
    row.note = "test: Welch t on each respondent's share of positive answers"
    return va, vb, comparison, row


_FIGURES = (
    "baseline", "baseline_ci_low", "baseline_ci_high", "follow_up", "follow_up_ci_low",
    "follow_up_ci_high", "change", "ci_low", "ci_high", "statistic", "p", "p_adjusted",
    "effect_size", "alpha_baseline", "alpha_follow_up", "n_baseline", "n_follow_up",
)


def _hide_small(row: Row, min_group: int) -> None:
    """No figure may rest on fewer than ``min_group`` answers (a few people answering an item
    that the others did not know, or were not shown, would be exposed)."""
    counts = [n for n in (row.n_baseline, row.n_follow_up) if n is not None]
    if counts and min(counts) < min_group:
        for name in _FIGURES:
            setattr(row, name, None)
        row.test = row.effect = row.adjustment = None
        note = f"fewer than {min_group} answers in a wave: not shown"
        row.note = f"{row.note}; {note}" if row.note else note


def _precision(row: Row, baseline: object, follow_up: object) -> None:
    """Each wave's own 95 % CI (with the finite population correction when N is known)."""
    for estimate, low, high in (
        (baseline, "baseline_ci_low", "baseline_ci_high"),
        (follow_up, "follow_up_ci_low", "follow_up_ci_high"),
    ):
        lo, hi = getattr(estimate, "ci_low", None), getattr(estimate, "ci_high", None)
        if isinstance(lo, float) and isinstance(hi, float):
            setattr(row, low, lo)
            setattr(row, high, hi)


def _positive_share(
    matrix: npt.NDArray[np.int8], points: int, reverse: list[bool]
) -> npt.NDArray[np.float64]:
    positive = np.zeros(matrix.shape[0])
    valid = np.zeros(matrix.shape[0])
    for j in range(matrix.shape[1]):
        column = matrix[:, j]
        ok = (column >= 1) & (column <= points)
        values = points + 1 - column if reverse[j] else column
        positive += ok & (values > (points + 1) / 2)
        valid += ok
    with np.errstate(invalid="ignore", divide="ignore"):
        share = 100.0 * positive / valid
    return share[valid > 0]


def _fill(
    row: Row, va: float | None, vb: float | None, comparison: object, n1: int, n2: int
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
        row.note = comparison.reason if not row.note else f"{row.note}; {comparison.reason}"


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
    parts = []
    if result.target.change_at_least is not None:
        parts.append(
            ("ръст с поне {:g} пункта" if lang == "bg" else "rise of at least {:g}").format(
                result.target.change_at_least
            )
        )
    if result.target.at_least is not None:
        parts.append(
            ("поне {:g}" if lang == "bg" else "at least {:g}").format(result.target.at_least)
        )
    return "; ".join(parts)


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
) -> Report:
    """Compare every indicator (and, with ``items``, every likert item) of two waves."""
    a, b = baseline, follow_up
    if organisation is not None and a.grouped and b.grouped:  # else filtered when read
        a = a.subset(a.organisations == organisation)
        b = b.subset(b.organisations == organisation)
    survey_a, survey_b = a.survey, b.survey
    results = [r for r in expected if r.survey == survey_a.id]
    confirmatory = {r.indicator for r in results if r.confirmatory}
    not_comparable: list[tuple[str, str]] = []
    indicator_rows: dict[str, Row] = {}
    comparisons: dict[str, Comparison | NotComputable] = {}
    too_small = min(a.n, b.n) < min_group
    for definition in survey_a.indicators:
        reason = comparable(survey_a, survey_b, definition)
        if reason is not None:
            not_comparable.append((definition.id, reason))
            continue
        item_ids = indicator_items(survey_a, definition.id)
        if too_small:
            row = Row(
                section="indicator",
                id=definition.id,
                label="",
                kind=definition.kind,
                n_baseline=None,
                n_follow_up=None,
                note=f"fewer than {min_group} respondents in a wave: not shown",
            )
            va = vb = None
            comparison: Comparison | NotComputable = NotComputable(row.note or "")
        else:
            va, vb, comparison, row = _compute(definition, item_ids, a, b, *population)
        row.label = definition.label.get(lang)
        if (
            row.alpha_baseline is not None
            and min(row.alpha_baseline, row.alpha_follow_up or 1.0) < ind.ALPHA_THRESHOLD
        ):
            flag = (
                f"Cronbach's alpha below {ind.ALPHA_THRESHOLD:.2f}: read the items "
                f"({', '.join(item_ids)}) beside it"
            )
            row.note = f"{row.note}; {flag}" if row.note else flag
        indicator_rows[definition.id] = row
        comparisons[definition.id] = comparison
        if not too_small:
            _fill(row, va, vb, comparison, a.n, b.n)
    for definition in survey_b.indicators:
        if definition.id not in {d.id for d in survey_a.indicators}:
            not_comparable.append((definition.id, "not declared in the baseline form version"))

    item_rows: dict[str, Row] = {}
    # items are always compared: they belong to the exploratory family whether shown or not
    if not too_small:
        for item in a.items:
            spec = a.item(item)
            if spec is None or spec.kind != "likert":
                continue
            if _scale_signature(survey_a, item) != _scale_signature(survey_b, item):
                not_comparable.append((item, "not asked with the same scale in both waves"))
                continue
            question = survey_a.question(spec.question)
            label = question.text.get(lang) if question else item
            if question is not None and question.kind == "matrix":
                label = next(r.text.get(lang) for r in question.rows if r.id == item)
            ca, cb = a.likert(item), b.likert(item)
            sa = ind.item_stats(ca, spec.points, reverse=spec.reverse)
            sb = ind.item_stats(cb, spec.points, reverse=spec.reverse)
            row = Row(section="item", id=item, label=label, kind="mean")
            comparisons[f"item:{item}"] = ind.compare_ordinal(
                ca, cb, spec.points, reverse=spec.reverse
            )
            va = sa.mean if not isinstance(sa, NotComputable) else None
            vb = sb.mean if not isinstance(sb, NotComputable) else None
            _fill(
                row,
                va,
                vb,
                comparisons[f"item:{item}"],
                sa.n_valid if not isinstance(sa, NotComputable) else 0,
                sb.n_valid if not isinstance(sb, NotComputable) else 0,
            )
            item_rows[item] = row

    # multiple comparisons: families fixed by the files
    holm = [k for k in indicator_rows if k in confirmatory]
    bh = [k for k in indicator_rows if k not in confirmatory] + [f"item:{k}" for k in item_rows]
    for keys, method in ((holm, "holm"), (bh, "fdr_bh")):
        adjusted = ind.adjust_comparisons([comparisons[k] for k in keys], method)  # type: ignore[arg-type]
        for key, comparison in zip(keys, adjusted, strict=True):
            if isinstance(comparison, Comparison) and comparison.p_adjusted is not None:
                row = item_rows[key[5:]] if key.startswith("item:") else indicator_rows[key]
                row.p_adjusted, row.adjustment = comparison.p_adjusted, comparison.adjustment

    panel_rows = [] if too_small else _panel_rows(a, b, survey_a, lang, min_group)
    for row in [*indicator_rows.values(), *item_rows.values(), *panel_rows]:
        _hide_small(row, min_group)

    expected_rows = []
    for result in results:
        source = indicator_rows.get(result.indicator)
        row = (
            msgspec.structs.replace(
                source, section="expected", id=result.id, label=result.text.get(lang)
            )
            if source
            else Row(
                section="expected",
                id=result.id,
                label=result.text.get(lang),
                kind="",
                note=f"indicator {result.indicator} is not comparable",
            )
        )
        row.target = describe_target(result, lang)
        row.status = target_status(result, row)
        expected_rows.append(row)
    return Report(
        survey=survey_a.id,
        baseline=a.wave.id,
        follow_up=b.wave.id,
        organisation=organisation,
        lang=lang,
        min_group=min_group,
        rows=[
            *expected_rows,
            *indicator_rows.values(),
            *(item_rows.values() if items else ()),
            *panel_rows,
        ],
        not_comparable=not_comparable,
    )


def _pairs(a: WaveMatrix, b: WaveMatrix) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows of the same self-made panel code in both waves (codes used twice in a wave are
    dropped: they cannot be paired with certainty)."""

    def index(m: WaveMatrix) -> dict[bytes, int]:
        seen: dict[bytes, int] = {}
        twice: set[bytes] = set()
        for i, code in enumerate(m.panels if m.panels is not None else []):
            if code is None:
                continue
            if code in seen:
                twice.add(code)
            seen[code] = i
        return {c: i for c, i in seen.items() if c not in twice}

    ia, ib = index(a), index(b)
    common = sorted(set(ia) & set(ib))
    return (
        np.asarray([ia[c] for c in common], dtype=np.intp),
        np.asarray([ib[c] for c in common], dtype=np.intp),
    )


def _panel_rows(
    a: WaveMatrix, b: WaveMatrix, survey: Survey, lang: str, min_group: int
) -> list[Row]:
    """Paired comparisons (t test on the same people's composites) for panel waves."""
    from scipy import stats

    if a.panels is None or b.panels is None:
        return []
    ia, ib = _pairs(a, b)
    rows = []
    for definition in survey.indicators:
        if definition.kind != "index":
            continue
        items = indicator_items(survey, definition.id)
        if comparable(survey, b.survey, definition) is not None:
            continue
        points = _points(a, items)
        if isinstance(points, NotComputable):
            continue
        reverse = _reverse(a, items)
        ra = ind.composite_scores(_matrix(a, items)[ia], points, reverse)
        rb = ind.composite_scores(_matrix(b, items)[ib], points, reverse)
        ok = ~(np.isnan(ra) | np.isnan(rb))
        row = Row(
            section="panel",
            id=definition.id,
            label=definition.label.get(lang),
            kind="index",
            n_baseline=int(ok.sum()),
            n_follow_up=int(ok.sum()),
        )
        if ok.sum() < max(min_group, 2):
            row.n_baseline = row.n_follow_up = None
            row.note = f"fewer than {min_group} pairs: not shown"
        elif np.ptp(rb[ok] - ra[ok]) == 0:
            row.note = "every pair changed by the same amount: no test"
        else:
            test = stats.ttest_rel(rb[ok], ra[ok])
            ci = test.confidence_interval(0.95)
            row.baseline, row.follow_up = float(ra[ok].mean()), float(rb[ok].mean())
            row.change = row.follow_up - row.baseline
            row.ci_low, row.ci_high = float(ci.low), float(ci.high)
            row.test, row.statistic, row.p = "paired_t", float(test.statistic), float(test.pvalue)
            row.note = "the same people in both waves (self-made panel codes)"
        rows.append(row)
    return rows


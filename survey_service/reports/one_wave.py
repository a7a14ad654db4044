"""One wave's figures (the annual round, or a baseline before its follow-up), and the answer
distributions the report pages draw (pure: matrices in, rows out).

Every figure asks the wave's disclosure plan first, as the two-wave report does: an indicator
or item the plan hides for the cell shown (all organisations, or one) is listed without
figures, and so is any figure resting on fewer than ``min_group`` answers. Distributions
(answers per scale point, NPS bands) are shown only where the same item's or indicator's
figure is shown.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import numpy as np

from .. import indicators as ind
from ..i18n import translations
from ..indicators.result import Estimate, NotComputable
from ..surveys.coding import scored_items
from ..surveys.loader import indicator_items
from ..surveys.model import Survey
from .data import WaveMatrix
from .disclosure import ALL, Disclosure, org_label
from .kinds import wave_side


class WaveRow(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One indicator or item of one wave; ``n`` counts the answers the figure rests on."""

    section: str  # indicator, item
    id: str
    label: str
    kind: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    alpha: float | None = None
    note: str | None = None


class WaveReport(msgspec.Struct, kw_only=True):
    survey: str
    wave: str
    organisation: str | None
    lang: str
    min_group: int
    respondents: int
    rows: list[WaveRow]


class Distribution(msgspec.Struct, kw_only=True):
    """Answers per scale point (1..k, after reversing) of one item, in each wave shown."""

    id: str
    label: str
    answers: list[str]
    counts: dict[str, list[int]]  # wave id -> count per scale point


class Bands(msgspec.Struct, kw_only=True):
    """An NPS indicator's % detractors, passives and promoters in each wave shown."""

    id: str
    label: str
    shares: dict[str, tuple[float, float, float]]  # wave id -> (det, pas, pro) %


def item_label(survey: Survey, item: str, lang: str) -> str:
    spec = next((s for s in scored_items(survey) if s.id == item), None)
    question = survey.question(spec.question) if spec else None
    if question is None:
        return item
    if question.kind == "matrix":
        return next(r.text.get(lang) for r in question.rows if r.id == item)
    return question.text.get(lang)


def answer_labels(survey: Survey, item: str, lang: str) -> list[str]:
    spec = next((s for s in scored_items(survey) if s.id == item), None)
    question = survey.question(spec.question) if spec else None
    if question is None or question.scale is None:
        return [str(i) for i in range(1, (spec.points if spec else 0) + 1)]
    return [label.get(lang) for label in survey.scale_of(question).labels]


def _answered(sample: np.ndarray) -> int:
    """Respondents with at least one valid answer among the columns (themes)."""
    if sample.ndim == 1:
        return int(np.count_nonzero(sample > 0))
    return int(np.count_nonzero((sample > 0).any(axis=1)))


def _f(value: float | None) -> float | None:
    return None if value is None else float(value)


def _hide(row: WaveRow, note: str) -> WaveRow:
    return WaveRow(section=row.section, id=row.id, label=row.label, kind=row.kind, note=note)


def wave_report(m: WaveMatrix, *, lang: str, organisation: str | None, min_group: int,
                disclosure: Disclosure, population: int | None = None) -> WaveReport:
    """Every declared indicator and likert item of one wave, as the plan allows."""
    _: Callable[[str], str] = translations(lang).gettext
    label = ALL if organisation is None else org_label(organisation)
    hidden_note = _("not shown: it would reveal a group of fewer than %(n)s people") % {
        "n": min_group}
    small_note = _("fewer than %(n)s answers: not shown") % {"n": min_group}
    rows: list[WaveRow] = []
    for d in m.survey.indicators:
        items = indicator_items(m.survey, d.id)
        row = WaveRow(section="indicator", id=d.id, label=d.label.get(lang), kind=d.kind)
        side = wave_side(d.kind, m, items, population=population, reliability=d.kind == "index",
                         definition=d)
        if isinstance(side, NotComputable):
            row.note = side.reason
        elif isinstance(side.figure, NotComputable):
            row.note = side.figure.reason
        else:
            row.value = _f(side.value)
            row.ci_low, row.ci_high = (_f(v) for v in side.ci)
            figure = side.figure
            row.n = int(figure.n) if isinstance(figure, Estimate | ind.NPSResult) else (
                _answered(np.asarray(side.sample)))
            row.alpha = _f(side.alpha)
        if disclosure.indicator_hidden(m, d.id, items, label=label):
            row = _hide(row, hidden_note)
        elif row.n is not None and row.n < min_group:
            row = _hide(row, small_note)
        rows.append(row)
    for spec in scored_items(m.survey):
        if spec.kind != "likert":
            continue
        stats = ind.item_stats(m.likert(spec.id), spec.points, reverse=spec.reverse)
        row = WaveRow(section="item", id=spec.id, label=item_label(m.survey, spec.id, lang),
                      kind="mean")
        if isinstance(stats, NotComputable):
            row.note = stats.reason
        else:
            row.value, row.n = float(stats.mean), int(stats.n_valid)
        if disclosure.item_hidden(m, spec.id, label):
            row = _hide(row, hidden_note)
        elif row.n is not None and row.n < min_group:
            row = _hide(row, small_note)
        rows.append(row)
    return WaveReport(survey=m.survey.id, wave=m.wave.id, organisation=organisation, lang=lang,
                      min_group=min_group, respondents=m.n, rows=rows)


def counts(m: WaveMatrix, item: str) -> list[int] | None:
    """Answers per scale point of a likert item, reversed items turned round (so that the
    last point is always the most positive)."""
    spec = m.item(item)
    column = m.likert(item)
    if spec is None or column is None:
        return None
    valid = column[(column >= 1) & (column <= spec.points)].astype(np.int64)
    if spec.reverse:
        valid = spec.points + 1 - valid
    return [int(c) for c in np.bincount(valid, minlength=spec.points + 1)[1:]]


def bands(m: WaveMatrix, item: str) -> tuple[float, float, float] | None:
    column = m.raw(item)
    if column is None:
        return None
    valid = column[(column >= 0) & (column <= 10)]
    if not valid.size:
        return None
    n = int(valid.size)
    return (100 * int(np.count_nonzero(valid <= 6)) / n,
            100 * int(np.count_nonzero((valid >= 7) & (valid <= 8))) / n,
            100 * int(np.count_nonzero(valid >= 9)) / n)


def chart_data(matrices: list[WaveMatrix], shown: Callable[[str, str], bool], lang: str,
               drawn: Callable[[str, str], bool] | None = None
               ) -> tuple[list[Distribution], list[Bands]]:
    """The distributions of every likert item and the bands of every NPS indicator, for each
    wave where ``shown(section, id)`` says the report shows that figure; a distribution only
    in the waves where ``drawn(wave, item)`` says its plan shows it, NPS bands only where
    ``drawn(wave, "bands:ID")`` does."""
    last = matrices[-1].survey
    distributions: list[Distribution] = []
    for spec in scored_items(last):
        if spec.kind != "likert" or not shown("item", spec.id):
            continue
        found = {m.wave.id: c for m in matrices if (c := counts(m, spec.id)) is not None
                 and (drawn is None or drawn(m.wave.id, spec.id))}
        if found and len({len(c) for c in found.values()}) == 1:
            distributions.append(Distribution(
                id=spec.id, label=item_label(last, spec.id, lang),
                answers=answer_labels(last, spec.id, lang), counts=found))
    nps: list[Bands] = []
    for d in last.indicators:
        if d.kind != "nps" or not shown("indicator", d.id):
            continue
        item = indicator_items(last, d.id)[0]
        shares = {m.wave.id: b for m in matrices if (b := bands(m, item)) is not None
                  and (drawn is None or drawn(m.wave.id, f"bands:{d.id}"))}
        if shares:
            nps.append(Bands(id=d.id, label=d.label.get(lang), shares=shares))
    return distributions, nps

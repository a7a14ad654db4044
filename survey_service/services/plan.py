"""How many responses each wave needs, and (after a baseline) the smallest change each target
can show: ``survey-service plan`` (issue #19 §2; the arithmetic is
:mod:`survey_service.indicators.power`).

Each of the survey's expected results is planned (every indicator when it has none):
indices (and multi-item percentages, with a baseline) as a change of a mean with the SD of
respondents' scores, percentages as two proportions (Cohen's h). Confirmatory results get
α/k, their share under Holm in a family of k; exploratory ones the full α (optimistic: they
are adjusted with Benjamini-Hochberg). Without a baseline the SD and the proportion are
assumptions, said in every row: an index SD of 24 points (20 for staff surveys) and a
baseline proportion of 50 % (the largest variance).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec
import numpy as np

from ..i18n import translations
from ..indicators import power as pw
from ..indicators.result import NotComputable
from ..reports.kinds import Side, positive_share, wave_side
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import indicator_items
from ..surveys.model import IndicatorDef, Organisation, Survey
from .catalog import find_organisation, find_survey, load
from .errors import Invalid
from .reports import load_matrix, population

DEFAULT_CHANGE = 5.0
DEFAULT_DEFF = 1.4
DEFAULT_SD = {"staff": 20.0}
DEFAULT_INDEX_SD = 24.0
DEFAULT_PROPORTION = 0.5
PLANNED = ("index", "percent_positive", "share")


class PlanRow(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One target (or indicator): what it needs per wave, and what a baseline can show."""

    id: str
    indicator: str
    label: str
    kind: str
    confirmatory: bool
    alpha: float
    change: float
    method: str  # "t" (mean, SD) or "proportions" (Cohen's h)
    source: str  # "baseline" or "assumed"
    sd: float | None = None
    baseline_percent: float | None = None
    n: float | None = None  # per wave, before the design effect
    n_fpc: float | None = None  # staff: the same from a census of N (finite population)
    responses: int | None = None
    forms: int | None = None
    days: int | None = None
    baseline_n: int | None = None
    detectable: float | None = None  # smallest detectable change with the baseline's n
    detectable_fpc: float | None = None  # the same with the finite population correction
    note: str = ""


class Plan(msgspec.Struct, kw_only=True):
    survey: str
    baseline: str | None
    organisation: str | None
    alpha: float
    power: float
    deff: float
    response_rate: float | None
    visitors_per_day: float | None
    family: int
    population: int | None
    rows: list[PlanRow]


def _targets(survey: Survey, expected: list[tuple[str, str, bool, float | None]]
             ) -> list[tuple[str, IndicatorDef, bool, float | None]]:
    by_id = {d.id: d for d in survey.indicators}
    if expected:
        return [(rid, by_id[ind], conf, ch) for rid, ind, conf, ch in expected if ind in by_id]
    return [(d.id, d, False, None) for d in survey.indicators if d.kind in PLANNED]


async def compute_plan(
    settings: Settings,
    store: Store,
    survey_id: str,
    *,
    baseline: str | None = None,
    organisation: str | None = None,
    change: float | None = None,
    power: float = 0.8,
    deff: float | None = None,
    response_rate: float | None = None,
    visitors_per_day: float | None = None,
    alpha: float = 0.05,
    lang: str = "bg",
) -> Plan:
    """The plan of every target of ``survey_id`` (see the module's docstring)."""
    _ = translations(lang).gettext
    catalog = load(settings)
    survey = find_survey(catalog, survey_id).survey
    if organisation is not None:
        find_organisation(catalog, organisation)
    census = survey.kind == "staff"
    if deff is None:  # a staff census is not clustered by fieldwork days
        deff = 1.0 if census else DEFAULT_DEFF
    check_options(power=power, deff=deff, response_rate=response_rate,
                  visitors_per_day=visitors_per_day, change=change)
    expected = [(r.id, r.indicator, r.confirmatory, r.target.change_at_least)
                for r in catalog.expected_results if r.survey == survey_id]
    targets = _targets(survey, expected)
    family = len({d.id for _, d, conf, _ in targets if conf}) or 1
    matrix = None
    big_n = _head_count(catalog.organisations.values(), organisation) if census else None
    if baseline is not None:
        matrix = await load_matrix(store, survey_id, baseline, organisation, False)
        if organisation is not None and matrix.grouped:
            matrix = matrix.subset(matrix.organisations == organisation)
        big_n = await population(store, matrix.wave, organisation) or big_n
    rows = []
    for rid, definition, confirmatory, target_change in targets:
        a = pw.alpha_share(alpha, family) if confirmatory else alpha
        wanted = change if change is not None else (target_change or DEFAULT_CHANGE)
        row = PlanRow(id=rid, indicator=definition.id, label=definition.label.get(lang),
                      kind=definition.kind, confirmatory=confirmatory, alpha=a,
                      change=wanted, method="t", source="assumed")
        if definition.kind not in PLANNED:
            row.note = _("not planned: plan its percentage or index instead")
            rows.append(row)
            continue
        items = indicator_items(survey, definition.id)
        sample: Side | None = None
        if matrix is not None:
            side = wave_side(definition.kind, matrix, items, definition=definition)
            if isinstance(side, NotComputable):
                row.note = side.reason
            else:
                sample = side
        _fill(row, definition, survey.kind, sample, power=power, alpha=a, lang=lang)
        if row.n is not None and big_n is not None:
            row.n_fpc = row.n * big_n / (big_n - 1 + row.n)  # n* = n(N − 1)/(N − n) inverted
        if row.n is not None:
            work = pw.fieldwork(row.n, deff=deff, response_rate=response_rate,
                                visitors_per_day=visitors_per_day)
            row.responses, row.forms, row.days = work.responses, work.forms, work.days
        if sample is None and big_n is not None and response_rate is not None:
            row.baseline_n = round(response_rate * big_n)  # the census's expected answers
            row.note = _("n: the answers expected from %(n)s staff at this response rate") % {
                "n": big_n}
        if row.baseline_n is not None and row.baseline_n >= 2:
            _detectable(row, deff, power, big_n)
        if row.source == "assumed":
            row.note = row.note or _("SD or proportion assumed: plan again after the baseline")
        rows.append(row)
    return Plan(survey=survey_id, baseline=baseline, organisation=organisation, alpha=alpha,
                power=power, deff=deff, response_rate=response_rate,
                visitors_per_day=visitors_per_day, family=family, population=big_n, rows=rows)


def check_options(*, power: float, deff: float | None, response_rate: float | None,
                  visitors_per_day: float | None, change: float | None) -> None:
    """Refuse values out of range (before any database is opened)."""
    for name, value, ok in (
        ("--power", power, 0.5 <= power < 1),
        ("--deff", deff, deff is None or 1 <= deff <= 10),
        ("--response-rate", response_rate, response_rate is None or 0 < response_rate <= 1),
        ("--visitors-per-day", visitors_per_day, visitors_per_day is None or visitors_per_day > 0),
        ("--change", change, change is None or (math.isfinite(change) and change > 0)),
    ):
        if not ok:
            raise Invalid(f"{name} {value} is out of range (see `survey-service plan --help`)")


def _fill(row: PlanRow, definition: IndicatorDef, survey_kind: str, side: Side | None,
          *, power: float, alpha: float, lang: str) -> None:
    """SD or proportion (from the baseline's side when given), and the n per wave."""
    kind = definition.kind
    if side is not None:
        row.source = "baseline"
        sample = side.sample
        if kind == "index" or (kind == "percent_positive" and len(side.items) > 1):
            # a theme's SD is that of the linearised values its change is tested on
            values = (np.asarray(sample, dtype=float) if kind == "index"
                      else side.values if side.values is not None
                      else positive_share(sample, side.points, side.reverse))  # type: ignore[arg-type]
            values = values[~np.isnan(values)]
            row.baseline_n = int(values.size)
            if values.size >= 2:
                row.sd = float(np.std(values, ddof=1))
        else:
            row.method = "proportions"
            if side.value is not None:
                row.baseline_percent = float(side.value)
            figure = side.figure
            row.baseline_n = int(sample[1]) if kind == "share" else int(getattr(figure, "n", 0))
    elif kind == "index":
        row.sd = DEFAULT_SD.get(survey_kind, DEFAULT_INDEX_SD)
    else:
        row.method = "proportions"
        row.baseline_percent = 100 * DEFAULT_PROPORTION
    try:
        if row.method == "t" and row.sd:
            row.n = pw.n_mean_change(row.change, row.sd, alpha=alpha, power=power)
        elif row.method == "proportions" and row.baseline_percent is not None:
            p1 = min(max(row.baseline_percent / 100, 1e-6), 1 - 1e-6)
            p2 = p1 + row.change / 100
            if p2 >= 1:
                _ = translations(lang).gettext
                row.note = _("a rise that large is impossible from this level")
            else:
                row.n = pw.n_proportion_change(p1, p2, alpha=alpha, power=power)
    except ValueError as exc:
        row.note = str(exc)


def _detectable(row: PlanRow, deff: float, power: float, big_n: int | None) -> None:
    n = row.baseline_n
    assert n is not None
    if big_n is not None and n > big_n:
        big_n = None
    try:
        if row.method == "t" and row.sd:
            row.detectable = pw.mdc_mean(n, row.sd, alpha=row.alpha, power=power, deff=deff)
            if big_n is not None:
                row.detectable_fpc = pw.mdc_mean(n, row.sd, alpha=row.alpha, power=power,
                                                 deff=deff, population=big_n)
        elif row.method == "proportions" and row.baseline_percent is not None:
            p1 = min(row.baseline_percent / 100, 1 - 1e-9)
            row.detectable = pw.mdc_proportion(p1, n, alpha=row.alpha, power=power, deff=deff)
            if big_n is not None:
                row.detectable_fpc = pw.mdc_proportion(p1, n, alpha=row.alpha, power=power,
                                                       deff=deff, population=big_n)
    except ValueError as exc:
        row.note = str(exc)


def _head_count(organisations: Iterable[Organisation], organisation: str | None) -> int | None:
    """Staff: the head count of the newest structure of the organisations covered."""
    total = 0
    for org in organisations:
        structure = org.structure()
        if structure is not None and (organisation is None or org.id == organisation):
            total += sum(u.head_count for u in structure.units)
    return total or None

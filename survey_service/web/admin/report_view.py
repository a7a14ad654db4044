"""From a report page's figures to what its template shows: the charts (each with its table),
the choices of its form, the CSV and JSON downloads (the CLI report's own renderers), and its
file names."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from ...exports.csv_writer import to_csv as write_csv
from ...exports.table import Table
from ...i18n import translations
from ...rendering.charts import (
    Chart,
    Point,
    diverging_chart,
    nps_chart,
    profile_chart,
    trend_chart,
)
from ...reports import groups_render, trend_render
from ...reports.breakdown import BY_NAMES
from ...reports.group_plan import CHANNEL
from ...reports.groups import OWN_TABLES, QUESTION
from ...reports.kinds import SCALE_BOUNDS
from ...reports.render import to_csv, to_json
from ...services.report_pages import PageData
from ...services.reports import BY
from ...surveys.model import Survey

#: The axis of each indicator kind (None: from the data, e.g. a mean on its own scale).
BOUNDS = SCALE_BOUNDS
WAVE_COLUMNS = ["section", "id", "label", "kind", "value", "ci_low", "ci_high", "n", "alpha",
                "note"]


def by_options(survey: Survey, lang: str) -> list[tuple[str, str]]:
    """What a page can be broken down by: the groupings, then each single-choice question of
    the form (``question:ID``; the channel and service are groupings already)."""
    _ = translations(lang).gettext
    found: list[tuple[str, str]] = [(b, _(BY_NAMES[b])) for b in BY]
    found += [(f"{QUESTION}{q.id}", q.text.get(lang)) for q in survey.questions()
              if q.kind == "single" and q.id not in (CHANNEL, *OWN_TABLES)]
    return found


def channel_options(survey: Survey, lang: str) -> list[tuple[str, str]]:
    """The contact channels a breakdown by a question can be limited to."""
    q = survey.question(CHANNEL)
    return [] if q is None else [(o.code, o.label.get(lang)) for o in q.options]


def _trend(page: PageData, lang: str) -> list[Chart]:
    charts = []
    if page.trend is not None:
        for t in page.trend.rows:
            low, high = BOUNDS.get(t.kind, (None, None))
            points = [Point(v.wave, v.value, v.ci_low, v.ci_high, v.n) for v in t.waves]
            charts.append(trend_chart(f"trend-{t.id}", t.label, points, lang=lang, low=low,
                                      high=high))
    elif page.report is not None:
        a, b = page.waves
        for r in page.report.rows:
            if r.section != "indicator" or (r.baseline is None and r.follow_up is None):
                continue
            low, high = BOUNDS.get(r.kind, (None, None))
            points = [Point(a, r.baseline, r.baseline_ci_low, r.baseline_ci_high, r.n_baseline),
                      Point(b, r.follow_up, r.follow_up_ci_low, r.follow_up_ci_high,
                            r.n_follow_up)]
            charts.append(trend_chart(f"trend-{r.id}", r.label, points, lang=lang, low=low,
                                      high=high))
    elif page.wave_report is not None:
        for w in page.wave_report.rows:
            if w.section != "indicator" or w.value is None:
                continue
            low, high = BOUNDS.get(w.kind, (None, None))
            charts.append(trend_chart(f"trend-{w.id}", w.label,
                                      [Point(page.waves[0], w.value, w.ci_low, w.ci_high, w.n)],
                                      lang=lang, low=low, high=high))
    return charts


def _profile(page: PageData, lang: str) -> list[Chart]:
    """The indicators on a 0-100 scale side by side, one series per wave."""
    _: Callable[[str], str] = translations(lang).gettext
    title = _("Profile of the indicators (0–100)")
    if page.trend is not None:
        lines = [t for t in page.trend.rows if t.kind in ("index", "percent_positive")]
        if not lines:
            return []
        return [profile_chart("profile", title, [t.label for t in lines], page.trend.waves,
                              [[t.waves[k].value for t in lines]
                               for k in range(len(page.trend.waves))], lang=lang)]
    if page.report is not None:
        rows = [r for r in page.report.rows if r.section == "indicator"
                and r.kind in ("index", "percent_positive")]
        if not rows:
            return []
        return [profile_chart("profile", title, [r.label for r in rows], page.waves,
                              [[r.baseline for r in rows], [r.follow_up for r in rows]],
                              lang=lang)]
    if page.wave_report is not None:
        found = [w for w in page.wave_report.rows if w.section == "indicator"
                 and w.kind in ("index", "percent_positive")]
        if not found:
            return []
        return [profile_chart("profile", title, [w.label for w in found], page.waves,
                              [[w.value for w in found]], lang=lang)]
    return []


def _groups(page: PageData, lang: str) -> list[Chart]:
    """A breakdown: per indicator, each group's value in each wave (hidden: "not shown")."""
    g = page.groups
    if g is None:
        return []
    charts = []
    for ind_id, label in g.indicators:
        rows = [r for r in g.rows if r.indicator == ind_id]
        values = [[r.waves[k].value for r in rows] for k in range(len(g.waves))]
        known = [v for s in values for v in s if v is not None]
        low, high = (-100.0, 100.0) if ind_id.endswith("nps") else (0.0, 100.0)
        if any(v < low or v > high for v in known):
            low, high = min(known), max(known)
        charts.append(profile_chart(f"groups-{ind_id}", label, [r.label for r in rows],
                                    g.waves, values, lang=lang, low=low, high=high))
    return charts


def _items(page: PageData, lang: str) -> list[Chart]:
    _: Callable[[str], str] = translations(lang).gettext
    charts = []
    by_scale: dict[tuple[str, ...], list[int]] = {}
    for i, d in enumerate(page.distributions):
        by_scale.setdefault(tuple(d.answers), []).append(i)
    for wave in page.waves:
        for number, (answers, members) in enumerate(by_scale.items()):
            items = [(page.distributions[i].label, page.distributions[i].counts[wave])
                     for i in members if wave in page.distributions[i].counts]
            if items:
                title = _("Answers per item, %(wave)s") % {"wave": wave}
                charts.append(diverging_chart(f"items-{wave}-{number}", title, items,
                                              list(answers), lang=lang))
    for bands in page.nps:
        rows = [(w, *bands.shares[w]) for w in page.waves if w in bands.shares]
        charts.append(nps_chart(f"nps-{bands.id}", bands.label, rows, lang=lang))
    return charts


def page_charts(page: PageData, lang: str) -> dict[str, list[Chart]]:
    """The page's charts by part: indicators per wave, profile, groups, answers."""
    return {"trend": _trend(page, lang), "profile": _profile(page, lang),
            "groups": _groups(page, lang), "items": _items(page, lang)}


def filename(page: PageData, ext: str) -> str:
    parts = [page.survey, *page.waves]
    if page.organisation:
        parts.append(page.organisation)
    if page.by:
        parts.append(f"by-{page.by.replace(QUESTION, '')}")
    if page.channel:
        parts.append(page.channel)
    return "_".join(parts) + f".{ext}"


def as_csv(page: PageData) -> str:
    """The CLI report's CSV (two waves), its breakdown's or trend's, or the one-wave rows."""
    if page.report is not None:
        return to_csv(page.report)
    if page.groups is not None:
        return groups_render.to_csv(page.groups)
    if page.trend is not None:
        return trend_render.to_csv(page.trend)
    assert page.wave_report is not None
    rows = ([getattr(r, c) for c in WAVE_COLUMNS] for r in page.wave_report.rows)
    return write_csv(Table(filename(page, "csv"), WAVE_COLUMNS, rows))


def as_json(page: PageData) -> bytes:
    """The CLI report's JSON (two waves), the breakdown's or trend's, or the one-wave
    report."""
    if page.report is not None:
        return to_json(page.report)
    if page.groups is not None:
        return groups_render.to_json(page.groups)
    if page.trend is not None:
        return trend_render.to_json(page.trend)
    return msgspec.json.format(msgspec.json.encode(page.wave_report))

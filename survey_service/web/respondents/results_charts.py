"""The public results page's charts: for each municipality, each headline indicator per
published wave with its 95 % CI (one wave: its figure; two: before and after; more: the
trend), and a profile of its 0-100 indicators per wave; each chart with its table of numbers
(:mod:`...rendering.charts`). Hidden figures stay hidden: a chart draws what the table shows."""

from __future__ import annotations

from markupsafe import Markup

from ...i18n import translations
from ...rendering.charts import Chart, Point, profile_chart, trend_chart
from ...reports.kinds import SCALE_BOUNDS as BOUNDS
from ...services.publish import Municipality, PublicResults

SCALE_0_100 = ("index", "percent_positive")


def municipality_charts(m: Municipality, results: PublicResults, lang: str,
                        names: dict[str, str]) -> list[Chart]:
    """The charts of one municipality, headline indicators first."""
    _ = translations(lang).gettext
    trend = m.trend
    labels = [names.get(w, w) for w in trend.waves]
    charts = []
    for ind_id in results.headline:
        row = next((r for r in trend.rows if r.id == ind_id), None)
        if row is None:
            continue
        low, high = BOUNDS.get(row.kind, (None, None))
        points = [Point(label, v.value, v.ci_low, v.ci_high, v.n)
                  for label, v in zip(labels, row.waves, strict=True)]
        charts.append(trend_chart(f"{m.id}-trend-{row.id}", row.label, points, lang=lang,
                                  low=low, high=high))
    profile = [r for r in trend.rows if r.kind in SCALE_0_100]
    if profile:
        title = _("%(name)s: indicators on a 0–100 scale per round") % {"name": m.name}
        charts.append(profile_chart(
            f"{m.id}-profile", title, [r.label for r in profile], labels,
            [[r.waves[k].value for r in profile] for k in range(len(labels))], lang=lang))
    return charts


def page_charts(results: PublicResults, lang: str, names: dict[str, str]
                ) -> dict[str, Markup]:
    """Each municipality's charts as markup, by municipality id."""
    return {m.id: Markup("").join(c.html for c in municipality_charts(m, results, lang, names))
            for m in results.municipalities}

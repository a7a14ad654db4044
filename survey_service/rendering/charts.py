"""Charts drawn on the server as SVG, each with its numbers in an HTML table beside it.

Why a small hand-written builder and not pygal or matplotlib: the four charts are a few
rectangles, lines and labels each; a builder of ~300 lines has no dependency, renders in
microseconds (a report page draws dozens), keeps every label a real ``<text>`` in the page's
font and language, and lets each chart carry exactly the accessible structure we need
(``role="img"``, ``aria-labelledby`` naming its ``<title>`` and ``<desc>``, patterns beside the
colours). pygal adds JavaScript-oriented markup and its own CSS; matplotlib's SVG backend
turns text into paths unless told otherwise, and costs tens of milliseconds per figure.

Every function is pure: plain numbers and labels in (already translated by the caller),
markup out (:class:`Chart`: the SVG and its table). The public results page reuses them.
The trend of a figure over waves is in :mod:`.trend_chart`, the parts they share in
:mod:`.chart_base`.
Colours: each fill has at least 4.5:1 contrast with white (the page, the gaps between
segments and the white labels printed on it); negative answers are hatched, neutral ones
dotted, positive ones plain, and every segment large enough carries its number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..i18n import translations
from .chart_base import (
    FONT,
    GRID,
    INK,
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    SERIES,
    WIDTH,
    Chart,
    Point,
    contrast,
    fmt,
    luminance,
    slug,
)
from .chart_base import axis_ticks as _ticks
from .chart_base import numbers_table as _table
from .chart_base import svg_root as _svg
from .chart_base import svg_text as _text
from .trend_chart import shared_part_removed, trend_chart

__all__ = ["FONT", "GRID", "INK", "NEGATIVE", "NEUTRAL", "POSITIVE", "SERIES", "WIDTH", "Chart",
           "Point", "contrast", "diverging_chart", "fmt", "luminance", "nps_chart",
           "profile_chart", "slug", "trend_chart"]


def _patterns(chart_id: str) -> str:
    """Hatching for negative answers, dots for neutral ones (white, over the fill)."""
    return (
        f'<pattern id="{chart_id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" '
        f'stroke-width="1.5" stroke-opacity="0.45"/></pattern>'
        f'<pattern id="{chart_id}-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
        f'<circle cx="2.5" cy="2.5" r="1" fill="#ffffff" fill-opacity="0.5"/></pattern>')


def profile_chart(chart_id: str, title: str, labels: Sequence[str], series: Sequence[str],
                  values: Sequence[Sequence[float | None]], *, lang: str, low: float = 0.0,
                  high: float = 100.0, unit: str = "") -> Chart:
    """A dimension profile: one horizontal bar per dimension and series (e.g. per wave), each
    series in its own colour and, after the first, hatched; every bar labelled. With more
    series than colours (a trend of up to 12 waves) the colours repeat, so every bar's label
    also names its series (without the part all the names share), never only its colour."""
    _ = translations(lang).gettext
    chart_id = slug(chart_id)
    named = len(series) > len(SERIES)
    short = shared_part_removed(series) if named else []
    left, right, bar, gap = 250, 56, 16, 14
    group = bar * len(series) + gap
    top = 28 + 18 * len(series)
    height = top + group * len(labels) + 28
    plot_w = WIDTH - left - right
    span = (high - low) or 1.0
    body = []
    for i, name in enumerate(series):  # legend
        y0 = 8 + 18 * i
        body.append(f'<rect x="{left}" y="{y0}" width="14" height="12" fill="{SERIES[i % 4]}"/>')
        if i:
            body.append(f'<rect x="{left}" y="{y0}" width="14" height="12" '
                        f'fill="url(#{chart_id}-hatch)"/>')
        body.append(_text(left + 20, y0 + 11, name))
    for tick in _ticks(low, high):
        x = left + plot_w * (tick - low) / span
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 4}" y2="{height - 24}" '
                    f'stroke="{GRID}" stroke-width="0.5" stroke-dasharray="2 3"/>')
        body.append(_text(x, height - 8, fmt(tick, lang, 0), anchor="middle"))
    for j, label in enumerate(labels):
        y0 = top + group * j
        body.append(_text(left - 8, y0 + bar * len(series) / 2 + 4, _short(label, 38),
                          anchor="end", size=11))
        for i in range(len(series)):
            v = values[i][j]
            yb = y0 + bar * i
            if v is None:
                body.append(_text(left + 4, yb + bar - 4, _("not shown"), size=11))
                continue
            w = max(plot_w * (min(max(v, low), high) - low) / span, 1.0)
            body.append(f'<rect x="{left}" y="{yb}" width="{w:.1f}" height="{bar - 2}" '
                        f'fill="{SERIES[i % 4]}"/>')
            if i:
                body.append(f'<rect x="{left}" y="{yb}" width="{w:.1f}" height="{bar - 2}" '
                            f'fill="url(#{chart_id}-hatch)"/>')
            text = fmt(v, lang) + unit
            if named:
                text = f"{_short(short[i], 16)}: {text}"
            if not named or left + w + 4 + len(text) * 11 * 0.62 <= WIDTH:
                body.append(_text(left + w + 4, yb + bar - 4, text, size=11))
            else:  # no room after the bar: inside it, white on its dark fill
                body.append(_text(left + w - 4, yb + bar - 4, text, anchor="end",
                                  fill="#ffffff", size=11))
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{s} {fmt(values[i][j], lang)}{unit}"
                                 for i, s in enumerate(series))
        for j, label in enumerate(labels))
    svg = _svg(chart_id, title, desc, height, body, _patterns(chart_id))
    rows = [[label, *(fmt(values[i][j], lang) for i in range(len(series)))]
            for j, label in enumerate(labels)]
    table = _table(chart_id, title, [_("dimension"), *series], rows)
    return Chart(chart_id, svg, table)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


Paint = tuple[str, str | None]  # fill, pattern


def _scale_colours(points: int) -> list[Paint]:
    """(fill, pattern) of each answer 1..points, negative to positive."""
    half = points // 2
    neg: list[Paint] = [(NEGATIVE[max(0, len(NEGATIVE) - half + i)], "hatch")
                        for i in range(half)]
    pos: list[Paint] = [(POSITIVE[min(i, len(POSITIVE) - 1)], None) for i in range(half)]
    middle: list[Paint] = [(NEUTRAL, "dots")] if points % 2 else []
    return neg + middle + pos


def diverging_chart(chart_id: str, title: str, items: Sequence[tuple[str, Sequence[int]]],
                    answers: Sequence[str], *, lang: str) -> Chart:
    """The distribution of answers per item as diverging stacked bars: negative answers to
    the left of the centre line, positive to the right, the neutral answer split across it.
    ``items``: (label, count of each answer 1..k); ``answers``: the k answers' labels."""
    _ = translations(lang).gettext
    chart_id = slug(chart_id)
    k = len(answers)
    colours = _scale_colours(k)
    left, right, bar, gap = 250, 16, 22, 10
    legend_rows = math.ceil(k / 3)
    top = 12 + 20 * legend_rows
    height = top + (bar + gap) * len(items) + 30
    plot_w = WIDTH - left - right
    centre = left + plot_w / 2
    body = []
    for i, name in enumerate(answers):  # legend, three per line
        lx, ly = left + (plot_w / 3) * (i % 3), 6 + 20 * (i // 3)
        fill, pattern = colours[i]
        body.append(f'<rect x="{lx:.1f}" y="{ly}" width="14" height="14" fill="{fill}"/>')
        if pattern:
            body.append(f'<rect x="{lx:.1f}" y="{ly}" width="14" height="14" '
                        f'fill="url(#{chart_id}-{pattern})"/>')
        body.append(_text(lx + 20, ly + 12, _short(name, 22), size=12))
    body.append(f'<line x1="{centre:.1f}" x2="{centre:.1f}" y1="{top - 4}" '
                f'y2="{height - 26}" stroke="{INK}" stroke-width="1"/>')
    for tick in (-100, -50, 0, 50, 100):
        x = centre + plot_w / 2 * tick / 100
        body.append(_text(x, height - 10, fmt(abs(tick), lang, 0) + " %", anchor="middle",
                          size=11))
    rows = []
    for j, (label, counts) in enumerate(items):
        y0 = top + (bar + gap) * j
        total = sum(counts)
        body.append(_text(left - 8, y0 + bar / 2 + 5, _short(label, 38), anchor="end", size=11))
        shares = [100 * c / total if total else 0.0 for c in counts]
        rows.append([label, *(fmt(s if total else None, lang) for s in shares), str(total)])
        if not total:
            body.append(_text(centre + 6, y0 + bar / 2 + 5, _("no answers")))
            continue
        half = k // 2
        start = centre - plot_w / 2 * (sum(shares[:half]) + (shares[half] / 2 if k % 2 else 0)
                                       ) / 100
        x = start
        for i, share in enumerate(shares):
            w = plot_w / 2 * share / 100
            fill, pattern = colours[i]
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y0}" width="{w:.1f}" height="{bar}" '
                            f'fill="{fill}" stroke="#ffffff" stroke-width="1"/>')
                if pattern:
                    body.append(f'<rect x="{x:.1f}" y="{y0}" width="{w:.1f}" height="{bar}" '
                                f'fill="url(#{chart_id}-{pattern})"/>')
                if w >= 30:
                    body.append(_text(x + w / 2, y0 + bar / 2 + 5, fmt(share, lang, 0),
                                      anchor="middle", fill="#ffffff", weight="bold", size=12))
            x += w
    desc = "; ".join(
        f"{row[0]}: " + ", ".join(f"{a} {s} %" for a, s in zip(answers, row[1:-1], strict=True))
        for row in rows)
    svg = _svg(chart_id, title, desc, height, body, _patterns(chart_id))
    table = _table(chart_id, title, [_("item"), *(f"{a} (%)" for a in answers), "n"], rows)
    return Chart(chart_id, svg, table)


def nps_chart(chart_id: str, title: str, rows: Sequence[tuple[str, float, float, float]], *,
              lang: str) -> Chart:
    """NPS bands: per row (e.g. per wave) the shares of detractors (0–6, hatched), passives
    (7–8, dotted) and promoters (9–10, plain) as one 100 % bar, and the NPS beside it.
    ``rows``: (label, % detractors, % passives, % promoters)."""
    _ = translations(lang).gettext
    chart_id = slug(chart_id)
    names = [_("detractors (0–6)"), _("passives (7–8)"), _("promoters (9–10)")]
    bands = [(NEGATIVE[1], "hatch"), (NEUTRAL, "dots"), (POSITIVE[2], None)]
    left, right, bar, gap, top = 120, 90, 24, 12, 34
    height = top + (bar + gap) * len(rows) + 10
    plot_w = WIDTH - left - right
    body = []
    for i, name in enumerate(names):
        lx = left + (plot_w / 3) * i
        fill, pattern = bands[i]
        body.append(f'<rect x="{lx:.1f}" y="6" width="14" height="14" fill="{fill}"/>')
        if pattern:
            body.append(f'<rect x="{lx:.1f}" y="6" width="14" height="14" '
                        f'fill="url(#{chart_id}-{pattern})"/>')
        body.append(_text(lx + 20, 18, name, size=12))
    body.append(_text(WIDTH - 8, 18, "NPS", anchor="end", weight="bold"))
    table_rows = []
    for j, (label, *shares) in enumerate(rows):
        y0 = top + (bar + gap) * j
        body.append(_text(left - 8, y0 + bar / 2 + 5, _short(label, 16), anchor="end"))
        x = float(left)
        for i, share in enumerate(shares):
            w = plot_w * share / 100
            fill, pattern = bands[i]
            if w > 0:
                body.append(f'<rect x="{x:.1f}" y="{y0}" width="{w:.1f}" height="{bar}" '
                            f'fill="{fill}" stroke="#ffffff" stroke-width="1"/>')
                if pattern:
                    body.append(f'<rect x="{x:.1f}" y="{y0}" width="{w:.1f}" height="{bar}" '
                                f'fill="url(#{chart_id}-{pattern})"/>')
                if w >= 30:
                    body.append(_text(x + w / 2, y0 + bar / 2 + 5, fmt(share, lang, 0),
                                      anchor="middle", fill="#ffffff", weight="bold", size=12))
            x += w
        nps = shares[2] - shares[0]
        body.append(_text(WIDTH - 8, y0 + bar / 2 + 5, fmt(nps, lang), anchor="end",
                          weight="bold"))
        table_rows.append([label, *(fmt(s, lang) for s in shares), fmt(nps, lang)])
    desc = "; ".join(f"{r[0]}: " + ", ".join(f"{n} {v} %" for n, v in
                                              zip(names, r[1:4], strict=True)) + f", NPS {r[4]}"
                     for r in table_rows)
    svg = _svg(chart_id, title, desc, height, body, _patterns(chart_id))
    table = _table(chart_id, title, ["", *(f"{n} (%)" for n in names), "NPS"], table_rows)
    return Chart(chart_id, svg, table)

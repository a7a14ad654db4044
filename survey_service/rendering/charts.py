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
Colours: each fill has at least 4.5:1 contrast with white (the page, the gaps between
segments and the white labels printed on it); negative answers are hatched, neutral ones
dotted, positive ones plain, and every segment large enough carries its number.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from ..i18n import translations

#: From the most negative answer to the least negative, and from the least positive to the
#: most positive (all at least 4.5:1 against white).
NEGATIVE = ("#7f0000", "#a31515", "#b03a2e")
NEUTRAL = "#595959"
POSITIVE = ("#1f5f99", "#154a7a", "#0b3d6e")
SERIES = ("#0b3d6e", "#a31515", "#2e6b30", "#5b2c83")
INK = "#1a1a1a"
GRID = "#767676"
WIDTH = 640
FONT = 'font-family="inherit" font-size="13"'


@dataclass(frozen=True)
class Chart:
    """One chart: its SVG and the table of its numbers (both safe markup)."""

    id: str
    svg: Markup
    table: Markup

    def __html__(self) -> str:
        return str(self.html)

    @property
    def html(self) -> Markup:
        """The chart and its table side by side, in one ``<figure>``."""
        return Markup('<figure class="chart" id="{0}-figure">{1}{2}</figure>').format(
            self.id, self.svg, self.table)


@dataclass(frozen=True)
class Point:
    """A value with its 95 % CI (either may be missing)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int | None = None


def fmt(value: float | None, lang: str, digits: int = 1) -> str:
    """A number as people read it in ``lang`` (decimal comma in Bulgarian); "–" for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    text = f"{value:.{digits}f}"
    if text.startswith("-"):
        text = "−" + text[1:]
    return text.replace(".", ",") if lang == "bg" else text


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rrggbb``."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def slug(text: str) -> str:
    """An id usable in HTML and SVG (letters, digits, ``-``), unique for distinct inputs."""
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "chart"
    return cleaned if cleaned == text else f"{cleaned}-{zlib.crc32(text.encode()):08x}"


def _svg(chart_id: str, title: str, desc: str, height: int, body: Sequence[str],
         defs: str = "") -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" role="img" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT}>'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>')
    return Markup(head + (f"<defs>{defs}</defs>" if defs else "") + "".join(body) + "</svg>")  # noqa: S704 (escaped)


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK,
          weight: str = "normal", size: int | None = None) -> str:
    extra = f' font-size="{size}"' if size else ""
    bold = ' font-weight="bold"' if weight == "bold" else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{bold}{extra}>'
            f"{escape(text)}</text>")


def _table(chart_id: str, caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]
           ) -> Markup:
    """The chart's numbers: first column row headers, a caption naming the chart."""
    cells = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join(
        "<tr>" + f'<th scope="row">{escape(r[0])}</th>'
        + "".join(f"<td>{escape(c)}</td>" for c in r[1:]) + "</tr>" for r in rows)
    return Markup(  # noqa: S704 (every text escaped)
        f'<div class="table-wrap chart-table" tabindex="0" role="region" '
        f'aria-labelledby="{chart_id}-caption"><table class="table">'
        f'<caption id="{chart_id}-caption">{escape(caption)}</caption>'
        f"<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table></div>")


def _scale(values: Sequence[float | None], low: float | None, high: float | None
           ) -> tuple[float, float]:
    """The axis: the given bounds, or the data's range padded to round numbers."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    lo = low if low is not None else (min([*known, 0.0]) if known else 0.0)
    hi = high if high is not None else (math.ceil(max(known)) if known else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = (hi - lo) / (count - 1)
    return [lo + i * step for i in range(count)]


def trend_chart(chart_id: str, title: str, points: Sequence[Point], *, lang: str,
                low: float | None = None, high: float | None = None, unit: str = ""
                ) -> Chart:
    """An indicator's value per wave with its 95 % CI (dot, whiskers, line, value labels)."""
    _ = translations(lang).gettext
    chart_id = slug(chart_id)
    height, left, right, top, bottom = 260, 56, 24, 24, 48
    bounds = [v for p in points for v in (p.value, p.low, p.high)]
    lo, hi = _scale(bounds, low, high)
    plot_w, plot_h = WIDTH - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    body = []
    ticks = _ticks(lo, hi)
    digits = 0 if all(float(t).is_integer() for t in ticks) else 1
    for tick in ticks:
        body.append(f'<line x1="{left}" x2="{WIDTH - right}" y1="{y(tick):.1f}" '
                    f'y2="{y(tick):.1f}" stroke="{GRID}" stroke-width="0.5" '
                    f'stroke-dasharray="2 3"/>')
        body.append(_text(left - 6, y(tick) + 4, fmt(tick, lang, digits), anchor="end"))
    step = plot_w / max(len(points), 1)
    xs = [left + step * (i + 0.5) for i in range(len(points))]
    line = [(x, p.value) for x, p in zip(xs, points, strict=True) if p.value is not None]
    if len(line) > 1:
        path = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in line)
        body.append(f'<polyline points="{path}" fill="none" stroke="{SERIES[0]}" '
                    f'stroke-width="2"/>')
    for x, p in zip(xs, points, strict=True):
        body.append(_text(x, height - bottom + 20, p.label, anchor="middle"))
        if p.low is not None and p.high is not None:
            body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(p.low):.1f}" '
                        f'y2="{y(p.high):.1f}" stroke="{INK}" stroke-width="1.5"/>')
            for end in (p.low, p.high):
                body.append(f'<line x1="{x - 6:.1f}" x2="{x + 6:.1f}" y1="{y(end):.1f}" '
                            f'y2="{y(end):.1f}" stroke="{INK}" stroke-width="1.5"/>')
        if p.value is None:
            body.append(_text(x, top + plot_h / 2, _("not shown"), anchor="middle"))
            continue
        body.append(f'<circle cx="{x:.1f}" cy="{y(p.value):.1f}" r="5" fill="{SERIES[0]}"/>')
        body.append(_text(x + 10, y(p.value) - 8, fmt(p.value, lang) + unit, weight="bold"))
    described = "; ".join(
        f"{p.label}: {fmt(p.value, lang)}{unit}"
        + (f" ({_('95% CI')} {fmt(p.low, lang)}–{fmt(p.high, lang)})"
           if p.low is not None and p.high is not None else "") for p in points)
    svg = _svg(chart_id, title, described, height, body)
    rows = [[p.label, fmt(p.value, lang), fmt(p.low, lang), fmt(p.high, lang),
             "–" if p.n is None else str(p.n)] for p in points]
    table = _table(chart_id, title, ["", _("value"), _("CI low"), _("CI high"), "n"], rows)
    return Chart(chart_id, svg, table)


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
    series in its own colour and, after the first, hatched; every bar labelled."""
    _ = translations(lang).gettext
    chart_id = slug(chart_id)
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
            body.append(_text(left + w + 4, yb + bar - 4, fmt(v, lang) + unit, size=11))
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

"""What every server-drawn SVG chart is made of: the :class:`Chart` (its SVG and the table
of its numbers), a :class:`Point` with its CI, numbers as people read them, the colours and
their contrast, and the small builders of the ``<svg>``, its ``<text>`` and the table beside
it. The charts themselves are in :mod:`.charts` and :mod:`.trend_chart`."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

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
    """One chart: its SVG and the table of its numbers (both safe markup); ``narrow``, when
    given, is the same chart laid out for a narrow screen (the page's CSS shows one of the
    two: ``.chart-wide`` from 36rem up and in print, ``.chart-narrow`` below)."""

    id: str
    svg: Markup
    table: Markup
    narrow: Markup | None = None

    def __html__(self) -> str:
        return str(self.html)

    @property
    def html(self) -> Markup:
        """The chart and its table side by side, in one ``<figure>``. A chart without a
        narrow layout keeps its drawn size on a narrow screen, in a box that scrolls sideways
        (reached and scrolled with the keyboard, named by the chart's title), rather than
        shrinking its text to half (WCAG 1.4.10 lets a chart need two dimensions)."""
        if self.narrow is not None:
            return Markup('<figure class="chart" id="{0}-figure">{1}{2}{3}</figure>').format(
                self.id, self.svg, self.narrow, self.table)
        return Markup(
            '<figure class="chart" id="{0}-figure"><div class="chart-scroll" tabindex="0" '
            'role="group" aria-labelledby="{0}-title">{1}</div>{2}</figure>'
        ).format(self.id, self.svg, self.table)


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


def svg_root(chart_id: str, title: str, desc: str, height: int, body: Sequence[str],
             defs: str = "", *, width: int = WIDTH, variant: str = "") -> Markup:
    """The ``<svg>`` of a chart (``variant``: ``wide`` or ``narrow`` when it has both)."""
    css = f"chart-svg chart-{variant}" if variant else "chart-svg"
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" '
            f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc" {FONT}>'
            f'<title id="{chart_id}-title">{escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{escape(desc)}</desc>')
    return Markup(head + (f"<defs>{defs}</defs>" if defs else "") + "".join(body) + "</svg>")  # noqa: S704 (escaped)


def svg_text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK,
             weight: str = "normal", size: int | None = None, extra: str = "",
             full: str | None = None) -> str:
    """A ``<text>``; ``extra``: more attributes; ``full``: the whole text, as a ``<title>``
    inside (a tooltip) when ``text`` shows it shortened."""
    if size:
        extra += f' font-size="{size}"'
    bold = ' font-weight="bold"' if weight == "bold" else ""
    tip = f"<title>{escape(full)}</title>" if full is not None and full != text else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}"{bold}{extra}>'
            f"{escape(text)}{tip}</text>")


def numbers_table(chart_id: str, caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]
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


def axis_scale(values: Sequence[float | None], low: float | None, high: float | None
           ) -> tuple[float, float]:
    """The axis: the given bounds, or the data's range padded to round numbers."""
    known = [v for v in values if v is not None and not math.isnan(v)]
    lo = low if low is not None else (min([*known, 0.0]) if known else 0.0)
    hi = high if high is not None else (math.ceil(max(known)) if known else 1.0)
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def axis_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = (hi - lo) / (count - 1)
    return [lo + i * step for i in range(count)]



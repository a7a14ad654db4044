"""An indicator's value per wave with its 95 % CI, legible from 2 to 12 waves and on a phone.

The chart is drawn twice, each laid out for the width it is shown at: 640 units wide for
screens from 36rem and for print, 320 for narrow screens (shown at about 300 px, so its
13-unit text stays about 12 px; the wide one shrunk to a phone's width would print it at 6).
Within a layout, text is placed so that no two labels overlap, judged by their font size and
a generous width per character (:func:`text_width`):

* the waves' names, when they do not fit side by side, lose the part they all share
  (``demo-citizen-baseline``, ``demo-citizen-follow-up``: ``baseline``, ``follow-up``); when
  they still do not fit they are turned 45°, shortened with "…" where they would leave the
  chart, and when even turned they would touch, only every k-th is written (always the last wave's);
* each value is written centred above its CI, every k-th when they would not fit.

Whatever is shortened or left out stays whole in the table beside the chart, in the
chart's ``<desc>`` and in a ``<title>`` on the label (a tooltip).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from ..i18n import translations
from .chart_base import (
    GRID,
    INK,
    SERIES,
    WIDTH,
    Chart,
    Point,
    axis_scale,
    axis_ticks,
    fmt,
    numbers_table,
    slug,
    svg_root,
    svg_text,
)

#: The font size of the chart's text (``FONT``), in the SVG's units.
SIZE = 13
#: A character's advance in em, generous for the page's sans-serif (Latin and Cyrillic, digits
#: narrower), and for bold text; the height a line of text needs, in em.
EM, EM_BOLD, LINE = 0.62, 0.68, 1.3
NARROW = 320
SIN45 = math.sqrt(0.5)
SEPARATORS = "-_ ./"
#: A white outline behind a value, so that the line drawn under it does not cross its digits.
HALO = ' stroke="#ffffff" stroke-width="3" paint-order="stroke"'


def text_width(text: str, bold: bool = False) -> float:
    """The width ``text`` takes at :data:`SIZE` (an upper estimate)."""
    return len(text) * SIZE * (EM_BOLD if bold else EM)


def _shorten(text: str, width: float) -> str:
    """``text`` cut with "…" to at most ``width`` units."""
    fits = max(int(width // (SIZE * EM)), 1)
    return text if len(text) <= fits else text[: fits - 1] + "…"


def _common_start(texts: Sequence[str]) -> str:
    """The longest beginning all ``texts`` share, character by character."""
    first, last = min(texts), max(texts)  # whatever the others share, these two share
    size = next((i for i, (a, b) in enumerate(zip(first, last, strict=False))
                 if a != b),
                min(len(first), len(last)))
    return first[:size]


def shared_part_removed(labels: Sequence[str]) -> list[str]:
    """The labels without the beginning and end they all share, cut at a separator (``-``,
    ``_``, space, ``.``, ``/``); unchanged when that would leave a label empty."""
    if len(labels) < 2:
        return list(labels)
    common = _common_start(labels)
    ending = _common_start([label[::-1] for label in labels])
    head = max((i + 1 for i, c in enumerate(common) if c in SEPARATORS), default=0)
    tail = max((i + 1 for i, c in enumerate(ending) if c in SEPARATORS), default=0)
    out = [label[head: len(label) - tail] for label in labels]
    if all(o.strip(SEPARATORS) for o in out) and head + tail < min(map(len, labels)):
        return [o.strip(SEPARATORS) for o in out]
    return list(labels)


def _every(need: float, room: float) -> int:
    """Write every k-th of a row of labels, k the least that gives each ``need`` units."""
    return max(1, math.ceil(need / room - 1e-9)) if room > 0 else 1


def _shown(count: int, every: int) -> set[int]:
    """Which of ``count`` labels are written: the last, and every ``every``-th before it."""
    return set(range(count - 1, -1, -every))


@dataclass(frozen=True)
class _Frame:
    width: int
    left: int
    right: int
    plot_h: int


WIDE_FRAME = _Frame(WIDTH, 56, 24, 188)
NARROW_FRAME = _Frame(NARROW, 48, 12, 160)


def _layout(frame: _Frame, chart_id: str, title: str, desc: str, points: Sequence[Point],
            lang: str, lo: float, hi: float, unit: str, variant: str) -> Markup:
    _ = translations(lang).gettext
    top, n = 24, len(points)
    plot_w = frame.width - frame.left - frame.right
    step = plot_w / max(n, 1)
    xs = [frame.left + step * (i + 0.5) for i in range(n)]
    full = [p.label for p in points]
    names = full
    if any(text_width(name) > step - 6 for name in names):
        names = shared_part_removed(full)
    turned = any(text_width(name) > step - 6 for name in names)
    if turned:  # at 45°, down to the left of the tick, never past the chart's left edge
        names = [_shorten(name, x / SIN45 - 4) for name, x in zip(names, xs, strict=True)]
        every = _every(SIZE * LINE, step * SIN45)
        below = 12 + (max(map(text_width, names)) + SIZE) * SIN45
    else:
        every, below = _every(max(map(text_width, names), default=0) + 6, step), 26.0
    bottom = math.ceil(below) + 6
    height = top + frame.plot_h + bottom

    def y(v: float) -> float:
        return top + frame.plot_h * (1 - (v - lo) / (hi - lo))

    body = []
    ticks = axis_ticks(lo, hi)
    digits = 0 if all(float(t).is_integer() for t in ticks) else 1
    for tick in ticks:
        body.append(f'<line x1="{frame.left}" x2="{frame.width - frame.right}" '
                    f'y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}" '
                    f'stroke-width="0.5" stroke-dasharray="2 3"/>')
        body.append(svg_text(frame.left - 6, y(tick) + 4, fmt(tick, lang, digits),
                             anchor="end"))
    line = [(x, p.value) for x, p in zip(xs, points, strict=True) if p.value is not None]
    if len(line) > 1:
        path = " ".join(f"{x:.1f},{y(v):.1f}" for x, v in line)
        body.append(f'<polyline points="{path}" fill="none" stroke="{SERIES[0]}" '
                    f'stroke-width="2"/>')
    base = top + frame.plot_h + 14
    for i in sorted(_shown(n, every)):
        x = xs[i]
        spin = f' transform="rotate(-45 {x:.1f} {base:.1f})"' if turned else ""
        body.append(svg_text(x, base + (0 if turned else 6), names[i],
                             anchor="end" if turned else "middle",
                             extra=f' class="x-label"{spin}', full=full[i]))
    values = [fmt(p.value, lang) + unit for p in points]
    value_every = _every(max(map(lambda v: text_width(v, True), values), default=0) + 4, step)
    missing = _("not shown")
    for i, (x, p) in enumerate(zip(xs, points, strict=True)):
        if p.low is not None and p.high is not None:
            body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y(p.low):.1f}" '
                        f'y2="{y(p.high):.1f}" stroke="{INK}" stroke-width="1.5"/>')
            for end in (p.low, p.high):
                body.append(f'<line x1="{x - 6:.1f}" x2="{x + 6:.1f}" y1="{y(end):.1f}" '
                            f'y2="{y(end):.1f}" stroke="{INK}" stroke-width="1.5"/>')
        if p.value is None:
            shown = missing if text_width(missing) <= step - 4 else "–"
            body.append(svg_text(x, top + frame.plot_h / 2, shown, anchor="middle",
                                 extra=' class="value-label"', full=missing))
            continue
        body.append(f'<circle cx="{x:.1f}" cy="{y(p.value):.1f}" r="5" fill="{SERIES[0]}"/>')
        if i in _shown(n, value_every):
            above = y(p.high) - 6 if p.high is not None and p.low is not None else (
                y(p.value) - 9)
            body.append(svg_text(x, above, values[i], anchor="middle", weight="bold",
                                 extra=f' class="value-label"{HALO}'))
    suffix = "" if variant == "wide" else "-narrow"
    return svg_root(chart_id + suffix, title, desc, height, body, width=frame.width,
                    variant=variant)


def trend_chart(chart_id: str, title: str, points: Sequence[Point], *, lang: str,
                low: float | None = None, high: float | None = None, unit: str = ""
                ) -> Chart:
    """An indicator's value per wave with its 95 % CI (dot, whiskers, line, value labels),
    laid out for wide and for narrow screens (:class:`Chart` ``svg`` and ``narrow``)."""
    _ = translations(lang).gettext
    chart_id = slug(chart_id)
    lo, hi = axis_scale([v for p in points for v in (p.value, p.low, p.high)], low, high)
    described = "; ".join(
        f"{p.label}: {fmt(p.value, lang)}{unit}"
        + (f" ({_('95% CI')} {fmt(p.low, lang)}–{fmt(p.high, lang)})"
           if p.low is not None and p.high is not None else "") for p in points)
    wide, narrow = (
        _layout(frame, chart_id, title, described, points, lang, lo, hi, unit, variant)
        for frame, variant in ((WIDE_FRAME, "wide"), (NARROW_FRAME, "narrow")))
    rows = [[p.label, fmt(p.value, lang), fmt(p.low, lang), fmt(p.high, lang),
             "–" if p.n is None else str(p.n)] for p in points]
    table = numbers_table(chart_id, title, ["", _("value"), _("CI low"), _("CI high"), "n"],
                          rows)
    return Chart(chart_id, wide, table, narrow)

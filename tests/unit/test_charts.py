"""The SVG charts: text stays text, each has its title, description and table, colours
contrast with white, and the numbers drawn are the numbers given."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pytest

from survey_service.rendering.charts import (
    NEGATIVE,
    NEUTRAL,
    POSITIVE,
    SERIES,
    Chart,
    Point,
    contrast,
    diverging_chart,
    nps_chart,
    profile_chart,
    trend_chart,
)

SVG = "{http://www.w3.org/2000/svg}"


def charts(lang: str) -> list[Chart]:
    return [
        trend_chart("trend", "Удовлетвореност", [Point("база", 61.25, 55.0, 67.5, 120),
                                                  Point("след", 70.5, 65.1, 75.9, 130),
                                                  Point("2027", None)], lang=lang,
                    low=0, high=100),
        profile_chart("profile", "Профил", ["Достъп", "Персонал <&>"], ["база", "след"],
                      [[60.0, 70.0], [65.5, None]], lang=lang),
        diverging_chart("items", "Отговори", [("q1", [1, 2, 3, 4, 10]), ("q2", [0, 0, 0, 0, 0])],
                        ["1", "2", "3", "4", "5"], lang=lang),
        nps_chart("nps", "NPS", [("база", 30.0, 30.0, 40.0), ("след", 20.0, 30.0, 50.0)],
                  lang=lang),
    ]


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_every_chart_is_an_accessible_image_with_text_and_a_table(lang: str) -> None:
    for chart in charts(lang):
        root = ET.fromstring(str(chart.svg))
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None and desc is not None and desc.text
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        texts = [t.text for t in root.iter(f"{SVG}text")]
        assert texts and all(texts)
        assert not list(root.iter(f"{SVG}path"))  # no text turned into outlines
        html = str(chart.html)
        assert html.index("</svg>") < html.index("<table")  # the table right beside it
        ET.fromstring(html.replace("&nbsp;", " "))  # well-formed markup


def test_the_numbers_drawn_are_in_the_text_the_description_and_the_table() -> None:
    trend, profile, items, _ = charts("bg")
    assert "61,2" in trend.svg or "61,3" in trend.svg
    assert "70,5" in str(trend.table) and "75,9" in str(trend.table)
    assert "Персонал &lt;&amp;&gt;" in profile.svg  # escaped
    # q1: 10 of 20 answered 5 -> 50 %; q2 has no answers
    assert "50,0" in str(items.table) and "<td>–</td>" in str(items.table)
    nps_en = nps_chart("n", "NPS", [("w", 20.0, 30.0, 50.0)], lang="en")
    assert "30.0" in str(nps_en.table) and ">30.0<" in nps_en.svg  # NPS = 50 - 20


def test_colours_contrast_with_white_and_white_labels() -> None:
    for colour in (*NEGATIVE, NEUTRAL, *POSITIVE, *SERIES):
        assert contrast(colour, "#ffffff") >= 4.5, colour


def test_ids_are_safe_and_unique() -> None:
    a = trend_chart("a b", "t", [Point("x", 1.0)], lang="en")
    b = trend_chart("a-b", "t", [Point("x", 1.0)], lang="en")
    assert a.id != b.id and " " not in a.id


# ---------------------------------------------------------------- labels of a long trend
SIZE = 13  # the charts' font size (FONT)
WIDTH_EM = {"normal": 0.6, "bold": 0.66}  # a character's advance in em, sans-serif


def _box(text: ET.Element) -> list[tuple[float, float]]:
    """The corners of a ``<text>``'s box from its position, anchor, rotation and font size
    (the shown text only: a ``<title>`` inside is a tooltip)."""
    size = float(text.get("font-size", SIZE))
    width = len(text.text or "") * size * WIDTH_EM[text.get("font-weight", "normal")]
    x, y = float(text.get("x", 0)), float(text.get("y", 0))
    start = {"start": 0.0, "middle": -width / 2, "end": -width}[text.get("text-anchor", "start")]
    corners = [(x + start, y - 0.9 * size), (x + start + width, y - 0.9 * size),
               (x + start + width, y + 0.3 * size), (x + start, y + 0.3 * size)]
    spin = re.fullmatch(r"rotate\((-?[\d.]+) ([\d.]+) ([\d.]+)\)", text.get("transform", ""))
    if not spin:
        return corners
    angle, cx, cy = (float(g) for g in spin.groups())
    a = math.radians(angle)
    return [(cx + (px - cx) * math.cos(a) - (py - cy) * math.sin(a),
             cy + (px - cx) * math.sin(a) + (py - cy) * math.cos(a)) for px, py in corners]


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    """Two convex boxes overlap unless an edge's normal separates them."""
    for poly in (a, b):
        for (x1, y1), (x2, y2) in zip(poly, poly[1:] + poly[:1], strict=True):
            nx, ny = y2 - y1, x1 - x2
            pa = [nx * x + ny * y for x, y in a]
            pb = [nx * x + ny * y for x, y in b]
            if max(pa) <= min(pb) or max(pb) <= min(pa):
                return False
    return True


def _labels(svg: str, css: str) -> tuple[list[ET.Element], tuple[float, float]]:
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in str(root.get("viewBox")).split())
    return [t for t in root.iter(f"{SVG}text") if css in t.get("class", "")], (width, height)


WAVES_12 = [f"demo-citizen-{name}" for name in
            ("baseline", "follow-up", *(f"annual-{year}" for year in range(2028, 2038)))]


@pytest.mark.parametrize("labels", [WAVES_12, [f"2026-{m:02d}" for m in range(1, 13)],
                                    ["базово", "проследяване", *(f"годишно {y}" for y in
                                                                range(2028, 2038))]])
def test_a_trend_over_12_waves_has_labels_that_do_not_overlap(labels: list[str]) -> None:
    points = [Point(label, 50.0 + i % 3, 45.0 + i % 3, 55.0 + i % 3, 100 + i)
              for i, label in enumerate(labels)]
    points[4] = Point(labels[4], None)
    chart = trend_chart("t", "Удовлетвореност", points, lang="bg", low=0, high=100)
    assert chart.narrow is not None
    for svg, wide in ((chart.svg, 640), (chart.narrow, 320)):
        texts, (width, height) = _labels(str(svg), "label")
        assert width <= wide  # the narrow one is shown at about its own size on a phone
        xs = [t for t in texts if "x-label" in t.get("class", "")]
        assert len(xs) >= 4
        boxes = [_box(t) for t in texts]
        for i, a in enumerate(boxes):  # inside the chart and clear of each other
            assert all(-1 <= x <= width + 1 and -1 <= y <= height + 1 for x, y in a), (
                texts[i].text, a)
            for j in range(i):
                assert not _overlap(a, boxes[j]), (texts[i].text, texts[j].text)
        names = []  # a shortened label keeps its whole name as its tooltip
        for t in xs:
            tip = t.find(f"{SVG}title")
            names.append(tip.text if tip is not None else t.text)
        assert set(names) <= set(labels) and names[-1] == labels[-1]  # the last wave named
    table = str(chart.table)
    assert all(f'<th scope="row">{label}</th>' in table for label in labels)  # names whole


def test_a_short_trend_keeps_its_labels_as_they_are() -> None:
    chart = trend_chart("t", "T", [Point("demo-citizen-baseline", 60.0, 55.0, 65.0),
                                   Point("demo-citizen-follow-up", 70.0, 65.0, 75.0)],
                        lang="en", low=0, high=100)
    texts, _ = _labels(str(chart.svg), "x-label")
    assert [t.text for t in texts] == ["demo-citizen-baseline", "demo-citizen-follow-up"]
    assert all("transform" not in t.attrib for t in texts)
    values, _ = _labels(str(chart.svg), "value-label")
    assert [v.text for v in values] == ["60.0", "70.0"]


def test_a_profile_of_more_waves_than_colours_names_the_wave_on_every_bar() -> None:
    """The four colours repeat from the fifth wave on, so a bar is never told by its colour
    alone: each value says its wave (without the part all the names share), and stays
    inside the drawing when the bar is long."""
    waves = [f"citizen-{year}-annual" for year in range(2015, 2027)]
    values = [[40.0 + 5 * i, 100.0 if i == 11 else None] for i in range(12)]
    chart = profile_chart("profile", "Profile", ["Access", "Staff"], waves, values, lang="en")
    root = ET.fromstring(str(chart.svg))
    width = float(root.get("viewBox", "0 0 640 0").split()[2])
    drawn = [t for t in root.iter(f"{SVG}text") if t.text and ": " in t.text]
    assert [t.text for t in drawn] == [f"{2015 + i}: {40.0 + 5 * i:.1f}" for i in range(12)] \
        + ["2026: 100.0"]
    for t in drawn:
        x, size = float(t.get("x", "0")), float(t.get("font-size", "13"))
        extent = len(t.text or "") * size * 0.62
        start = x - extent if t.get("text-anchor") == "end" else x
        assert 0 <= start and start + extent <= width, t.text
    few = profile_chart("p2", "P", ["Access"], waves[:4], [[50.0]] * 4, lang="en")
    assert not [t for t in ET.fromstring(str(few.svg)).iter(f"{SVG}text")
                if t.text and ": " in t.text]  # up to four waves: colours and legend suffice

"""The SVG charts: text stays text, each has its title, description and table, colours
contrast with white, and the numbers drawn are the numbers given."""

from __future__ import annotations

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

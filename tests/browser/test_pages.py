"""Every respondent page (``pages.PAGES``), in Bulgarian and in English, in Chromium.

For each: no WCAG 2.0/2.1 A or AA violation found by axe-core; ``lang`` declared; a title that
starts with "Грешка:" / "Error:" exactly when the page reports errors, and then an error summary
that has focus; no horizontal scrolling at 320 CSS px nor at 200 % zoom, with screenshots at 1280
and 320 px kept in ``test-output/screenshots/``; a visible focus on every element the keyboard
reaches; the Nu Html Checker finds no error in any page; form pages weigh at most 30 KB with
their CSS and JavaScript.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.browser.checks import (
    axe_violations,
    horizontal_overflow,
    overflowing_elements,
    tab_cycle,
    unfocused_png,
)
from tests.browser.conftest import HTML_OUT, SCREENSHOTS, VNU_JAR, Session, Sessions
from tests.browser.pages import CASE_IDS, CASES, ERROR_PREFIX, PAGES, Case, reach

pytestmark = pytest.mark.browser

#: Largest uncompressed HTML + CSS + JS of a form page (the issue's budget), in bytes.
FORM_PAGE_BUDGET = 30_000


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    """The HTML of each page as the server sent it, by case and language."""
    return {}


@pytest.mark.parametrize(("case", "lang"), CASES, ids=CASE_IDS)
def test_page_is_accessible_and_reflows(
    session: Session,
    axe_source: str,
    output: Path,
    sources: dict[str, str],
    case: Case,
    lang: str,
) -> None:
    """axe-core, ``lang``, title, error summary and reflow of one page; every problem found is
    reported at once. The page as sent is kept for the Nu Html Checker below."""
    page = session.page
    response = reach(session, case, lang)
    sources[f"{case.name}-{lang}"] = response.text()
    problems: dict[str, Any] = {}

    violations = axe_violations(page, axe_source)
    if violations:
        problems["axe"] = violations

    if page.evaluate("document.documentElement.lang") != lang:
        problems["lang"] = page.evaluate("document.documentElement.lang")
    other = "en" if lang == "bg" else "bg"
    switches = [s.get_attribute("lang") for s in page.locator(".lang").all()]
    if any(s != other for s in switches):
        problems["language switch lang"] = switches
    title = page.title()
    if title.startswith(ERROR_PREFIX[lang]) != case.errors:
        problems["title"] = title
    if page.locator("h1").count() != 1:
        problems["h1"] = page.locator("h1").all_inner_texts()
    summary = page.locator("#error-summary")
    if case.errors:
        if not summary.is_visible() or summary.locator("a").count() == 0:
            problems["error summary"] = "missing or without links"
        elif page.evaluate("document.activeElement.id") != "error-summary":
            problems["error summary focus"] = page.evaluate(
                "document.activeElement.tagName + '#' + document.activeElement.id"
            )
    elif summary.count():
        problems["error summary"] = "shown on a page without errors"

    page.screenshot(path=SCREENSHOTS / f"{case.name}-{lang}-1280.png", full_page=True)
    for width, height in ((640, 400), (320, 640)):  # 1280 px at 200 %, and 320 px
        page.set_viewport_size({"width": width, "height": height})
        if horizontal_overflow(page) > 0:
            problems[f"scrolls sideways at {width} px"] = overflowing_elements(page)
    page.screenshot(path=SCREENSHOTS / f"{case.name}-{lang}-320.png", full_page=True)

    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("case", PAGES, ids=[c.name for c in PAGES])
def test_keyboard_focus_is_always_visible(session: Session, case: Case) -> None:
    """Every element Tab reaches comes into view and looks different while it has focus (its
    part of the screen changes), with an outline of at least 2 px or a coloured background
    (GOV.UK's yellow focus)."""
    page = session.page
    reach(session, case, "bg")
    stops = tab_cycle(page)
    if not stops:
        assert page.locator("a[href], button:not([hidden]), input:not([type=hidden])").count() == 0
    unfocused = {id(stop): unfocused_png(page, stop) for stop in stops}  # nothing focused now
    problems = []
    for stop in stops:
        name = f"{stop['tag']}#{stop['id']}[{stop['name']}={stop['value']}] {stop['text']!r}"
        style = stop["style"]
        outline = (
            style["outlineStyle"] != "none"
            and style["outlineWidth"] >= 2
            and not re.fullmatch(r"rgba\(.*, 0\)", style["outlineColor"])
        )
        if not stop["inViewport"]:
            problems.append(f"{name}: focused but out of view")
        elif stop["focused_png"] == unfocused[id(stop)]:
            problems.append(f"{name}: looks the same with and without focus")
        elif not outline and style["background"] in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"):
            problems.append(f"{name}: no outline of 2 px or more, no focus background: {style}")
    assert problems == []


def test_form_pages_are_light(session: Session) -> None:
    """HTML + CSS + JavaScript of every form page, uncompressed, within 30 KB."""
    page = session.page
    weights = {}
    for case, lang in CASES:
        if not case.form:
            continue
        response = reach(session, case, lang)
        sizes = {"html": len(response.body())}
        for url in page.evaluate(
            """() => [...document.querySelectorAll('link[rel=stylesheet], script[src]')]
                     .map(e => e.href || e.src)"""
        ):
            sizes[url.removeprefix(session.base)] = len(session.context.request.get(url).body())
        weights[f"{case.name}-{lang}"] = sizes
    heaviest = max(weights.items(), key=lambda item: sum(item[1].values()))
    print(f"heaviest form page: {heaviest[0]}, {sum(heaviest[1].values())} bytes: {heaviest[1]}")
    too_heavy = {k: v for k, v in weights.items() if sum(v.values()) > FORM_PAGE_BUDGET}
    assert too_heavy == {}


def test_every_page_is_valid_html(
    sessions: Sessions, sources: dict[str, str], output: Path
) -> None:
    """The Nu Html Checker (vnu.jar), run once over every page (and the stylesheets), finds no
    error. Pages the tests above did not already fetch are fetched here."""
    session = sessions.open()
    for case, lang in CASES:
        name = f"{case.name}-{lang}"
        if name not in sources:
            sources[name] = reach(session, case, lang).text()
    for old in HTML_OUT.glob("*"):
        old.unlink()
    files = []
    for name, html in sorted(sources.items()):
        path = HTML_OUT / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files.append(path)
    for sheet in ("site.css", "paper.css", "admin.css", "leaflet.css", "results.css",
                  "report.css"):
        path = HTML_OUT / sheet
        path.write_bytes(session.context.request.get(f"{session.base}/static/{sheet}").body())
        files.append(path)
    run = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--also-check-css", "--format", "json"]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{re.sub(r'^.*/', '', m.get('url', ''))}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m["type"] != "info"
    ]
    assert errors == [], "\n".join(errors)
    assert run.returncode == 0, run.stderr[-2000:]


def test_every_page_is_listed_once() -> None:
    assert len({c.name for c in PAGES}) == len(PAGES)

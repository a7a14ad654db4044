"""The report pages print cleanly (no navigation, form or links to download; nothing wider
than the page) and their PDF download is a PDF with the page's Bulgarian text; a trend and a
breakdown by a question are chosen with the plain form (no JavaScript) in both languages; the
public results page shows each municipality's charts, each with its table."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Session
from tests.browser.pages import DEMO, LANGS, PAGES, REPORT, reach, sign_in

pytestmark = pytest.mark.browser
REPORTS = [c for c in PAGES if c.name in ("admin-report-compare", "admin-report-wave",
                                          "admin-report-groups", "admin-report-trend",
                                          "admin-report-trend-groups", "admin-report-question")]
CHARTED = [*REPORTS, next(c for c in PAGES if c.name == "results")]


def _charts_have_tables(session: Session) -> int:
    charts = session.page.locator("figure.chart")
    for i in range(charts.count()):
        figure = charts.nth(i)
        svg = figure.locator("svg[role=img]:visible")  # a trend also has its narrow layout
        assert svg.count() == 1
        assert svg.locator("> title").count() == 1
        assert svg.locator("> desc").count() == 1
        assert svg.locator("text").count() >= 1  # text stays text
        assert figure.locator("table caption").count() == 1
    return charts.count()


#: Per chart shown: the size its text is drawn at (px), and how many pairs of its wave
#: names and values touch, as the browser laid them out in the page's own font (each label's
#: box in its own frame, turned with it onto the page; two boxes touch unless an edge of one
#: of them separates them).
LABELS_JS = """() => {
  const corners = t => {
    const b = t.getBBox(), m = t.getScreenCTM();
    return [[b.x, b.y], [b.x + b.width, b.y], [b.x + b.width, b.y + b.height],
            [b.x, b.y + b.height]].map(([x, y]) => [m.a * x + m.c * y + m.e,
                                                    m.b * x + m.d * y + m.f]);
  };
  const apart = (p, q) => [p, q].some(poly => poly.some((a, i) => {
    const b = poly[(i + 1) % 4], nx = b[1] - a[1], ny = a[0] - b[0];
    const on = s => s.map(([x, y]) => nx * x + ny * y);
    const sp = on(p), sq = on(q);
    return Math.max(...sp) <= Math.min(...sq) + 0.5 || Math.max(...sq) <= Math.min(...sp) + 0.5;
  }));
  return [...document.querySelectorAll('svg.chart-svg')]
    .filter(svg => svg.getBoundingClientRect().width > 0)
    .map(svg => {
      const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      const boxes = [...svg.querySelectorAll('text.x-label, text.value-label')].map(corners);
      let touching = 0;
      boxes.forEach((p, i) => boxes.slice(0, i).forEach(q => { if (!apart(p, q)) touching++; }));
      return [13 * scale, touching, boxes.length, svg.id || svg.querySelector('title').id];
    });
}"""


@pytest.mark.parametrize("case", REPORTS, ids=[c.name for c in REPORTS])
def test_a_report_page_prints_cleanly(session: Session, case: object) -> None:
    page = session.page
    reach(session, case, "bg")  # type: ignore[arg-type]
    assert _charts_have_tables(session) >= 1
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1046, "height": 740})  # A4 landscape less its margins
    for hidden in (".admin-nav", ".report-form", ".downloads", ".footer"):
        assert not page.locator(hidden).first.is_visible(), hidden
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0


@pytest.mark.parametrize("case", CHARTED, ids=[c.name for c in CHARTED])
@pytest.mark.parametrize("lang", LANGS)
def test_every_chart_has_its_table(session: Session, case: object, lang: str) -> None:
    reach(session, case, lang)  # type: ignore[arg-type]
    assert _charts_have_tables(session) >= 2


@pytest.mark.parametrize("lang", LANGS)
def test_a_trend_by_a_question_is_chosen_with_the_form(session: Session, lang: str) -> None:
    """Keyboard and labels only: tick the waves, choose the question, send."""
    page = session.page
    sign_in(session, "root")
    page.goto(session.base + REPORT + ("?lang=en" if lang == "en" else ""))
    for wave in (f"{DEMO}-baseline", f"{DEMO}-follow-up"):
        page.locator(f'input[name=trend][value="{wave}"]').focus()
        page.keyboard.press("Space")
    by = page.get_by_label("Broken down by" if lang == "en" else "С разбивка по")
    by.select_option("question:respondent_type")
    page.get_by_label("Organisation" if lang == "en" else "Организация").select_option("elena")
    with page.expect_navigation():
        page.locator(".report-form button[type=submit]").press("Enter")
    assert "trend=" in page.url and "by=question%3Arespondent_type" in page.url
    heading = page.locator("#s-groups")
    assert heading.is_visible()
    assert _charts_have_tables(session) >= 1
    # the form keeps the choice
    assert page.locator(f'input[name=trend][value="{DEMO}-baseline"]').is_checked()
    assert by.input_value() == "question:respondent_type"


@pytest.mark.parametrize(("name", "width"), [("admin-report-trend", 320),
                                             ("admin-report-trend", 1280), ("results", 320)])
def test_the_trend_charts_are_legible_on_a_phone_and_a_desktop(session: Session, name: str,
                                                               width: int) -> None:
    """The trend's charts show the layout made for the screen's width: text at 11 px or
    more, no two wave names or values touching (12 waves: tests/unit/test_charts.py)."""
    session.page.set_viewport_size({"width": width, "height": 800})
    reach(session, next(c for c in PAGES if c.name == name), "bg")
    charts = session.page.evaluate(LABELS_JS)
    trends = [c for c in charts if c[2]]
    assert trends, charts
    for size, touching, *_ in trends:
        assert size >= 11 and touching == 0, (width, size, touching)


@pytest.mark.parametrize("case", CHARTED, ids=[c.name for c in CHARTED])
def test_every_chart_is_legible_on_a_phone(session: Session, case: object) -> None:
    """At 320 px each chart is drawn for the width (the trend's) or keeps its size in a box
    that scrolls sideways by keyboard: text at 11 px or more, the page itself not wider."""
    page = session.page
    page.set_viewport_size({"width": 320, "height": 800})
    reach(session, case, "bg")  # type: ignore[arg-type]
    charts = page.evaluate(LABELS_JS)
    assert charts
    assert all(c[0] >= 11 for c in charts), [c for c in charts if c[0] < 11]
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    boxes = page.locator(".chart-scroll")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if not box.is_visible():
            continue
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("b => b.scrollLeft > 0", arg=box.element_handle())


def test_the_pdf_download_is_a_pdf(session: Session) -> None:
    case = next(c for c in PAGES if c.name == "admin-report-compare")
    reach(session, case, "bg")
    link = session.page.locator(".downloads a[href*='report.pdf']")
    response = session.context.request.get(session.base + str(link.get_attribute("href")),
                                           timeout=120_000)  # Chromium prints it
    assert response.status == 200 and response.body().startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"

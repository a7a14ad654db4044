"""The report pages print cleanly (no navigation, form or links to download; nothing wider
than the page) and their PDF download is a PDF with the page's Bulgarian text."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Session
from tests.browser.pages import PAGES, reach

pytestmark = pytest.mark.browser
REPORTS = [c for c in PAGES if c.name in ("admin-report-compare", "admin-report-wave",
                                          "admin-report-groups")]


@pytest.mark.parametrize("case", REPORTS, ids=[c.name for c in REPORTS])
def test_a_report_page_prints_cleanly(session: Session, case: object) -> None:
    page = session.page
    reach(session, case, "bg")  # type: ignore[arg-type]
    charts = page.locator("figure.chart")
    assert charts.count() >= 1
    for i in range(charts.count()):
        figure = charts.nth(i)
        assert figure.locator("svg[role=img] > title").count() == 1
        assert figure.locator("svg[role=img] > desc").count() == 1
        assert figure.locator("table caption").count() == 1
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 1046, "height": 740})  # A4 landscape less its margins
    for hidden in (".admin-nav", ".report-form", ".downloads", ".footer"):
        assert not page.locator(hidden).first.is_visible(), hidden
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0


def test_the_pdf_download_is_a_pdf(session: Session) -> None:
    case = next(c for c in PAGES if c.name == "admin-report-compare")
    reach(session, case, "bg")
    link = session.page.locator(".downloads a[href*='report.pdf']")
    response = session.context.request.get(session.base + str(link.get_attribute("href")),
                                           timeout=120_000)  # Chromium prints it
    assert response.status == 200 and response.body().startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"

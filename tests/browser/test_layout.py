"""Layout at 320 CSS px (issue 8): the content does not touch the header, the last button does
not sit on the footer's line, and an invitation code is never broken at a hyphen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Sessions
from tests.browser.pages import FORM

pytestmark = pytest.mark.browser

#: Space between the header and the first thing in <main>, and between the last button of
#: <main> and the footer, in CSS px.
GAPS = """() => {
  const header = document.querySelector('header').getBoundingClientRect();
  const footer = document.querySelector('footer').getBoundingClientRect();
  const first = document.querySelector('main > *').getBoundingClientRect();
  const buttons = [...document.querySelectorAll('main .button')];
  const last = buttons[buttons.length - 1].getBoundingClientRect();
  return {top: first.top - header.bottom, bottom: footer.top - last.bottom};
}"""


@pytest.mark.parametrize("path", [FORM, FORM + "&lang=en", "/staff", "/staff?lang=en"])
def test_content_keeps_clear_of_header_and_footer_at_320_px(sessions: Sessions, path: str) -> None:
    session = sessions.open(viewport={"width": 320, "height": 640})
    session.goto(path)
    gaps = session.page.evaluate(GAPS)
    assert gaps["top"] >= 12 and gaps["bottom"] >= 16, gaps


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_the_code_example_stays_on_one_line_at_320_px(sessions: Sessions, lang: str) -> None:
    session = sessions.open(viewport={"width": 320, "height": 640})
    session.goto(f"/staff?lang={lang}")
    example = session.page.locator("#code-hint .nowrap")
    assert example.inner_text() == "ABCD-EFGH-JKMN-PQ"
    lines = example.evaluate("e => e.getClientRects().length")
    assert lines == 1

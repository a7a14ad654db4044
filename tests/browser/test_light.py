"""Light pages: nothing is fetched from anywhere but the server, and on a slow mobile link
(400 ms round trip, 400 kbit/s each way, emulated through the Chrome DevTools Protocol) the
first question is on screen within 2 s. Page weight: ``test_pages.test_form_pages_are_light``.
Every browser test also fails if any request leaves the server's origin (``Sessions.close``)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Session, Sessions
from tests.browser.pages import FORM, submit
from tests.conftest import FULL_ANSWERS

pytestmark = pytest.mark.browser

SLOW_LINK = {
    "offline": False,
    "latency": 400,  # ms, request sent to response headers received: one round trip
    "downloadThroughput": 400_000 / 8,  # bytes per second
    "uploadThroughput": 400_000 / 8,
}

#: Injected before the page's own scripts: the time (performance.now(), from the start of the
#: navigation) of the first frame painted after the first question is laid out with the site's
#: stylesheet and inside the viewport.
FIRST_QUESTION_PROBE = """(() => {
  const shown = () => {
    const q = document.querySelector('#survey .group, #survey .matrix');
    const sheet = /[/]static[/]site[.][0-9a-f]{12}[.]css$/;
    const styled = [...document.styleSheets].some(s => sheet.test(s.href || ''));
    if (!q || !styled) return false;
    const r = q.getBoundingClientRect();
    return r.height > 0 && r.top < window.innerHeight;
  };
  const watch = () => {
    if (shown()) {
      requestAnimationFrame(() => { window.__firstQuestionShown = performance.now(); });
    } else {
      requestAnimationFrame(watch);
    }
  };
  requestAnimationFrame(watch);
})();"""


def first_question_ms(session: Session) -> float:
    """Open the form over the slow link in a fresh context (nothing cached)."""
    page = session.page
    cdp = session.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_LINK)
    page.add_init_script(FIRST_QUESTION_PROBE)
    page.goto(session.base + FORM, wait_until="commit")
    page.wait_for_function("() => window.__firstQuestionShown !== undefined", timeout=15_000)
    return float(page.evaluate("window.__firstQuestionShown"))


def test_first_question_is_visible_within_2_s_on_a_slow_link(sessions: Sessions) -> None:
    """Timed inside the page, so the test machine's own speed hardly counts; one retry, as
    any timing can meet a hiccup on a busy machine."""
    times = []
    for _ in range(2):
        times.append(first_question_ms(sessions.open(viewport={"width": 412, "height": 915})))
        if times[-1] < 2000:
            break
    print(f"first question shown after {times} ms on the slow link")
    assert times[-1] < 2000, times


def test_a_whole_journey_fetches_only_the_page_and_its_stylesheet(session: Session) -> None:
    page = session.page
    session.goto(FORM)
    for _ in range(6):
        submit(page, FULL_ANSWERS)
        if "/thanks" in page.url:
            break
    assert "/thanks" in page.url
    paths = {u.removeprefix(session.base).split("?")[0] for u in session.requested}
    sheets = {p for p in paths if re.fullmatch(r"/static/site\.[0-9a-f]{12}\.css", p)}
    assert len(sheets) == 1  # fetched once, under its content-hashed name
    assert paths - sheets == {"/s/citizen-satisfaction", "/s/citizen-satisfaction/thanks"}
    assert session.foreign_requests() == []

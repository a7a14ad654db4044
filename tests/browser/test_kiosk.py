"""The front-desk kiosk (a browser enrolled with ``kiosk enrol``'s one-time link) on a server
whose kiosk timers are short: after each person the kiosk returns to a fresh Bulgarian form
with nothing of theirs left, the browser's Back button included, and a form left alone asks
whether someone is still there, then clears. ``&kiosk=1`` on a device not enrolled is the
ordinary web form."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from tests.browser.checks import answers_on_page, axe_violations
from tests.browser.conftest import KIOSK_IDLE_SECONDS, KIOSK_RESTART_SECONDS, Server, Sessions
from tests.browser.pages import FORM, SURVEY_PATH, fill_by_hand, submit
from tests.browser.test_journeys import stored, submission_key
from tests.conftest import FULL_ANSWERS

pytestmark = pytest.mark.browser

KIOSK = FORM  # on an enrolled device, the ordinary address is the kiosk's form


def send_whole_survey(page: Page) -> None:
    for _ in range(6):
        submit(page, FULL_ANSWERS)
        if "/thanks" in page.url:
            return
    raise AssertionError("the survey never ended")


def assert_fresh(page: Page, server: Server, previous_key: str) -> None:
    """A new, empty first page of the kiosk form, in Bulgarian."""
    assert page.url == server.url + KIOSK
    assert page.evaluate("document.documentElement.lang") == "bg"
    assert page.locator("input[name=_step]").input_value() == "0"
    assert answers_on_page(page) == []
    assert submission_key(page) != previous_key


def assert_back_shows_nothing(page: Page, presses: int = 3) -> None:
    """Back, again and again (and Reload, which sends an earlier page again): no answer of the
    previous person appears."""
    for n in range(presses):
        try:
            page.go_back(wait_until="load")
        except PlaywrightError as e:  # an earlier POST: the browser's own error page
            assert "ERR_CACHE_MISS" in str(e), e
        assert answers_on_page(page) == [], f"after Back #{n + 1} at {page.url}"
    try:
        page.reload(wait_until="load")
    except PlaywrightError as e:
        assert "ERR_CACHE_MISS" in str(e), e
    assert answers_on_page(page) == [], f"after Reload at {page.url}"


def test_kiosk_returns_to_a_fresh_form_with_nothing_carried_over(
    kiosk_sessions: Sessions, kiosk_server: Server
) -> None:
    session = kiosk_sessions.open()
    session.enrol_as_kiosk()
    page = session.page
    session.goto(KIOSK + "&lang=en")
    key = submission_key(page)
    send_whole_survey(page)
    thanked = time.monotonic()
    assert page.locator("#restart-stop").is_visible() and page.locator("#restart-more").is_visible()
    page.wait_for_url(kiosk_server.url + KIOSK, timeout=(KIOSK_RESTART_SECONDS + 7) * 1000)
    assert time.monotonic() - thanked >= KIOSK_RESTART_SECONDS - 1
    page.wait_for_load_state("load")
    assert_fresh(page, kiosk_server, key)
    assert stored(kiosk_server, key)["channel"] == "kiosk"
    assert_back_shows_nothing(page)


def test_back_on_the_kiosk_thank_you_page_opens_a_fresh_form(
    kiosk_sessions: Sessions, kiosk_server: Server
) -> None:
    session = kiosk_sessions.open()
    session.enrol_as_kiosk()
    page = session.page
    session.goto(KIOSK)
    key = submission_key(page)
    send_whole_survey(page)
    page.locator("#restart-stop").click()  # the countdown is not what brings the fresh form
    assert page.locator("#restart-text").inner_text().startswith("Таймерът")
    with page.expect_navigation(url=kiosk_server.url + KIOSK):
        page.go_back()
    page.wait_for_load_state("load")
    assert_fresh(page, kiosk_server, key)
    assert_back_shows_nothing(page)


def test_idle_kiosk_form_asks_whether_someone_is_there_then_clears(
    kiosk_sessions: Sessions, kiosk_server: Server, axe_source: str
) -> None:
    session = kiosk_sessions.open()
    session.enrol_as_kiosk()
    page = session.page
    session.goto(KIOSK)
    key = submission_key(page)
    page.locator("label[for=contact_when-past_month]").click()
    idle = page.locator("#idle")
    idle.wait_for(state="visible", timeout=(KIOSK_IDLE_SECONDS + 5) * 1000)
    assert page.evaluate("document.activeElement.id") == "idle-continue"
    assert axe_violations(page, axe_source) == []
    page.keyboard.press("Enter")  # "I need more time": the answers stay
    assert idle.is_hidden()
    assert answers_on_page(page) == ["contact_when=past_month"]
    idle.wait_for(state="visible", timeout=(KIOSK_IDLE_SECONDS + 5) * 1000)
    with page.expect_navigation(url=kiosk_server.url + KIOSK):
        page.locator("#idle-clear").click()
    page.wait_for_load_state("load")
    assert_fresh(page, kiosk_server, key)
    assert_back_shows_nothing(page, presses=1)


def test_kiosk_without_javascript_offers_a_fresh_form(
    kiosk_sessions: Sessions, kiosk_server: Server
) -> None:
    session = kiosk_sessions.open(java_script_enabled=False)
    session.enrol_as_kiosk()
    page = session.page
    session.goto(KIOSK)
    key = submission_key(page)
    for _ in range(6):
        fill_by_hand(page, FULL_ANSWERS)
        page.locator("main .buttons button[value=next]").click()
        if "/thanks" in page.url:
            break
    assert page.url.startswith(f"{kiosk_server.url}{SURVEY_PATH}/thanks?")
    page.locator("#restart-now").click()
    assert_fresh(page, kiosk_server, key)
    assert stored(kiosk_server, key)["channel"] == "kiosk"


def test_kiosk_1_on_a_device_not_enrolled_is_the_ordinary_web_form(
    kiosk_sessions: Sessions, kiosk_server: Server
) -> None:
    session = kiosk_sessions.open()
    page = session.page
    session.goto(FORM + "&kiosk=1")
    key = submission_key(page)
    assert page.locator("#survey[data-idle]").count() == 0
    send_whole_survey(page)
    assert page.locator("#restart-stop").count() == 0
    assert stored(kiosk_server, key)["channel"] == "web"

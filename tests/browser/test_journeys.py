"""A respondent's whole journey through the citizen survey in Chromium: with the keyboard alone,
without JavaScript, in Bulgarian and in English, and through the errors of an empty page."""

from __future__ import annotations

import json
import sqlite3

import pytest
from playwright.sync_api import Page

from tests.browser.checks import active, answer_by_keyboard, tab_to
from tests.browser.conftest import Server, Session, Sessions
from tests.browser.pages import ERROR_PREFIX, FORM, LANGS, continue_button, fill_by_hand, submit
from tests.conftest import FULL_ANSWERS

pytestmark = pytest.mark.browser

HEADINGS = {
    "bg": ["Вашето обръщение към общината", "За Вашето обръщение", "Качество на обслужването",
           "Обслужване на място", "Обща оценка", "За Вас"],
    "en": ["Your contact with the municipality", "About your contact", "Quality of service",
           "Service in person", "Overall", "About you"],
}
THANKS = {
    "bg": "Благодарим Ви, отговорите Ви са изпратени",
    "en": "Thank you, your answers have been sent",
}


def form_url(lang: str, extra: str = "") -> str:
    return FORM + ("" if lang == "bg" else "&lang=en") + extra


def stored(server: Server, key: str) -> dict[str, object]:
    """The response stored under a form's one-time key. A raw read-only look at the file:
    the store's contract has no read by key (a stored response does not carry its key)."""
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT channel, lang, answers FROM responses WHERE submission_key = ?", (key,)
        ).fetchone()
    assert row is not None, f"no response stored under {key}"
    return {"channel": row[0], "lang": row[1], "answers": json.loads(row[2])}


def expected_answers() -> dict[str, object]:
    numeric = {k: int(v) for k, v in FULL_ANSWERS.items() if v.isdigit()}
    return {**FULL_ANSWERS, **numeric}


def submission_key(page: Page) -> str:
    return str(page.locator("input[name=_key]").input_value())


def press_enter_and_wait(page: Page) -> int:
    with page.expect_navigation() as navigation:
        page.keyboard.press("Enter")
    response = navigation.value
    assert response is not None
    return response.status


@pytest.mark.parametrize("lang", LANGS)
def test_keyboard_only_journey(session: Session, server: Server, lang: str) -> None:
    """Every answer given and every page sent with Tab, arrows, Space, typing and Enter."""
    page = session.page
    session.goto(form_url(lang))
    key = submission_key(page)
    seen = []
    for _ in range(6):
        seen.append(page.locator("h1").inner_text())
        answer_by_keyboard(page, FULL_ANSWERS)
        if page.locator("#visit_count").count():
            # Enter in a text field sends the page forward (not to the language switch)
            status = press_enter_and_wait(page)
        else:
            tab_to(page, "main .buttons button[value=next]")
            status = press_enter_and_wait(page)
        assert status == 200
        if "/thanks" in page.url:
            break
    assert seen == HEADINGS[lang]
    assert page.locator("h1").inner_text() == THANKS[lang]
    assert stored(server, key) == {"channel": "web", "lang": lang, "answers": expected_answers()}


@pytest.mark.parametrize("lang", LANGS)
def test_journey_without_javascript(sessions: Sessions, server: Server, lang: str) -> None:
    """With JavaScript off: answer, go back and find the answers kept, switch language midway
    and find them kept again, send; the thank-you page and the stored response follow."""
    session = sessions.open(java_script_enabled=False)
    page = session.page
    session.goto(form_url(lang))
    assert page.evaluate("1 + 1") == 2 and not page.locator("script").count()
    key = submission_key(page)
    for step in (1, 2):
        fill_by_hand(page, FULL_ANSWERS)
        continue_button(page).click()
        assert page.locator("h1").inner_text() == HEADINGS[lang][step]
    fill_by_hand(page, FULL_ANSWERS)
    page.locator("main .buttons button[value=back]").click()
    assert page.locator("h1").inner_text() == HEADINGS[lang][1]
    assert page.locator("#service-local_taxes").is_checked()
    assert page.locator("#matter_finished").is_checked()  # its first answer, "finished"
    continue_button(page).click()
    other = "en" if lang == "bg" else "bg"
    page.locator("header button.lang").click()
    assert page.evaluate("document.documentElement.lang") == other
    assert page.locator("h1").inner_text() == HEADINGS[other][2]
    assert page.locator("#info_easy_to_find-4").is_checked()  # kept across the switch
    for _ in range(4):
        fill_by_hand(page, FULL_ANSWERS)
        continue_button(page).click()
        if "/thanks" in page.url:
            break
    assert page.locator("h1").inner_text() == THANKS[other]
    assert stored(server, key) == {"channel": "web", "lang": other, "answers": expected_answers()}


@pytest.mark.parametrize(("lang", "width"), [("bg", 320), ("en", 1280)])
def test_error_journey(sessions: Sessions, server: Server, lang: str, width: int) -> None:
    """Send the first page empty: the title starts with "Error:", the error summary is shown
    and has focus; its first link takes focus to the field, with the question in view; fix the
    answers and go on to the end (on a phone in Bulgarian, on a desktop in English)."""
    session = sessions.open(viewport={"width": width, "height": 2 * width if width < 640 else 800})
    page = session.page
    session.goto(form_url(lang))
    key = submission_key(page)
    tab_to(page, "main .buttons button[value=next]")
    assert press_enter_and_wait(page) == 400
    assert page.title().startswith(ERROR_PREFIX[lang])
    summary = page.locator("#error-summary")
    assert summary.is_visible() and summary.evaluate("e => e === document.activeElement")
    assert summary.evaluate("e => e.getBoundingClientRect().top >= 0")
    links = summary.locator("a")
    assert links.evaluate_all("ls => ls.map(l => l.getAttribute('href'))") == ["#contact_when"]

    page.keyboard.press("Tab")
    assert active(page) is not None
    assert page.evaluate("document.activeElement.hash") == "#contact_when"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement.id === 'contact_when'")
    in_view = """id => {
      const group = document.getElementById(id).closest('.group');
      const legend = group.querySelector('legend, label').getBoundingClientRect();
      const error = group.querySelector('.error-message').getBoundingClientRect();
      return legend.top >= 0 && error.bottom <= window.innerHeight;
    }"""
    assert page.evaluate(in_view, "contact_when"), "the question of the field is out of view"
    page.keyboard.press("Space")  # choose its first answer
    tab_to(page, "main .buttons button[value=next]")
    assert press_enter_and_wait(page) == 200
    assert page.locator("#error-summary").count() == 0
    assert not page.title().startswith(ERROR_PREFIX[lang])

    # page 2: answer two questions, leave the first empty; Shift+Tab leads back to it, one
    # stop per radio group
    answer_by_keyboard(page, {"respondent_type": "citizen", "channel": "phone"})
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.name") == "respondent_type"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.name") == "service"
    page.keyboard.press("Space")  # ... and choose its first answer
    answer_by_keyboard(page, {"matter_finished": "finished"})
    tab_to(page, "main .buttons button[value=next]")
    assert press_enter_and_wait(page) == 200
    assert page.locator("#error-summary").count() == 0
    for _ in range(4):
        if "/thanks" in page.url:
            break
        submit(page, {**FULL_ANSWERS, "channel": "phone"})
    assert page.locator("h1").inner_text() == THANKS[lang]
    answers = stored(server, key)["answers"]
    assert isinstance(answers, dict)
    assert (answers["contact_when"], answers["service"]) == ("today", "civil_registration")
    assert answers["channel"] == "phone"
    assert "wait_minutes" not in answers  # the desk page was skipped for a phone call


FIRST_ANSWERS = """() => Object.fromEntries(
  [...document.querySelectorAll('#survey input[type=radio]')].reverse()
    .map(e => [e.name, e.value]))"""


@pytest.mark.parametrize(("wave", "lang"), [("staff", "bg"), ("training", "en")])
def test_keyboard_only_journey_with_a_code(
    session: Session, server: Server, wave: str, lang: str
) -> None:
    """A staff survey (its code typed on the entry page) and a training evaluation (its code's
    link opened), answered with the keyboard alone: the first answer to every question."""
    page = session.page
    code = server.codes[wave][1]  # [0] is the one test_pages.py opens without sending
    if wave == "staff":
        session.goto("/staff" + ("" if lang == "bg" else "?lang=en"))
        tab_to(page, "#code")
        page.keyboard.type(code.lower().replace("-", ""))  # as typed from a slip
        assert press_enter_and_wait(page) == 200  # Enter starts (not the language switch)
    else:
        session.goto(f"/t/{code}?lang={lang}")
    assert page.locator("input[name=_token]").count() == 1
    for _ in range(8):
        answer_by_keyboard(page, page.evaluate(FIRST_ANSWERS))
        tab_to(page, "main .buttons button[value=next]")
        assert press_enter_and_wait(page) == 200, page.title()
        if "/t/thanks" in page.url:
            break
    assert page.locator("h1").inner_text() == THANKS[lang]
    session.goto(f"/t/{code}")  # the code is used up
    assert page.locator("#error-summary").is_visible()

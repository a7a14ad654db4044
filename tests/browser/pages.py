"""Every page a respondent can see, and how a browser reaches it.

Each :class:`Case` is checked in both languages by ``test_pages.py``: axe-core, titles and
``lang``, reflow and screenshots, visible focus, the Nu Html Checker, and the weight of form
pages. A new page (the analysts' pages, once they exist) is one more line in :data:`PAGES`: a
URL, and the pages to send after opening it when the page is a state of a form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any

from playwright.sync_api import Page, Response

from tests.browser.conftest import USER_PASSWORD, Session
from tests.conftest import FULL_ANSWERS, SURVEY

SURVEY_PATH = f"/s/{SURVEY}"
REPORT = f"/admin/reports/{SURVEY}"
DEMO = f"demo-{SURVEY}"
TREND = f"trend={DEMO}-baseline&trend={DEMO}-follow-up"
FORM = f"{SURVEY_PATH}?org=elena"
LANGS = ("bg", "en")
ERROR_PREFIX = {"bg": "Грешка:", "en": "Error:"}

#: A step that answers the page shown from :data:`FULL_ANSWERS` and continues.
ANSWER: Mapping[str, str] = FULL_ANSWERS
#: A step that sends the page shown without answering anything.
EMPTY: Mapping[str, str] = {}
#: A step that chooses the first answer of every question of the page shown.
FIRST: Mapping[str, str] = {"*": "first"}


@dataclass(frozen=True)
class Case:
    """A page: opened at ``url`` (``lang=en`` added for English), then each of ``steps`` fills
    the form shown with those answers (where the page has such fields) and presses its first
    button (Continue)."""

    name: str
    url: str
    steps: tuple[Mapping[str, str], ...] = ()
    _: KW_ONLY
    status: int = 200
    errors: bool = False  # the page reports errors in the answers
    form: bool = False  # a page of a survey form (light: at most 30 KB with CSS and JS)
    kiosk: bool = False  # seen on a device enrolled as a kiosk
    user: str | None = None  # an administration page: signed in as this user first

    def address(self, lang: str, codes: Mapping[str, list[str]]) -> str:
        """The URL in ``lang``, with ``{staff}``, ``{training}`` ... replaced by the first
        single-use code of that wave (which these pages never use up)."""
        url = self.url.format_map({wave: found[0] for wave, found in codes.items()})
        if lang == "bg":
            return url
        return url + ("&" if "?" in url else "?") + f"lang={lang}"


ERRORS: dict[str, Any] = {"status": 400, "errors": True, "form": True}  # a form page with errors

PAGES: list[Case] = [
    Case("start", "/"),
    Case("choose-organisation", SURVEY_PATH),
    Case("form-1-contact", FORM, form=True),
    Case("form-2-visit", FORM, (ANSWER,), form=True),
    Case("form-3-quality", FORM, (ANSWER,) * 2, form=True),
    Case("form-4-desk", FORM, (ANSWER,) * 3, form=True),
    Case("form-5-overall", FORM, (ANSWER,) * 4, form=True),
    Case("form-6-about", FORM, (ANSWER,) * 5, form=True),
    Case("form-1-errors", FORM, (EMPTY,), **ERRORS),
    Case("form-2-errors", FORM, (ANSWER, EMPTY), **ERRORS),
    Case("form-3-errors", FORM, (ANSWER, ANSWER, EMPTY), **ERRORS),
    Case("form-3-bad-number", FORM, (ANSWER, ANSWER, {"visit_count": "5 or 6"}), **ERRORS),
    Case("form-5-errors", FORM, (ANSWER,) * 4 + (EMPTY,), **ERRORS),
    Case("form-6-too-long", FORM, (ANSWER,) * 5 + ({"comments": "д" * 1001},), **ERRORS),
    Case("kiosk-form", FORM, form=True, kiosk=True),
    Case("kiosk-form-errors", FORM, (EMPTY,), **ERRORS, kiosk=True),
    Case("kiosk-enrolment", "/kiosk/enrol/{kiosklink}"),
    Case("paper-entry-refused", FORM + "&channel=paper", status=404),
    Case("thanks", f"{SURVEY_PATH}/thanks?org=elena"),
    Case("kiosk-thanks", f"{SURVEY_PATH}/thanks?org=elena", kiosk=True),
    Case("paper-questionnaire", f"{SURVEY_PATH}/paper?org=elena"),
    Case("privacy", "/privacy"),
    Case("privacy-elena", "/privacy?org=elena"),
    Case("privacy-staff", "/privacy?org=elena&staff=1"),
    Case("accessibility", "/accessibility"),
    Case("closed-wave", f"{SURVEY_PATH}?org=lyaskovets"),
    Case("not-found", "/no-such-page", status=404),
    Case("results-index", "/results"),
    # the demo's baseline and follow-up and a closed wave without answers, all published:
    # before/after for Elena, a trend over three rounds for Lyaskovets, each with its charts
    Case("results", f"/results/{SURVEY}"),
    Case("staff-entry", "/staff"),
    Case("staff-entry-errors", "/staff", (EMPTY,), **ERRORS),  # no code (a wrong one counts)
    Case("staff-form-1", "/t/{staff}", form=True),
    Case("staff-form-1-errors", "/t/{staff}", (EMPTY,), **ERRORS),
    Case("staff-form-5", "/t/{staff}", (FIRST,) * 4, form=True),
    Case("staff-panel-code", "/t/{staffpanel}"),
    Case("staff-panel-code-errors", "/t/{staffpanel}", ({"panel": "ab"},), **ERRORS),
    Case("staff-thanks", "/t/thanks"),
    Case("training-form-1", "/t/{training}", form=True),
    Case("training-form-1-errors", "/t/{training}", (EMPTY,), **ERRORS),
    Case("training-form-3", "/t/{training}", (FIRST,) * 2, form=True),
    # the administration pages (signed in as ``user``)
    Case("admin-login", "/admin/login"),
    Case("admin-login-errors", "/admin/login", ({"name": "root", "password": "wrong"},),
         status=400, errors=True),
    Case("admin-dashboard", "/admin", user="root"),
    Case("admin-wave-citizen", "/admin/orgs/elena/waves/browser", user="root"),
    Case("admin-wave-staff", "/admin/orgs/elena/waves/staff", user="root"),
    Case("admin-wave-published", "/admin/orgs/lyaskovets/waves/browser-closed", user="root"),
    Case("admin-wave-new", "/admin/waves/new", user="root"),
    Case("admin-wave-new-errors", "/admin/waves/new", ({"starts": "tomorrow"},), user="root",
         status=400, errors=True),
    Case("admin-codes", "/admin/waves/staff/codes", user="root"),
    Case("admin-audit", "/admin/audit", user="root"),
    Case("admin-import", "/admin/waves/browser/import", user="root"),
    Case("admin-import-errors", "/admin/waves/browser/import", ({},), user="root", status=400,
         errors=True),
    Case("admin-double-entry", "/admin/double-entry", user="root"),
    Case("admin-paper", "/admin/paper", user="cleo"),
    Case("admin-paper-number", f"/admin/paper/elena/{SURVEY}", user="cleo"),
    Case("admin-paper-number-errors", f"/admin/paper/elena/{SURVEY}", ({"number": "№ 5"},),
         user="cleo", status=400, errors=True),
    Case("admin-paper-form-1", f"/admin/paper/elena/{SURVEY}", ({"number": "B-17"},),
         user="cleo", form=True),
    # fieldwork records and the plan (issue #19)
    Case("admin-fieldwork", "/admin/fieldwork", user="cleo"),
    Case("admin-fieldwork-wave", "/admin/orgs/elena/fieldwork/browser", user="cleo"),
    Case("admin-fieldwork-errors", "/admin/orgs/elena/fieldwork/browser",
         ({"day": "tomorrow", "visitors": "many"},), user="cleo", status=400, errors=True),
    Case("admin-plan", "/admin/plan", user="root"),
    Case("admin-plan-result", f"/admin/plan?survey={SURVEY}&response_rate=30"
         "&visitors_per_day=40", user="root"),
    Case("admin-plan-errors", f"/admin/plan?survey={SURVEY}&power=120&deff=x", user="root",
         status=400, errors=True),
    # report pages over the demo's closed waves
    Case("admin-report-choose", f"{REPORT}", user="root"),
    Case("admin-report-compare", f"{REPORT}?baseline={DEMO}-baseline&follow_up={DEMO}-follow-up",
         user="root"),
    Case("admin-report-wave", f"{REPORT}?wave={DEMO}-baseline&org=elena", user="root"),
    Case("admin-report-groups",
         f"{REPORT}?baseline={DEMO}-baseline&follow_up={DEMO}-follow-up&by=channel", user="root"),
    Case("admin-report-analyst", f"/admin/orgs/elena/reports/{SURVEY}?wave={DEMO}-follow-up",
         user="ana"),
    Case("admin-report-trend", f"{REPORT}?{TREND}&org=elena", user="root"),
    Case("admin-report-trend-groups",
         f"{REPORT}?{TREND}&by=question:respondent_type&org=elena", user="root"),
    Case("admin-report-question",
         f"{REPORT}?baseline={DEMO}-baseline&follow_up={DEMO}-follow-up&by=question:age_band"
         "&org=lyaskovets&channel=desk", user="root"),
    Case("admin-report-trend-analyst", f"/admin/orgs/elena/reports/{SURVEY}?{TREND}"
         "&by=organisation", user="ana"),
    Case("admin-report-trend-refused", f"{REPORT}?trend={DEMO}-baseline", user="root",
         status=400),
    Case("admin-report-refused", f"{REPORT}?baseline={DEMO}-baseline", user="root",
         status=400),
]

CASES = [(case, lang) for case in PAGES for lang in LANGS]
CASE_IDS = [f"{case.name}-{lang}" for case, lang in CASES]


def continue_button(page: Page) -> Any:
    return page.locator("main .buttons button[name=_action][value=next]")


_FILL = """answers => {
  const form = document.querySelector('main form[method=post]');
  for (const [name, value] of Object.entries(answers)) {
    for (const e of form.querySelectorAll(`[name="${name}"]:not([type=hidden])`)) {
      if (e.type === 'radio' || e.type === 'checkbox') e.checked = e.checked || e.value === value;
      else e.value = value;
    }
  }
  if (answers['*'] === 'first') {
    for (const e of form.querySelectorAll('input[type=radio], input[type=checkbox]')) {
      if (!form.querySelector(`[name="${e.name}"]:checked`)) e.checked = true;
    }
  }
}"""


def fill(page: Page, answers: Mapping[str, str]) -> None:
    """Answer the questions of the page shown that ``answers`` has values for (quickly, by
    setting the fields; the journeys in ``test_journeys.py`` type and click like a person)."""
    page.evaluate(_FILL, dict(answers))


def fill_by_hand(page: Page, answers: Mapping[str, str]) -> None:
    """Answer the questions of the page shown that ``answers`` has values for, by clicking and
    typing as a person does."""
    present = set(
        page.evaluate(
            "() => [...document.querySelectorAll('#survey [name]:not([type=hidden])')]"
            ".map(e => e.name)"
        )
    )
    for name, value in answers.items():
        if name not in present:
            continue
        field = page.locator(f'#survey [name="{name}"]:not([type=hidden])')
        if field.first.get_attribute("type") in ("radio", "checkbox"):
            page.locator(f'#survey [name="{name}"][value="{value}"]').check()
        else:
            field.fill(value)


def submit(page: Page, answers: Mapping[str, str]) -> Response:
    """Answer the page shown (quickly) and send it with its first button (Continue)."""
    fill(page, answers)
    with page.expect_navigation() as navigation:
        page.evaluate("document.querySelector('main form .buttons button[type=submit]').click()")
    response = navigation.value
    assert response is not None
    return response


def sign_in(session: Session, user: str) -> None:
    """Sign in to the administration pages as a person does (after forgetting any earlier
    sign-in of this browser context)."""
    page = session.page
    session.context.clear_cookies()
    page.goto(session.base + "/admin/login")
    page.fill("#name", user)
    page.fill("#password", USER_PASSWORD)
    with page.expect_navigation():
        page.click("main form .buttons button[type=submit]")
    assert "/admin/login" not in page.url, f"{user} could not sign in"


def reach(session: Session, case: Case, lang: str) -> Response:
    """Open the case's page; return the response that brought it."""
    page = session.page
    if case.kiosk:
        session.enrol_as_kiosk()
    if case.user:
        sign_in(session, case.user)
    response = page.goto(session.base + case.address(lang, session.server.codes))
    assert response is not None
    for answers in case.steps:
        assert response.status == 200, f"{case.name}: step answered {response.status}"
        response = submit(page, answers)
    assert response.status == case.status, f"{case.name}: {response.status}"
    return response

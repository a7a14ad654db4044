"""What respondents read (issue 8): page titles, error pages in the language of the request,
optional questions marked as such, an honest step counter, codes never broken at a hyphen."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from tests.conftest import FULL_ANSWERS, SURVEY, hidden_fields, seed_wave, settings_for

Client = AsyncTestClient[Litestar]
FORM = f"/s/{SURVEY}?org=elena"
OPTIONAL = {"en": "(optional)", "bg": "(по желание)"}


def title(html: str) -> str:
    m = re.search(r"<title>(.*?)</title>", html, re.S)
    return m.group(1) if m else ""


def counter(html: str) -> str:
    m = re.search(r'<p class="progress">(.*?)</p>', html, re.S)
    return m.group(1) if m else ""


def labels(html: str) -> dict[str, str]:
    """Question id -> its label, legend or matrix heading as shown."""
    found = dict(re.findall(r'<label class="label" for="([a-z_]+)">(.*?)</label>', html))
    found.update(re.findall(r'<h2 id="([a-z_]+)-title" class="matrix-title">(.*?)</h2>', html))
    for legend, name in re.findall(
        r'<legend class="legend">(.*?)</legend>.*?name="([a-z_]+)"', html, re.S
    ):
        found[name] = legend  # the first input after a question's legend is its own
    return found


async def answer_pages(
    client: Client, answers: dict[str, str], lang: str = "en", pages_at_most: int = 10
) -> list[httpx.Response]:
    """Every page of the form, answering from ``answers``, until the thank-you redirect."""
    page = await client.get(FORM + f"&lang={lang}")
    pages = [page]
    for _ in range(pages_at_most - 1):
        fields = hidden_fields(page.text)
        names = set(re.findall(r'name="([a-z][a-z0-9_]*)"', page.text))
        fields.update({k: v for k, v in answers.items() if k in names})
        page = await client.post(
            f"/s/{SURVEY}", data={**fields, "_action": "next"}, follow_redirects=False
        )
        if page.status_code != 200:
            return pages
        pages.append(page)
    if pages_at_most < 10:
        return pages
    raise AssertionError("the survey never ended")


# ----------------------------------------------------------------------------------- titles
@pytest.mark.parametrize(
    ("lang", "site"), [("en", "Municipal surveys"), ("bg", "Анкети на общината")]
)
async def test_the_home_page_title_names_the_site_once(
    client: Client, lang: str, site: str
) -> None:
    home = await client.get(f"/?lang={lang}")
    assert title(home.text) == site
    other = await client.get(f"/privacy?lang={lang}")
    assert title(other.text).endswith(f" – {site}") and title(other.text).count(site) == 1


# ------------------------------------------------------------------------ error pages' language
@pytest.mark.parametrize(
    ("lang", "heading"),
    [("en", "This page has expired"), ("bg", "Тази страница вече не е валидна")],
)
async def test_an_expired_form_is_refused_in_the_language_of_the_form(
    client: Client, lang: str, heading: str
) -> None:
    """The CSRF cookie is gone (another browser, cookies cleared): 403, in the form's language."""
    page = await client.get(FORM + f"&lang={lang}")
    fields = {**hidden_fields(page.text), "service": "social", "_action": "next"}
    client.cookies.clear()  # the CSRF cookie is gone
    refused = await client.post(f"/s/{SURVEY}", data=fields)
    assert refused.status_code == 403
    assert f'<html lang="{lang}">' in refused.text and f"<h1>{heading}</h1>" in refused.text


async def test_a_form_too_long_is_refused_in_the_language_of_the_form(db_path: Path) -> None:
    """413 comes before the form is read: the form's address carries its language."""
    settings = settings_for(db_path, max_body_bytes=16_384)
    await seed_wave(settings)
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(FORM + "&lang=en")
        action = re.search(r'<form id="survey" method="post" action="([^"]+)"', page.text)
        assert action is not None and action.group(1) == f"/s/{SURVEY}?lang=en"
        data = {**hidden_fields(page.text), "comments": "x" * 20_000}
        refused = await client.post(action.group(1), data=data)
    assert refused.status_code == 413
    assert '<html lang="en">' in refused.text and "Your answers are too long" in refused.text


async def test_error_pages_follow_lang_and_default_to_bulgarian(client: Client) -> None:
    assert "Page not found" in (await client.get("/nowhere?lang=en")).text
    assert "Страницата не е намерена" in (await client.get("/nowhere")).text


# ----------------------------------------------------------------------- optional questions
@pytest.mark.parametrize("lang", ["en", "bg"])
async def test_optional_questions_say_so_and_required_ones_carry_no_mark(
    client: Client, lang: str
) -> None:
    pages = await answer_pages(client, FULL_ANSWERS, lang)
    shown: dict[str, str] = {}
    for page in pages:
        shown.update(labels(page.text))
    survey_questions = {  # every question a finished matter at the desk is shown
        "contact_when": True,
        "service": True,
        "respondent_type": True,
        "channel": True,
        "matter_finished": True,
        "service_quality": True,
        "outcome": True,
        "visit_count": False,
        "wait_minutes": False,
        "desks_count": False,
        "on_site": True,
        "overall_satisfaction": True,
        "effort": True,
        "recommend": False,
        "age_band": False,
        "comments": False,
    }
    for qid, required in survey_questions.items():
        assert qid in shown, (qid, sorted(shown))
        marked = shown[qid].endswith(f' <span class="nowrap">{OPTIONAL[lang]}</span>')
        assert marked is not required, (qid, shown[qid])


# --------------------------------------------------------------------------------- the counter
# Six pages; the in-person page (4) waits on the channel, asked on page 2, so the total is an
# upper bound until page 2 is sent, and exact from page 3 on.
DESK = {"en": ["Step 1 of up to 6", "Step 2 of up to 6", "Step 3 of 6", "Step 4 of 6",
               "Step 5 of 6", "Step 6 of 6"]}
ONLINE = {"en": ["Step 1 of up to 6", "Step 2 of up to 6", "Step 3 of 5", "Step 4 of 5",
                 "Step 5 of 5"]}


async def test_the_counter_never_grows_after_choosing_the_desk(client: Client) -> None:
    """Issue 8 saw "Step 1 of 4" and then "Step 2 of 5" after "At the desk"."""
    pages = await answer_pages(client, {**FULL_ANSWERS, "channel": "desk"})
    assert [counter(p.text) for p in pages] == DESK["en"]


async def test_the_counter_shrinks_when_a_page_is_left_out(client: Client) -> None:
    pages = await answer_pages(client, {**FULL_ANSWERS, "channel": "online"})
    assert [counter(p.text) for p in pages] == ONLINE["en"]


async def test_the_counter_in_bulgarian(client: Client) -> None:
    pages = await answer_pages(client, {**FULL_ANSWERS, "channel": "desk"}, "bg")
    assert [counter(p.text) for p in pages[1:3]] == ["Стъпка 2 от най-много 6", "Стъпка 3 от 6"]


async def test_the_counter_is_the_same_after_going_back(client: Client) -> None:
    pages = await answer_pages(client, {**FULL_ANSWERS, "channel": "desk"}, pages_at_most=4)
    fourth = pages[3]
    back = await client.post(f"/s/{SURVEY}", data={**hidden_fields(fourth.text), "_action": "back"})
    assert back.status_code == 200, back.text[:300]
    assert counter(back.text) == counter(pages[2].text) == "Step 3 of 6"


# -------------------------------------------------------------------------------- staff code
@pytest.mark.parametrize("lang", ["en", "bg"])
async def test_the_code_example_is_never_broken_at_a_hyphen(client: Client, lang: str) -> None:
    entry = await client.get(f"/staff?lang={lang}")
    assert '<span class="nowrap">ABCD-EFGH-JKMN-PQ</span>' in entry.text
    bad = await client.post(
        "/staff",
        data={**hidden_fields(entry.text), "code": "abc", "_action": "start"},
    )
    assert bad.status_code in (400, 422)
    # the example in the error message beside the field and in the error summary
    assert bad.text.count('<span class="nowrap">ABCD-EFGH-JKMN-PQ</span>') == 3, bad.text

"""The public citizen survey through the HTTP app, as a respondent's browser uses it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import httpx
import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.settings import Settings
from survey_service.storage import StoredResponse, open_store
from survey_service.surveys.waves import SOFIA, now
from tests.conftest import FULL_ANSWERS, SURVEY, hidden_fields, seed_wave
from tests.web.kiosks import enrol

Client = AsyncTestClient[Litestar]
FORM = f"/s/{SURVEY}?org=elena"


async def stored(settings: Settings, wave_id: str = "cs-baseline") -> list[StoredResponse]:
    store = open_store(settings.database_url)
    await store.open()
    try:
        return await store.responses(wave_id)
    finally:
        await store.close()


async def post(client: Client, fields: dict[str, Any], action: str = "next") -> httpx.Response:
    return await client.post(
        f"/s/{SURVEY}", data={**fields, "_action": action}, follow_redirects=False
    )


async def second_page(client: Client, url: str = FORM) -> httpx.Response:
    """Past the reference-period screen (page 1, "when was your last contact": today)."""
    page = await client.get(url)
    second = await post(client, {**hidden_fields(page.text), "contact_when": "today"})
    assert second.status_code == 200
    return second


def stored_form(answers: dict[str, str]) -> dict[str, object]:
    """FULL_ANSWERS as stored: numbers and likert codes as integers."""
    return {k: int(v) if v.isdigit() else v for k, v in answers.items()}


def h1(html: str) -> str:
    m = re.search(r"<h1>(.*?)</h1>", html, re.S)
    return m.group(1).strip() if m else ""


async def walk(
    client: Client, url: str = FORM, answers: dict[str, str] | None = None
) -> tuple[httpx.Response, list[str]]:
    """Answer page after page as a browser without JavaScript would; return the last response
    and the headings of the pages seen."""
    answers = FULL_ANSWERS if answers is None else answers
    page = await client.get(url)
    assert page.status_code == 200
    seen = [h1(page.text)]
    for _ in range(10):
        fields = hidden_fields(page.text)
        names = set(re.findall(r'name="([a-z][a-z0-9_]*)"', page.text))
        fields.update({k: v for k, v in answers.items() if k in names})
        page = await post(client, fields)
        if page.status_code != 200:
            return page, seen
        seen.append(h1(page.text))
    raise AssertionError("the survey never ended")


async def test_happy_path_in_bulgarian(client: Client, settings: Settings) -> None:
    response, seen = await walk(client)
    assert response.status_code == 303
    assert response.headers["location"] == f"/s/{SURVEY}/thanks?org=elena&lang=bg"
    assert seen == [
        "Вашето обръщение към общината",
        "За Вашето обръщение",
        "Качество на обслужването",
        "Обслужване на място",
        "Обща оценка",
        "За Вас",
    ]
    thanks = await client.get(response.headers["location"])
    assert thanks.status_code == 200 and "Благодарим" in thanks.text
    rows = await stored(settings)
    assert len(rows) == 1
    row = rows[0]
    assert (row.organisation, row.channel, row.lang) == ("elena", "web", "bg")
    assert row.day == now().astimezone(SOFIA).date()
    assert row.answers == stored_form(FULL_ANSWERS)
    assert row.answers["contact_when"] == "today" and row.answers["visit_count"] == 2


async def test_happy_path_in_english(client: Client, settings: Settings) -> None:
    response, seen = await walk(client, FORM + "&lang=en")
    assert response.status_code == 303
    assert response.headers["location"].endswith("lang=en")
    assert seen[0] == "Your contact with the municipality"
    thanks = await client.get(response.headers["location"])
    assert '<html lang="en">' in thanks.text and "Thank you" in thanks.text
    assert [r.lang for r in await stored(settings)] == ["en"]


async def test_first_page_markup(client: Client) -> None:
    page = await client.get(FORM)
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    html = page.text
    assert '<html lang="bg">' in html
    assert re.search(
        r'<fieldset class="fieldset" aria-describedby="contact_when-hint">\s*'
        r'<legend class="legend">Кога за последен път',
        html,
    )
    assert 'href="/s/citizen-satisfaction?org=elena&amp;lang=en"' not in html  # switch is a button
    assert 'value="lang-en"' in html and "English" in html
    assert "http://" not in html and "https://" not in html  # no third-party requests
    # every GET gets its own one-time submission key
    again = await client.get(FORM)
    assert hidden_fields(html)["_key"] != hidden_fields(again.text)["_key"]
    assert hidden_fields(html)["_csrf_token"]


async def test_errors_are_shown_beside_fields_with_typed_values_kept(client: Client) -> None:
    page = await second_page(client)
    fields = {**hidden_fields(page.text), "respondent_type": "business"}
    response = await post(client, fields)
    assert response.status_code == 400
    html = response.text
    assert re.search(r"<title>Грешка: ", html)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary is not None
    links = re.findall(r'<a href="#([a-z_]+)">', summary.group(0))
    assert links == ["service", "channel", "matter_finished"]
    assert "Изберете отговор" in html
    # each error sits beside its field and is announced with it
    assert '<p id="service-error" class="error-message">' in html
    assert 'aria-describedby="service-hint service-error"' in html
    # the answer given is kept
    assert re.search(r'value="business" checked', html)
    # each link target exists
    for target in links:
        assert f'id="{target}"' in html
    # a number field (page 3, for a finished matter) with its error beside it
    fields.update(service="local_taxes", channel="desk", matter_finished="finished")
    third = await post(client, {**hidden_fields(response.text), **fields})
    assert h1(third.text) == "Качество на обслужването"
    wrong = await post(client, {**hidden_fields(third.text), "visit_count": "abc"})
    assert wrong.status_code == 400
    assert "Въведете цяло число" in wrong.text
    assert re.search(
        r'id="visit_count" name="visit_count" type="text" inputmode="numeric" '
        r'value="abc" aria-describedby="visit_count-hint visit_count-error"',
        wrong.text,
    )


async def test_every_kind_of_error_in_english(client: Client) -> None:
    page = await second_page(client, FORM + "&lang=en")
    base = {
        **hidden_fields(page.text),
        "service": "other",
        "respondent_type": "citizen",
        "channel": "online",
        "matter_finished": "finished",
    }
    cases = [
        ({"service": "<script>"}, "service", "Select one of the options shown"),
        ({"channel": ""}, "channel", "Select an answer"),
    ]
    for extra, item, message in cases:
        response = await post(client, {**base, **extra})
        assert response.status_code == 400, extra
        assert re.search(r"<title>Error: ", response.text)
        assert f'<p id="{item}-error" class="error-message">' in response.text
        assert message in response.text
        assert "&lt;script&gt;" not in response.text or extra.get("service") == "<script>"
    # matrix: every unanswered row gets its own error
    page3 = await post(client, {**base})
    assert h1(page3.text) == "Quality of service"
    fields = {**hidden_fields(page3.text), "info_easy_to_find": "4", "deadline_met": "7"}
    response = await post(client, fields)
    assert response.status_code == 400
    assert '<p id="deadline_met-error"' in response.text
    assert "Select one of the options shown" in response.text
    # fix the invalid one: now the missing rows are named one by one
    fields["deadline_met"] = "4"
    response = await post(client, fields)
    assert response.status_code == 400
    assert response.text.count("Select an answer for this statement") >= 2 * 8
    assert re.search(r'value="4" checked', response.text)
    for extra, item, message in [
        ({"visit_count": "0"}, "visit_count", "Enter a number from 1 to 20"),
        ({"visit_count": "2.5"}, "visit_count", "Enter a whole number, for example 2"),
    ]:
        response = await post(client, {**fields, **extra})
        assert response.status_code == 400, extra
        assert f'<p id="{item}-error" class="error-message">' in response.text
        assert message in response.text


async def test_too_long_text_keeps_what_was_typed(client: Client) -> None:
    answers = {**FULL_ANSWERS, "comments": "д" * 1001}
    response, _ = await walk(client, answers=answers)
    assert response.status_code == 400
    assert "1000" in response.text and "1001" in response.text
    assert "д" * 1001 in response.text


async def test_show_if_works_without_javascript(client: Client, settings: Settings) -> None:
    answers = {**FULL_ANSWERS, "channel": "online"}
    response, seen = await walk(client, answers=answers)
    assert response.status_code == 303
    assert "Обслужване на място" not in seen  # the desk page is skipped for online users
    row = (await stored(settings))[0]
    assert "wait_minutes" not in row.answers and "premises_accessible" not in row.answers


async def test_hidden_question_values_are_not_stored(client: Client, settings: Settings) -> None:
    page = await client.get(FORM)
    fields = {**hidden_fields(page.text), **FULL_ANSWERS, "channel": "phone", "_step": "5"}
    response = await post(client, fields)
    assert response.status_code == 303
    row = (await stored(settings))[0]
    assert "wait_minutes" not in row.answers


async def test_back_and_language_switch_keep_answers(client: Client) -> None:
    page = await second_page(client)
    fields = {
        **hidden_fields(page.text),
        "service": "property",
        "respondent_type": "citizen",
        "channel": "desk",
        "matter_finished": "in_progress",
    }
    switched = await post(client, fields, action="lang-en")
    assert switched.status_code == 200
    assert '<html lang="en">' in switched.text
    assert re.search(r'value="property" checked', switched.text)
    assert re.search(r'value="in_progress" checked', switched.text)
    assert "error-summary" not in switched.text
    third = await post(client, hidden_fields(switched.text) | fields | {"_lang": "en"})
    assert h1(third.text) == "Quality of service"
    assert 'name="visit_count"' not in third.text  # the matter is not finished yet
    back = await post(client, hidden_fields(third.text), action="back")
    assert h1(back.text) == "About your contact"
    assert re.search(r'value="property" checked', back.text)


async def test_double_post_stores_one_response(client: Client, settings: Settings) -> None:
    page = await client.get(FORM)
    fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5"}
    first = await post(client, fields)
    second = await post(client, fields)
    assert first.status_code == second.status_code == 303
    assert len(await stored(settings)) == 1


async def test_kiosk_records_channel_and_returns_to_a_fresh_form(
    client: Client, settings: Settings
) -> None:
    await enrol(client, settings)
    page = await client.get(FORM + "&lang=en")
    assert 'autocomplete="off"' in page.text
    assert re.search(r'src="/static/kiosk\.[0-9a-f]{12}\.js"', page.text)
    assert 'data-idle="120"' in page.text
    response, _ = await walk(client, FORM + "&lang=en")
    assert response.status_code == 303
    thanks = await client.get(response.headers["location"])
    fresh = re.search(r'data-fresh="([^"]+)"', thanks.text)
    assert fresh is not None
    fresh_url = fresh.group(1).replace("&amp;", "&")
    assert fresh_url == f"/s/{SURVEY}?org=elena"  # Bulgarian again, nothing carried
    assert 'aria-live="polite"' in thanks.text and 'id="restart-stop"' in thanks.text
    again = await client.get(fresh_url)
    assert '<html lang="bg">' in again.text and " checked" not in again.text
    assert [r.channel for r in await stored(settings)] == ["kiosk"]


async def test_closed_and_scheduled_waves_show_a_polite_page(settings: Settings) -> None:
    from survey_service.app import create_app

    starts = now() + dt.timedelta(days=3)
    await seed_wave(settings, "cs-later", starts=starts)
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(FORM)
        assert page.status_code == 200 and "<form" not in page.text
        assert "все още не е започнала" in page.text
    store = open_store(settings.database_url)
    await store.open()
    wave = (await store.waves())[0]
    await store.update_wave(msgspec.structs.replace(wave, starts=None, closed=now()))
    await store.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(FORM + "&lang=en")
        assert page.status_code == 200 and "<form" not in page.text
        assert "This survey is closed" in page.text


async def test_csrf_refusals(client: Client, settings: Settings) -> None:
    page = await client.get(FORM)
    good = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
    token = good.pop("_csrf_token")
    url = f"/s/{SURVEY}"
    assert (await client.post(url, data=good)).status_code == 403  # no token
    assert (await client.post(url, data={**good, "_csrf_token": ""})).status_code == 403
    assert (await client.post(url, data={**good, "_csrf_token": "0" * 128})).status_code == 403
    assert (await client.post(url + f"?_csrf_token={token}", data=good)).status_code == 403
    cookies = dict(client.cookies)
    client.cookies.clear()  # a page on another site: no cookie, even with a valid token
    refused = await client.post(url, data={**good, "_csrf_token": token})
    assert refused.status_code == 403
    assert "Тази страница вече не е валидна" in refused.text
    client.cookies.update(cookies)
    accepted = await client.post(url, data={**good, "_csrf_token": token}, follow_redirects=False)
    assert accepted.status_code == 303
    assert len(await stored(settings)) == 1


async def test_malformed_requests_get_4xx(client: Client, settings: Settings) -> None:
    page = await client.get(FORM)
    fields = hidden_fields(page.text)
    url = f"/s/{SURVEY}"
    cases: list[dict[str, Any]] = [
        {**fields, "_key": ""},
        {**fields, "_key": "short"},
        {**fields, "_step": "abc"},
        {**fields, "_step": "99"},
        {**fields, "_org": "../../etc/passwd"},
    ]
    for data in cases:
        assert (await client.post(url, data=data)).status_code == 400, data
    # many fields and repeated values: handled, not a crash
    many = {**fields, **{f"f{i}": "x" for i in range(5000)}}
    assert (await client.post(url, data=many)).status_code == 413  # over 1,000 values
    # JSON to the form endpoint, with the CSRF header
    json_response = await client.post(
        url,
        content=b'{"a": [1, 2',
        headers={"content-type": "application/json", "x-csrftoken": fields["_csrf_token"]},
    )
    assert 400 <= json_response.status_code < 500
    # a body over the limit
    big = await client.post(url, data={**fields, "comments": "x" * 400_000})
    assert big.status_code == 413
    assert (await client.get("/s/../../etc/passwd")).status_code == 404
    assert (await client.get("/s/no-such-survey?org=elena")).status_code == 404
    assert (await client.post("/s/citizen-satisfaction/thanks")).status_code in (403, 405)
    assert await stored(settings) == []


async def test_escaping_of_typed_text(client: Client) -> None:
    evil = '"><img src=x onerror=alert(1)></textarea><script>alert(1)</script>{{7*7}}'
    answers = {**FULL_ANSWERS, "comments": evil * 20}
    response, _ = await walk(client, answers=answers)
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text
    typed = re.search(r'<textarea[^>]*name="comments"[^>]*>(.*?)</textarea>', response.text,
                      re.S)
    assert typed is not None and "{{7*7}}" in typed.group(1) and "49" not in typed.group(1)


async def test_no_client_identifiers_are_stored(client: Client, settings: Settings) -> None:
    response, _ = await walk(client)
    assert response.status_code == 303
    row = (await stored(settings))[0]
    dumped = msgspec.json.encode(row).decode()
    for needle in ("testclient", "127.0.0.1", "python-httpx", "csrftoken"):
        assert needle not in dumped
    assert set(msgspec.structs.asdict(row)) == {
        "id",
        "wave_id",
        "version",
        "organisation",
        "channel",
        "lang",
        "day",
        "answers",
        "unit",
    }


async def test_choose_organisation_and_unknown_organisation(client: Client) -> None:
    page = await client.get(f"/s/{SURVEY}")
    assert page.status_code == 200
    assert "org=elena" in page.text and "org=lyaskovets" in page.text
    page = await client.get(f"/s/{SURVEY}?org=nowhere")
    assert page.status_code == 200 and "org=elena" in page.text


async def test_pages_around_the_form(client: Client) -> None:
    for url, must in [
        ("/privacy?org=elena", ["Община Елена", "obshtina@elena.bg", "ОРЗД"]),
        ("/privacy?org=lyaskovets&lang=en", ["Lyaskovets", "Article 13"]),
        ("/accessibility", ["WCAG", "EN 301 549"]),
        ("/accessibility?lang=en", ["Accessibility statement"]),
        ("/?lang=en", [f"/s/{SURVEY}?org=elena"]),
    ]:
        page = await client.get(url)
        assert page.status_code == 200, url
        for text in must:
            assert text in page.text, (url, text)


async def test_free_text_has_a_personal_data_note(client: Client) -> None:
    page = await client.get(FORM)
    fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "4"}
    last = await post(client, fields)
    assert h1(last.text) == "За Вас"
    assert "не пишете името си" in last.text or "лични данни" in last.text
    assert "obshtina@elena.bg" in last.text  # where complaints go instead


async def test_paper_questionnaire(client: Client) -> None:
    page = await client.get(f"/s/{SURVEY}/paper?org=lyaskovets")
    assert page.status_code == 200
    assert "@page" not in page.text and "/static/paper.css" in page.text
    assert re.search(r"CIT-[0-9A-F]{6}", page.text)
    assert "Община Лясковец" in page.text
    english = await client.get(f"/s/{SURVEY}/paper?org=lyaskovets&lang=en")
    assert "Answer only if" in english.text
    # typed in later by signed-in clerks (/admin), never through the public form
    refused = await client.get(FORM + "&channel=paper&lang=en")
    assert refused.status_code == 404 and "/admin" in refused.text and "<form" not in refused.text


async def test_codes_for_analysis_are_stored_with_the_answers(
    client: Client, settings: Settings
) -> None:
    import numpy as np

    from survey_service.surveys.coding import scored_items
    from survey_service.surveys.loader import load_catalog

    response, _ = await walk(client)
    assert response.status_code == 303
    store = open_store(settings.database_url)
    await store.open()
    try:
        data = await store.wave_codes("cs-baseline", groups=True)
    finally:
        await store.close()
    survey = load_catalog(settings_forms()).surveys[SURVEY].survey
    items = [i.id for i in scored_items(survey)]
    codes = np.frombuffer(data.codes, dtype="<i4").reshape(1, len(items))
    got = dict(zip(items, codes[0].tolist(), strict=True))
    assert got["service"] == 2  # local_taxes is the second option
    assert got["treated_fairly"] == 9 and got["documents_correct"] == 2 and got["recommend"] == 9
    assert got["visit_count"] == 2 and got["wait_minutes"] == 2
    assert data.organisations == ["elena"] and data.channels == ["web"]


def settings_forms():  # type: ignore[no-untyped-def]
    from tests.conftest import FORMS

    return FORMS


async def test_a_page_of_a_form_already_sent_never_shows_its_answers_again(
    client: Client, settings: Settings
) -> None:
    """At a kiosk, Back and Reload re-send an earlier page of the previous person's form."""
    await enrol(client, settings)
    page = await client.get(FORM)
    first = {**hidden_fields(page.text), "contact_when": "past_month"}
    second = await post(client, first)
    assert h1(second.text) == "За Вашето обръщение"
    done = await post(client, {**first, **FULL_ANSWERS, "contact_when": "past_month",
                               "_step": "5"})
    assert done.status_code == 303
    again = await post(client, first)  # the browser re-sends page 1
    assert again.status_code == 303 and "/thanks?" in again.headers["location"]
    assert "past_month" not in again.text
    assert len(await stored(settings)) == 1


async def test_staff_and_training_surveys_have_no_public_pages(settings: Settings) -> None:
    """A staff survey is answered only with an invitation code: never through /s/."""
    from survey_service.app import create_app
    from survey_service.services.waves import open_wave

    store = open_store(settings.database_url)
    await store.open()
    await open_wave(settings, store, "staff-survey", "staff-open", "baseline", ["elena"],
                    None, None)
    await store.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        for url in ("/s/staff-survey?org=elena", "/s/staff-survey",
                    "/s/staff-survey/paper?org=elena", "/s/training-evaluation?org=elena"):
            assert (await client.get(url)).status_code == 404, url
        page = await client.get("/staff")  # any page with a CSRF token
        fields = {**hidden_fields(page.text), "_step": "0", "_action": "next"}
        assert (await client.post("/s/staff-survey", data=fields)).status_code == 404


async def test_odd_step_numbers_are_refused_with_400(client: Client) -> None:
    page = await client.get(FORM)
    control = await post(client, {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "0"})
    assert control.status_code == 200  # the same post with a plain step number: next page
    for step in ("²", "٣", "0" * 5000, "-1", "1.0", "99"):
        response = await post(client, {**hidden_fields(page.text), "_step": step})
        assert response.status_code == 400, step
        assert "В анкетата има проблем" in response.text, step  # the altered-form page


async def test_a_scheduled_wave_gives_its_opening_day_in_sofia(settings: Settings) -> None:
    from survey_service.app import create_app
    from survey_service.surveys.waves import parse_local

    await seed_wave(settings, "cs-december", starts=parse_local("2099-12-01"))
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(FORM)
    assert "1 декември 2099" in page.text

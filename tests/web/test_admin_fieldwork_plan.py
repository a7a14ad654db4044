"""The administration pages of issue #19: fieldwork records typed in by a clerk, and the plan
(the same figures as `survey-service plan`), in Bulgarian and English."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.plan import compute_plan
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.surveys.waves import today_in_sofia
from tests.conftest import SURVEY, seed_wave
from tests.web.admin_helpers import (  # noqa: F401 (a fixture)
    CSRF,
    Client,
    add_accounts,
    post,
    quick_argon2,
    sign_in,
)

PAGE = "/admin/orgs/elena/fieldwork/cs-baseline"


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[Client]:
    await seed_wave(settings, organisations=["elena", "lyaskovets"])
    await add_accounts(settings)
    async with AsyncTestClient(app=create_app(settings)) as c:
        yield c


async def test_a_clerk_records_a_day_and_sees_the_rates(client: Client, settings: Settings
                                                        ) -> None:
    assert (await sign_in(client, "cleo")).status_code == 303
    listing = await client.get("/admin/fieldwork")
    assert listing.status_code == 200 and PAGE in listing.text
    assert "/admin/orgs/lyaskovets/" not in listing.text  # not her organisation
    page = await client.get(PAGE)
    assert page.status_code == 200 and "Запис на ден" in page.text
    today = today_in_sofia().isoformat()
    sent = await post(client, PAGE, {"day": today, "handed_out": "40", "visitors": "320"}, PAGE)
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"?saved={today}")
    page = await client.get(f"{PAGE}?saved={today}&lang=en")
    assert f"The day {today} is recorded." in page.text
    assert "<td>40</td><td>0</td><td>0.0 %</td><td>320</td><td>12.5 %</td>" in page.text
    async with opened(settings.database_url) as store:
        (day,) = await store.fieldwork("cs-baseline")
        assert (day.handed_out, day.visitors, day.entered_by) == (40, 320, "cleo")
        assert (await store.audit_entries(1))[0].action == "fieldwork"
    assert (await client.get("/admin/orgs/lyaskovets/fieldwork/cs-baseline")).status_code == 403
    assert (await client.get("/admin/orgs/elena/fieldwork/nowave")).status_code == 404


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"day": "tomorrow", "visitors": "1"}, "day", "Въведете деня като ГГГГ-ММ-ДД"),
    ({"day": "2026-03-02", "visitors": "-1"}, "visitors", "като цяло число от 0 до 100 000"),
    ({"day": "2026-03-02"}, "handed_out", "Въведете поне един брой."),
    ({"day": "2999-01-01", "visitors": "5"}, "day", "Денят не е записан: 2999-01-01 has not"),
])
async def test_bad_days_are_refused_with_the_typed_values_kept(
        client: Client, form: dict[str, str], field: str, message: str) -> None:
    await sign_in(client, "cleo")
    page = await post(client, PAGE, form, PAGE)
    assert page.status_code == 400
    text = html.unescape(page.text)
    assert f'href="#{field}"' in text and message in text
    assert f'value="{form["day"]}"' in text


async def test_the_plan_page_shows_what_the_command_computes(client: Client,
                                                             settings: Settings) -> None:
    await sign_in(client, "root")
    page = await client.get("/admin/plan")
    assert page.status_code == 200 and "Колко отговора са нужни" in page.text
    query = (f"/admin/plan?survey={SURVEY}&org=&baseline=&change=&power=80&deff=1.4"
             "&response_rate=30&visitors_per_day=40&lang=en")
    page = await client.get(query)
    assert page.status_code == 200, page.text
    async with opened(settings.database_url) as store:
        plan = await compute_plan(settings, store, SURVEY, power=0.8, deff=1.4,
                                  response_rate=0.3, visitors_per_day=40, lang="en")
    for row in plan.rows:
        if row.responses is not None:
            assert (f"<td>{row.responses}</td><td>{row.forms}</td><td>{row.days}</td>"
                    in page.text), row.id
    assert "design effect 1.4" in page.text and "How many answers are needed" in page.text


@pytest.mark.parametrize(("query", "field", "message"), [
    ("survey=nope", "survey", "Изберете анкета."),
    (f"survey={SURVEY}&power=120", "power", "Въведете мощност от 50 до 99,9 %."),
    (f"survey={SURVEY}&change=0", "change", "Въведете промяна над 0"),
    (f"survey={SURVEY}&deff=x", "deff", "Въведете дизайн ефект от 1 до 10."),
    (f"survey={SURVEY}&response_rate=0", "response_rate", "Въведете дял на отговорилите"),
    (f"survey={SURVEY}&org=sofia", "org", "Изберете организация от списъка."),
    (f"survey={SURVEY}&baseline=nowave", "baseline", "Планът не може да бъде изготвен: "
                                                     "unknown wave 'nowave'"),
])
async def test_bad_plan_input_is_a_400_with_the_field_named(
        client: Client, query: str, field: str, message: str) -> None:
    await sign_in(client, "root")
    page = await client.get(f"/admin/plan?{query}")
    assert page.status_code == 400
    text = html.unescape(page.text)
    assert f'href="#{field}"' in text and message in text


async def test_the_plan_page_is_for_admins(client: Client) -> None:
    for name in ("ana", "cleo"):
        await sign_in(client, name)
        assert (await client.get("/admin/plan")).status_code == 403, name
        await post(client, "/admin/logout", {}, "/admin/fieldwork" if name == "cleo"
                   else "/admin")


async def test_a_clerk_imports_the_queue_export_of_her_organisation(
        client: Client, settings: Settings) -> None:
    await sign_in(client, "cleo")
    today = today_in_sofia()
    url = f"{PAGE}/import"

    async def send(content: bytes) -> object:
        page = await client.get(PAGE)
        token = CSRF.search(page.text)
        assert token is not None
        return await client.post(url, data={"_csrf_token": token.group(1)},
                                 files={"file": ("queue.csv", content, "text/csv")},
                                 follow_redirects=False)

    good = f"\ufeffДата;Посетители\n{today:%d.%m.%Y};321\n".encode()
    sent = await send(good)
    assert sent.status_code == 303 and sent.headers["location"].endswith("?imported=1")  # type: ignore[attr-defined]
    async with opened(settings.database_url) as store:
        (day,) = await store.fieldwork("cs-baseline")
        assert (day.visitors, day.source, day.entered_by) == (321, "queue", "cleo")
    other = f"organisation,date,visitors\nlyaskovets,{today},5\n".encode()
    for content, message in [
            (other, "Нищо не е внесено: lyaskovets"),
            ("дата,посетители\n".encode("cp1251"), "не е текст в UTF-8"),
            (b"date,visitors\n2026-13-01,4\n", "line 2: '2026-13-01' is not a date")]:
        page = await send(content)
        assert page.status_code == 400  # type: ignore[attr-defined]
        text = html.unescape(page.text)  # type: ignore[attr-defined]
        assert 'href="#file"' in text and message in text, text[:2000]
    async with opened(settings.database_url) as store:
        assert len(await store.fieldwork("cs-baseline")) == 1

"""The administration pages through the HTTP app: the dashboard's counts, opening and closing
waves, invitation codes, the leaflet, paper questionnaires typed in by a clerk, the audit log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.audit import verify
from survey_service.services.users import add_user
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.sqlite import SQLiteStore
from tests.conftest import FULL_ANSWERS, SECRET, hidden_fields, seed_wave, settings_for
from tests.web.admin_helpers import (  # noqa: F401 (a fixture)
    PASSWORD,
    Client,
    add_accounts,
    csrf,
    post,
    quick_argon2,
    sign_in,
)
from tests.web.test_staff import answer_all, issue, open_staff_wave
from tests.web.test_unavailable import LockHolder


@pytest.fixture
async def admin_app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    monkeypatch.setenv("SURVEY_SECRET_KEY", SECRET)  # codes need the lasting key
    await seed_wave(settings, organisations=["elena", "lyaskovets"])
    await open_staff_wave(settings)
    await add_accounts(settings)
    return create_app(settings)


@pytest.fixture
async def client(admin_app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=admin_app) as c:
        yield c


async def submit_citizen(client: Client, org: str) -> None:
    page = await client.get(f"/s/citizen-satisfaction?org={org}")
    for _ in range(10):
        fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_action": "next"}
        page = await client.post("/s/citizen-satisfaction", data=fields, follow_redirects=False)
        if page.status_code == 303:
            return
    raise AssertionError("the form never ended")


def cells(html: str, org_name: str) -> list[str]:
    """The counts of an organisation's row on the dashboard (today, week, total)."""
    row = re.search(rf"{org_name}</a></th>\s*<td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>",
                    html)
    assert row, html
    return list(row.groups())


async def test_dashboard_counts_today_this_week_and_in_total(client: Client) -> None:
    for org in ("elena", "elena", "lyaskovets"):
        await submit_citizen(client, org)
    await sign_in(client, "root")
    page = await client.get("/admin?lang=en")
    assert page.status_code == 200 and "cs-baseline" in page.text
    assert cells(page.text, "Elena Municipality") == ["2", "2", "2"]
    assert cells(page.text, "Lyaskovets Municipality") == ["1", "1", "1"]
    assert page.headers["cache-control"] == "no-store"
    ana = await client.get("/admin/orgs/elena/waves/cs-baseline?lang=en")
    assert "Responses in total: <strong>2</strong>" in ana.text


async def test_staff_rates_per_unit_respect_the_smallest_group(client: Client,
                                                               settings: Settings) -> None:
    codes = await issue(settings, 3)  # admin_services: 14 people, at least 10
    await issue(settings, 2, unit="legal_hr")  # 6 people: below the smallest group
    for code in codes[:2]:
        await answer_all(client, code)
    await sign_in(client, "ana")
    page = await client.get("/admin/orgs/elena/waves/staff-2026?lang=en")
    assert page.status_code == 200
    rows = dict(re.findall(r"<tr><th scope=\"row\">([^<]+)</th>(.*?)</tr>", page.text))
    assert rows["Administrative and information services (one-stop desk, registry, civil "
                "registration)"] == "<td>14</td><td>3</td><td>2</td><td>14.3 %</td>"
    assert rows["Legal services and human resources"] == (
        "<td>6</td><td>2</td><td>–</td><td>–</td>")


async def test_an_admin_opens_schedules_and_closes_waves(client: Client, settings: Settings
                                                         ) -> None:
    await sign_in(client, "root")
    form = await client.get("/admin/waves/new?lang=en")
    assert form.status_code == 200 and 'name="survey"' in form.text
    bad = await post(client, "/admin/waves", {"survey": "citizen-satisfaction",
                                              "phase": "follow-up", "starts": "tomorrow"})
    assert bad.status_code == 400 and "not a date" in bad.text
    clash = await post(client, "/admin/waves", {"survey": "citizen-satisfaction",
                                                "phase": "follow-up", "wave_id": "cs-2"})
    assert clash.status_code == 400 and "close it first" in clash.text
    closed = await post(client, "/admin/waves/cs-baseline/close", {})
    assert closed.status_code == 303
    again = await post(client, "/admin/waves/cs-baseline/close", {})
    assert again.status_code == 409 and "already closed" in again.text
    scheduled = await post(client, "/admin/waves", {
        "survey": "citizen-satisfaction", "phase": "follow-up", "wave_id": "cs-follow",
        "organisations": "elena", "starts": "2099-01-01", "ends": "2099-02-01", "yes": "1"})
    assert scheduled.status_code == 303, re.findall("error-message.{0,400}", scheduled.text)
    async with opened(settings.database_url) as store:
        waves = {w.id: w for w in await store.waves()}
        actions = [(e.actor, e.action) for e in await store.audit_entries()]
        assert (await verify(store)).problem is None
    assert waves["cs-follow"].organisations == ["elena"] and waves["cs-baseline"].closed
    assert ("root", "wave-open") in actions and ("root", "wave-close") in actions
    dashboard = await client.get("/admin?lang=en")
    assert "scheduled" in dashboard.text


async def test_codes_are_issued_as_a_download_and_revoked(client: Client, settings: Settings
                                                          ) -> None:
    await sign_in(client, "root")
    page = await client.get("/admin/waves/staff-2026/codes?lang=en")
    assert page.status_code == 200 and 'value="elena/finance"' in page.text
    too_many = await post(client, "/admin/waves/staff-2026/codes",
                          {"unit": "elena/finance", "count": "11"})
    assert too_many.status_code == 400 and "has 10 people" in too_many.text
    slips = await post(client, "/admin/waves/staff-2026/codes",
                       {"unit": "elena/finance", "count": "3"})
    assert slips.status_code == 200
    assert slips.headers["content-disposition"].startswith('attachment; filename="codes-')
    codes = re.findall(r'<p class="code">([A-Z0-9-]+)</p>', slips.text)
    assert len(codes) == 3
    revoked = await post(client, "/admin/waves/staff-2026/codes/revoke", {"code": codes[0]})
    assert revoked.status_code == 303
    assert (await post(client, "/admin/waves/staff-2026/codes/revoke",
                       {"code": codes[0]})).status_code == 400
    async with opened(settings.database_url) as store:
        assert await store.token_counts("staff-2026") == {("elena", "finance"): (3, 1)}
        entries = [(e.action, e.detail) for e in await store.audit_entries()]
    assert ("codes-issue", '{"count":3,"organisation":"elena","unit":"finance",'
            '"wave":"staff-2026"}') in entries


async def test_the_leaflet_has_the_short_address_and_its_qr_code(client: Client) -> None:
    await sign_in(client, "ana")
    page = await client.get("/admin/waves/cs-baseline/leaflet/elena")
    assert page.status_code == 200 and '<html lang="bg">' in page.text
    assert "http://127.0.0.1:8000/s/citizen-satisfaction?org=elena" in page.text
    assert "<svg" in page.text and "Сканирайте QR кода" in page.text
    assert (await client.get("/admin/waves/staff-2026/leaflet/elena")).status_code == 404


async def type_in(client: Client, number: str, **changed: str) -> object:
    """Type in one paper questionnaire as a clerk: the number, then every page."""
    start = await post(client, "/admin/paper/elena/citizen-satisfaction",
                       {"number": number}, "/admin/paper/elena/citizen-satisfaction")
    if start.status_code != 200:
        return start
    page = start
    for _ in range(10):
        fields = {**hidden_fields(page.text), **FULL_ANSWERS, **changed, "_action": "next"}
        assert fields["_number"] == number and fields["_channel"] == "paper"
        action = re.search(r'<form id="survey" method="post" action="([^"]+)"', page.text)
        assert action
        page = await client.post(action.group(1).replace("&amp;", "&"), data=fields,
                                 follow_redirects=False)
        if page.status_code != 200:
            return page
    raise AssertionError("the paper form never ended")


async def test_a_clerk_types_in_numbered_paper_questionnaires(client: Client,
                                                              settings: Settings) -> None:
    await sign_in(client, "cleo")
    home = await client.get("/admin", follow_redirects=True)
    assert "/admin/paper/elena/citizen-satisfaction" in home.text
    assert "/admin/paper/lyaskovets/" not in home.text
    saved = await type_in(client, "A-0017")
    assert saved.status_code == 303  # type: ignore[attr-defined]
    assert saved.headers["location"] == (  # type: ignore[attr-defined]
        "/admin/paper/elena/citizen-satisfaction?saved=A-0017&entry=stored")
    back = await client.get(saved.headers["location"] + "&lang=en")  # type: ignore[attr-defined]
    assert "Questionnaire A-0017 was saved" in back.text and 'value=""' in back.text
    twice = await type_in(client, "A-0017")
    assert twice.status_code == 400  # type: ignore[attr-defined]
    assert "has already been entered" in twice.text  # type: ignore[attr-defined]
    bad = await type_in(client, "<script>")
    assert bad.status_code == 400  # type: ignore[attr-defined]
    assert (await client.get("/admin/paper/lyaskovets/citizen-satisfaction")).status_code == 403
    async with opened(settings.database_url) as store:
        [response] = await store.responses("cs-baseline")
        assert response.channel == "paper" and response.organisation == "elena"
        assert await store.paper_number_used("cs-baseline", "A-0017")
        entries = [(e.actor, e.action) for e in await store.audit_entries()]
    assert ("cleo", "paper-entry") in entries


async def test_the_audit_page_shows_the_chain_to_admins(client: Client) -> None:
    await sign_in(client, "ana", "wrong password!")
    await sign_in(client, "root")
    page = await client.get("/admin/audit?lang=en")
    assert page.status_code == 200 and "The chain of" in page.text and "is intact" in page.text
    assert "sign-in-failed" in page.text and "user-add" in page.text


async def test_malformed_administration_requests_are_client_errors(client: Client) -> None:
    assert (await client.post("/admin/login", data={"name": "root"})).status_code == 403  # CSRF
    await sign_in(client, "root")
    cases = [
        ("/admin/waves", {"survey": "no-such-survey", "phase": "baseline"}),
        ("/admin/waves", {"survey": "citizen-satisfaction", "phase": "\x00", "wave_id": "x" * 99}),
        ("/admin/waves/staff-2026/codes", {"unit": "nonsense", "count": "abc"}),
        ("/admin/waves/staff-2026/codes", {"unit": "elena/finance", "count": "-1"}),
        ("/admin/waves/staff-2026/codes/revoke", {"code": "<b>"}),
        ("/admin/waves/nope/close", {}),
        ("/admin/paper/elena/citizen-satisfaction", {"number": "1" * 500}),
        ("/admin/paper/elena/citizen-satisfaction/form", {"_number": "1", "_step": "99"}),
        ("/admin/paper/elena/citizen-satisfaction/form", {}),
        ("/admin/paper/elena/no-such-survey", {"number": "1"}),
    ]
    for path, data in cases:
        response = await post(client, path, data)
        assert 400 <= response.status_code < 500, (path, data, response.status_code)
    for path in ("/admin/orgs/sofia/waves/cs-baseline", "/admin/orgs/elena/waves/nope",
                 "/admin/waves/cs-baseline/leaflet/sofia", "/admin/waves/nope/codes",
                 "/admin/login?next=%0d%0aSet-Cookie:x", "/admin?lang=xx"):
        response = await client.get(path, follow_redirects=False)
        assert response.status_code < 500, path


async def test_double_entry_counts_a_questionnaire_when_two_clerks_agree(
    db_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SURVEY_SECRET_KEY", SECRET)
    settings = settings_for(db_path, paper_double_entry=True)  # type: ignore[arg-type]
    await seed_wave(settings, organisations=["elena"])
    await add_accounts(settings)
    async with opened(settings.database_url) as store:
        await add_user(settings, store, "cora", "clerk", ["elena"], PASSWORD, "test")
    async with AsyncTestClient(app=create_app(settings)) as client:

        async def as_user(name: str) -> Client:
            await sign_in(client, name)  # (one app, one client: each step signs in afresh)
            return client

        first = await type_in(await as_user("cleo"), "A-1")
        assert first.headers["location"].endswith("saved=A-1&entry=first")  # type: ignore[attr-defined]
        again = await type_in(client, "A-1")  # the same clerk cannot give the second entry
        assert again.status_code == 400 and "друг служител" in again.text  # type: ignore[attr-defined]
        async with opened(settings.database_url) as store:
            assert await store.count_responses("cs-baseline") == 0  # not counted yet
        second = await type_in(await as_user("cora"), "A-1")
        assert second.headers["location"].endswith("entry=matched")  # type: ignore[attr-defined]
        assert (await type_in(client, "A-1")).status_code == 400  # type: ignore[attr-defined]
        await type_in(await as_user("cleo"), "B-2")
        differ = await type_in(await as_user("cora"), "B-2", overall_satisfaction="2")
        assert differ.headers["location"].endswith("entry=mismatch")  # type: ignore[attr-defined]
        assert (await type_in(await as_user("root"), "B-2")).status_code == 400  # type: ignore[attr-defined]
        listed = await client.get("/admin/double-entry?lang=en")
        assert re.search(r"<th scope=\"row\">overall_satisfaction</th><td>4</td><td>2</td>",
                         listed.text), listed.text
        assert "recommend" not in listed.text  # only the answers that differ
        kept = await post(client, "/admin/double-entry/resolve",
                          {"wave": "cs-baseline", "number": "B-2", "keep": "cora"})
        assert kept.status_code == 303
        assert "B-2" not in (await client.get("/admin/double-entry")).text
        assert (await (await as_user("cleo")).get("/admin/double-entry")).status_code == 403
    async with opened(settings.database_url) as store:
        responses = await store.responses("cs-baseline")
        assert sorted(r.answers["overall_satisfaction"] for r in responses) == [2, 4]
        assert await store.paper_entries() == []
        actions = [e.action for e in await store.audit_entries()]
    assert "paper-resolve" in actions


@pytest.mark.parametrize("lang", ["bg", "en"])
async def test_a_paper_questionnaire_that_cannot_be_stored_gets_503_with_everything_kept(
        admin_app: Litestar, settings: Settings, db_path: Path, lang: str) -> None:
    store = SQLiteStore(str(db_path))
    store.busy_timeout_ms, store.write_retries = 50, 1
    async with AsyncTestClient(app=create_app(settings, store=store)) as client:
        await sign_in(client, "cleo")
        page = await post(client, f"/admin/paper/elena/citizen-satisfaction?lang={lang}",
                          {"number": "B-7"}, "/admin/paper/elena/citizen-satisfaction")
        for _ in range(10):
            fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_action": "next"}
            action = re.search(r'<form id="survey" method="post" action="([^"]+)"', page.text)
            assert action
            url = action.group(1).replace("&amp;", "&")
            if fields["_step"] != "5":
                page = await client.post(url, data=fields, follow_redirects=False)
                assert page.status_code == 200
                continue
            with LockHolder(db_path, 1.0):
                refused = await client.post(url, data=fields, follow_redirects=False)
            assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
            message = {"bg": "Отговорите Ви не можаха да бъдат запазени в момента",
                       "en": "Your answers could not be saved just now"}[lang]
            assert message in refused.text and f'<html lang="{lang}">' in refused.text
            kept = hidden_fields(refused.text)
            assert kept["_number"] == "B-7" and kept["_key"] == fields["_key"]
            assert kept["service"] == FULL_ANSWERS["service"]
            assert FULL_ANSWERS["comments"] in refused.text  # the last page's own answers
            again = await client.post(url, data={**kept, **FULL_ANSWERS, "_action": "next"},
                                      follow_redirects=False)
            assert again.status_code == 303 and "saved=B-7" in again.headers["location"]
            break
        else:
            raise AssertionError("the paper form never ended")
    async with opened(settings.database_url) as db:
        [response] = await db.responses("cs-baseline")
        assert response.channel == "paper" and await db.paper_number_used("cs-baseline", "B-7")


async def test_an_open_staff_wave_cannot_be_downloaded_by_organisation(client: Client) -> None:
    await sign_in(client, "ana")
    url = "/admin/orgs/elena/exports/staff-2026/responses.csv"
    assert (await client.get(url)).status_code == 409  # sealed until closed and mixed
    page = await client.get("/admin/orgs/elena/waves/staff-2026")
    assert page.status_code == 200 and url not in page.text
    page = await client.get("/admin/orgs/elena/waves/cs-baseline")
    assert "/admin/orgs/elena/exports/cs-baseline/responses.csv" in page.text

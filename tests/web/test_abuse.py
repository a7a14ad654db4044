"""Abuse of the public forms, through the HTTP app and the CLI: stuffing (a limit per client,
kiosks exempt), kiosk and paper channels nobody can claim, and staff codes that a flood of
wrong ones never locks out."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services import kiosks as kiosk_service
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.base import Kiosk
from survey_service.surveys.tokens import new_code
from tests.conftest import FULL_ANSWERS, SURVEY, hidden_fields, seed_wave, settings_for
from tests.web.kiosks import enrol, enrolment_link, kiosk_cli, open_link
from tests.web.test_public import FORM, stored, walk
from tests.web.test_staff import issue, open_staff_wave

Client = AsyncTestClient[Litestar]


@pytest.fixture
def limited(db_path: Path) -> Settings:
    """Three submissions per client in ten minutes: one more every 200 s."""
    return settings_for(db_path, submit_limit=3, submit_window_seconds=600)


@pytest.fixture
async def limited_client(limited: Settings) -> AsyncIterator[Client]:
    await seed_wave(limited)
    async with AsyncTestClient(app=create_app(limited)) as c:
        yield c


# ------------------------------------------------------------------------------- stuffing
async def test_a_client_over_the_limit_gets_429_in_its_language_with_every_answer_kept(
    limited_client: Client, limited: Settings
) -> None:
    for _ in range(3):
        assert (await walk(limited_client))[0].status_code == 303
    refused, _ = await walk(limited_client)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "200"
    assert "твърде много анкети" in refused.text and "след 4 мин." in refused.text
    kept = hidden_fields(refused.text)
    assert kept["service"] == "local_taxes" and kept["recommend"] == "9"  # earlier pages
    assert "Благодаря!" in refused.text  # the last page's own answer, still in its field
    assert kept["_step"] == "5" and "<form" in refused.text
    english, _ = await walk(limited_client, FORM + "&lang=en")
    assert english.status_code == 429 and "Too many surveys were sent" in english.text
    assert len(await stored(limited)) == 3


async def test_an_enrolled_kiosk_is_exempt_from_the_limit(
    limited_client: Client, limited: Settings
) -> None:
    await enrol(limited_client, limited)
    for _ in range(5):
        assert (await walk(limited_client))[0].status_code == 303
    assert [r.channel for r in await stored(limited)] == ["kiosk"] * 5


async def test_a_revoked_kiosk_is_limited_like_any_browser(
    limited_client: Client, limited: Settings
) -> None:
    await enrol(limited_client, limited, "--org", "elena", "--label", "Front desk 1")
    assert (await kiosk_cli(limited, "revoke", "Front desk 1"))[0] == 0
    statuses = [(await walk(limited_client))[0].status_code for _ in range(4)]
    assert statuses == [303, 303, 303, 429]
    assert {r.channel for r in await stored(limited)} == {"web"}


# --------------------------------------------------------------------- channels not claimable
async def test_kiosk_1_on_a_device_not_enrolled_is_the_ordinary_web_form(
    client: Client, settings: Settings
) -> None:
    page = await client.get(FORM + "&kiosk=1")
    assert "kiosk." not in page.text and "data-idle" not in page.text
    assert 'name="_channel"' not in page.text
    response, _ = await walk(client, FORM + "&kiosk=1")
    assert response.status_code == 303 and "kiosk" not in response.headers["location"]
    assert [r.channel for r in await stored(settings)] == ["web"]


async def test_a_posted_channel_field_is_ignored(client: Client, settings: Settings) -> None:
    page = await client.get(FORM)
    fields = hidden_fields(page.text)
    for claimed in ("kiosk", "paper"):
        data = {**fields, **FULL_ANSWERS, "_channel": claimed, "_step": "5", "_action": "next",
                "_key": f"claimed-{claimed}-0123456789"}
        answered = await client.post(f"/s/{SURVEY}", data=data, follow_redirects=False)
        assert answered.status_code == 303
    assert [r.channel for r in await stored(settings)] == ["web", "web"]


async def test_forged_foreign_and_revoked_kiosk_cookies_count_as_web(
    client: Client, settings: Settings
) -> None:
    await enrol(client, settings, "--org", "elena", "--label", "Desk")
    genuine = client.cookies["kiosk"]
    kiosk_id, _, mac = genuine.partition(".")
    other_key = kiosk_service.sign_cookie("another-key-" + "y" * 32, kiosk_id)
    flipped = f"{kiosk_id}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"
    for forged in (f"{kiosk_id}.", kiosk_id, other_key, flipped, "x" * 22 + "." + mac):
        client.cookies.set("kiosk", forged)
        assert "data-idle" not in (await client.get(FORM)).text, forged
    client.cookies.set("kiosk", genuine)
    assert "data-idle" in (await client.get(FORM)).text
    assert (await kiosk_cli(settings, "revoke", "Desk"))[0] == 0
    assert "data-idle" not in (await client.get(FORM)).text
    assert (await walk(client))[0].status_code == 303
    assert [r.channel for r in await stored(settings)] == ["web"]


async def test_a_kiosk_serves_only_its_organisation_and_survey(
    client: Client, settings: Settings
) -> None:
    await enrol(client, settings, "--org", "lyaskovets", "--survey", SURVEY)
    assert "data-idle" not in (await client.get(FORM)).text  # Elena's form: web
    assert "data-idle" in (await client.get(f"/s/{SURVEY}?org=lyaskovets")).text


async def test_the_public_paper_channel_is_refused_and_the_printable_form_stays(
    client: Client,
) -> None:
    refused = await client.get(FORM + "&channel=paper")
    assert refused.status_code == 404
    assert "/admin" in refused.text and "служители" in refused.text
    assert "<form" not in refused.text
    assert (await client.get(f"/s/{SURVEY}/paper?org=elena")).status_code == 200


# ------------------------------------------------------------------------------ enrolment
async def test_an_enrolment_link_works_once_and_is_stored_only_hashed(
    client: Client, settings: Settings, db_path: Path
) -> None:
    path = await enrolment_link(settings, "--org", "elena", "--label", "Front desk 1")
    token = path.rsplit("/", 1)[1]
    assert len(token) == 43  # 256 random bits
    assert (await client.get(path)).status_code == 200  # looking does not spend it
    assert (await client.post(path, data={})).status_code == 403  # another site's form
    page = await client.get(path)
    csrf = {"_csrf_token": hidden_fields(page.text)["_csrf_token"]}
    done = await client.post(path, data=csrf, follow_redirects=False)
    assert done.status_code == 303  # one survey open: straight to its form
    cookie = next(c for c in client.cookies.jar if c.name == "kiosk")
    assert cookie.has_nonstandard_attr("HttpOnly") or cookie.has_nonstandard_attr("httponly")
    assert cookie.expires is not None and cookie.expires > dt.datetime.now().timestamp() + 3e7
    assert await open_link(client, path) == 404  # used
    again = await client.post(path, data=csrf)  # pressing the button of the page again
    assert again.status_code == 404 and "Set-Cookie" not in again.headers
    async with AsyncTestClient(app=create_app(settings)) as other:
        assert await open_link(other, path) == 404
        assert "data-idle" not in (await other.get(FORM)).text
    files = b"".join(p.read_bytes() for p in db_path.parent.glob("survey.sqlite3*"))
    assert token.encode() not in files
    assert hashlib.sha256(token.encode()).digest() in files
    code, out = await kiosk_cli(settings, "list")
    assert code == 0 and re.search(r"Front desk 1\s+elena\s+\(all citizen surveys\)\s+enrolled",
                                   out), out


async def test_an_expired_or_revoked_link_cannot_enrol(
    client: Client, settings: Settings
) -> None:
    async with opened(settings.database_url) as store:
        expired = Kiosk(id="a" * 22, label="Old", organisation="elena", survey_id=None,
                        link_expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        assert await store.add_kiosk(expired, kiosk_service.link_hash("e" * 43))
    assert await open_link(client, "/kiosk/enrol/" + "e" * 43) == 404
    csrf = {"_csrf_token": hidden_fields((await client.get(FORM)).text)["_csrf_token"]}
    assert (await client.post("/kiosk/enrol/" + "e" * 43, data=csrf)).status_code == 404
    path = await enrolment_link(settings, "--org", "elena", "--label", "Soon gone")
    page = await client.get(path)
    assert (await kiosk_cli(settings, "revoke", "Soon gone"))[0] == 0
    done = await client.post(path, data={"_csrf_token": hidden_fields(page.text)["_csrf_token"]})
    assert done.status_code == 404 and "kiosk" not in client.cookies
    for bad in ("short", "%00", "x" * 500):
        assert (await client.get(f"/kiosk/enrol/{bad}")).status_code == 404
    code, out = await kiosk_cli(settings, "list")
    assert code == 0
    assert re.search(r"Old\s+elena\s+\S.*expired", out) and re.search(r"Soon gone.*revoked", out)


async def test_kiosk_commands_refuse_mistakes_in_one_line(settings: Settings) -> None:
    cases = [
        (["enrol", "--org", "nowhere"], "unknown organisation"),
        (["enrol", "--org", "elena", "--survey", "staff-survey"], "not a citizen survey"),
        (["enrol", "--org", "elena", "--label", " "], "kiosk label"),
        (["enrol", "--org", "elena", "--valid-hours", "0"], "--valid-hours"),
        (["revoke", "No such desk"], "no kiosk in use"),
    ]
    assert (await kiosk_cli(settings, "enrol", "--org", "elena", "--label", "Twice"))[0] == 0
    cases.append((["enrol", "--org", "elena", "--label", "Twice"], "exists"))
    for args, expected in cases:
        code, out = await kiosk_cli(settings, *args)
        assert code != 0 and expected in out and "Traceback" not in out, (args, out)
        assert [line.startswith("Error: ") for line in out.splitlines()].count(True) == 1, out


# ------------------------------------------------------------------------------ staff codes
async def test_a_valid_code_gets_in_after_twenty_wrong_ones_from_the_same_address(
    settings: Settings,
) -> None:
    await open_staff_wave(settings)
    async with AsyncTestClient(app=create_app(settings)) as client:
        statuses = [(await client.get(f"/t/{new_code()}")).status_code for _ in range(25)]
        assert statuses[:19] == [400] * 19 and statuses[19:] == [429] * 6
        refused = await client.get(f"/t/{new_code()}")
        assert refused.headers["retry-after"] == "600"
        [by_link, typed] = await issue(settings, 2)
        assert (await client.get(f"/t/{by_link}")).status_code == 200
        entry = await client.get("/staff")
        page = await client.post(
            "/staff", data={**hidden_fields(entry.text), "code": typed, "_action": "start"}
        )
        assert page.status_code == 200 and hidden_fields(page.text)["_step"] == "0"
        assert (await client.get(f"/t/{new_code()}")).status_code == 429  # still limited

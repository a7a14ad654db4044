"""Retention end to end: a comment typed in the form is gone from the SQLite file and its WAL
once its wave's period is over (the bytes, not just the row), the coded answers and the report
stay; the commands, the audit log and the server's daily purge."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.cli import cli
from survey_service.services import reports, retention
from survey_service.services.waves import close_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.surveys.waves import now
from tests.conftest import FULL_ANSWERS, SECRET, SURVEY, hidden_fields, seed_wave
from tests.web.test_staff import db_counts, issue, last_page_fields, open_staff_wave

UNIQUE = "Кметът-Иванов-ЕГН-7501011234-zq81"  # a personal detail nobody should keep


def on_disk(db: Path) -> bytes:
    """Every byte SQLite keeps for the database: the file, its WAL and shared memory."""
    return b"".join(p.read_bytes() for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm"))
                    if p.exists())


async def answer(settings: Settings, comments: list[str]) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        for text in comments:
            page = await client.get(f"/s/{SURVEY}?org=elena")
            data = {**hidden_fields(page.text), **FULL_ANSWERS, "comments": text,
                    "_step": "5", "_action": "next"}
            sent = await client.post(f"/s/{SURVEY}", data=data, follow_redirects=False)
            assert sent.status_code == 303


async def test_the_purge_removes_the_bytes_of_free_text_and_keeps_the_report(
    settings: Settings, db_path: Path
) -> None:
    await seed_wave(settings)
    await answer(settings, [UNIQUE, "Всичко беше наред", ""])
    needle = UNIQUE.encode()
    async with opened(settings.database_url) as store:
        await close_wave(settings, store, "cs-baseline")
        before = await store.wave_codes("cs-baseline", groups=True)
        rates = await reports.response_rates(store, "cs-baseline")
        assert needle in on_disk(db_path)  # the test can see the bytes it looks for
        closed = {w.id: w for w in await store.waves()}["cs-baseline"].closed_at()
        assert closed is not None
        early = await retention.run(settings, store, "test", closed + dt.timedelta(days=364))
        assert early == [] and needle in on_disk(db_path)  # kept for the whole period

        done = await retention.run(settings, store, "test", closed + dt.timedelta(days=366))
        assert [(d.wave, d.what, d.removed) for d in done] == [("cs-baseline", "text", 2)]
        assert needle not in on_disk(db_path)  # while the server still has it open
        assert "Всичко беше наред".encode() not in on_disk(db_path)
        assert await store.wave_codes("cs-baseline", groups=True) == before
        assert await reports.response_rates(store, "cs-baseline") == rates
        kept = await store.responses("cs-baseline")
        assert len(kept) == 3 and all("comments" not in r.answers for r in kept)
        assert all(r.answers["overall_satisfaction"] == 4 for r in kept)
        last = (await store.audit_entries(limit=1))[0]
        assert last.action == "retention-text" and msgspec.json.decode(last.detail) == {
            "wave": "cs-baseline", "days": 365, "removed": 2}
        again = await retention.run(settings, store, "test", closed + dt.timedelta(days=999))
        assert again == []
    assert needle not in on_disk(db_path)


def run(env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_commands_set_show_and_run_the_periods(tmp_path: Path) -> None:
    env = {"SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "SURVEY_SECRET_KEY": SECRET, "SURVEY_RETENTION_TEXT_DAYS": "30"}
    run(env, "waves", "open", SURVEY, "--id", "old", "--starts", "2020-01-01",
        "--ends", "2020-02-01")
    run(env, "waves", "open", SURVEY, "--id", "recent", "--starts", "2020-03-01")
    run(env, "waves", "close", "recent")
    out = run(env, "waves", "set", "recent", "--retention-text", "4000", "--retention-codes", "9")
    assert "kept 4000 days" in out and "code list kept 9 days" in out
    status = run(env, "retention", "status")
    assert "old     text  30    2020-03-02  -" in status
    assert "recent  text  4000" in status
    assert "wave old: deleted the free-text answers (0 responses), 30 days after it closed" in (
        run(env, "retention", "run"))
    assert "nothing is due" in run(env, "retention", "run")
    assert "retention-text" in run(env, "audit", "list")
    for days in ("0", "36501"):
        bad = CliRunner().invoke(cli, ["waves", "set", "old", "--retention-text", days], env=env)
        assert bad.exit_code == 1 and "from 1 to 36,500" in bad.output


async def test_the_server_purges_by_itself(
    settings: Settings, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "FIRST_RUN_SECONDS", 0.0)
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    await seed_wave(settings, "long-ago", starts=past, ends=past + dt.timedelta(days=30))
    async with AsyncTestClient(app=create_app(settings)):
        for _ in range(100):
            async with opened(settings.database_url) as store:
                wave = {w.id: w for w in await store.waves()}["long-ago"]
            if wave.text_purged is not None:
                break
            await asyncio.sleep(0.05)
    assert wave.text_purged is not None


async def test_a_staff_wave_keeps_its_codes_until_mixed_then_only_their_counts(
    settings: Settings, db_path: Path
) -> None:
    await open_staff_wave(settings)
    codes = await issue(settings, 4)
    async with AsyncTestClient(app=create_app(settings)) as client:
        for code in codes[:2]:
            fields = {**await last_page_fields(client, code), "comments": UNIQUE}
            assert (await client.post("/t", data=fields, follow_redirects=False)
                    ).status_code == 303
    far = now() + dt.timedelta(days=400)
    async with opened(settings.database_url) as store:
        wave = {w.id: w for w in await store.waves()}["staff-2026"]
        await store.update_wave(msgspec.structs.replace(wave, closed=now()))
        assert await retention.run(settings, store, "test", far) == []  # not mixed yet
        await close_wave(settings, store, "staff-2026")  # (already closed: mixes)
        rates = await reports.response_rates(store, "staff-2026")
        done = await retention.run(settings, store, "test", far)
        assert sorted((d.what, d.removed) for d in done) == [("codes", 4), ("text", 2)]
        assert await reports.response_rates(store, "staff-2026") == rates
        assert await store.count_responses("staff-2026") == 2
    assert db_counts(db_path)["tokens"] == 0 and UNIQUE.encode() not in on_disk(db_path)

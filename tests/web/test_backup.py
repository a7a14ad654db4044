"""``db backup`` and ``db restore`` on both engines: a round trip keeps every row of every
table (and the sealed answers of an open staff wave), a backup made by an older schema is
migrated when restored, the audit log records both and verifies, and mistakes are one line."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest
from click.testing import CliRunner, Result

from survey_service.cli import cli
from survey_service.storage import SQLITE, opened, postgres_migrate, sqlite_migrate
from survey_service.storage.pending import PendingFiles
from tests.contract.conftest import add_wave, response
from tests.contract.pg import fresh_database
from tests.web.test_db_copy import KEY, SECRET, fill

Rows = dict[str, list[tuple[Any, ...]]]


@pytest.fixture(params=["sqlite", "postgres"])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The URLs of two new, empty databases of one engine."""
    if request.param == "sqlite":
        yield f"{SQLITE}{tmp_path / 'source.sqlite3'}", f"{SQLITE}{tmp_path / 'target.sqlite3'}"
        return
    with fresh_database() as source, fresh_database() as target:
        yield source, target


def run(url: str, *args: str) -> Result:
    env = {"SURVEY_DATABASE_URL": url, "SURVEY_SECRET_KEY": SECRET, "SURVEY_DB_POOL_SIZE": "4"}
    return CliRunner().invoke(cli, list(args), env=env)


async def every_table(url: str) -> Rows:
    """Every row of every table the database holds, sorted (found in the catalogue, so a table
    added later is compared too); sealed answers of SQLite's open waves under ``pending:``."""
    out: Rows = {}
    if url.startswith(SQLITE):
        path = url.removeprefix(SQLITE)
        with closing(sqlite3.connect(path)) as conn:
            names = [r[0] for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            for name in names:
                out[name] = sorted(conn.execute(f'SELECT * FROM "{name}"'), key=repr)
            waves = [r[0] for r in conn.execute("SELECT id FROM waves")]
        for wave in waves:
            out[f"pending:{wave}"] = sorted(PendingFiles(path).read(wave).items())
        return out
    conn = await asyncpg.connect(url)
    try:
        names = [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for name in names:
            rows = await conn.fetch(f'SELECT * FROM "{name}"')
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    finally:
        await conn.close()
    return out


async def fill_open_wave(url: str) -> None:
    """A staff wave still open, with three sealed answers, and a signed-in session."""
    async with opened(url) as store:
        await add_wave(store, "open-staff")
        await store.add_tokens("open-staff", "elena", "it", [b"o" * 31 + bytes([n]) for n in
                                                             range(4)])
        for n in range(3):
            sealed = msgspec.json.encode(response(f"open-{n}-xxxxxxxxxxxxxxxx",
                                                  wave_id="open-staff", day=None))
            assert await store.submit_sealed(b"o" * 31 + bytes([n]), "open-staff", sealed)
        await store.session_set(b"s" * 32, b"{}", 4_000_000_000.0)


async def test_a_round_trip_keeps_every_table(urls: tuple[str, str], tmp_path: Path) -> None:
    source, target = urls
    await fill(source)
    await fill_open_wave(source)
    out = tmp_path / "elena.backup"
    made = await asyncio.to_thread(run, source, "db", "backup", str(out))
    assert made.exit_code == 0, made.output
    assert "backed up into" in made.stdout and out.stat().st_mode & 0o777 == 0o600
    if source.startswith(SQLITE):
        assert "with 3 sealed staff answers of open waves" in made.stdout
    before = await every_table(source)

    back = await asyncio.to_thread(run, target, "db", "restore", str(out))
    assert back.exit_code == 0, back.output
    assert "audit log intact" in back.stdout
    after = await every_table(target)

    assert before.pop("sessions") and after.pop("sessions") == []  # everybody signs in again
    *kept, backed_up = before.pop("audit")
    *copied, restored = after.pop("audit")
    assert copied == kept and b"db-backup" in repr(backed_up).encode()
    assert "db-restore" in repr(restored)
    assert after == before
    assert len(before["responses"]) == 255 and any(k.startswith("pending") and v
                                                   for k, v in after.items())
    verified = await asyncio.to_thread(run, target, "audit", "verify")
    assert verified.exit_code == 0 and "audit log intact" in verified.stdout

    # the open wave goes on after the restore: its sealed answers are mixed when it closes
    async with opened(target) as store:
        assert await store.check_key(KEY)
        assert await store.pending_count("open-staff") == 3
        assert await store.submit_sealed(b"o" * 31 + b"\x03", "open-staff", msgspec.json.encode(
            response("open-3-xxxxxxxxxxxxxxxx", wave_id="open-staff", day=None)))


async def test_a_database_in_use_is_replaced_only_when_forced(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    source, target = urls
    await fill(source)
    async with opened(target) as store:
        await add_wave(store, "other")
    out = tmp_path / "elena.backup"
    assert (await asyncio.to_thread(run, source, "db", "backup", str(out))).exit_code == 0
    again = await asyncio.to_thread(run, source, "db", "backup", str(out))
    assert again.exit_code == 1 and "exists already" in again.output
    refused = await asyncio.to_thread(run, target, "db", "restore", str(out))
    assert refused.exit_code == 1 and "is not empty" in refused.output
    assert "--force" in refused.output and len(refused.output.strip().splitlines()) == 1
    forced = await asyncio.to_thread(run, target, "db", "restore", "--force", str(out))
    assert forced.exit_code == 0, forced.output
    async with opened(target) as store:
        assert sorted(w.id for w in await store.waves()) == ["staff", "w"]
        assert await store.count_responses() == 255


async def test_a_backup_of_an_older_schema_is_migrated_when_restored(
    urls: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = urls
    newest = max(m.number for m in sqlite_migrate.known_migrations())
    for module in (sqlite_migrate, postgres_migrate):
        every = module.known_migrations()
        monkeypatch.setattr(module, "known_migrations",
                            lambda every=every: [m for m in every if m.number <= 9])
    async with opened(source) as store:  # the code of migration 0009
        assert await store.check_key(KEY)
        await store.save_form_version("contract-survey", "v1", b"{}")
    await old_wave(source)  # as that code wrote it (the columns of its time)
    async with opened(source) as store:
        await store.import_responses([response(f"old-{n}-xxxxxxxxxxxxxxxxx", wave_id="old")
                                      for n in range(7)])
    out = tmp_path / "old.backup"
    assert (await asyncio.to_thread(run, source, "db", "backup", str(out))).exit_code == 0
    monkeypatch.undo()  # now this version's code
    back = await asyncio.to_thread(run, target, "db", "restore", str(out))
    assert back.exit_code == 0, back.output
    assert "applied migrations 0010" in back.stdout and f"{newest:04d}" in back.stdout
    async with opened(target) as store:
        assert store.applied == [] and await store.ready() is None
        assert await store.count_responses("old") == 7
        assert await store.kiosks() == []  # a table of migration 0010


async def old_wave(url: str) -> None:
    sql = ("INSERT INTO waves (id, survey_id, version, phase, organisations)"
           " VALUES ('old', 'contract-survey', 'v1', 'baseline', '[]')")
    if url.startswith(SQLITE):
        with closing(sqlite3.connect(url.removeprefix(SQLITE))) as conn, conn:
            conn.execute(sql)
        return
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def test_mistakes_are_one_line(tmp_path: Path) -> None:
    url = f"{SQLITE}{tmp_path / 'db.sqlite3'}"
    cases = [
        (["db", "restore", str(tmp_path / "missing")], "no backup file at"),
        (["db", "backup", str(tmp_path / "no" / "such" / "file")], "does not exist"),
    ]
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a backup at all")
    cases.append((["db", "restore", str(junk)], "is not a backup made by"))
    dump = tmp_path / "pg.backup"
    dump.write_bytes(b"PGDMP\x01\x0e")
    cases.append((["db", "restore", str(dump)], "db copy"))
    for args, expected in cases:
        result = run(url, *args)
        assert result.exit_code == 1 and expected in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


async def test_a_backup_made_while_answers_arrive_is_consistent(tmp_path: Path) -> None:
    """Online: submissions go on (none fails) while the backup copies, and the backup is one
    moment of the database: its integrity check passes and it holds every answer acknowledged
    before the backup began, each once."""
    url = f"{SQLITE}{tmp_path / 'busy.sqlite3'}"
    out = tmp_path / "busy.backup"
    async with opened(url) as store:
        assert await store.check_key(KEY)
        await add_wave(store, "w")
        await store.import_responses([response(f"bulk-{n:06d}-xxxxxxxxxxxxx",
                                               answers={"t": "x" * 500}) for n in range(3000)])
        stop = asyncio.Event()
        sent = 0

        async def submit() -> None:
            nonlocal sent
            while not stop.is_set():
                await store.submit(response(f"live-{sent:06d}-xxxxxxxxxxxxx"))
                sent += 1

        writer = asyncio.create_task(submit())
        await asyncio.sleep(0.05)
        before = sent
        made = await asyncio.to_thread(run, url, "db", "backup", str(out))
        during = sent - before
        stop.set()
        await writer
    assert made.exit_code == 0, made.output
    assert during > 0  # answers went on while the backup was made
    with closing(sqlite3.connect(out)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        live = conn.execute("SELECT COUNT(*), COUNT(DISTINCT submission_key) FROM responses"
                            " WHERE submission_key LIKE 'live-%'").fetchone()
    assert live[0] == live[1] and before <= live[0] <= sent

"""SQLite only: migrations recorded in ``schema_migrations``; databases made before that table
(``PRAGMA user_version``) are adopted; newer ones are refused; concurrent starts are safe.

Raw ``sqlite3`` here builds databases as the old code did and inspects the engine's own
bookkeeping table, which the contract does not expose.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import aiosqlite
import pytest

from survey_service.storage import SchemaTooNewError, open_store, opened
from survey_service.storage.sqlite_migrate import known_migrations, migrate
from survey_service.surveys.waves import Wave

from .test_sqlite_open import threading_count, threads_settle

STRUCTURE = b'{"elena":{"id":"before-2026","units":[]}}'


def _legacy(db: Path, up_to: int = 4) -> None:
    """A database as the code before ``schema_migrations`` left it: the migrations up to
    ``up_to`` applied, counted in ``user_version``, a staff wave with its structure stored as
    a form version of the fake survey "structure", and one response."""
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        for migration in known_migrations():
            if migration.number <= up_to:
                for statement in migration.statements():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {up_to}")
        if up_to < 4:
            return
        conn.executemany(
            "INSERT INTO form_versions (version, survey_id, definition, first_seen)"
            " VALUES (?, ?, ?, '2026-01-05')",
            [("v1", "staff-survey", b"{}"), ("s1", "structure", STRUCTURE)],
        )
        conn.execute(
            "INSERT INTO waves (id, survey_id, version, phase, organisations, structure)"
            " VALUES ('staff', 'staff-survey', 'v1', 'baseline', '[]', 's1')"
        )
        conn.execute(
            "INSERT INTO responses (id, submission_key, wave_id, version, organisation, unit,"
            " channel, lang, day, answers) VALUES (x'01', 'k', 'staff', 'v1', 'elena',"
            " 'finance', 'web', 'bg', NULL, '{\"q\":1}')"
        )
    conn.close()  # (the with-block commits, it does not close)


def _recorded(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT number, name FROM schema_migrations ORDER BY number")
        result = [(int(n), str(name)) for n, name in rows]
    conn.close()
    return result


ALL = [(m.number, m.name) for m in known_migrations()]


def test_migrations_are_numbered_without_gaps() -> None:
    assert [n for n, _ in ALL] == list(range(1, len(ALL) + 1))
    assert ALL[-1] == (17, "response_days")


async def test_migrate_returns_the_numbers_it_applied(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    _legacy(db, up_to=2)
    async with aiosqlite.connect(db, isolation_level=None) as conn:
        assert await migrate(conn, str(db)) == [n for n, _ in ALL if n >= 3]
        assert await migrate(conn, str(db)) == []
    async with aiosqlite.connect(tmp_path / "new.sqlite3", isolation_level=None) as conn:
        assert await migrate(conn, "new") == [n for n, _ in ALL]


async def test_a_database_of_the_old_code_is_adopted_and_upgraded(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    _legacy(db)
    async with opened(f"sqlite:///{db}") as store:
        assert await store.migrate() == []
        assert await store.structure("s1") == STRUCTURE  # moved to its own table
        assert await store.form_version("s1") is None
        assert await store.form_version("v1") == b"{}"
        [wave] = await store.waves()
        assert wave == Wave(id="staff", survey_id="staff-survey", version="v1", structure="s1")
        [row] = await store.responses("staff")
        assert row.unit == "finance" and row.answers == {"q": 1}
    assert _recorded(db) == ALL  # 1-4 adopted, 5 applied, each once


async def test_a_newer_database_is_refused_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    async with opened(f"sqlite:///{db}"):
        pass
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01')")
    conn.close()
    threads = threading_count()
    store = open_store(f"sqlite:///{db}")
    with pytest.raises(SchemaTooNewError) as caught:
        await store.open()
    message = str(caught.value)
    assert "migration 99" in message and "upgrade" in message and "\n" not in message
    assert await threads_settle(threads)  # nothing left running


async def test_an_old_style_database_from_newer_code_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    _legacy(db)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 42")
    conn.close()
    with pytest.raises(SchemaTooNewError, match="migration 42"):
        await open_store(f"sqlite:///{db}").open()
    with sqlite3.connect(db) as conn:  # nothing recorded, nothing changed
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "schema_migrations" not in tables and "structures" not in tables


async def test_stores_started_at_once_apply_each_migration_once(tmp_path: Path) -> None:
    for name, prepare in (("new", None), ("old", _legacy)):
        db = tmp_path / f"{name}.sqlite3"
        if prepare:
            prepare(db)
        stores = [open_store(f"sqlite:///{db}") for _ in range(4)]
        await asyncio.gather(*(s.open() for s in stores))
        for s in stores:
            await s.close()
        assert _recorded(db) == ALL, name


def test_two_processes_migrating_at_once(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    cli = str(Path(sys.executable).with_name("survey-service"))
    env = {**os.environ, "SURVEY_DATABASE_URL": f"sqlite:///{db}", "SURVEY_SECRET_KEY": "k" * 32}
    runs = [subprocess.Popen([cli, "db", "migrate"], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    applied: list[int] = []
    for run in runs:
        out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        if "applied migrations" in out:  # each process says what it applied itself
            numbers = out.split("applied migrations ", 1)[1].split(" (", 1)[0]
            applied += [int(n) for n in numbers.split(", ")]
        else:
            assert "up to date" in out, out
    assert _recorded(db) == ALL
    assert sorted(applied) == [n for n, _ in ALL]  # each applied once, by one of them


async def test_a_database_locked_by_another_program_is_refused_in_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from survey_service.storage import StoreOpenError, sqlite_files

    monkeypatch.setattr(sqlite_files, "BUSY_TIMEOUT_MS", 200)
    db = tmp_path / "db.sqlite3"
    _legacy(db)  # migration 5 still to apply: it needs the write lock
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program writing, and never finishing
    try:
        threads = threading_count()
        async with asyncio.timeout(5):
            with pytest.raises(StoreOpenError, match="locked"):
                await open_store(f"sqlite:///{db}").open()
        assert await threads_settle(threads)
    finally:
        holder.close()
    async with opened(f"sqlite:///{db}") as store:  # once it is free, all is well
        assert await store.structure("s1") == STRUCTURE


READ_GROUPS = ("SELECT codes, organisation, channel, unit, panel, day FROM responses"
               " WHERE wave_id = ?")


async def test_a_database_of_migration_15_gets_the_wave_codes_index(tmp_path: Path) -> None:
    """Migration 16 on a database with responses: the rows are kept, in the same order, and a
    wave's codes are then read from the covering index (its pages contiguous), not looked up
    row by row in the table ordered by random ids."""
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE schema_migrations (number INTEGER PRIMARY KEY,"
                     " name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        for migration in known_migrations():
            if migration.number <= 15:
                for statement in migration.statements():
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '2026-11-01')",
                             (migration.number, migration.name))
        conn.execute("INSERT INTO form_versions (version, survey_id, definition, first_seen)"
                     " VALUES ('v1', 's', x'7b7d', '2026-01-05')")
        for wave in ("a", "b"):
            conn.execute("INSERT INTO waves (id, survey_id, version, phase, organisations)"
                         " VALUES (?, 's', 'v1', 'baseline', '[]')", (wave,))
        rows = [(bytes([(37 * i) % 256, i]), f"k{i}", "ab"[i % 2], "v1", f"org{i % 3}", "web",
                 "bg", "2026-02-01", b"{}", (i).to_bytes(4, "little") * 2) for i in range(60)]
        conn.executemany("INSERT INTO responses (id, submission_key, wave_id, version,"
                         " organisation, channel, lang, day, answers, codes)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + READ_GROUPS, "a"))
        assert "COVERING" not in plan  # before: the wave's index, then each row by its id
    conn.close()
    async with opened(f"sqlite:///{db}") as store:
        codes = await store.wave_codes("a", groups=True)
    wave_a = sorted((r for r in rows if r[2] == "a"), key=lambda r: r[0])  # by random id
    assert codes.count == 30 and codes.codes == b"".join(r[9] for r in wave_a)
    assert codes.organisations == [r[4] for r in wave_a]
    assert _recorded(db) == ALL
    with sqlite3.connect(db) as conn:
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + READ_GROUPS, "a"))
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone() == (60,)
    conn.close()
    assert "USING COVERING INDEX responses_wave_codes" in plan

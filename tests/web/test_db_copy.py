"""``survey-service db copy``: SQLite to PostgreSQL and back, resumable, verified."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import asyncpg
import msgspec
import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.keyfile import fingerprint
from survey_service.services import audit
from survey_service.storage import NewResponse, StoreError, opened
from survey_service.storage import copy as db_copy
from survey_service.storage.base import Kiosk, PaperEntry, Plan, User
from survey_service.storage.publications import Publication
from tests.contract.conftest import add_wave, response
from tests.contract.pg import fresh_database

SECRET = "the-secret-key-of-elena-" * 2
KEY = fingerprint(SECRET)
CITIZENS = 250


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def fill(url: str) -> None:
    """Citizen answers, a mixed staff wave with units and panel hashes, codes, the key."""
    async with opened(url) as store:
        assert await store.check_key(KEY)
        await add_wave(store, "w", organisations=["elena"],
                       starts=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))
        staff = await add_wave(store, "staff", min_group=12, panel=True)
        await store.import_responses([
            response(f"citizen-{n:05d}-xxxxxxxxxx", codes=n.to_bytes(4, "little") * 3,
                     lang="en" if n % 3 else "bg", answers={"n": n, "t": ["a", "é"]})
            for n in range(CITIZENS)
        ])
        await store.add_tokens("staff", "elena", "finance", [bytes([n]) * 32 for n in range(12)])
        await store.add_tokens("staff", "elena", "it", [bytes([n]) * 32 for n in range(12, 15)])
        for n in range(5):
            sealed = msgspec.json.encode(response(
                f"staff-{n:03d}-xxxxxxxxxxxxxx", wave_id="staff", day=None, unit="finance",
                panel=bytes([n]) * 16))
            assert await store.submit_sealed(bytes([n]) * 32, "staff", sealed)
        assert await store.revoke_token(bytes([13]) * 32)
        await store.update_wave(msgspec.structs.replace(staff, closed=dt.datetime.now(dt.UTC)))
        assert await store.mix_wave("staff", lambda b: msgspec.json.decode(
            b, type=NewResponse)) == 5


async def contents(url: str) -> dict[str, object]:
    """Everything the store contract can read back."""
    async with opened(url) as store:
        out: dict[str, object] = {"waves": await store.waves()}
        for wave in ("w", "staff"):
            out[wave] = [await store.responses(wave), await store.wave_codes(wave, groups=True),
                         await store.token_counts(wave), await store.organisation_counts(wave)]
        out["versions"] = await store.form_version("v1")
        out["keys"] = all([await store.submitted(f"citizen-{n:05d}-xxxxxxxxxx")
                           for n in range(0, CITIZENS, 50)])
        out["same key"] = await store.check_key(KEY)
        out["other key"] = await store.check_key(b"another key")  # refused: codes exist
        return out


def copy(source: str, target: str) -> str:
    result = CliRunner().invoke(cli, ["db", "copy", "--from", source, "--to", target])
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_sqlite_to_postgresql_and_back_keeps_everything(
    tmp_path: Path, pg_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    back_url = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    await fill(sqlite_url)
    expected = await contents(sqlite_url)
    assert expected["same key"] and not expected["other key"]

    out = await _in_thread(copy, sqlite_url, pg_url)
    assert f"copied {CITIZENS + 5 + 15 + 1:,} rows" in out  # responses, codes, the key
    assert "responses 255" in out and "tokens 15" in out and "waves 2" in out
    assert await contents(pg_url) == expected
    out = await _in_thread(copy, sqlite_url, pg_url)  # again: nothing left to copy
    assert "copied 0 rows" in out

    await _in_thread(copy, pg_url, back_url)
    assert await contents(back_url) == expected


async def _in_thread(fn: Callable[[str, str], str], *args: str) -> str:
    return await asyncio.to_thread(fn, *args)


async def test_a_copy_that_stops_continues_where_it_stopped(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    await fill(sqlite_url)
    monkeypatch.setattr(db_copy, "BATCH", 20)
    seen: list[int] = []

    def stop_midway(done: int, total: int) -> None:
        seen.append(done)
        if done > 100:
            raise ConnectionResetError("the network went away")

    with pytest.raises(StoreError, match="run the same command again to continue"):
        await db_copy.copy_database(sqlite_url, pg_url, stop_midway)
    stopped_at = seen[-1]
    progress: list[tuple[int, int]] = []
    result = await db_copy.copy_database(sqlite_url, pg_url,
                                         lambda d, t: progress.append((d, t)))
    total = CITIZENS + 5 + 1 + 15 + 1  # responses, the form version, codes, the key
    assert result.copied == total - stopped_at  # nothing copied twice
    assert progress[0][0] > stopped_at and progress[-1] == (total, total)
    assert await contents(pg_url) == await contents(sqlite_url)


async def test_sealed_answers_not_mixed_and_a_target_with_other_data_are_refused(
    tmp_path: Path, pg_url: str
) -> None:
    source = f"sqlite:///{tmp_path / 'open.sqlite3'}"
    async with opened(source) as store:
        await add_wave(store, "staff")
        await store.add_tokens("staff", "elena", "finance", [b"c" * 32])
        assert await store.submit_sealed(b"c" * 32, "staff", b"sealed")
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["db", "copy", "--from", source, "--to", pg_url])
    assert result.exit_code == 1 and "waves close staff" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    async with opened(other) as store:
        await add_wave(store, "w")
        await store.submit(response("somebody-elses-xxxxxxxxxx"))
    elena = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    await fill(elena)
    with pytest.raises(StoreError, match="differs"):
        await db_copy.copy_database(elena, other, lambda d, t: None)


async def fill_every_kind(url: str) -> None:
    """Besides :func:`fill`: an admin, audit entries, a numbered paper questionnaire and one
    waiting for its second clerk, a kiosk, a frozen plan, a disclosure plan, purged codes."""
    await fill(url)
    async with opened(url) as store:
        assert await store.add_user(User(
            name="admin", role="admin", password_hash="$argon2id$v=19$xyz", key_hash=b"k" * 32,
            epoch=3, created="2026-11-01T09:00:00+00:00"))
        assert await store.add_user(User(name="ana", role="analyst", organisations=["elena"],
                                         password_hash="$argon2id$v=19$abc", disabled=True))
        for n in range(3):
            await audit.record(store, "admin", "export", {"n": n, "t": "é"})
        assert await store.submit_paper(response("paper-0001-xxxxxxxxxxxx", channel="paper"),
                                        "0001")
        assert await store.add_paper_entry(PaperEntry("w", "0002", "clerk-a", b'{"x": 1}'))
        assert await store.add_paper_entry(PaperEntry("w", "0002", "clerk-b", b'{"x": 2}'))
        assert await store.add_paper_entry(PaperEntry("w", "0003", "clerk-a", b'{"x": 3}'))
        assert await store.add_kiosk(Kiosk(
            id="kiosk-1", label="Front desk 1", organisation="elena", survey_id=None,
            link_expires=dt.datetime(2026, 12, 2, 8, 30, 15, 123456, tzinfo=dt.UTC)),
            b"l" * 32)
        assert await store.add_kiosk(Kiosk(
            id="kiosk-2", label="Front desk 2", organisation="elena", survey_id="s",
            link_expires=dt.datetime(2026, 12, 3, tzinfo=dt.UTC), enrolled=True, revoked=True),
            b"m" * 32)
        await store.save_plan(Plan(name="confirmatory", hash="abc", definition=b'{"f": 1}',
                                   frozen=dt.datetime(2026, 11, 5, 7, 1, 2, tzinfo=dt.UTC),
                                   wave_id="w"))
        await store.save_disclosure_plan("staff", b'{"hidden": []}')
        await store.save_structure("structure-1", b'{"elena": {"units": []}}')
        await store.publish(Publication(  # on the public results page
            wave_id="w", published_at=dt.datetime(2026, 12, 4, 10, 0, 1, 250000, tzinfo=dt.UTC),
            actor="admin"))
        # retention: a wave whose codes were purged keeps their counts, and when it was done
        await add_wave(store, "purged", retention_text=30, retention_codes=7)
        await store.add_tokens("purged", "elena", "hr", [b"p" * 32, b"q" * 32])
        assert await store.revoke_token(b"p" * 32)
        at = dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
        assert await store.purge_codes("purged", at) == 2
        assert await store.purge_text("purged", {}, at) == 0


def sqlite_tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table of a SQLite database, as stored, in a fixed order."""
    with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {name: sorted(conn.execute(f"SELECT * FROM {name}"), key=repr)
                for name in names if name not in db_copy.SKIPPED or name == "waves"}


async def neutral_tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    raw = await db_copy._raw(url)
    try:
        return {t.name: await raw.rows(t, None, 10**6) for t in db_copy.TABLES}
    finally:
        await raw.close()


def audit_verify(url: str) -> str:
    result = CliRunner().invoke(cli, ["audit", "verify"], env={
        "SURVEY_DATABASE_URL": url, "SURVEY_SECRET_KEY": SECRET})
    assert result.exit_code == 0, result.output
    return result.output


async def test_every_table_goes_to_postgresql_and_back_unchanged(
    tmp_path: Path, pg_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    back_url = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    await fill_every_kind(sqlite_url)
    before = sqlite_tables(sqlite_url)
    assert [t.name for t in db_copy.TABLES if not before[t.name]] == []  # each one tested
    assert any(r[-1] == "0001" for r in before["responses"])  # the paper number

    out = await _in_thread(copy, sqlite_url, pg_url)
    assert "audit 3" in out and "kiosks 2" in out and "paper_entries 3" in out
    assert await neutral_tables(pg_url) == await neutral_tables(sqlite_url)
    await _in_thread(copy, pg_url, back_url)
    assert sqlite_tables(back_url) == before

    verdicts = [await _in_thread(audit_verify, url) for url in (sqlite_url, pg_url, back_url)]
    assert verdicts[0].startswith("audit log intact: 3 entries") and len(set(verdicts)) == 1
    async with opened(back_url) as store:  # the store reads what the copy wrote
        assert (await store.plan("confirmatory")) == (await _plan(sqlite_url))
        assert [k.label for k in await store.kiosks()] == ["Front desk 1", "Front desk 2"]
        assert await store.paper_number_used("w", "0001")
        assert (await store.publications())["w"].actor == "admin"


async def _plan(url: str) -> Plan | None:
    async with opened(url) as store:
        return await store.plan("confirmatory")


async def test_a_stopped_copy_resumes_within_a_key_of_several_columns(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    await fill_every_kind(sqlite_url)
    monkeypatch.setattr(db_copy, "BATCH", 2)
    calls: list[str] = []

    async def insert_then_stop(self: db_copy._Raw, table: db_copy.Table,
                               rows: list[tuple[object, ...]]) -> None:
        await real_insert(self, table, rows)
        calls.append(table.name)
        if table.name == "paper_entries":
            raise ConnectionResetError("the network went away")

    real_insert = db_copy._PostgresRaw.insert
    monkeypatch.setattr(db_copy._PostgresRaw, "insert", insert_then_stop)
    with pytest.raises(StoreError, match="run the same command again"):
        await db_copy.copy_database(sqlite_url, pg_url, lambda d, t: None)
    monkeypatch.setattr(db_copy._PostgresRaw, "insert", real_insert)
    result = await db_copy.copy_database(sqlite_url, pg_url, lambda d, t: None)
    assert result.tables["paper_entries"] == 3
    assert await neutral_tables(pg_url) == await neutral_tables(sqlite_url)


async def test_the_copy_names_every_table_of_the_schema(tmp_path: Path, pg_url: str) -> None:
    """A migration that adds a table or a column fails here until the copy knows it."""
    sqlite_url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    for url in (sqlite_url, pg_url):
        async with opened(url):
            pass
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as conn:
        lite = {name: {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}
                for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                            " AND name NOT LIKE 'sqlite_%'")}
    conn_pg = await asyncpg.connect(pg_url)
    try:
        pg: dict[str, set[str]] = {}
        for name, column in await conn_pg.fetch(
                "SELECT table_name, column_name FROM information_schema.columns"
                " WHERE table_schema = 'public'"):
            pg.setdefault(name, set()).add(column)
    finally:
        await conn_pg.close()
    copied = {t.name: set(t.columns) for t in db_copy.TABLES}
    for schema in (lite, pg):
        assert set(schema) - set(db_copy.SKIPPED) == set(copied)
        assert {n: c for n, c in schema.items() if n in copied} == copied

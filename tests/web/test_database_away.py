"""The database goes away and comes back, without a restart of the server: a PostgreSQL of this
test's own (initdb and pg_ctl in a temporary folder, on a free port; the shared server is never
touched) stopped before the server starts and while it runs, and SQLite out of room or
read-only. Each time: one clear log line, a 503 that keeps every value the respondent typed,
/readyz failing with the reason, recovery by itself, and nothing acknowledged lost."""

from __future__ import annotations

import asyncio
import html as html_lib
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service import app as app_module
from survey_service.app import create_app
from survey_service.settings import Settings
from survey_service.storage import opened, sqlite_files
from survey_service.storage.sqlite import SQLiteStore
from tests.conftest import (
    FULL_ANSWERS,
    HIDDEN,
    SURVEY,
    hidden_fields,
    seed_wave,
    settings_for,
)
from tests.web.test_staff import db_counts, issue, last_page_fields, open_staff_wave

Client = AsyncTestClient[Litestar]
BIN = Path("/usr/lib/postgresql/15/bin")
TYPED = "Чакахме 40 минути на гишето"  # what the respondent typed last


def _tool(name: str) -> str | None:
    found = shutil.which(name)
    if found is None and (BIN / name).exists():
        found = str(BIN / name)
    return found


class PrivatePostgres:
    """A PostgreSQL server in a temporary folder, started and stopped at will."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="survey-pg-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.folder, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        initdb = _tool("initdb")
        assert initdb is not None
        self._run(initdb, "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        self._run(str(_tool("pg_ctl")), "-D", str(self.folder / "data"), "-l",
                  str(self.folder / "log"), "-w", "-t", "30", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(_tool("pg_ctl")), "-D", str(self.folder / "data"), "-m", mode, "-w",
                  "-t", "30", "stop")

    def remove(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def private_pg() -> Iterator[PrivatePostgres]:
    if _tool("initdb") is None or _tool("pg_ctl") is None:
        pytest.skip("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    pg = PrivatePostgres()
    try:
        pg.init()
        pg.start()
        yield pg
    finally:
        pg.remove()


@pytest.fixture
def pg_settings(private_pg: PrivatePostgres, tmp_path: Path,
                monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setattr(app_module, "RECONNECT_SECONDS", 0.2)
    if not _running(private_pg):
        private_pg.start()
    settings = settings_for(tmp_path / "unused.sqlite3", database_url=private_pg.url,
                            db_pool_size=4)
    yield settings
    if not _running(private_pg):
        private_pg.start()

    async def empty() -> None:
        conn = await asyncpg.connect(private_pg.url)
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        await conn.close()

    asyncio.run(empty())


def app_logging(app: Litestar, caplog: pytest.LogCaptureFixture) -> Litestar:
    """The app, with the log capture attached again after it configured logging."""
    if caplog.handler not in logging.getLogger().handlers:
        logging.getLogger().addHandler(caplog.handler)
    caplog.set_level(logging.INFO)
    return app


def _running(pg: PrivatePostgres) -> bool:
    return (pg.folder / "data" / "postmaster.pid").exists()


async def form_data(client: Client) -> dict[str, str]:
    page = await client.get(f"/s/{SURVEY}?org=elena")
    assert page.status_code == 200
    return {**hidden_fields(page.text), **FULL_ANSWERS, "comments": TYPED, "_step": "5",
            "_action": "next"}


async def send(client: Client, data: dict[str, str]) -> int:
    sent = await client.post(f"/s/{SURVEY}", data=data, follow_redirects=False)
    return sent.status_code


async def until_ready(client: Client, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "not ready again in time"
        await asyncio.sleep(0.1)


def assert_kept(page_text: str, data: dict[str, str]) -> None:
    """The 503 page is the same form with every value typed and the same one-time key."""
    assert TYPED in page_text
    kept = hidden_fields(page_text)
    assert kept["_key"] == data["_key"] and kept["service"] == data["service"]


async def count(url: str) -> int:
    async with opened(url) as store:
        return await store.count_responses()


async def test_postgresql_stopped_before_the_server_starts(
    private_pg: PrivatePostgres, pg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await seed_wave(pg_settings)
    private_pg.stop()
    async with AsyncTestClient(app=app_logging(create_app(pg_settings), caplog)) as client:
        assert (await client.get("/healthz")).status_code == 200  # alive, not ready
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "cannot connect to" in ready.json()["reason"]
        page = await client.get(f"/s/{SURVEY}?org=elena&lang=en")
        assert page.status_code == 503 and page.headers["retry-after"] == "30"
        assert "unavailable for a moment" in page.text
        assert any("serving 503 until it answers" in r.getMessage() for r in caplog.records)
        assert not any(r.exc_info for r in caplog.records)  # one line each, no traceback

        private_pg.start()
        await until_ready(client)
        assert await send(client, await form_data(client)) == 303
        assert any("database reachable again" in r.getMessage() for r in caplog.records)
    assert await count(pg_settings.database_url) == 1


async def test_postgresql_stopped_while_the_server_runs(
    private_pg: PrivatePostgres, pg_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    await seed_wave(pg_settings)
    async with AsyncTestClient(app=app_logging(create_app(pg_settings), caplog)) as client:
        acknowledged = 0
        for _ in range(3):
            assert await send(client, await form_data(client)) == 303
            acknowledged += 1
        data = await form_data(client)
        private_pg.stop("immediate")  # as if it crashed
        await asyncio.sleep(1.5)  # the background mixer meets the outage too (one line)

        refused = await client.post(f"/s/{SURVEY}", data=data, follow_redirects=False)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
        assert_kept(refused.text, data)
        assert (await client.get(f"/s/{SURVEY}?org=elena")).status_code == 200  # forms open
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "cannot reach" in ready.json()["reason"]
        logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any("answered 503, form kept" in m for m in logged)
        assert sum("cannot mix closed staff waves" in m for m in logged) == 1
        assert not any(r.exc_info for r in caplog.records)  # one line each, no traceback

        private_pg.start()
        await until_ready(client)
        again = {**hidden_fields(refused.text), **FULL_ANSWERS, "comments": TYPED,
                 "_action": "next"}
        assert await send(client, again) == 303  # the kept form, sent again
        assert await send(client, again) == 303  # and once more: stored once
    assert await count(pg_settings.database_url) == acknowledged + 1


class _Confused:
    """A writer connection left by asyncpg in a state it cannot leave (a session the server
    ended mid-statement; seen once while the database was taken away): its next statement
    fails with ``InternalClientError`` although the connection does not say it is closed."""

    def __init__(self, real: asyncpg.Connection) -> None:
        self.real = real

    async def execute(self, *args: object) -> str:
        raise asyncpg.InternalClientError(
            "cannot switch to state 12; another operation (2) is in progress")

    def is_closed(self) -> bool:
        return self.real.is_closed()

    def terminate(self) -> None:
        self.real.terminate()


async def test_a_connection_confused_by_a_session_ended_mid_query_is_dropped_not_a_500(
    pg_settings: Settings, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The confused connection is treated as lost: a page of the form goes on to the next
    (its "sent already?" read failed), the last page's batch is sent again on a new
    connection and acknowledged, and the log has no traceback."""
    from survey_service.storage import open_store
    from survey_service.storage.postgres import PostgresStore

    await seed_wave(pg_settings)
    store = open_store(pg_settings.database_url, pool_size=pg_settings.db_pool_size)
    assert isinstance(store, PostgresStore)

    async def confused_read(self: PostgresStore, key: str) -> bool:
        await _Confused(None).execute()  # type: ignore[arg-type]
        return False

    app = app_logging(create_app(pg_settings, store=store), caplog)
    async with AsyncTestClient(app=app) as client:
        data = await form_data(client)
        first = {**data, "_step": "0"}
        with monkeypatch.context() as away:
            away.setattr(PostgresStore, "submitted", confused_read)
            page = await client.post(f"/s/{SURVEY}", data=first, follow_redirects=False)
        assert page.status_code == 200, page.text[:300]
        store._writer_conns[0] = _Confused(store._writer_conns[0])  # type: ignore[call-overload]
        assert await send(client, data) == 303
        assert not any(r.exc_info for r in caplog.records)
        assert any("writer connection lost" in r.getMessage() for r in caplog.records)
    assert await count(pg_settings.database_url) == 1


async def test_sqlite_full_then_read_only_then_back(
    settings: Settings, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_wave(settings)
    store = SQLiteStore(str(db_path))
    async with AsyncTestClient(app=create_app(settings, store=store)) as client:
        # the disk is full: the database may not grow by a page
        async with store._w.execute("PRAGMA page_count") as cur:
            row = await cur.fetchone()
        assert row is not None
        await store._w.execute(f"PRAGMA max_page_count = {row[0]}")
        monkeypatch.setattr(sqlite_files, "MIN_FREE_BYTES", 1 << 62)
        acknowledged, refused = 0, None
        for _ in range(40):
            data = await form_data(client)
            sent = await client.post(f"/s/{SURVEY}", data=data, follow_redirects=False)
            if sent.status_code == 503:
                refused = sent
                break
            assert sent.status_code == 303
            acknowledged += 1
        assert refused is not None, "the full database took every submission"
        assert_kept(refused.text, data)
        ready = await client.get("/readyz")
        assert ready.status_code == 503 and "is full" in ready.json()["reason"]

        # room again, but the file is made read-only (writes refused)
        await store._w.execute("PRAGMA max_page_count = 1073741823")
        monkeypatch.undo()
        await store._w.execute("PRAGMA query_only = ON")
        os.chmod(db_path, 0o444)
        try:
            assert await send(client, data) == 503
            assert "is read-only" in (await client.get("/readyz")).json()["reason"]
        finally:
            os.chmod(db_path, 0o644)
            await store._w.execute("PRAGMA query_only = OFF")
        await until_ready(client, 5)
        assert await send(client, data) == 303
        acknowledged += 1
    async with opened(settings.database_url) as check:
        assert await check.count_responses() == acknowledged


async def test_a_staff_page_sent_while_the_database_is_away_is_kept_for_sending_again(
    settings: Settings, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code cannot be checked, so the page cannot be shown again: every field is kept."""
    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    store = SQLiteStore(str(db_path))
    async with AsyncTestClient(app=create_app(settings, store=store)) as client:
        fields = await last_page_fields(client, code)
        fields["comments"] = TYPED
        with monkeypatch.context() as away:
            away.setattr(store, "token", _disk_error)
            refused = await client.post("/t?lang=en", data=fields, follow_redirects=False)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
        assert "Send again" in refused.text and 'action="/t"' in refused.text
        kept = dict(HIDDEN.findall(refused.text))
        assert kept == {k: html_lib.escape(v) for k, v in fields.items()}
        again = await client.post("/t", data=fields, follow_redirects=False)
        assert again.status_code == 303
    assert db_counts(db_path)["pending"] == 1


async def _disk_error(*args: object) -> None:
    raise sqlite3.OperationalError("disk I/O error")


async def test_a_database_refusing_connections_answers_503_and_keeps_the_page(
    tmp_path: Path,
) -> None:
    """A PostgreSQL database taken out of use for a moment (``ALLOW_CONNECTIONS false``, its
    connections ended: SQLSTATE 55000 at each new connection) is "away" like a stopped server:
    the staff page sent meanwhile is kept for sending again (503, not 500), and sent again
    once the database takes connections."""
    from tests.contract.pg import ADMIN_URL, unreachable, with_database

    reason = await asyncio.to_thread(unreachable)
    if reason:
        pytest.skip(reason)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    name = f"reliability_away_{os.urandom(4).hex()}"
    url = with_database(ADMIN_URL, name)
    await admin(f'CREATE DATABASE "{name}"')
    try:
        settings = settings_for(tmp_path / "unused.sqlite3", database_url=url)
        await open_staff_wave(settings)
        [code] = await issue(settings, 1)
        async with AsyncTestClient(app=create_app(settings)) as client:
            fields = {**await last_page_fields(client, code), "comments": TYPED}
            await admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            try:
                await admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            f" WHERE datname = '{name}'")
                refused = await client.post("/t?lang=en", data=fields, follow_redirects=False)
                assert refused.status_code == 503, refused.text[:500]
                assert "Send again" in refused.text
                kept = dict(HIDDEN.findall(refused.text))
                assert kept == {k: html_lib.escape(v) for k, v in fields.items()}
            finally:
                await admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            for _ in range(50):  # the pool makes new connections at their next use
                again = await client.post("/t", data=fields, follow_redirects=False)
                if again.status_code != 503:
                    break
                await asyncio.sleep(0.1)
            assert again.status_code == 303, again.text[:500]
        async with opened(url) as store:
            assert await store.pending_count("staff-2026") == 1
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

"""PostgreSQL only: opening refuses with one line what cannot work, and after the mix a
superuser finds no arrival order of a staff wave's answers in the tables (row versions, their
physical order, dead tuples): see survey_service/storage/postgres_sealed.py for what remains."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Iterator

import asyncpg
import msgspec
import pytest

from survey_service.storage import (
    DatabaseURLError,
    NewResponse,
    SchemaTooNewError,
    StoreOpenError,
    StoreUnavailable,
    open_store,
    opened,
    redact_url,
)

from .conftest import add_wave, response
from .pg import ADMIN_URL, fresh_database, with_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def _refused(url: str, error: type[Exception] = StoreOpenError) -> str:
    store = open_store(url)
    with pytest.raises(error) as caught:
        await store.open()
    await store.close()  # harmless after a failed open
    message = str(caught.value)
    assert "\n" not in message
    return message


async def test_a_database_migrated_by_a_newer_version_is_refused(pg_url: str) -> None:
    async with opened(pg_url):
        pass
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute("INSERT INTO schema_migrations (number, name) VALUES (99, 'future')")
    finally:
        await conn.close()
    message = await _refused(pg_url, SchemaTooNewError)
    assert "migration 99" in message and "upgrade survey_service" in message


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    message = await _refused("postgresql://survey:hunter2-secret@127.0.0.1:1/survey")
    assert "cannot connect" in message and "hunter2" not in message and "***" in message


def test_both_engines_ship_the_same_migration_numbers() -> None:
    from survey_service.storage import postgres_migrate, sqlite_migrate

    numbers = [(m.number, m.name) for m in sqlite_migrate.known_migrations()]
    assert [(m.number, m.name) for m in postgres_migrate.known_migrations()] == numbers


def test_urls_are_shown_without_their_password() -> None:
    assert redact_url("postgresql://u:p%40ss@db:5432/s?sslmode=require") == (
        "postgresql://u:***@db:5432/s?sslmode=require"
    )
    assert redact_url("postgresql://u@db/s") == "postgresql://u@db/s"
    assert redact_url("sqlite:///data/survey.sqlite3") == "sqlite:///data/survey.sqlite3"


async def test_a_missing_database_is_refused(pg_url: str) -> None:
    message = await _refused(with_database(ADMIN_URL, "survey_no_such_database"))
    assert "survey_no_such_database" in message


def test_a_pool_too_small_is_refused() -> None:
    with pytest.raises(DatabaseURLError, match="at least 4"):
        open_store("postgresql://postgres@127.0.0.1/test", pool_size=3)


async def test_a_store_keeps_as_many_connections_as_its_pool_size(pg_url: str) -> None:
    async with opened(pg_url, pool_size=12):
        su = await asyncpg.connect(pg_url)
        try:
            held = await su.fetchval(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND application_name = 'survey_service'"
            )
        finally:
            await su.close()
    assert held == 12


def _unseal(blob: bytes) -> NewResponse:
    return msgspec.json.decode(blob, type=NewResponse)


async def test_after_the_mix_no_row_version_page_or_dead_tuple_keeps_the_arrival_order(
    pg_url: str,
) -> None:
    codes = [n.to_bytes(2, "big") * 16 for n in range(40)]
    async with opened(pg_url) as store:
        wave = await add_wave(store, "staff")
        await store.add_tokens("staff", "elena", "finance", codes)
        for n, code in enumerate(codes):  # one after another: one transaction id each
            sealed = msgspec.json.encode(response(f"staff-{n:03d}-xxxxxxxxxxxxxxx",
                                                  wave_id="staff", day=None, unit="finance",
                                                  answers={"n": n}))
            assert await store.submit_sealed(code, "staff", sealed)
        su = await asyncpg.connect(pg_url)  # the superuser attacker
        try:
            [table] = await su.fetch(
                "SELECT relname FROM pg_class WHERE relname LIKE 'pending%' AND relkind = 'r'"
            )
            assert await su.fetchval(f"SELECT COUNT(DISTINCT xmin::text) FROM {table[0]}") == 40
            assert await su.fetchval(
                "SELECT COUNT(DISTINCT xmin::text) FROM tokens") == 40  # the order of use
            assert await su.fetchval(  # its counters exist while the wave is open
                "SELECT COUNT(*) FROM pg_stat_user_tables WHERE relname LIKE 'pending%'") == 1

            await store.update_wave(msgspec.structs.replace(wave, closed=dt.datetime.now(dt.UTC)))
            assert await store.mix_wave("staff", _unseal) == 40
            # no dead version of a code's row is left on its pages (VACUUM ran after the mix);
            # read raw, before any query of the table could prune them
            await su.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
            headers = await su.fetch(
                "SELECT t_xmin::text FROM generate_series(0,"
                " pg_relation_size('tokens') / current_setting('block_size')::int - 1) AS page,"
                " heap_page_items(get_raw_page('tokens', page::int)) WHERE t_xmin IS NOT NULL"
            )

            gone = await su.fetch("SELECT relname FROM pg_class WHERE relname LIKE 'pending%'")
            assert gone == []  # the wave's table and its index
            for view in ("pg_stat_user_tables", "pg_statio_user_tables", "pg_stat_user_indexes"):
                assert await su.fetch(  # no counter of the wave's table is left
                    f"SELECT relname FROM {view} WHERE relname LIKE 'pending%'"
                ) == []
            [mix] = await su.fetch("SELECT DISTINCT xmin::text FROM responses")
            for table in ("responses", "tokens", "waves"):  # no lock or update but the mix's
                assert await su.fetchval(
                    f"SELECT COUNT(*) FROM {table} WHERE xmax::text NOT IN ('0', $1)",
                    mix[0],
                ) == 0, table
            assert await su.fetchval("SELECT COUNT(DISTINCT xmin::text) FROM tokens") == 1
            assert await su.fetchval("SELECT xmin::text FROM tokens LIMIT 1") == mix[0]
            assert [h[0] for h in headers] == [mix[0]] * 40
            physical = [msgspec.json.decode(r[0])["n"]
                        for r in await su.fetch("SELECT answers FROM responses ORDER BY ctid")]
            assert sorted(physical) == list(range(40)) and physical != list(range(40))
        finally:
            await su.close()


async def test_a_batch_survives_its_connection_being_killed_mid_statement(pg_url: str) -> None:
    """A fail-over or an administrator ends the writer's connection while it inserts: the batch
    is sent again on a new connection (its one-time keys make a resend harmless), not failed."""
    async with opened(pg_url) as store:
        await add_wave(store)
        await store.submit(response("before-xxxxxxxxxxxxxxxxxx"))
        su = await asyncpg.connect(pg_url)
        try:
            lock = su.transaction()
            await lock.start()
            await su.execute("LOCK TABLE responses IN EXCLUSIVE MODE")  # the writer waits
            pending = [asyncio.create_task(store.submit(response(f"after-{n:02d}-xxxxxxxxxxxxx")))
                       for n in range(10)]
            waiting: list[int] = []
            for _ in range(100):
                waiting = [r[0] for r in await su.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database() AND query LIKE 'INSERT INTO responses%'"
                )]
                if waiting:
                    break
                await asyncio.sleep(0.02)
            [writer] = waiting
            assert await su.fetchval("SELECT pg_terminate_backend($1)", writer)
            await lock.rollback()
        finally:
            await su.close()
        async with asyncio.timeout(10):
            await asyncio.gather(*pending)  # every one acknowledged
        assert await store.count_responses("w") == 11


async def _lock_waiters(su: asyncpg.Connection, expected: int) -> int:
    """The sessions of the database waiting on a lock, once ``expected`` of them are (or after
    4 s): counted by their wait, not by their query's text, which still reads BEGIN while a
    statement waits in its first preparation."""
    waiting = 0
    for _ in range(200):
        waiting = await su.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()")
        if waiting >= expected:
            break
        await asyncio.sleep(0.02)
    return int(waiting)


async def test_two_processes_sending_the_same_keys_in_opposite_orders_do_not_deadlock(
    pg_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """Two app processes commit one batch each holding the same one-time keys (a respondent's
    resend reaching both), queued in opposite orders and let go at the same moment: each
    batch takes its keys in one order, so neither is rolled back as a deadlock victim."""
    keys = [f"both-{n:04d}-xxxxxxxxxxxxxx" for n in range(1000)]  # one batch each (MAX_BATCH)
    async with opened(pg_url) as one, opened(pg_url) as two:
        await add_wave(one)
        su = await asyncpg.connect(pg_url)
        try:
            lock = su.transaction()
            await lock.start()
            await su.execute("LOCK TABLE responses IN EXCLUSIVE MODE")  # both writers wait
            pending = [asyncio.create_task(one.submit(response(k))) for k in keys]
            pending += [asyncio.create_task(two.submit(response(k))) for k in reversed(keys)]
            assert await _lock_waiters(su, 2) == 2
            await lock.rollback()  # both batches go at once
        finally:
            await su.close()
        async with asyncio.timeout(30):
            await asyncio.gather(*pending)
        assert await one.count_responses("w") == len(keys)
        assert (one.commits, two.commits) == (1, 1)
    assert "rolled back" not in caplog.text


async def test_two_operators_saving_the_same_days_in_opposite_orders_do_not_deadlock(
    pg_url: str,
) -> None:
    """Two operators (two processes) save the same fieldwork days, listed in opposite orders,
    at the same moment: each transaction takes the days in one order, so neither is rolled
    back as a deadlock victim."""
    from survey_service.storage.base import FieldworkDay

    start = dt.date(2026, 1, 1)
    days = [FieldworkDay(wave_id="w", organisation="elena", day=start + dt.timedelta(n),
                         visitors=n, entered_by="clerk") for n in range(300)]
    async with opened(pg_url) as one, opened(pg_url) as two:
        await add_wave(one)
        su = await asyncpg.connect(pg_url)
        try:
            lock = su.transaction()
            await lock.start()
            await su.execute("LOCK TABLE fieldwork IN EXCLUSIVE MODE")  # both operators wait
            pending = [asyncio.create_task(one.save_fieldwork(days)),
                       asyncio.create_task(two.save_fieldwork(days[::-1]))]
            assert await _lock_waiters(su, 2) == 2
            await lock.rollback()  # both go at once
        finally:
            await su.close()
        async with asyncio.timeout(30):
            await asyncio.gather(*pending)  # a deadlock victim raises here
        assert [d.visitors for d in await one.fieldwork("w")] == list(range(300))


async def test_closing_the_counters_cancels_a_check_still_waiting(pg_url: str) -> None:
    """The app closes its counters as it stops: a check still waiting for the database (here
    for a lock) is cancelled then, not left running on the pool the store is closing."""
    from survey_service.storage.limits import Rule

    async with opened(pg_url) as store:
        counters = store.client_limits()
        await counters.take(Rule("test", 4, 60.0), b"a" * 16, 1_790_000_000.0)  # table made
        su = await asyncpg.connect(pg_url)
        try:
            lock = su.transaction()
            await lock.start()
            await su.execute("LOCK TABLE client_limits IN EXCLUSIVE MODE")
            pending = asyncio.create_task(
                counters.take(Rule("test", 4, 60.0), b"b" * 16, 1_790_000_000.0))
            assert await _lock_waiters(su, 1) == 1
            async with asyncio.timeout(5):
                await counters.close()
            done, _ = await asyncio.wait([pending], timeout=2)
            assert pending in done and pending.cancelled()
        finally:
            await lock.rollback()
            await su.close()


async def _reconnect_all(su: asyncpg.Connection) -> None:
    """End every other session of the database: the store's next ones get its new settings."""
    await su.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                     " WHERE datname = current_database() AND pid <> pg_backend_pid()")
    await asyncio.sleep(0.2)


async def test_a_read_only_database_is_not_ready_and_refuses_writes_until_writable(
    pg_url: str,
) -> None:
    """A fail-over to a read-only replica, or an operator's default_transaction_read_only:
    readiness says so, submissions raise StoreUnavailable (the web answers 503 and keeps the
    form), and the same store recovers once the database takes writes again."""
    async with opened(pg_url) as store:
        await add_wave(store, "w")
        await add_wave(store, "staff")
        await store.add_tokens("staff", "elena", "finance", [b"c" * 32])
        assert await store.ready() is None
        su = await asyncpg.connect(pg_url)
        try:
            name = await su.fetchval("SELECT current_database()")
            await su.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
            await _reconnect_all(su)
            problem = await store.ready() or await store.ready()  # the first may see the cut
            assert problem is not None and "read-only" in problem, problem
            with pytest.raises(StoreUnavailable):
                await store.submit(response("read-only-xxxxxxxxxxxxxxx"))
            with pytest.raises(StoreUnavailable):
                await store.submit_sealed(b"c" * 32, "staff", b"sealed")
            with pytest.raises(StoreUnavailable):
                await store.submit_paper(response("paper-xxxxxxxxxxxxxxxxxx", channel="paper"), "1")
            await su.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
            await _reconnect_all(su)
        finally:
            await su.close()
        assert await store.ready() is None or await store.ready() is None
        await store.submit(response("writable-xxxxxxxxxxxxxxxx"))
        assert await store.submit_sealed(b"c" * 32, "staff", b"sealed")
        assert await store.count_responses("w") == 1


async def test_readiness_says_when_migrations_are_not_current(pg_url: str) -> None:
    async with opened(pg_url) as store:
        su = await asyncpg.connect(pg_url)
        try:
            newest = await su.fetchval("SELECT MAX(number) FROM schema_migrations")
            await su.execute("DELETE FROM schema_migrations WHERE number = $1", newest)
        finally:
            await su.close()
        assert await store.ready() == f"migrations not current ({newest - 1} of {newest})"


async def test_what_remains_the_wal_keeps_the_arrival_order_of_sealed_answers(
    pg_url: str,
) -> None:
    """Not a guarantee but the documented remainder (README "PostgreSQL"): until its segments
    are recycled, the WAL holds each sealed answer's insert in arrival order under its own
    transaction id; the mix's plain responses are one transaction. Reading it needs the server's
    data directory (a superuser on the database machine); skipped when this test cannot."""
    import shutil
    import subprocess
    from pathlib import Path

    su = await asyncpg.connect(pg_url)
    try:
        wal = Path(await su.fetchval("SHOW data_directory")) / "pg_wal"
        waldump = shutil.which("pg_waldump") or next(
            iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_waldump"))), None)
        if waldump is None or not os.access(wal, os.R_OK | os.X_OK):
            pytest.skip("pg_waldump or the server's WAL is not at hand")
        start = await su.fetchval("SELECT pg_current_wal_lsn()::text")
        codes = [n.to_bytes(2, "big") * 16 for n in range(10)]
        async with opened(pg_url) as store:
            wave = await add_wave(store, "staff")
            await store.add_tokens("staff", "elena", "finance", codes)
            for n, code in enumerate(codes):
                assert await store.submit_sealed(code, "staff", b"sealed %d" % n)
            [[table]] = await su.fetch(
                "SELECT relname FROM pg_class WHERE relname LIKE 'pending%' AND relkind = 'r'")
            node = await su.fetchval("SELECT pg_relation_filenode($1)", table)
            await store.update_wave(msgspec.structs.replace(wave, closed=dt.datetime.now(dt.UTC)))
            unseal = iter([response(f"staff-{n:03d}-xxxxxxxxxxxxxxx", wave_id="staff", day=None,
                                    unit="finance") for n in range(10)])
            assert await store.mix_wave("staff", lambda _: next(unseal)) == 10
        end = await su.fetchval("SELECT pg_current_wal_flush_lsn()::text")
        responses = await su.fetchval("SELECT pg_relation_filenode('responses')")
    finally:
        await su.close()
    dump = subprocess.run([str(waldump), "-p", str(wal), "-s", start, "-e", end, "-r", "Heap"],
                          capture_output=True, text=True, timeout=60).stdout

    def transactions(filenode: int) -> list[int]:
        return [int(line.split("tx:")[1].split(",")[0]) for line in dump.splitlines()
                if "desc: INSERT" in line and f"/{filenode} blk" in line]

    arrivals = transactions(node)
    assert len(arrivals) == 10 and arrivals == sorted(set(arrivals))  # one by one, in order
    assert len(set(transactions(responses))) == 1  # the mix: one transaction

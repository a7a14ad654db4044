"""SQLite storage through aiosqlite: WAL, ``synchronous=FULL``, one writer with group commit.

Submissions are queued to a single writer task. The writer takes everything queued, inserts it
with one ``executemany`` in one transaction, commits (fsync of the WAL), then wakes every waiting
request. Concurrent submissions therefore share one fsync, and a request is acknowledged only
after its row is on disk.

Reads never use the writer's connection. Point reads (the duplicate check, waves, tokens) share
one "quick" read-only connection; long reads (a wave's responses or codes, exports, counts)
borrow one of a small pool of others, so that neither an export nor a report can delay a
submission or its duplicate check. WAL lets all of them read while the writer commits.

Staff waves' sealed answers live in files of their own (:mod:`.pending`); the WAL is kept small
in the background (:mod:`.maintenance`). A submission that cannot be stored now (the lock held
too long, a full disk, a read-only file) raises :class:`~.base.StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from operator import itemgetter
from pathlib import Path
from typing import Any

import aiosqlite

from . import maintenance
from .base import (
    NewResponse,
    StoredResponse,
    StoreOpenError,
    StoreUnavailable,
    WaveCodes,
)
from .pending import PendingFiles
from .publications import SQLitePublications
from .sealed import SealedAnswers
from .sqlite_accounts import AccountsMixin  # accounts, sessions, audit, paper (0008)
from .sqlite_export import ExportRows  # the wide export's undecoded read
from .sqlite_fieldwork import SQLiteFieldwork
from .sqlite_files import check_path, connect, not_writable
from .sqlite_kiosks import SQLiteKiosks
from .sqlite_limits import SQLiteLimits
from .sqlite_migrate import known_migrations, migrate
from .sqlite_records import Records
from .sqlite_retention import SQLiteRetention
from .sqlite_rows import (
    INSERT_RESPONSE,
    RESPONSE_COLUMNS,
    response_row,
    stored_responses,
)

log = logging.getLogger(__name__)
_INSERT = INSERT_RESPONSE


class SQLiteStore(SealedAnswers, AccountsMixin, Records, SQLiteKiosks, SQLitePublications,
                  SQLiteRetention, SQLiteFieldwork, ExportRows):
    """The embedded default store: one file, one writer connection, read-only readers."""

    #: How long a write waits for another process's lock before SQLite says "locked".
    busy_timeout_ms = 10_000
    #: Further tries (with a short pause) when a write still finds the database locked.
    write_retries = 3
    #: Seconds between steps of WAL upkeep.
    checkpoint_interval = 0.5
    _insert_sql = INSERT_RESPONSE

    def __init__(self, path: str, *, bulk_readers: int = 2) -> None:
        self.path = path
        self._bulk_readers = max(1, bulk_readers)
        self._pending = PendingFiles(path)
        self._wal_task: asyncio.Task[None] | None = None
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None  # point reads
        self._bulk: list[aiosqlite.Connection] = []  # long reads, one at a time each
        self._free: asyncio.Queue[aiosqlite.Connection] = asyncio.Queue()
        self._queue: list[tuple[tuple[Any, ...], asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._lock = asyncio.Lock()
        self._commits = 0  # commits made by the writer (logged at close)
        self._written = 0  # submissions those commits carried
        self.applied: list[int] = []  # migrations the last open() applied

    @property
    def commits(self) -> int:
        return self._commits

    def client_limits(self) -> SQLiteLimits:
        return SQLiteLimits(self.path)

    async def open(self) -> None:
        path = check_path(self.path)
        if not path.exists():
            # the database (and so its -wal and -shm, which SQLite creates alike) is private
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        opened: list[aiosqlite.Connection] = []
        try:
            self._writer = await connect(path, reader=False)
            opened.append(self._writer)
            try:
                self.applied = await self.migrate()
            except sqlite3.Error as exc:  # e.g. locked by another program past busy_timeout
                raise StoreOpenError(f"cannot migrate {path}: {exc}") from exc
            # from now on the writer waits for the lock in short polls of its own (_begin)
            await self._writer.execute(f"PRAGMA busy_timeout = {maintenance.LOCK_POLL_MS:d}")
            await self._writer.execute(
                f"PRAGMA journal_size_limit = {maintenance.JOURNAL_SIZE_LIMIT:d}"
            )
            self._reader = await connect(path, reader=True)
            opened.append(self._reader)
            self._bulk = []
            self._free = asyncio.Queue()
            for _ in range(self._bulk_readers):
                conn = await connect(path, reader=True)
                opened.append(conn)
                self._bulk.append(conn)
                self._free.put_nowait(conn)
            await self._destroy_leftovers()
        except BaseException:
            # nothing may keep running (a connection's thread would hold the process)
            await self._disconnect(opened)
            raise
        self._wakeup = asyncio.Event()
        self._closing = False
        self._commits = self._written = 0
        self._task = asyncio.create_task(self._write_loop(), name="sqlite-writer")
        await self._w.execute("PRAGMA wal_autocheckpoint = 0")  # done in the background
        self._wal_task = asyncio.create_task(
            maintenance.manage_wal(self.path, self.checkpoint_interval, lambda: not self._queue),
            name="sqlite-wal",
        )

    async def close(self) -> None:
        if self._wal_task is not None:
            self._wal_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._wal_task
            self._wal_task = None
        if self._task is not None:
            # the writer commits what is queued, then stops
            self._closing = True
            self._wakeup.set()
            await self._task
            self._task = None
            if self._commits:
                log.info("writer: %d submissions in %d commits", self._written, self._commits)
        await self._disconnect([c for c in (self._reader, *self._bulk, self._writer) if c])

    async def _disconnect(self, connections: Iterable[aiosqlite.Connection]) -> None:
        for conn in connections:
            await conn.close()
        self._reader = self._writer = None
        self._bulk = []

    async def ready(self) -> str | None:
        if self._writer is None or self._task is None or self._task.done():
            return "the database is not open"
        problem = not_writable(Path(self.path))
        if problem is not None:
            return problem
        try:
            async with self._r.execute("SELECT MAX(number) FROM schema_migrations") as cur:
                row = await cur.fetchone()
        except sqlite3.Error as exc:
            return f"cannot read {self.path}: {exc}"
        newest = max(m.number for m in known_migrations())
        current = int(row[0]) if row and row[0] is not None else 0
        return None if current == newest else f"migrations not current ({current} of {newest})"

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise StoreUnavailable("the database is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        """The read-only connection for point reads."""
        if self._reader is None:
            raise StoreUnavailable("the database is not open")
        return self._reader

    @asynccontextmanager
    async def _long_read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only connection of the pool, for this read alone (waits while all are
        lent): long reads never queue behind one another on one connection's thread."""
        if not self._bulk:
            raise StoreUnavailable("the database is not open")
        conn = await self._free.get()
        try:
            yield conn
        finally:
            self._free.put_nowait(conn)

    async def migrate(self) -> list[int]:
        async with self._lock:
            return await migrate(self._w, self.path)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction on the single writer connection."""
        async with self._lock:
            conn = self._w
            try:
                await self._begin(conn)
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                # Cancelled at any await (a request timed out), the statement already queued
                # on the connection's thread (BEGIN, COMMIT) still runs: queue a ROLLBACK after
                # it, shielded, before another transaction can queue its BEGIN (the thread
                # runs them in order). Without a transaction open, ROLLBACK fails harmlessly.
                await maintenance.roll_back_shielded(conn)
                raise

    async def _begin(self, conn: aiosqlite.Connection) -> None:
        """``BEGIN IMMEDIATE``, waiting for another process's write lock up to the busy timeout
        in polls a few milliseconds apart: SQLite's own busy handler sleeps up to 100 ms between
        tries, which would let a steady stream of short transactions in another process (a
        server's submissions) keep a close waiting, or make a submission wait 100 ms for a
        lock freed after 10."""
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        while True:
            try:
                await conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not maintenance.transient(exc) or time.monotonic() >= deadline:
                    raise
            await asyncio.sleep(maintenance.LOCK_POLL_MS / 1000)

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        async with self._transaction() as conn:
            await conn.execute(sql, params)

    _row = staticmethod(response_row)

    async def import_responses(self, responses: list[NewResponse]) -> None:
        rows = [self._row(r) for r in responses]
        if len({r[1] for r in rows}) == len(rows):
            # inserted in key order, the random ids walk the table's pages once in order
            # (a fifth less time for a big import); with a submission key given twice the
            # first must stay the one kept, so the order is then left as given
            rows.sort()
        async with self._transaction() as conn:
            await conn.executemany(_INSERT, rows)

    async def submit(self, response: NewResponse) -> None:
        if self._task is None or self._closing:
            raise StoreUnavailable("store is not open")
        row = self._row(response)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, future))
        self._wakeup.set()
        try:
            await future
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._queue = self._queue, []
            if not batch:
                if self._closing:
                    return
                continue
            try:
                await self._insert_batch([row for row, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("store closed before commit"))
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                self._commits += 1
                self._written += len(batch)
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
            if self._closing and not self._queue:
                return
            if self._queue:
                self._wakeup.set()

    async def _insert_batch(self, rows: list[tuple[Any, ...]]) -> None:
        """One transaction; if another process holds the lock beyond the busy timeout (or
        SQLite answers "busy" without waiting), try again a few times before failing; never
        for longer than the busy timeout in all."""
        deadline = time.monotonic() + self.busy_timeout_ms / 1000
        for attempt in range(self.write_retries + 1):
            try:
                async with self._transaction() as conn:
                    await conn.executemany(_INSERT, rows)
                return
            except sqlite3.OperationalError as exc:
                if (
                    attempt == self.write_retries
                    or not maintenance.transient(exc)
                    or time.monotonic() >= deadline
                ):
                    raise
                log.warning("database busy, trying the submission again: %s", exc)
                await asyncio.sleep(0.02 * 2**attempt)

    async def organisation_counts(self, wave_id: str) -> dict[str, int]:
        async with self._long_read() as conn, conn.execute(
            "SELECT organisation, COUNT(*) FROM responses WHERE wave_id = ? GROUP BY organisation",
            (wave_id,),
        ) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    async def submitted(self, submission_key: str) -> bool:
        async with self._r.execute(
            "SELECT 1 FROM responses WHERE submission_key = ?", (submission_key,)
        ) as cur:
            return await cur.fetchone() is not None

    async def count_responses(self, wave_id: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM responses"
        params: tuple[str, ...] = ()
        if wave_id is not None:
            sql, params = sql + " WHERE wave_id = ?", (wave_id,)
        async with self._long_read() as conn, conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def wave_versions(self, wave_id: str) -> list[str]:
        async with self._long_read() as conn, conn.execute(
            "SELECT DISTINCT version FROM responses WHERE wave_id = ? ORDER BY version",
            (wave_id,),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def responses(self, wave_id: str) -> list[StoredResponse]:
        async with self._long_read() as conn, conn.execute(
            f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE wave_id = ? ORDER BY id",  # noqa: S608
            (wave_id,),
        ) as cur:
            return stored_responses(await cur.fetchall())

    async def stream_responses(
        self, wave_id: str, batch_size: int = 500
    ) -> AsyncIterator[list[StoredResponse]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        # one statement is one read transaction: a snapshot, whatever commits meanwhile
        async with self._long_read() as conn, conn.execute(
            f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE wave_id = ? ORDER BY id",  # noqa: S608
            (wave_id,),
        ) as cur:
            while rows := await cur.fetchmany(batch_size):
                yield stored_responses(rows)

    async def wave_codes(
        self, wave_id: str, organisation: str | None = None, groups: bool = False
    ) -> WaveCodes:
        where, params = "wave_id = ?", [wave_id]
        if organisation is not None:
            where, params = where + " AND organisation = ?", [*params, organisation]
        columns = "codes, organisation, channel, unit, panel, day" if groups else "codes"
        async with self._long_read() as conn, conn.execute(
            f"SELECT {columns} FROM responses WHERE {where}",  # noqa: S608 (fixed strings)
            params,
        ) as cur:
            rows = list(await cur.fetchall())
        if not groups:
            return WaveCodes(b"".join(map(itemgetter(0), rows)), len(rows))
        if not rows:
            return WaveCodes(b"", 0)
        # one column at a time (``zip(*rows)`` costs three times as much over 1M rows)
        organisations, channels, units, days = (list(map(itemgetter(i), rows))
                                                for i in (1, 2, 3, 5))
        return WaveCodes(
            b"".join(map(itemgetter(0), rows)),
            len(rows),
            organisations,
            channels,
            units,
            [bytes(p) if p is not None else None for p in map(itemgetter(4), rows)],
            days,
        )

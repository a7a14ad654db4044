"""SQLite storage through aiosqlite: WAL, ``synchronous=FULL``, one writer with group commit.

Submissions are queued to a single writer task. The writer takes everything queued, inserts it
with one ``executemany`` in one transaction, commits (fsync of the WAL), then wakes every waiting
request. Concurrent submissions therefore share one fsync, and a request is acknowledged only
after its row is on disk.

Reads never use the writer's connection. Point reads (the duplicate check, waves, tokens) share
one "quick" read-only connection; long reads (a wave's responses or codes, exports, counts)
borrow one of a small pool of others, so that neither an export nor a report can delay a
submission or its duplicate check. WAL lets all of them read while the writer commits.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import secrets
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite

from ..surveys.waves import Wave
from .base import NewResponse, StoredResponse, StoreOpenError, TokenState, WaveCodes
from .sqlite_files import check_path, connect
from .sqlite_kiosks import SQLiteKiosks
from .sqlite_migrate import migrate
from .sqlite_rows import (
    INSERT_RESPONSE,
    RESPONSE_COLUMNS,
    WAVE_COLUMNS,
    response_row,
    stored_responses,
    wave_from_row,
    wave_params,
)

log = logging.getLogger(__name__)
_INSERT = INSERT_RESPONSE  # the name the staff methods below use


class SQLiteStore(SQLiteKiosks):
    """The embedded default store: one file, one writer connection, read-only readers."""

    def __init__(self, path: str, *, bulk_readers: int = 2) -> None:
        self.path = path
        self._bulk_readers = max(1, bulk_readers)
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

    async def open(self) -> None:
        path = check_path(self.path)
        opened: list[aiosqlite.Connection] = []
        try:
            self._writer = await connect(path, reader=False)
            opened.append(self._writer)
            try:
                self.applied = await self.migrate()
            except sqlite3.Error as exc:  # e.g. locked by another program past busy_timeout
                raise StoreOpenError(f"cannot migrate {path}: {exc}") from exc
            self._reader = await connect(path, reader=True)
            opened.append(self._reader)
            self._bulk = []
            self._free = asyncio.Queue()
            for _ in range(self._bulk_readers):
                conn = await connect(path, reader=True)
                opened.append(conn)
                self._bulk.append(conn)
                self._free.put_nowait(conn)
        except BaseException:
            # nothing may keep running (a connection's thread would hold the process)
            await self._disconnect(opened)
            raise
        self._wakeup = asyncio.Event()
        self._closing = False
        self._commits = self._written = 0
        self._task = asyncio.create_task(self._write_loop(), name="sqlite-writer")

    async def close(self) -> None:
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

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        """The read-only connection for point reads."""
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    @asynccontextmanager
    async def _long_read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only connection of the pool, for this read alone (waits while all are
        lent): long reads never queue behind one another on one connection's thread."""
        if not self._bulk:
            raise RuntimeError("store is not open")
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
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        async with self._transaction() as conn:
            await conn.execute(sql, params)

    async def save_form_version(self, survey_id: str, version: str, definition: bytes) -> None:
        await self._write(
            "INSERT INTO form_versions (version, survey_id, definition, first_seen)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            (version, survey_id, definition, dt.date.today().isoformat()),
        )

    async def form_version(self, version: str) -> bytes | None:
        async with self._r.execute(
            "SELECT definition FROM form_versions WHERE version = ?", (version,)
        ) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    async def save_structure(self, version: str, definition: bytes) -> None:
        await self._write(
            "INSERT INTO structures (version, definition, first_seen) VALUES (?, ?, ?)"
            " ON CONFLICT (version) DO NOTHING",
            (version, definition, dt.date.today().isoformat()),
        )

    async def structure(self, version: str) -> bytes | None:
        async with self._r.execute(
            "SELECT definition FROM structures WHERE version = ?", (version,)
        ) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    async def add_wave(self, wave: Wave) -> None:
        await self._write(
            f"INSERT INTO waves ({WAVE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            wave_params(wave),
        )

    async def update_wave(self, wave: Wave) -> None:
        await self._write(
            "UPDATE waves SET survey_id = ?, version = ?, phase = ?, organisations = ?, starts = ?,"
            " ends = ?, closed = ?, mixed = ?, structure = ?, min_group = ?, panel = ?"
            " WHERE id = ?",
            wave_params(wave),
        )

    async def waves(self) -> list[Wave]:
        async with self._r.execute(
            f"SELECT {WAVE_COLUMNS} FROM waves"  # noqa: S608 (fixed strings)
            " ORDER BY survey_id, COALESCE(starts, ''), id"
        ) as cur:
            return [wave_from_row(r) for r in await cur.fetchall()]

    _row = staticmethod(response_row)

    async def import_responses(self, responses: list[NewResponse]) -> None:
        async with self._transaction() as conn:
            await conn.executemany(_INSERT, [self._row(r) for r in responses])

    async def submit(self, response: NewResponse) -> None:
        if self._task is None or self._closing:
            raise RuntimeError("store is not open")
        row = self._row(response)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, future))
        self._wakeup.set()
        await future

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
                async with self._transaction() as conn:
                    await conn.executemany(_INSERT, [row for row, _ in batch])
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
        columns = "codes, organisation, channel, unit, panel" if groups else "codes"
        async with self._long_read() as conn, conn.execute(
            f"SELECT {columns} FROM responses WHERE {where}",  # noqa: S608 (fixed strings)
            params,
        ) as cur:
            rows = list(await cur.fetchall())
        if not groups:
            return WaveCodes(b"".join([r[0] for r in rows]), len(rows))
        if not rows:
            return WaveCodes(b"", 0)
        blobs, organisations, channels, units, panels = zip(*rows, strict=True)
        return WaveCodes(
            b"".join(blobs),
            len(rows),
            list(organisations),
            list(channels),
            list(units),
            [bytes(p) if p is not None else None for p in panels],
        )

    # ------------------------------------------------------------------ staff tokens
    async def add_tokens(
        self, wave_id: str, organisation: str, unit: str, hashes: list[bytes]
    ) -> None:
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO tokens (hash, wave_id, organisation, unit) VALUES (?, ?, ?, ?)",
                [(h, wave_id, organisation, unit) for h in hashes],
            )

    async def token(self, code_hash: bytes) -> TokenState | None:
        async with self._r.execute(
            "SELECT wave_id, organisation, unit, used FROM tokens WHERE hash = ?", (code_hash,)
        ) as cur:
            row = await cur.fetchone()
        return TokenState(row[0], row[1], row[2], bool(row[3])) if row else None

    async def revoke_token(self, code_hash: bytes) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "UPDATE tokens SET used = 1 WHERE hash = ? AND used = 0", (code_hash,)
            )
            return cur.rowcount == 1

    async def token_counts(self, wave_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        async with self._r.execute(
            "SELECT organisation, unit, COUNT(*), SUM(used) FROM tokens WHERE wave_id = ?"
            " GROUP BY organisation, unit ORDER BY organisation, unit",
            (wave_id,),
        ) as cur:
            rows = await cur.fetchall()
        return {(r[0], r[1]): (int(r[2]), int(r[3] or 0)) for r in rows}

    async def submit_sealed(self, code_hash: bytes, wave_id: str, sealed: bytes) -> bool:
        async with self._transaction() as conn:
            # the wave may have closed (and been mixed) since the caller looked
            async with conn.execute(
                "SELECT mixed, closed, ends FROM waves WHERE id = ?", (wave_id,)
            ) as cur:
                wave = await cur.fetchone()
            at = dt.datetime.now(dt.UTC)
            if wave is None or wave[0] or any(
                t is not None and dt.datetime.fromisoformat(t) <= at for t in (wave[1], wave[2])
            ):
                return False
            cur = await conn.execute(
                "UPDATE tokens SET used = 1 WHERE hash = ? AND wave_id = ? AND used = 0",
                (code_hash, wave_id),
            )
            if cur.rowcount != 1:
                return False
            await conn.execute(
                "INSERT INTO pending (id, wave_id, sealed) VALUES (?, ?, ?)",
                (secrets.token_bytes(16), wave_id, sealed),
            )
            return True

    async def pending_count(self, wave_id: str) -> int:
        async with self._r.execute(
            "SELECT COUNT(*) FROM pending WHERE wave_id = ?", (wave_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def mix_wave(self, wave_id: str, unseal: Callable[[bytes], NewResponse]) -> int:
        async with self._transaction() as conn:
            async with conn.execute("SELECT mixed FROM waves WHERE id = ?", (wave_id,)) as cur:
                row = await cur.fetchone()
            if row is None or row[0]:
                return 0
            async with conn.execute(
                "SELECT sealed FROM pending WHERE wave_id = ?", (wave_id,)
            ) as cur:
                sealed = [bytes(r[0]) for r in await cur.fetchall()]
            responses = [unseal(blob) for blob in sealed]
            secrets.SystemRandom().shuffle(responses)
            await conn.executemany(_INSERT, [self._row(r) for r in responses])
            await conn.execute("DELETE FROM pending WHERE wave_id = ?", (wave_id,))
            await conn.execute("UPDATE waves SET mixed = 1 WHERE id = ?", (wave_id,))
        await self.scrub()
        return len(responses)

    async def scrub(self) -> None:
        """Rewrite the database file and empty the WAL, so that neither free pages nor old WAL
        frames nor page allocation keep a trace of the order in which rows arrived."""
        if self.path == ":memory:":
            return
        async with self._lock:
            for sql in (
                "PRAGMA wal_checkpoint(TRUNCATE)",
                "VACUUM",
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ):
                async with self._w.execute(sql) as cur:
                    await cur.fetchall()

"""SQLite storage through aiosqlite: WAL, ``synchronous=FULL``, one writer with group commit.

Submissions are queued to a single writer task. The writer takes everything queued, inserts it
with one ``executemany`` in one transaction, commits (fsync of the WAL), then wakes every waiting
request. Concurrent submissions therefore share one fsync, and a request is acknowledged only
after its row is on disk.

Staff waves' sealed answers live in files of their own (:mod:`.pending`); the WAL is kept small
in the background (:mod:`.maintenance`). A submission that cannot be stored now (the lock held
too long, a full disk, a read-only file) raises :class:`~.base.StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
import msgspec

from ..surveys.waves import Wave
from . import maintenance
from .base import NewResponse, StoredResponse, StoreUnavailable, TokenState, WaveCodes
from .pending import PendingFiles
from .sealed import SealedAnswers

log = logging.getLogger(__name__)
_json_encode = msgspec.json.Encoder().encode
_answers_decoder = msgspec.json.Decoder(dict[str, int | str | list[str]])
_orgs_decoder = msgspec.json.Decoder(list[str])

_INSERT = (
    "INSERT INTO responses (id, submission_key, wave_id, version, organisation, channel, lang,"
    " day, answers, codes, unit, panel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (submission_key) DO NOTHING"
)


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("survey_service.storage") / "migrations" / "sqlite"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


class SQLiteStore(SealedAnswers):
    """The embedded default store."""

    #: How long a write waits for another process's lock before SQLite says "locked".
    busy_timeout_ms = 10_000
    #: Further tries (with a short pause) when a write still finds the database locked.
    write_retries = 3
    #: Seconds between steps of WAL upkeep.
    checkpoint_interval = 0.5
    _insert_sql = _INSERT

    def __init__(self, path: str) -> None:
        self.path = path
        self._pending = PendingFiles(path)
        self._wal_task: asyncio.Task[None] | None = None
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: list[tuple[tuple[Any, ...], asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._lock = asyncio.Lock()
        self.batches = 0  # commits made by the writer (logged at close)
        self.written = 0  # submissions those commits carried

    async def _connect(self, busy_ms: int | None = None) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        busy = self.busy_timeout_ms if busy_ms is None else busy_ms
        await conn.execute(f"PRAGMA busy_timeout = {int(busy):d}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute(f"PRAGMA journal_size_limit = {maintenance.JOURNAL_SIZE_LIMIT:d}")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA secure_delete = ON")
        return conn

    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            # the database (and so its -wal and -shm, which SQLite creates alike) is private
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
        # the writer waits for the lock in short polls of its own (:meth:`_begin`)
        self._writer = await self._connect(maintenance.LOCK_POLL_MS)
        await self.migrate()
        self._reader = self._writer if self.path == ":memory:" else await self._connect()
        await self._destroy_leftovers()
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._write_loop(), name="sqlite-writer")
        if self.path != ":memory:":
            await self._w.execute("PRAGMA wal_autocheckpoint = 0")  # done in the background
            self._wal_task = asyncio.create_task(
                maintenance.manage_wal(
                    self.path, self.checkpoint_interval, lambda: not self._queue
                ),
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
            if self.batches:
                log.info("writer: %d submissions in %d commits", self.written, self.batches)
        for conn in {id(c): c for c in (self._reader, self._writer) if c is not None}.values():
            await conn.close()
        self._reader = self._writer = None

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def migrate(self) -> list[int]:
        conn = self._w
        applied = []
        for number, sql in _migrations():
            await self._begin(conn)
            # read the version inside the write lock: another process may be migrating too
            async with conn.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
            if number <= (int(row[0]) if row else 0):
                await conn.execute("COMMIT")
                continue
            try:
                for statement in sql.split(";\n"):
                    if statement.strip():
                        await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number:d}")
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            applied.append(number)
        return applied

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction on the single writer connection."""
        async with self._lock:
            conn = self._w
            await self._begin(conn)
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
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

    def _wave_params(self, wave: Wave) -> tuple[Any, ...]:
        return (
            wave.survey_id,
            wave.version,
            wave.phase,
            _json_encode(wave.organisations).decode(),
            _iso(wave.starts),
            _iso(wave.ends),
            _iso(wave.closed),
            int(wave.mixed),
            wave.structure,
            wave.min_group,
            int(wave.panel),
            wave.id,
        )

    async def add_wave(self, wave: Wave) -> None:
        await self._write(
            "INSERT INTO waves (survey_id, version, phase, organisations, starts, ends, closed,"
            " mixed, structure, min_group, panel, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._wave_params(wave),
        )

    async def update_wave(self, wave: Wave) -> None:
        await self._write(
            "UPDATE waves SET survey_id = ?, version = ?, phase = ?, organisations = ?, starts = ?,"
            " ends = ?, closed = ?, mixed = ?, structure = ?, min_group = ?, panel = ?"
            " WHERE id = ?",
            self._wave_params(wave),
        )

    async def waves(self) -> list[Wave]:
        async with self._r.execute(
            "SELECT id, survey_id, version, phase, organisations, starts, ends, closed, mixed,"
            " structure, min_group, panel FROM waves"
            " ORDER BY survey_id, COALESCE(starts, ''), id"
        ) as cur:
            rows = await cur.fetchall()
        return [
            Wave(
                id=r[0],
                survey_id=r[1],
                version=r[2],
                phase=r[3],
                organisations=_orgs_decoder.decode(r[4]),
                starts=_from_iso(r[5]),
                ends=_from_iso(r[6]),
                closed=_from_iso(r[7]),
                mixed=bool(r[8]),
                structure=r[9],
                min_group=int(r[10]),
                panel=bool(r[11]),
            )
            for r in rows
        ]

    @staticmethod
    def _row(response: NewResponse) -> tuple[Any, ...]:
        return (
            secrets.token_bytes(16),
            response.submission_key,
            response.wave_id,
            response.version,
            response.organisation,
            response.channel,
            response.lang,
            response.day.isoformat() if response.day else None,
            _json_encode(response.answers),
            response.codes,
            response.unit,
            response.panel,
        )

    async def import_responses(self, responses: list[NewResponse]) -> None:
        async with self._transaction() as conn:
            await conn.executemany(_INSERT, [self._row(r) for r in responses])

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
                self.batches += 1
                self.written += len(batch)
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
        async with self._r.execute(
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
        async with self._r.execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def responses(self, wave_id: str) -> list[StoredResponse]:
        async with self._r.execute(
            "SELECT id, wave_id, version, organisation, channel, lang, day, answers, unit"
            " FROM responses WHERE wave_id = ? ORDER BY id",
            (wave_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            StoredResponse(
                id=bytes(r[0]).hex(),
                wave_id=r[1],
                version=r[2],
                organisation=r[3],
                channel=r[4],
                lang=r[5],
                day=dt.date.fromisoformat(r[6]) if r[6] else None,
                answers=_answers_decoder.decode(r[7]),
                unit=r[8],
            )
            for r in rows
        ]

    async def wave_codes(
        self, wave_id: str, organisation: str | None = None, groups: bool = False
    ) -> WaveCodes:
        where, params = "wave_id = ?", [wave_id]
        if organisation is not None:
            where, params = where + " AND organisation = ?", [*params, organisation]
        columns = "codes, organisation, channel, unit, panel" if groups else "codes"
        async with self._r.execute(
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

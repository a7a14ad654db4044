"""PostgreSQL storage through asyncpg, for several app processes sharing one database.

Durability: every connection runs with ``synchronous_commit = on``; a submission is
acknowledged only once its COMMIT is flushed to the WAL on disk.

Group commit: as on SQLite, one writer takes every submission queued and inserts them with one
``INSERT ... SELECT FROM unnest(...)``: one transaction, one WAL flush, then it wakes every
waiting request. Measured (``benchmarks/store_submit.py``, README "PostgreSQL"), this gives
5-10 times the throughput of one autocommit INSERT per submission on a pool, with or without
``commit_delay``; a second writer made no measurable difference.

One-time submission keys hold across processes by the unique constraint (``ON CONFLICT
(submission_key) DO NOTHING``); invitation codes by ``UPDATE ... WHERE NOT used``, which
PostgreSQL re-checks after waiting for a concurrent update of the same row.

Connections, ``pool_size`` per process (``SURVEY_DB_POOL_SIZE``): the writer, a small pool for
long reads (exports, reports) that never delay a submission, and a pool for the rest.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar

import asyncpg

from .base import (
    NewResponse,
    StoredResponse,
    StoreOpenError,
    StoreUnavailable,
    StoreUnreachable,
    TokenState,
    WaveCodes,
)
from .faults import quiet_when_away
from .postgres_accounts import AccountsMixin
from .postgres_cache import PostgresReportCache
from .postgres_export import ExportRows  # the wide export's undecoded read
from .postgres_fieldwork import PostgresFieldwork
from .postgres_kiosks import PostgresKiosks
from .postgres_migrate import Conn, known_migrations, migrate, redact
from .postgres_records import PostgresRecords
from .postgres_retention import PostgresRetention
from .postgres_rows import (
    INSERT_RESPONSES,
    RESPONSE_COLUMNS,
    columns,
    response_row,
    stored_responses,
)
from .postgres_sealed import SealedAnswers
from .postgres_writer import UNAVAILABLE, GroupCommit, Row
from .publications import PostgresPublications

log = logging.getLogger(__name__)
quiet_when_away("asyncpg.pool")  # its reconnection attempts: one line each, no traceback

DEFAULT_POOL_SIZE = 8
MIN_POOL_SIZE = 4
CONNECT_TIMEOUT = 10.0
READY_TIMEOUT = 3.0  # a readiness probe waits this long for the server at most
_SERVER_SETTINGS = {"synchronous_commit": "on", "application_name": "survey_service"}


_OPEN_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a pool does to a connection given back, after asyncpg has rolled back any
    transaction left open: nothing. asyncpg's default sends ``pg_advisory_unlock_all(); CLOSE
    ALL; UNLISTEN *; RESET ALL`` each time, a second round trip for every one-statement use
    (a limit check cost twice its statement). No code here leaves session state on a pooled
    connection: advisory locks are transactions' (``pg_advisory_xact_lock``), cursors live in
    transactions, nothing listens or sets a session variable, and the migrations' session
    lock is taken on a connection of its own."""
    return None


def _line(exc: BaseException) -> str:
    """An error as one line for an operator."""
    return " ".join(str(exc).split()) or type(exc).__name__


class PostgresStore(GroupCommit, SealedAnswers, AccountsMixin, PostgresKiosks,
                    PostgresPublications, PostgresRecords, PostgresRetention,
                    PostgresFieldwork, ExportRows, PostgresReportCache):
    """A store on a PostgreSQL database that several processes may share."""

    #: Settings of every connection's session.
    server_settings: ClassVar[dict[str, str]] = _SERVER_SETTINGS

    def __init__(self, url: str, *, pool_size: int | None = None) -> None:
        self.url = url
        self.where = redact(url)
        size = DEFAULT_POOL_SIZE if pool_size is None else pool_size
        if size < MIN_POOL_SIZE:
            raise ValueError(f"the PostgreSQL pool needs at least {MIN_POOL_SIZE} connections")
        self.writers = 1
        self.bulk_size = max(1, size // 4)
        self.point_size = size - self.writers - self.bulk_size
        self._pool: asyncpg.Pool | None = None
        self._bulk: asyncpg.Pool | None = None
        self._writer_conns: list[asyncpg.Connection] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._queue: list[tuple[Row, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._closing = False
        self._commits = 0
        self._written = 0
        self.applied: list[int] = []  # migrations the last open() applied
        self.problem: str | None = None  # why the last open() failed

    @property
    def commits(self) -> int:
        return self._commits

    # ------------------------------------------------------------------ open and close
    async def _connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(
            self.url, timeout=CONNECT_TIMEOUT, server_settings=self.server_settings
        )

    async def _make_pool(self, size: int) -> asyncpg.Pool:
        pool = await asyncpg.create_pool(
            self.url, min_size=size, max_size=size, timeout=CONNECT_TIMEOUT,
            server_settings=self.server_settings, reset=_keep_session,
        )
        assert pool is not None
        return pool

    def _cannot_connect(self, exc: BaseException) -> StoreOpenError:
        """The error for a failed connection: :class:`StoreUnreachable` when the server may
        come back by itself (stopped, starting, the network), remembered for :meth:`ready`."""
        self.problem = f"cannot connect to {self.where}: {_line(exc)}"
        unreachable = isinstance(exc, OSError | TimeoutError | asyncpg.CannotConnectNowError)
        return (StoreUnreachable if unreachable else StoreOpenError)(self.problem)

    async def open(self) -> None:
        try:
            first = await self._connect()
        except _OPEN_ERRORS as exc:
            raise self._cannot_connect(exc) from exc
        self.problem = None
        self._writer_conns = [first]
        try:
            try:
                self.applied = await migrate(first, self.where)
            except asyncpg.PostgresError as exc:
                raise StoreOpenError(f"cannot migrate {self.where}: {_line(exc)}") from exc
            for _ in range(self.writers - 1):
                self._writer_conns.append(await self._connect())
            self._pool = await self._make_pool(self.point_size)
            self._bulk = await self._make_pool(self.bulk_size)
        except BaseException as exc:
            await self._disconnect()
            if isinstance(exc, _OPEN_ERRORS):
                raise self._cannot_connect(exc) from exc
            raise
        self._wakeup = asyncio.Event()
        self._closing = False
        self._commits = self._written = 0
        self._tasks = [
            asyncio.create_task(self._write_loop(n), name=f"postgres-writer-{n}")
            for n in range(self.writers)
        ]

    async def close(self) -> None:
        if self._tasks:
            self._closing = True
            self._wakeup.set()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
            if self._commits:
                log.info("writers: %d submissions in %d commits", self._written, self._commits)
        await self._disconnect()

    async def _disconnect(self) -> None:
        for conn in self._writer_conns:
            await conn.close()
        self._writer_conns = []
        for pool in (self._pool, self._bulk):
            if pool is not None:
                await pool.close()
        self._pool = self._bulk = None

    @property
    def _p(self) -> asyncpg.Pool:
        """The pool for point reads and short write transactions."""
        return self._open(self._pool)

    @property
    def _b(self) -> asyncpg.Pool:
        """The pool for long reads."""
        return self._open(self._bulk)

    @staticmethod
    def _open(pool: asyncpg.Pool | None) -> asyncpg.Pool:
        if pool is None:
            raise StoreUnavailable("the database is not open")
        return pool

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Conn]:
        async with self._p.acquire() as conn, conn.transaction():
            yield conn

    async def migrate(self) -> list[int]:
        # its own connection: the migration lock is a session's, and the pools never reset
        # their connections' sessions (:func:`_keep_session`)
        conn = await self._connect()
        try:
            return await migrate(conn, self.where)
        finally:
            await conn.close()

    async def ready(self) -> str | None:
        if self._pool is None or not self._tasks or self._tasks[0].done():
            return self.problem or "the database is not open"
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                row = await self._pool.fetchrow(
                    "SELECT pg_is_in_recovery(), current_setting('transaction_read_only'),"
                    " (SELECT MAX(number) FROM schema_migrations)"
                )
        except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
            # connections the server dropped are made again at their next use, not one
            # failed request each after it returns
            for pool in (self._pool, self._bulk):
                if pool is not None:
                    await pool.expire_connections()
            return f"cannot reach {self.where}: {_line(exc)}"
        assert row is not None
        if row[0]:
            return f"{self.where} is a read-only replica (in recovery)"
        if row[1] == "on":
            return f"{self.where} is read-only (default_transaction_read_only)"
        newest = max(m.number for m in known_migrations())
        current = int(row[2] or 0)
        return None if current == newest else f"migrations not current ({current} of {newest})"

    # ------------------------------------------------------------------ submissions
    _row = staticmethod(response_row)

    async def import_responses(self, responses: list[NewResponse]) -> None:
        async with self._transaction() as conn:
            for start in range(0, len(responses), 5000):
                rows = [self._row(r) for r in responses[start : start + 5000]]
                await conn.execute(INSERT_RESPONSES, *columns(rows))

    # ------------------------------------------------------------------ reads
    async def wave_versions(self, wave_id: str) -> list[str]:
        rows = await self._b.fetch(
            "SELECT DISTINCT version FROM responses WHERE wave_id = $1 ORDER BY version", wave_id
        )
        return [str(r[0]) for r in rows]

    async def organisation_counts(self, wave_id: str) -> dict[str, int]:
        rows = await self._b.fetch(
            "SELECT organisation, COUNT(*) FROM responses WHERE wave_id = $1"
            " GROUP BY organisation",
            wave_id,
        )
        return {r[0]: int(r[1]) for r in rows}

    async def submitted(self, submission_key: str) -> bool:
        found = await self._p.fetchval(
            "SELECT 1 FROM responses WHERE submission_key = $1", submission_key
        )
        return found is not None

    async def count_responses(self, wave_id: str | None = None) -> int:
        if wave_id is None:
            value = await self._b.fetchval("SELECT COUNT(*) FROM responses")
        else:
            value = await self._b.fetchval(
                "SELECT COUNT(*) FROM responses WHERE wave_id = $1", wave_id
            )
        return int(value or 0)

    async def responses(self, wave_id: str) -> list[StoredResponse]:
        rows = await self._b.fetch(
            f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE wave_id = $1 ORDER BY id",  # noqa: S608
            wave_id,
        )
        return stored_responses(rows)

    async def stream_responses(
        self, wave_id: str, batch_size: int = 500
    ) -> AsyncIterator[list[StoredResponse]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        # a cursor in a read-only REPEATABLE READ transaction: one snapshot throughout
        async with self._b.acquire() as conn, conn.transaction(
            isolation="repeatable_read", readonly=True
        ):
            cursor = await conn.cursor(
                f"SELECT {RESPONSE_COLUMNS} FROM responses WHERE wave_id = $1 ORDER BY id",  # noqa: S608
                wave_id,
            )
            while rows := await cursor.fetch(batch_size):
                yield stored_responses(rows)

    async def wave_codes(
        self, wave_id: str, organisation: str | None = None, groups: bool = False
    ) -> WaveCodes:
        where, params = "wave_id = $1", [wave_id]
        if organisation is not None:
            where, params = where + " AND organisation = $2", [*params, organisation]
        cols = "codes, organisation, channel, unit, panel, day" if groups else "codes"
        rows = await self._b.fetch(
            f"SELECT {cols} FROM responses WHERE {where}",  # noqa: S608 (fixed strings)
            *params,
        )
        if not groups:
            return WaveCodes(b"".join([r[0] for r in rows]), len(rows))
        if not rows:
            return WaveCodes(b"", 0)
        return WaveCodes(
            b"".join([r[0] for r in rows]),
            len(rows),
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] for r in rows],
            [bytes(r[4]) if r[4] is not None else None for r in rows],
            [r[5].isoformat() if r[5] is not None else None for r in rows],
        )

    # ------------------------------------------------------------------ staff codes
    async def add_tokens(
        self, wave_id: str, organisation: str, unit: str, hashes: list[bytes]
    ) -> None:
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO tokens (hash, wave_id, organisation, unit) VALUES ($1, $2, $3, $4)",
                [(h, wave_id, organisation, unit) for h in hashes],
            )

    async def token(self, code_hash: bytes) -> TokenState | None:
        row = await self._p.fetchrow(
            "SELECT wave_id, organisation, unit, used FROM tokens WHERE hash = $1", code_hash
        )
        return TokenState(row[0], row[1], row[2], bool(row[3])) if row else None

    async def revoke_token(self, code_hash: bytes) -> bool:
        status = await self._p.execute(
            "UPDATE tokens SET used = true WHERE hash = $1 AND NOT used", code_hash
        )
        return str(status) == "UPDATE 1"

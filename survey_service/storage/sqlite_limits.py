"""The shared counters of :mod:`.limits` on SQLite: a small file of their own beside the
database (``<database>.limits``, mode 0600), which every process of the database opens.

Not the database itself, on purpose: the counters are written on every citizen submission,
and in the database file they would queue behind its single writer and its fsync, and put the
keyed hashes of clients into the same file (and write-ahead log) as the answers. Here they
are written with ``synchronous = OFF`` (a crash may lose the last counts, which only lifts a
limit early) and ``secure_delete = ON`` (a purged row is overwritten with zeros). A file that
cannot be read (torn by a power cut) is deleted and made again: it holds nothing worth
keeping. Each operation is one statement in autocommit: SQLite's write lock makes it atomic
across processes. It runs on the event loop's own thread, without waiting for the lock
(``busy_timeout = 0``: a statement of ~20 µs, no fsync, no hop to a connection's thread; a
third of the CPU of going through aiosqlite, measured); only when another process holds the
lock at that moment does it go through an aiosqlite connection that waits for it.

If the file cannot be used (a full disk, a lock held too long), a limit is not enforced for
that request rather than refusing it: the log says so, at most once a minute.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

import aiosqlite

from .limits import PURGE_EVERY, Rule, wait

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 2_000
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS client_limits ("
    " rule TEXT NOT NULL, key BLOB NOT NULL, tat REAL NOT NULL,"
    " PRIMARY KEY (rule, key)) WITHOUT ROWID"
)
_TAKE = (
    "INSERT INTO client_limits (rule, key, tat) VALUES (?1, ?2, ?3 + ?4)"
    " ON CONFLICT (rule, key) DO UPDATE SET tat = max(tat, ?3) + ?4"
    " WHERE max(tat, ?3) + ?4 - ?5 - ?3 <= 1e-9 RETURNING tat"
)
_ADD = (
    "INSERT INTO client_limits (rule, key, tat) VALUES (?1, ?2, ?3 + ?4)"
    " ON CONFLICT (rule, key) DO UPDATE SET tat = min(max(tat, ?3) + ?4, ?3 + ?5)"
    " RETURNING tat"
)
_READ = "SELECT tat FROM client_limits WHERE rule = ? AND key = ?"
_PURGE = "DELETE FROM client_limits WHERE tat <= ?"


def limits_path(database: str) -> Path:
    """The counters' file beside the database file ``database``."""
    path = Path(database)
    return path.with_name(path.name + ".limits")


def _remove(path: Path) -> None:
    """Delete the counters' file (and its WAL) to make it again."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class SQLiteLimits:
    """:class:`~.limits.ClientLimits` in ``<database>.limits``; opened when first used."""

    def __init__(self, database: str) -> None:
        self.path = limits_path(database)
        self._conn: aiosqlite.Connection | None = None
        #: per thread (an app may be served by another loop's thread: tests), never waits
        self._fast: dict[int, sqlite3.Connection] = {}
        self._opening: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._purged = 0.0
        self._complained = 0.0

    async def _connection(self) -> aiosqlite.Connection:
        if self._conn is None:
            loop = asyncio.get_running_loop()
            if self._opening is None or self._opening[0] is not loop:  # an app may outlive
                self._opening = (loop, asyncio.Lock())                 # its first loop (tests)
            async with self._opening[1]:
                if self._conn is None:
                    try:
                        self._conn = await self._open()
                    except sqlite3.DatabaseError as exc:
                        if isinstance(exc, sqlite3.OperationalError):
                            raise
                        log.warning("%s could not be read (%s): made again", self.path, exc)
                        _remove(self.path)
                        self._conn = await self._open()
        return self._conn

    async def _open(self) -> aiosqlite.Connection:
        if not self.path.exists():
            try:
                os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            except FileExistsError:
                pass
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = OFF")
            await conn.execute("PRAGMA secure_delete = ON")
            await conn.execute(_SCHEMA)
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _run(self, sql: str, params: tuple[object, ...], at: float) -> list[float] | None:
        """The ``tat`` values the statement returned; None when the file cannot be used."""
        try:
            fast = self._fast.get(threading.get_ident())
            if fast is None:
                await self._connection()  # made (or made again) and migrated first
                fast = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                fast.execute("PRAGMA busy_timeout = 0")
                fast.execute("PRAGMA synchronous = OFF")
                fast.execute("PRAGMA secure_delete = ON")
                self._fast[threading.get_ident()] = fast
            if at - self._purged <= PURGE_EVERY:
                return [float(r[0]) for r in fast.execute(sql, params).fetchall()]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                self._complain(exc)
                return None
        except (sqlite3.Error, OSError) as exc:
            self._complain(exc)
            return None
        try:  # the lock is held by another process now (or it is time to purge): wait
            conn = await self._connection()
            if at - self._purged > PURGE_EVERY:
                self._purged = at
                await conn.execute(_PURGE, (at,))
            rows = await conn.execute_fetchall(sql, params)
        except (sqlite3.Error, OSError) as exc:
            self._complain(exc)
            return None
        return [float(r[0]) for r in rows]

    def _complain(self, exc: BaseException) -> None:
        now = time.monotonic()
        if now - self._complained > 60:
            self._complained = now
            log.warning("limits not enforced now: %s: %s", self.path, exc)

    async def take(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_TAKE, (rule.name, key, at, rule.interval, rule.window), at)
        if got is None or got:
            return 0.0
        return await self.wait(rule, key, at)

    async def add(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_ADD, (rule.name, key, at, rule.interval, rule.window), at)
        return wait(rule, got[0], at) if got else 0.0

    async def wait(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_READ, (rule.name, key), at)
        return wait(rule, got[0] if got else None, at)

    async def purge(self, at: float) -> int:
        conn = await self._connection()
        self._purged = at
        cur = await conn.execute(_PURGE, (at,))
        return cur.rowcount

    async def close(self) -> None:
        fast, self._fast = self._fast, {}
        for one in fast.values():
            one.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

"""Keeping SQLite's WAL small without making a submission wait.

The writer connection does not checkpoint by itself (``wal_autocheckpoint = 0``): a checkpoint
run at the end of a commit would make that commit's respondents wait for it. Instead a
background task on its own connection (its own thread) copies the WAL into the database with
``wal_checkpoint(PASSIVE)``, which never takes a lock that writers or readers wait for; when the
WAL has grown large (bulk imports) and is fully copied, and no submission is queued, it
truncates the file with ``wal_checkpoint(TRUNCATE)`` under a zero busy timeout (it gives up at
once rather than hold up a writer). The writer's ``journal_size_limit`` also trims the WAL
whenever it is restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable

import aiosqlite

log = logging.getLogger(__name__)

#: A writer waiting for another process's lock tries again this often (milliseconds).
LOCK_POLL_MS = 2
#: Checkpoint (PASSIVE) once the WAL file is larger than this.
CHECKPOINT_BYTES = 4 * 1024 * 1024
#: Truncate the WAL file once it is larger than this and fully checkpointed.
TRUNCATE_BYTES = 64 * 1024 * 1024
#: What the WAL is trimmed to when it restarts (``PRAGMA journal_size_limit``).
JOURNAL_SIZE_LIMIT = TRUNCATE_BYTES


def transient(exc: BaseException) -> bool:
    """An error that waiting a moment may cure: the database is locked or busy."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def wal_size(path: str) -> int:
    try:
        return os.stat(path + "-wal").st_size
    except OSError:
        return 0


async def checkpoint_once(conn: aiosqlite.Connection, path: str, idle: bool) -> str:
    """One step of WAL upkeep; returns what it did ("", "passive", "truncate")."""
    size = wal_size(path)
    if size <= CHECKPOINT_BYTES:
        return ""
    async with conn.execute("PRAGMA wal_checkpoint(PASSIVE)") as cur:
        row = await cur.fetchone()
    done = "passive"
    # (busy, frames in the WAL, frames copied): truncate only a fully copied, large WAL
    if row is not None and row[1] == row[2] and size > TRUNCATE_BYTES and idle:
        async with conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
            row = await cur.fetchone()
        if row is not None and row[0] == 0:
            done = "truncate"
            log.info("WAL truncated (was %.0f MB)", size / 1e6)
    return done


async def manage_wal(path: str, interval: float, idle: Callable[[], bool]) -> None:
    """Run :func:`checkpoint_once` every ``interval`` seconds until cancelled."""
    conn = await _connect_whole(path)
    try:
        while True:
            await asyncio.sleep(interval)
            try:
                await checkpoint_once(conn, path, idle())
            except sqlite3.Error as exc:  # try again at the next tick
                log.debug("checkpoint skipped: %s", exc)
    finally:
        await conn.close()


async def _connect_whole(path: str) -> aiosqlite.Connection:
    """The checkpointer's connection. aiosqlite makes it on a thread of its own: cancelled
    meanwhile (a store closed right after it opened), that thread would finish after the
    event loop had gone ('Event loop is closed', and a thread left alive). So the connection is
    always finished, then closed if the caller was cancelled meanwhile."""

    async def connect() -> aiosqlite.Connection:
        conn = await aiosqlite.connect(path, isolation_level=None)
        await conn.execute("PRAGMA busy_timeout = 0")
        return conn

    making = asyncio.ensure_future(connect())
    try:
        return await asyncio.shield(making)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await (await making).close()
        raise


async def roll_back_shielded(conn: aiosqlite.Connection) -> None:
    """ROLLBACK on the writer after whatever is queued on its thread, completed even when the
    caller is cancelled meanwhile (no transaction open: nothing to do)."""

    async def roll_back() -> None:
        with contextlib.suppress(sqlite3.OperationalError):
            await conn.execute("ROLLBACK")

    done = asyncio.ensure_future(roll_back())
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.shield(done)

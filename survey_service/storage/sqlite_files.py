"""Opening SQLite files: refuse at once, with one clear line, what cannot work.

SQLite itself would create a database wherever it is pointed, report a folder or a foreign
file only at the first query, and on read-only files fail later still, mid-request. These
checks run before any connection is made.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from pathlib import Path

import aiosqlite

from .base import StoreOpenError

_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000  # how long to wait for another process's lock before giving up


def _writable(path: Path) -> bool:
    """Writable for this process, and not marked read-only for everybody (which root would
    otherwise ignore: a file or folder an operator made read-only is not written)."""
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


#: Free space below which a database is reported not ready (a submission could fail).
MIN_FREE_BYTES = 16 * 1024 * 1024


def not_writable(path: Path) -> str | None:
    """Why submissions to the database at ``path`` would fail now, or ``None``."""
    try:
        if not _writable(path.parent):
            return f"folder {path.parent} is read-only"
        if not _writable(path):
            return f"{path} is read-only"
        free = shutil.disk_usage(path.parent).free
    except OSError as exc:
        return f"cannot check {path}: {exc.strerror or exc}"
    if free < MIN_FREE_BYTES:
        return f"the disk of {path} is full ({free // 1024} KiB free)"
    return None


def check_path(raw: str) -> Path:
    """The database file to open, or :class:`StoreOpenError` naming what is wrong."""
    if not raw:
        raise StoreOpenError("the database URL names no file: use sqlite:///path/to/file.sqlite3")
    path = Path(raw)
    folder = path.parent
    if path.is_dir():
        raise StoreOpenError(f"{path} is a folder, not a database file")
    if not folder.is_dir():
        raise StoreOpenError(f"folder {folder} does not exist: create it, then start again")
    if not _writable(folder):
        raise StoreOpenError(
            f"folder {folder} is read-only: SQLite keeps its write-ahead log beside {path.name}"
        )
    if path.exists():
        if not path.is_file():
            raise StoreOpenError(f"{path} is not a regular file")
        if not _writable(path):
            raise StoreOpenError(f"{path} is read-only")
        try:
            with path.open("rb") as f:
                header = f.read(len(_HEADER))
        except OSError as exc:
            raise StoreOpenError(f"cannot read {path}: {exc.strerror}") from exc
        if header and header != _HEADER:
            raise StoreOpenError(f"{path} is not an SQLite database")
    return path


async def connect(path: Path, *, reader: bool) -> aiosqlite.Connection:
    """A connection in autocommit mode; the writer sets durability, a reader only reads."""
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreOpenError(f"cannot open {path}: {exc}") from exc
    try:
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS:d}")
        if reader:
            await conn.execute("PRAGMA query_only = ON")
        else:
            await _use_wal(conn, path)
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA secure_delete = ON")
    except sqlite3.Error as exc:
        await conn.close()
        raise StoreOpenError(f"cannot open {path}: {exc}") from exc
    except BaseException:
        await conn.close()
        raise
    return conn


async def _use_wal(conn: aiosqlite.Connection, path: Path) -> None:
    """Switch a new database to WAL. The switch needs the file to itself and SQLite does not
    wait for it (no busy handler), so a second process starting at the same moment retries."""
    deadline = asyncio.get_running_loop().time() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            async with conn.execute("PRAGMA journal_mode = WAL") as cur:
                row = await cur.fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)
            continue
        if row is None or str(row[0]).lower() != "wal":
            raise StoreOpenError(f"cannot open {path}: its folder does not allow a WAL journal")
        return

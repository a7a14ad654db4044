"""``db backup`` and ``db restore``: one file holding a consistent copy of a database, made while
the server runs, and put back into an empty database (or, with ``force``, over one).

SQLite: SQLite's online backup API copies every page of one read snapshot into a new file, so
submissions go on meanwhile. The sealed answers of open staff waves live in files of their own
(:mod:`.pending`), written only while the main database's write lock is held: the snapshot is
pinned while that lock is held for a moment, the wave files are read under the same lock, and
both go into the one backup file (the sealed rows in a table ``backup_pending``, taken out
again by the restore). Login sessions are not kept: everybody signs in again after a restore.
The backup is an ordinary SQLite file (rollback journal, mode 0600).

PostgreSQL: ``pg_dump`` (custom format, one repeatable-read snapshot, sessions' rows left out)
and ``pg_restore`` into a database emptied first; the password goes through ``PGPASSWORD``,
never on a command line.

A restore refuses a database holding anything (waves, responses, accounts, the audit log, ...)
unless forced, and a backup made by a newer version. The caller then opens the store on the
restored database, which applies this code's newer migrations.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from .base import SchemaTooNewError, StoreError
from .pending import PendingFiles, shred
from .sqlite_files import check_path
from .sqlite_migrate import known_migrations

PENDING_TABLE = "backup_pending"
SQLITE_HEADER = b"SQLite format 3\x00"
PG_HEADER = b"PGDMP"
#: Tables whose rows do not make a database "in use": the engine's and the key's bookkeeping,
#: and login sessions.
BOOKKEEPING = frozenset({"schema_migrations", "meta", "sessions"})


@dataclass(frozen=True)
class Made:
    """A backup written: its size, SHA-256 and how many sealed answers it holds."""

    path: Path
    size: int
    sha256: str
    sealed: int = 0


def file_digest(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def kind_of(path: Path) -> str:
    """``sqlite`` or ``postgres`` from the file's first bytes; StoreError otherwise."""
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        raise StoreError(f"no backup file at {path}") from None
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if head == SQLITE_HEADER:
        return "sqlite"
    if head.startswith(PG_HEADER):
        return "postgres"
    raise StoreError(f"{path} is not a backup made by survey-service db backup")


def new_file(path: Path) -> Path:
    """Where a backup is written first (renamed to ``path`` once complete); refuses to
    overwrite an existing file or to write into a missing folder."""
    if path.exists():
        raise StoreError(f"{path} exists already: give the name of a new file")
    if not path.parent.is_dir():
        raise StoreError(f"folder {path.parent} does not exist")
    part = path.with_name(path.name + ".part")
    with contextlib.suppress(FileNotFoundError):
        part.unlink()
    os.close(os.open(part, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    return part


def finish(part: Path, path: Path, sealed: int = 0) -> Made:
    fd = os.open(part, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(part, path)
    with contextlib.suppress(OSError):
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    size, digest = file_digest(path)
    return Made(path, size, digest, sealed)


# ---------------------------------------------------------------------------------- SQLite
def _ro(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True,
                           isolation_level=None, timeout=10.0)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def sqlite_backup(db: Path, out: Path) -> Made:
    """Copy the database at ``db`` and its open waves' sealed answers into ``out``."""
    if not db.is_file():
        raise StoreError(f"no database at {db}")
    part = new_file(out)
    try:
        return finish(part, out, _sqlite_backup(db, part))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shred(part)
        raise


def _sqlite_backup(db: Path, part: Path) -> int:
    lock = sqlite3.connect(db, isolation_level=None, timeout=10.0)
    src = _ro(db)
    dst = sqlite3.connect(part, isolation_level=None)
    try:
        pending = PendingFiles(str(db))
        lock.execute("BEGIN IMMEDIATE")  # no submission, sealed answer or mix meanwhile
        try:
            src.execute("BEGIN")
            waves = [r[0] for r in src.execute("SELECT id FROM waves WHERE mixed = 0")]
            sealed = [(w, row_id, blob) for w in waves
                      for row_id, blob in pending.read(w).items()]
        finally:
            lock.execute("ROLLBACK")
        src.backup(dst)  # from the snapshot the read transaction pinned under the lock
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode = DELETE").fetchall()
        dst.execute("PRAGMA secure_delete = ON")
        dst.execute("BEGIN")
        dst.execute("DELETE FROM sessions")
        dst.execute(f"CREATE TABLE {PENDING_TABLE} (wave_id TEXT NOT NULL, id BLOB NOT NULL,"
                    " blob BLOB NOT NULL, PRIMARY KEY (wave_id, id)) WITHOUT ROWID")
        dst.executemany(f"INSERT INTO {PENDING_TABLE} VALUES (?, ?, ?)", sealed)  # noqa: S608
        dst.execute("COMMIT")
        return len(sealed)
    finally:
        for conn in (dst, src, lock):
            conn.close()


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]


def sqlite_in_use(conn: sqlite3.Connection) -> list[str]:
    """The tables (bookkeeping aside) that hold a row."""
    return [t for t in _tables(conn) if t not in BOOKKEEPING and t != PENDING_TABLE
            and conn.execute(f'SELECT 1 FROM "{t}" LIMIT 1').fetchone()]  # noqa: S608


def _migrations(conn: sqlite3.Connection, path: Path) -> set[int]:
    try:
        return {int(r[0]) for r in conn.execute("SELECT number FROM schema_migrations")}
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a backup of a survey_service database: {exc}") from exc


def refuse_newer(applied: set[int], known: set[int], path: Path) -> None:
    unknown = sorted(applied - known)
    if unknown:
        raise SchemaTooNewError(
            f"{path} was made by a newer survey_service (migration {unknown[-1]}, this code"
            f" knows up to {max(known)}): restore it with that version"
        )


def sqlite_backup_key(backup: Path) -> bytes | None:
    """The fingerprint of the key the backup's codes and sealed answers were made with."""
    conn = _ro(backup)
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return bytes(row[0]) if row else None


def sqlite_restore(db: Path, backup: Path, force: bool) -> int:
    """Put ``backup`` in place of the database at ``db``; return the sealed answers put back
    into their waves' files. The store is not open meanwhile (stop the server first)."""
    db = check_path(str(db))
    if not db.exists():
        os.close(os.open(db, os.O_CREAT | os.O_RDWR, 0o600))  # private, like the store's
    source = _ro(backup)
    try:
        refuse_newer(_migrations(source, backup), {m.number for m in known_migrations()}, backup)
        target = sqlite3.connect(db, isolation_level=None, timeout=10.0)
        try:
            used = sqlite_in_use(target)
            if used and not force:
                raise StoreError(
                    f"{db} is not empty (it holds {', '.join(used[:4])}): restore into a new"
                    " database, or add --force to replace everything in it"
                )
            pending = PendingFiles(str(db))
            old = [r[0] for r in target.execute("SELECT id FROM waves")] if used else []
            for wave_id in old:
                pending.destroy(wave_id)
            target.execute("PRAGMA secure_delete = ON")
            source.backup(target)
            rows = target.execute(
                f"SELECT wave_id, id, blob FROM {PENDING_TABLE}"  # noqa: S608
            ).fetchall()
            for wave_id, row_id, blob in rows:
                pending.add(wave_id, bytes(row_id), bytes(blob))
            target.execute(f"DROP TABLE {PENDING_TABLE}")
            target.execute("PRAGMA journal_mode = WAL").fetchall()
            return len(rows)
        finally:
            target.close()
    finally:
        source.close()

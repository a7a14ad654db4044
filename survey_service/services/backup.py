"""Backing up a database while the server runs, and restoring a backup (``db backup|restore``).

Both are written to the audit log: the backup in the database it copied (with the file's
SHA-256, so a file can later be matched to its entry), the restore in the restored database,
after the backup's own entries, so ``audit verify`` passes on it and shows where it came from.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import msgspec

from ..keyfile import fingerprint, mismatch_message
from ..settings import Settings
from ..storage import SQLITE, open_store, redact_url
from ..storage import backup as files
from ..storage.backup_pg import pg_backup, pg_restore
from ..storage.base import Store
from . import audit
from .errors import Invalid, Unavailable


class Backup(msgspec.Struct, frozen=True):
    file: str
    size: int
    sha256: str
    sealed: int  # sealed answers of open staff waves in it (SQLite; PostgreSQL keeps them in)


class Restored(msgspec.Struct, frozen=True):
    file: str
    sha256: str
    sealed: int
    migrations: list[int]  # applied to bring the backup up to this code
    audit_entries: int
    audit_head: str


def _sqlite_path(url: str) -> Path | None:
    url = url.strip()
    return Path(url.removeprefix(SQLITE)) if url.startswith(SQLITE) else None


async def _opened(settings: Settings) -> Store:
    store = open_store(settings.database_url, pool_size=settings.db_pool_size)
    await store.open()
    if not await store.check_key(fingerprint(settings.secret_key)):
        await store.close()
        raise Unavailable(mismatch_message(settings.database_url))
    return store


async def backup(settings: Settings, out: Path, actor: str) -> Backup:
    """Write a consistent copy of the database to ``out`` (a new file) while it is in use."""
    db = _sqlite_path(settings.database_url)
    if db is not None and str(db) == ":memory:":
        raise Invalid("an in-memory database has nothing to back up")
    store = await _opened(settings)  # migrated, and the key checked, before anything is copied
    try:
        if db is not None:
            made = await asyncio.to_thread(files.sqlite_backup, db, out)
        else:
            made = await pg_backup(settings.database_url, out)
        result = Backup(str(made.path), made.size, made.sha256, made.sealed)
        await audit.record(store, actor, "db-backup", msgspec.to_builtins(result))
        return result
    finally:
        await store.close()


async def restore(settings: Settings, backup_file: Path, actor: str, force: bool) -> Restored:
    """Put ``backup_file`` into the configured database, migrate it to this code, write the
    restore to its audit log and verify the log. The server must be stopped meanwhile."""
    kind = files.kind_of(backup_file)
    db = _sqlite_path(settings.database_url)
    engine = "sqlite" if db is not None else "postgres"
    if kind != engine:
        raise Invalid(
            f"{backup_file} is a {kind} backup and {redact_url(settings.database_url)} a"
            f" {engine} database: restore it into a {kind} database, then use"
            " `survey-service db copy`"
        )
    _, digest = files.file_digest(backup_file)
    sealed = 0
    if db is not None:
        made_with = await asyncio.to_thread(files.sqlite_backup_key, backup_file)
        if made_with is not None and made_with != fingerprint(settings.secret_key):
            raise Unavailable(
                f"{backup_file} was made with another secret key: "
                + mismatch_message(settings.database_url).partition(": ")[2]
            )
        sealed = await asyncio.to_thread(files.sqlite_restore, db, backup_file, force)
    else:
        await pg_restore(settings.database_url, backup_file, force)
    store = await _opened(settings)  # applies this code's newer migrations
    try:
        migrations = store.applied
        await audit.record(store, actor, "db-restore", {
            "file": str(backup_file), "sha256": digest, "sealed": sealed,
            "migrations": migrations})
        verdict = await audit.verify(store)
    finally:
        await store.close()
    if verdict.problem is not None:
        raise Unavailable(f"restored, but the audit log does not verify: {verdict.problem}")
    return Restored(str(backup_file), digest, sealed, migrations, verdict.count, verdict.head)

"""Numbered migrations for PostgreSQL, recorded in ``schema_migrations(number, name,
applied_at)`` like SQLite's (``migrations/postgres/NNNN_name.sql``, the same numbers).

Several processes may start at the same moment: each takes one database-wide advisory lock
before it reads what is applied, so the first applies the pending migrations (each in its own
transaction, recorded in the same transaction) and the others, once they get the lock, find
nothing left to do. A database holding a migration this code does not know is refused.
"""

from __future__ import annotations

from importlib import resources
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from .base import SchemaTooNewError
from .sqlite_migrate import Migration

#: A connection of its own or one lent by a pool.
Conn = asyncpg.Connection | PoolConnectionProxy

#: Key of the advisory lock that serialises migrations (any constant; "survey m" in ASCII).
LOCK_KEY = 0x7375727665792D6D

_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def known_migrations() -> list[Migration]:
    """The migrations shipped with this code (``migrations/postgres/NNNN_name.sql``)."""
    folder = resources.files("survey_service.storage") / "migrations" / "postgres"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            stem = name.removesuffix(".sql")
            found.append(Migration(int(stem[:4]), stem[5:], entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.number)


async def _applied(conn: Conn) -> set[int] | None:
    """Numbers applied, or None when the table does not exist yet."""
    if await conn.fetchval("SELECT to_regclass('schema_migrations')") is None:
        return None
    return {int(r[0]) for r in await conn.fetch("SELECT number FROM schema_migrations")}


def _refuse_unknown(applied: set[int], known: list[Migration], where: str) -> None:
    unknown = sorted(applied - {m.number for m in known})
    if unknown:
        raise SchemaTooNewError(
            f"{where} was migrated by a newer survey_service (migration {unknown[-1]}, this"
            f" code knows up to {max((m.number for m in known), default=0)}): upgrade"
            " survey_service, or open a copy made for this version"
        )


async def migrate(conn: Conn, where: str) -> list[int]:
    """Apply the pending migrations on ``conn``; return the numbers this call applied."""
    known = known_migrations()
    applied = await _applied(conn)  # the usual case: one read, no lock
    if applied is not None:
        _refuse_unknown(applied, known, where)
        if applied >= {m.number for m in known}:
            return []
    done = []
    await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)
    try:
        await conn.execute(_TABLE)
        applied = await _applied(conn) or set()
        _refuse_unknown(applied, known, where)
        for migration in known:
            if migration.number in applied:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (number, name) VALUES ($1, $2)",
                    migration.number, migration.name,
                )
            done.append(migration.number)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
    return done

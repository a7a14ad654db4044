"""Numbered migrations for SQLite, recorded in ``schema_migrations(number, name, applied_at)``.

Each migration runs in its own ``BEGIN IMMEDIATE`` transaction that first re-reads what is
applied: a second process starting at the same moment waits for the write lock, then finds
the migration done and skips it. A database made before this table existed (it counted
migrations in ``PRAGMA user_version``) is adopted: the migrations it had are recorded, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources

import aiosqlite

from .base import SchemaTooNewError

_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
)


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        return [s for s in self.sql.split(";\n") if s.strip()]


def known_migrations() -> list[Migration]:
    """The migrations shipped with this code (``migrations/sqlite/NNNN_name.sql``)."""
    folder = resources.files("survey_service.storage") / "migrations" / "sqlite"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            stem = name.removesuffix(".sql")
            found.append(
                Migration(int(stem[:4]), stem[5:], entry.read_text(encoding="utf-8"))
            )
    return sorted(found, key=lambda m: m.number)


async def _has_table(conn: aiosqlite.Connection) -> bool:
    async with conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ) as cur:
        return await cur.fetchone() is not None


async def _applied(conn: aiosqlite.Connection) -> set[int]:
    async with conn.execute("SELECT number FROM schema_migrations") as cur:
        return {int(r[0]) for r in await cur.fetchall()}


async def _adopt(conn: aiosqlite.Connection, known: list[Migration]) -> set[int]:
    """Inside the write lock: create the table, record what ``user_version`` counted if the
    table is new, and return the numbers applied."""
    await conn.execute(_TABLE)
    applied = await _applied(conn)
    if applied:
        return applied
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    counted = int(row[0]) if row else 0
    if counted > max((m.number for m in known), default=0):
        return set(range(1, counted + 1))  # refused by the caller; nothing is recorded
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    adopted = [(m.number, m.name, at) for m in known if m.number <= counted]
    await conn.executemany(
        "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)", adopted
    )
    return {n for n, _, _ in adopted}


def _refuse_unknown(applied: set[int], known: list[Migration], where: str) -> None:
    unknown = sorted(applied - {m.number for m in known})
    if unknown:
        raise SchemaTooNewError(
            f"{where} was migrated by a newer survey_service (migration {unknown[-1]}, this"
            f" code knows up to {max((m.number for m in known), default=0)}): upgrade"
            " survey_service, or open a copy made for this version"
        )


async def migrate(conn: aiosqlite.Connection, where: str) -> list[int]:
    """Apply the pending migrations on the writer connection; return the numbers applied."""
    known = known_migrations()
    if await _has_table(conn):  # the usual case: one read, no write lock
        applied = await _applied(conn)
        _refuse_unknown(applied, known, where)
        if applied >= {m.number for m in known}:
            return []
    done = []
    for migration in known:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            applied = await _adopt(conn, known)
            _refuse_unknown(applied, known, where)
            if migration.number not in applied:
                for statement in migration.statements():
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    (migration.number, migration.name,
                     dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
                )
                done.append(migration.number)
            await conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
    return done

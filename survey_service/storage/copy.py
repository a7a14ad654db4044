"""``db copy``: every row of one database into another, SQLite to PostgreSQL and back.

Both databases are opened as stores first (so both are migrated to this code's schema, and a
database made by a newer version is refused), the waves are copied through the store, then the
other tables row by row in the order of their primary key, in batches of one transaction each.
A copy that stops (Ctrl-C, a lost connection) can be run again: a table whose target rows are
exactly a prefix of the source's in key order continues after the last one; otherwise it is
read again from the start and the rows already there are skipped (``ON CONFLICT DO NOTHING``).
At the end both sides are read again and compared: the number of rows of each table and a
SHA-256 over every value of every row in key order, in an engine-neutral encoding.

Sealed answers of open staff waves are not copied (they live in files or tables of their own,
bound to the wave): a wave holding some must be closed and mixed first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
import asyncpg
import msgspec

from . import SQLITE, open_store, redact_url
from .base import Store, StoreError

BATCH = 2000
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]  # the primary key first
    kinds: str  # per column: t text, b bytes, d date (or NULL), o boolean

    def __post_init__(self) -> None:
        if len(self.kinds) != len(self.columns):
            raise ValueError(f"{self.name}: one kind per column")


#: Every table but the waves (copied through the store) and the engines' own bookkeeping.
TABLES = (
    Table("form_versions", ("version", "survey_id", "definition", "first_seen"), "ttbd"),
    Table("structures", ("version", "definition", "first_seen"), "tbd"),
    Table("tokens", ("hash", "wave_id", "organisation", "unit", "used"), "bttto"),
    Table("responses", ("id", "submission_key", "wave_id", "version", "organisation", "channel",
                        "lang", "day", "answers", "codes", "unit", "panel"), "bttttttdbbtb"),
    Table("meta", ("name", "value"), "tb"),
)


def _neutral(kinds: str, row: Sequence[Any]) -> Row:
    """A row with each value as Python gives it whatever the engine (dates as dates, booleans
    as booleans, bytes as bytes)."""
    out: list[Any] = []
    for kind, value in zip(kinds, row, strict=True):
        if value is None:
            out.append(None)
        elif kind == "d":
            out.append(dt.date.fromisoformat(value) if isinstance(value, str) else value)
        elif kind == "o":
            out.append(bool(value))
        elif kind == "b":
            out.append(bytes(value))
        else:
            out.append(value)
    return tuple(out)


class _Raw:
    """Rows of one database, read and written without the store."""

    async def rows(self, table: Table, after: Any, limit: int) -> list[Row]:
        raise NotImplementedError

    async def insert(self, table: Table, rows: list[Row]) -> None:
        raise NotImplementedError

    async def scalar(self, sql: str, *args: Any) -> Any:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    def placeholder(self, n: int) -> str:
        raise NotImplementedError

    async def count(self, table: Table, upto: Any = None) -> int:
        key = table.columns[0]
        if upto is None:
            return int(await self.scalar(f"SELECT COUNT(*) FROM {table.name}"))  # noqa: S608
        return int(await self.scalar(
            f"SELECT COUNT(*) FROM {table.name} WHERE {key} <= {self.placeholder(1)}",  # noqa: S608
            upto,
        ))

    async def last_key(self, table: Table) -> Any:
        key = table.columns[0]  # (PostgreSQL has no MAX of bytea)
        return await self.scalar(
            f"SELECT {key} FROM {table.name} ORDER BY {key} DESC LIMIT 1"  # noqa: S608
        )

    def select(self, table: Table, after: Any) -> str:
        where = f" WHERE {table.columns[0]} > {self.placeholder(1)}" if after is not None else ""
        limit = self.placeholder(2 if after is not None else 1)
        return (f"SELECT {', '.join(table.columns)} FROM {table.name}{where}"  # noqa: S608
                f" ORDER BY {table.columns[0]} LIMIT {limit}")

    def insert_sql(self, table: Table) -> str:
        marks = ", ".join(self.placeholder(n + 1) for n in range(len(table.columns)))
        return (f"INSERT INTO {table.name} ({', '.join(table.columns)})"  # noqa: S608
                f" VALUES ({marks}) ON CONFLICT DO NOTHING")


class _SQLiteRaw(_Raw):
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    def placeholder(self, n: int) -> str:
        return "?"

    async def rows(self, table: Table, after: Any, limit: int) -> list[Row]:
        args = (after, limit) if after is not None else (limit,)
        async with self.conn.execute(self.select(table, after), args) as cur:
            return [_neutral(table.kinds, r) for r in await cur.fetchall()]

    async def insert(self, table: Table, rows: list[Row]) -> None:
        encoded = [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in r) for r in rows]
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            await self.conn.executemany(self.insert_sql(table), encoded)
        except BaseException:
            await self.conn.rollback()
            raise
        await self.conn.commit()

    async def scalar(self, sql: str, *args: Any) -> Any:
        async with self.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def close(self) -> None:
        await self.conn.close()


class _PostgresRaw(_Raw):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    def placeholder(self, n: int) -> str:
        return f"${n}"

    async def rows(self, table: Table, after: Any, limit: int) -> list[Row]:
        args = (after, limit) if after is not None else (limit,)
        return [_neutral(table.kinds, tuple(r)) for r in await self.conn.fetch(
            self.select(table, after), *args)]

    async def insert(self, table: Table, rows: list[Row]) -> None:
        async with self.conn.transaction():
            await self.conn.executemany(self.insert_sql(table), rows)

    async def scalar(self, sql: str, *args: Any) -> Any:
        return await self.conn.fetchval(sql, *args)

    async def close(self) -> None:
        await self.conn.close()


async def _raw(url: str) -> _Raw:
    if url.strip().startswith(SQLITE):
        conn = await aiosqlite.connect(url.strip().removeprefix(SQLITE), isolation_level=None)
        await conn.execute("PRAGMA busy_timeout = 10000")
        return _SQLiteRaw(conn)
    return _PostgresRaw(await asyncpg.connect(url, server_settings={"synchronous_commit": "on"}))


async def _batches(raw: _Raw, table: Table, after: Any = None) -> AsyncIterator[list[Row]]:
    while rows := await raw.rows(table, after, BATCH):
        yield rows
        after = rows[-1][0]


@dataclass
class Copied:
    tables: dict[str, int]  # rows of each table (the waves included), equal on both sides
    copied: int  # rows this run wrote (0 when everything was there already)
    checksum: str  # over every table, equal on both sides


async def _prepare(source: Store, target: Store) -> int:
    """Refuse sealed answers still pending; copy the waves (and what they need first)."""
    waves = await source.waves()
    for wave in waves:
        if not wave.mixed and await source.pending_count(wave.id):
            raise StoreError(
                f"wave {wave.id} holds sealed staff answers that are not mixed yet: close it"
                f" (survey-service waves close {wave.id}) before copying the database"
            )
    have = {w.id for w in await target.waves()}
    for wave in waves:
        if wave.id in have:
            continue
        definition = await source.form_version(wave.version)
        if definition is not None:
            await target.save_form_version(wave.survey_id, wave.version, definition)
        if wave.structure is not None:
            structure = await source.structure(wave.structure)
            if structure is not None:
                await target.save_structure(wave.structure, structure)
        await target.add_wave(wave)
    return len(waves)


async def _checksum(raw: _Raw, table: Table, digest: Any) -> None:
    async for rows in _batches(raw, table):
        digest.update(msgspec.msgpack.encode(rows))


async def copy_database(
    source_url: str, target_url: str, progress: Callable[[int, int], None]
) -> Copied:
    """Copy every row of ``source_url`` into ``target_url`` (migrated first), resuming an
    earlier copy, then verify; ``progress(done, total)`` is called after every batch.
    Raises :class:`StoreError` with one line for the operator."""
    try:
        return await _copy(source_url, target_url, progress)
    except (OSError, TimeoutError, sqlite3.Error, asyncpg.PostgresError,
            asyncpg.InterfaceError) as exc:
        line = " ".join(str(exc).split()) or type(exc).__name__
        raise StoreError(
            f"the copy stopped: {line}; run the same command again to continue"
        ) from exc


async def _copy(
    source_url: str, target_url: str, progress: Callable[[int, int], None]
) -> Copied:
    if source_url.strip() == target_url.strip():
        raise StoreError("--from and --to name the same database")
    stores = [open_store(source_url), open_store(target_url)]
    for store in stores:
        await store.open()
    try:
        waves = await _prepare(*stores)
        source_waves, target_waves = await stores[0].waves(), await stores[1].waves()
    finally:
        for store in stores:
            await store.close()
    src, dst = await _raw(source_url), await _raw(target_url)
    try:
        totals = {t.name: await src.count(t) for t in TABLES}
        total, done, copied = sum(totals.values()), 0, 0
        for table in TABLES:
            last = await dst.last_key(table)
            resume = last is not None and await src.count(table, last) == await dst.count(table)
            after = last if resume else None
            done += await src.count(table, last) if resume else 0
            async for rows in _batches(src, table, after):
                await dst.insert(table, rows)
                copied += len(rows)
                done += len(rows)
                progress(min(done, total), total)
        counts: dict[str, list[int]] = {}
        sums: list[str] = []
        for raw in (src, dst):
            digest = hashlib.sha256(msgspec.msgpack.encode(
                sorted((msgspec.to_builtins(w) for w in (
                    source_waves if raw is src else target_waves)), key=lambda w: w["id"])))
            for table in TABLES:
                counts.setdefault(table.name, []).append(await raw.count(table))
                await _checksum(raw, table, digest)
            sums.append(digest.hexdigest())
    finally:
        await src.close()
        await dst.close()
    differ = [name for name, (a, b) in counts.items() if a != b]
    if len(source_waves) != len(target_waves):
        differ.insert(0, "waves")
    if differ or sums[0] != sums[1]:
        detail = ", ".join(f"{n} {counts[n][0]} and {counts[n][1]}" for n in differ if n in counts)
        raise StoreError(
            f"the copy in {redact_url(target_url)} differs from {redact_url(source_url)}"
            f" ({detail or 'same counts, different checksums'}): the target held other data;"
            " copy into a new, empty database"
        )
    return Copied({"waves": waves, **{n: c[0] for n, c in counts.items()}}, copied, sums[0])

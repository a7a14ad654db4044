"""``db copy``: every row of one database into another, SQLite to PostgreSQL and back.

Both databases are opened as stores first (so both are migrated to this code's schema, and a
database made by a newer version is refused), the waves are copied through the store, then the
other tables row by row in the order of their primary key, in batches of one transaction each.
Rows are written with plain INSERTs, so the audit log keeps its numbers and hash chain (its
triggers refuse only UPDATE and DELETE) and ``survey-service audit verify`` passes on the copy.
A copy that stops (Ctrl-C, a lost connection) can be run again: a table whose target rows are
exactly a prefix of the source's in key order continues after the last one; otherwise it is
read again from the start and the rows already there are skipped (``ON CONFLICT DO NOTHING``).
At the end both sides are read again and compared: the number of rows of each table and a
SHA-256 over every value of every row in key order, in an engine-neutral encoding.

Sealed answers of open staff waves are not copied (they live in files or tables of their own,
bound to the wave): a wave holding some must be closed and mixed first. Login sessions are not
copied on purpose (see :data:`SKIPPED`): everybody signs in again on the copy.
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
    #: per column: t text, b bytes, d date, s timestamp (aware; ISO 8601 text on SQLite),
    #: o boolean, i integer, f float (any of them may be NULL)
    kinds: str
    key: int = 1  # how many of the first columns make the primary key

    def __post_init__(self) -> None:
        if len(self.kinds) != len(self.columns):
            raise ValueError(f"{self.name}: one kind per column")
        if not 1 <= self.key <= len(self.columns):
            raise ValueError(f"{self.name}: a key of 1 to {len(self.columns)} columns")

    @property
    def keys(self) -> str:
        return ", ".join(self.columns[:self.key])

    def key_of(self, row: Row) -> Any:
        """The value of the primary key (a tuple for a key of several columns)."""
        return row[0] if self.key == 1 else tuple(row[:self.key])


#: Every table but the waves (copied through the store) and the engines' own bookkeeping.
TABLES = (
    Table("form_versions", ("version", "survey_id", "definition", "first_seen"), "ttbd"),
    Table("structures", ("version", "definition", "first_seen"), "tbd"),
    Table("tokens", ("hash", "wave_id", "organisation", "unit", "used"), "bttto"),
    Table("token_tallies", ("wave_id", "organisation", "unit", "issued", "used"), "tttii",
          key=3),
    Table("responses", ("id", "submission_key", "wave_id", "version", "organisation", "channel",
                        "lang", "day", "answers", "codes", "unit", "panel", "paper_number"),
          "bttttttdbbtbt"),
    Table("meta", ("name", "value"), "tb"),
    Table("plans", ("name", "hash", "definition", "frozen", "wave_id"), "ttbst"),
    Table("disclosure_plans", ("key", "plan"), "tb"),
    Table("users", ("name", "role", "organisations", "password_hash", "key_hash", "disabled",
                    "epoch", "created"), "ttttboit"),
    Table("audit", ("seq", "at", "actor", "action", "detail", "prev", "hash"), "ittttbb"),
    Table("paper_entries", ("wave_id", "number", "clerk", "response"), "tttb", key=3),
    Table("kiosks", ("id", "label", "organisation", "survey_id", "link_hash", "link_expires",
                     "enrolled", "revoked"), "ttttbsoo"),
    Table("fieldwork", ("wave_id", "organisation", "day", "handed_out", "visitors", "attended",
                        "source", "entered_by"), "ttdiiitt", key=3),
    Table("publications", ("wave_id", "published_at", "actor"), "tst"),
)

#: The tables of the schema :data:`TABLES` leaves out, and why.
SKIPPED = {
    "waves": "copied through the store first (the other tables refer to them)",
    "sessions": "login sessions stay with the server they were made on: signing in again on the"
                " copy ends every session a cookie taken from the old server could continue",
    "schema_migrations": "each engine's own record of the migrations it applied",
    "pending": "(SQLite) sealed answers of open staff waves: the copy refuses while any is there",
    "pending_marks": "(SQLite) the marks of those sealed answers, likewise",
    "client_limits": "(PostgreSQL) counters of the limits per client: keyed hashes of today's"
                     " clients, worth nothing to another server and gone within minutes",
    "report_cache": "computed report pages, a cache: the copy computes them again when asked",
}


def _neutral(kinds: str, row: Sequence[Any]) -> Row:
    """A row with each value as Python gives it whatever the engine (dates as dates, booleans
    as booleans, bytes as bytes)."""
    out: list[Any] = []
    for kind, value in zip(kinds, row, strict=True):
        if value is None:
            out.append(None)
        elif kind == "d":
            out.append(dt.date.fromisoformat(value) if isinstance(value, str) else value)
        elif kind == "s":
            out.append(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)
        elif kind == "o":
            out.append(bool(value))
        elif kind == "i":
            out.append(int(value))
        elif kind == "f":
            out.append(float(value))
        elif kind == "b":
            out.append(bytes(value))
        else:
            out.append(value)
    return tuple(out)


def _sqlite_value(value: Any) -> Any:
    """A value as the SQLite store writes it: timestamps as ISO 8601 in UTC, dates as ISO."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


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

    async def first(self, sql: str, *args: Any) -> Row | None:
        raise NotImplementedError

    def _beyond(self, table: Table, op: str) -> str:
        """``key op <the given key>``, a row comparison for a key of several columns."""
        marks = ", ".join(self.placeholder(n + 1) for n in range(table.key))
        return f"({table.keys}) {op} ({marks})" if table.key > 1 else f"{table.keys} {op} {marks}"

    @staticmethod
    def _key_args(table: Table, key: Any) -> tuple[Any, ...]:
        return tuple(key) if table.key > 1 else (key,)

    async def count(self, table: Table, upto: Any = None) -> int:
        if upto is None:
            return int(await self.scalar(f"SELECT COUNT(*) FROM {table.name}"))  # noqa: S608
        return int(await self.scalar(
            f"SELECT COUNT(*) FROM {table.name} WHERE {self._beyond(table, '<=')}",  # noqa: S608
            *self._key_args(table, upto),
        ))

    async def last_key(self, table: Table) -> Any:
        # (PostgreSQL has no MAX of bytea)
        order = ", ".join(f"{c} DESC" for c in table.columns[:table.key])
        row = await self.first(
            f"SELECT {table.keys} FROM {table.name} ORDER BY {order} LIMIT 1"  # noqa: S608
        )
        return None if row is None else table.key_of(row)

    def select(self, table: Table, after: Any) -> str:
        where = f" WHERE {self._beyond(table, '>')}" if after is not None else ""
        limit = self.placeholder(table.key + 1 if after is not None else 1)
        return (f"SELECT {', '.join(table.columns)} FROM {table.name}{where}"  # noqa: S608
                f" ORDER BY {table.keys} LIMIT {limit}")

    def select_args(self, table: Table, after: Any, limit: int) -> tuple[Any, ...]:
        return (*self._key_args(table, after), limit) if after is not None else (limit,)

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
        args = self.select_args(table, after, limit)
        async with self.conn.execute(self.select(table, after), args) as cur:
            return [_neutral(table.kinds, r) for r in await cur.fetchall()]

    async def insert(self, table: Table, rows: list[Row]) -> None:
        encoded = [tuple(_sqlite_value(v) for v in r) for r in rows]
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            await self.conn.executemany(self.insert_sql(table), encoded)
        except BaseException:
            await self.conn.rollback()
            raise
        await self.conn.commit()

    async def scalar(self, sql: str, *args: Any) -> Any:
        row = await self.first(sql, *args)
        return row[0] if row else None

    async def first(self, sql: str, *args: Any) -> Row | None:
        async with self.conn.execute(sql, args) as cur:
            row = await cur.fetchone()
        return None if row is None else tuple(row)

    async def close(self) -> None:
        await self.conn.close()


class _PostgresRaw(_Raw):
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    def placeholder(self, n: int) -> str:
        return f"${n}"

    async def rows(self, table: Table, after: Any, limit: int) -> list[Row]:
        args = self.select_args(table, after, limit)
        return [_neutral(table.kinds, tuple(r)) for r in await self.conn.fetch(
            self.select(table, after), *args)]

    async def insert(self, table: Table, rows: list[Row]) -> None:
        async with self.conn.transaction():
            await self.conn.executemany(self.insert_sql(table), rows)

    async def scalar(self, sql: str, *args: Any) -> Any:
        return await self.conn.fetchval(sql, *args)

    async def first(self, sql: str, *args: Any) -> Row | None:
        row = await self.conn.fetchrow(sql, *args)
        return None if row is None else tuple(row)

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
        after = table.key_of(rows[-1])


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

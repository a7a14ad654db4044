"""SQLite storage through aiosqlite: WAL, ``synchronous=FULL``, one writer with group commit.

Submissions are queued to a single writer task. The writer takes everything queued, inserts it
with one ``executemany`` in one transaction, commits (fsync of the WAL), then wakes every waiting
request. Concurrent submissions therefore share one fsync, and a request is acknowledged only
after its row is on disk.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
import msgspec

from ..surveys.waves import Wave
from .base import NewResponse, StoredResponse, TokenState, WaveCodes

log = logging.getLogger(__name__)
_json_encode = msgspec.json.Encoder().encode
_answers_decoder = msgspec.json.Decoder(dict[str, int | str | list[str]])
_orgs_decoder = msgspec.json.Decoder(list[str])

_INSERT = (
    "INSERT INTO responses (id, submission_key, wave_id, version, organisation, channel, lang,"
    " day, answers, codes, unit, panel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (submission_key) DO NOTHING"
)


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("survey_service.storage") / "migrations" / "sqlite"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


class SQLiteStore:
    """The embedded default store."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._queue: list[tuple[tuple[Any, ...], asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._lock = asyncio.Lock()
        self.batches = 0  # commits made by the writer (logged at close)
        self.written = 0  # submissions those commits carried
        self.applied: list[int] = []  # migrations the last open() applied

    async def _connect(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        try:
            await conn.execute("PRAGMA busy_timeout = 10000")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = FULL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA secure_delete = ON")
        except BaseException:
            await conn.close()  # its thread would otherwise keep the process alive
            raise
        return conn

    async def open(self) -> None:
        if self.path != ":memory:":
            if os.path.isdir(self.path):  # noqa: ASYNC240 (one stat at open)
                raise IsADirectoryError(21, "it is a folder, not a database file", self.path)
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = await self._connect()
        self.applied = await self.migrate()
        self._reader = self._writer if self.path == ":memory:" else await self._connect()
        self._wakeup = asyncio.Event()
        self._closing = False
        self._task = asyncio.create_task(self._write_loop(), name="sqlite-writer")

    async def close(self) -> None:
        if self._task is not None:
            # the writer commits what is queued, then stops
            self._closing = True
            self._wakeup.set()
            await self._task
            self._task = None
            if self.batches:
                log.info("writer: %d submissions in %d commits", self.written, self.batches)
        for conn in {id(c): c for c in (self._reader, self._writer) if c is not None}.values():
            await conn.close()
        self._reader = self._writer = None

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is not open")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is not open")
        return self._reader

    async def migrate(self) -> list[int]:
        conn = self._w
        applied = []
        for number, sql in _migrations():
            await conn.execute("BEGIN IMMEDIATE")
            # read the version inside the write lock: another process may be migrating too
            async with conn.execute("PRAGMA user_version") as cur:
                row = await cur.fetchone()
            if number <= (int(row[0]) if row else 0):
                await conn.execute("COMMIT")
                continue
            try:
                for statement in sql.split(";\n"):
                    if statement.strip():
                        await conn.execute(statement)
                await conn.execute(f"PRAGMA user_version = {number:d}")
                await conn.execute("COMMIT")
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            applied.append(number)
        return applied

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction on the single writer connection."""
        async with self._lock:
            conn = self._w
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                raise

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        async with self._transaction() as conn:
            await conn.execute(sql, params)

    async def save_form_version(self, survey_id: str, version: str, definition: bytes) -> None:
        await self._write(
            "INSERT INTO form_versions (version, survey_id, definition, first_seen)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            (version, survey_id, definition, dt.date.today().isoformat()),
        )

    async def form_version(self, version: str) -> bytes | None:
        async with self._r.execute(
            "SELECT definition FROM form_versions WHERE version = ?", (version,)
        ) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    def _wave_params(self, wave: Wave) -> tuple[Any, ...]:
        return (
            wave.survey_id,
            wave.version,
            wave.phase,
            _json_encode(wave.organisations).decode(),
            _iso(wave.starts),
            _iso(wave.ends),
            _iso(wave.closed),
            int(wave.mixed),
            wave.structure,
            wave.min_group,
            int(wave.panel),
            wave.id,
        )

    async def add_wave(self, wave: Wave) -> None:
        await self._write(
            "INSERT INTO waves (survey_id, version, phase, organisations, starts, ends, closed,"
            " mixed, structure, min_group, panel, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self._wave_params(wave),
        )

    async def update_wave(self, wave: Wave) -> None:
        await self._write(
            "UPDATE waves SET survey_id = ?, version = ?, phase = ?, organisations = ?, starts = ?,"
            " ends = ?, closed = ?, mixed = ?, structure = ?, min_group = ?, panel = ?"
            " WHERE id = ?",
            self._wave_params(wave),
        )

    async def waves(self) -> list[Wave]:
        async with self._r.execute(
            "SELECT id, survey_id, version, phase, organisations, starts, ends, closed, mixed,"
            " structure, min_group, panel FROM waves"
            " ORDER BY survey_id, COALESCE(starts, ''), id"
        ) as cur:
            rows = await cur.fetchall()
        return [
            Wave(
                id=r[0],
                survey_id=r[1],
                version=r[2],
                phase=r[3],
                organisations=_orgs_decoder.decode(r[4]),
                starts=_from_iso(r[5]),
                ends=_from_iso(r[6]),
                closed=_from_iso(r[7]),
                mixed=bool(r[8]),
                structure=r[9],
                min_group=int(r[10]),
                panel=bool(r[11]),
            )
            for r in rows
        ]

    @staticmethod
    def _row(response: NewResponse) -> tuple[Any, ...]:
        return (
            secrets.token_bytes(16),
            response.submission_key,
            response.wave_id,
            response.version,
            response.organisation,
            response.channel,
            response.lang,
            response.day.isoformat() if response.day else None,
            _json_encode(response.answers),
            response.codes,
            response.unit,
            response.panel,
        )

    async def import_responses(self, responses: list[NewResponse]) -> None:
        async with self._transaction() as conn:
            await conn.executemany(_INSERT, [self._row(r) for r in responses])

    async def submit(self, response: NewResponse) -> None:
        if self._task is None or self._closing:
            raise RuntimeError("store is not open")
        row = self._row(response)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((row, future))
        self._wakeup.set()
        await future

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._queue = self._queue, []
            if not batch:
                if self._closing:
                    return
                continue
            try:
                async with self._transaction() as conn:
                    await conn.executemany(_INSERT, [row for row, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("store closed before commit"))
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
            else:
                self.batches += 1
                self.written += len(batch)
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)
            if self._closing and not self._queue:
                return
            if self._queue:
                self._wakeup.set()

    async def organisation_counts(self, wave_id: str) -> dict[str, int]:
        async with self._r.execute(
            "SELECT organisation, COUNT(*) FROM responses WHERE wave_id = ? GROUP BY organisation",
            (wave_id,),
        ) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}

    async def submitted(self, submission_key: str) -> bool:
        async with self._r.execute(
            "SELECT 1 FROM responses WHERE submission_key = ?", (submission_key,)
        ) as cur:
            return await cur.fetchone() is not None

    async def count_responses(self, wave_id: str | None = None) -> int:
        sql = "SELECT COUNT(*) FROM responses"
        params: tuple[str, ...] = ()
        if wave_id is not None:
            sql, params = sql + " WHERE wave_id = ?", (wave_id,)
        async with self._r.execute(sql, params) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def responses(self, wave_id: str) -> list[StoredResponse]:
        async with self._r.execute(
            "SELECT id, wave_id, version, organisation, channel, lang, day, answers, unit"
            " FROM responses WHERE wave_id = ? ORDER BY id",
            (wave_id,),
        ) as cur:
            rows = await cur.fetchall()
        return [
            StoredResponse(
                id=bytes(r[0]).hex(),
                wave_id=r[1],
                version=r[2],
                organisation=r[3],
                channel=r[4],
                lang=r[5],
                day=dt.date.fromisoformat(r[6]) if r[6] else None,
                answers=_answers_decoder.decode(r[7]),
                unit=r[8],
            )
            for r in rows
        ]

    async def wave_codes(
        self, wave_id: str, organisation: str | None = None, groups: bool = False
    ) -> WaveCodes:
        where, params = "wave_id = ?", [wave_id]
        if organisation is not None:
            where, params = where + " AND organisation = ?", [*params, organisation]
        columns = "codes, organisation, channel, unit, panel" if groups else "codes"
        async with self._r.execute(
            f"SELECT {columns} FROM responses WHERE {where}",  # noqa: S608 (fixed strings)
            params,
        ) as cur:
            rows = list(await cur.fetchall())
        if not groups:
            return WaveCodes(b"".join([r[0] for r in rows]), len(rows))
        if not rows:
            return WaveCodes(b"", 0)
        blobs, organisations, channels, units, panels = zip(*rows, strict=True)
        return WaveCodes(
            b"".join(blobs),
            len(rows),
            list(organisations),
            list(channels),
            list(units),
            [bytes(p) if p is not None else None for p in panels],
        )

    # ------------------------------------------------------------------ staff tokens
    async def add_tokens(
        self, wave_id: str, organisation: str, unit: str, hashes: list[bytes]
    ) -> None:
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO tokens (hash, wave_id, organisation, unit) VALUES (?, ?, ?, ?)",
                [(h, wave_id, organisation, unit) for h in hashes],
            )

    async def token(self, code_hash: bytes) -> TokenState | None:
        async with self._r.execute(
            "SELECT wave_id, organisation, unit, used FROM tokens WHERE hash = ?", (code_hash,)
        ) as cur:
            row = await cur.fetchone()
        return TokenState(row[0], row[1], row[2], bool(row[3])) if row else None

    async def revoke_token(self, code_hash: bytes) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "UPDATE tokens SET used = 1 WHERE hash = ? AND used = 0", (code_hash,)
            )
            return cur.rowcount == 1

    async def token_counts(self, wave_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        async with self._r.execute(
            "SELECT organisation, unit, COUNT(*), SUM(used) FROM tokens WHERE wave_id = ?"
            " GROUP BY organisation, unit ORDER BY organisation, unit",
            (wave_id,),
        ) as cur:
            rows = await cur.fetchall()
        return {(r[0], r[1]): (int(r[2]), int(r[3] or 0)) for r in rows}

    async def submit_sealed(self, code_hash: bytes, wave_id: str, sealed: bytes) -> bool:
        async with self._transaction() as conn:
            # the wave may have closed (and been mixed) since the caller looked
            async with conn.execute(
                "SELECT mixed, closed, ends FROM waves WHERE id = ?", (wave_id,)
            ) as cur:
                wave = await cur.fetchone()
            at = dt.datetime.now(dt.UTC)
            if wave is None or wave[0] or any(
                t is not None and dt.datetime.fromisoformat(t) <= at for t in (wave[1], wave[2])
            ):
                return False
            cur = await conn.execute(
                "UPDATE tokens SET used = 1 WHERE hash = ? AND wave_id = ? AND used = 0",
                (code_hash, wave_id),
            )
            if cur.rowcount != 1:
                return False
            await conn.execute(
                "INSERT INTO pending (id, wave_id, sealed) VALUES (?, ?, ?)",
                (secrets.token_bytes(16), wave_id, sealed),
            )
            return True

    async def pending_count(self, wave_id: str) -> int:
        async with self._r.execute(
            "SELECT COUNT(*) FROM pending WHERE wave_id = ?", (wave_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def mix_wave(self, wave_id: str, unseal: Callable[[bytes], NewResponse]) -> int:
        async with self._transaction() as conn:
            async with conn.execute("SELECT mixed FROM waves WHERE id = ?", (wave_id,)) as cur:
                row = await cur.fetchone()
            if row is None or row[0]:
                return 0
            async with conn.execute(
                "SELECT sealed FROM pending WHERE wave_id = ?", (wave_id,)
            ) as cur:
                sealed = [bytes(r[0]) for r in await cur.fetchall()]
            responses = [unseal(blob) for blob in sealed]
            secrets.SystemRandom().shuffle(responses)
            await conn.executemany(_INSERT, [self._row(r) for r in responses])
            await conn.execute("DELETE FROM pending WHERE wave_id = ?", (wave_id,))
            await conn.execute("UPDATE waves SET mixed = 1 WHERE id = ?", (wave_id,))
        await self.scrub()
        return len(responses)

    async def scrub(self) -> None:
        """Rewrite the database file and empty the WAL, so that neither free pages nor old WAL
        frames nor page allocation keep a trace of the order in which rows arrived."""
        if self.path == ":memory:":
            return
        async with self._lock:
            for sql in (
                "PRAGMA wal_checkpoint(TRUNCATE)",
                "VACUUM",
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ):
                async with self._w.execute(sql) as cur:
                    await cur.fetchall()

"""Staff waves' sealed answers in SQLite: the submission, the count, the mix at close, and the
check that the secret key is the one the database's codes and sealed answers were made with.

A mix-in of :class:`~.sqlite.SQLiteStore`; the sealed answers themselves live in one file per
wave (:mod:`.pending`), which the mix destroys once its answers are in ``responses``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import sqlite3
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiosqlite

from .base import NewResponse, StoreUnavailable
from .pending import PendingFiles

log = logging.getLogger(__name__)


class SealedAnswers:
    """Needs the store's pending files, write transaction, reader and row encoder."""

    _pending: PendingFiles
    _insert_sql: str
    _writer: aiosqlite.Connection | None

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        raise NotImplementedError

    @property
    def _r(self) -> aiosqlite.Connection:
        raise NotImplementedError

    @staticmethod
    def _row(response: NewResponse) -> tuple[Any, ...]:
        raise NotImplementedError

    async def submit_sealed(self, code_hash: bytes, wave_id: str, sealed: bytes) -> bool:
        if self._writer is None:
            raise StoreUnavailable("store is not open")
        row_id = secrets.token_bytes(16)
        added = False
        try:
            async with self._transaction() as conn:
                if not await self._claim(conn, code_hash, wave_id, row_id):
                    return False
                # under the main write lock: no mix (in any process) can run in between
                await asyncio.to_thread(self._pending.add, wave_id, row_id, sealed)
                added = True
        except (sqlite3.Error, OSError) as exc:
            if added:  # the main commit failed: take the sealed answer back
                with contextlib.suppress(sqlite3.Error, OSError):
                    await asyncio.to_thread(self._pending.remove, wave_id, row_id)
            raise StoreUnavailable(str(exc)) from exc
        return True

    @staticmethod
    async def _claim(
        conn: aiosqlite.Connection, code_hash: bytes, wave_id: str, row_id: bytes
    ) -> bool:
        """Inside a write transaction: mark the code used and the sealed row counted."""
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
            "INSERT INTO pending_marks (id, wave_id) VALUES (?, ?)", (row_id, wave_id)
        )
        return True

    async def pending_count(self, wave_id: str) -> int:
        async with self._r.execute(
            "SELECT (SELECT COUNT(*) FROM pending_marks WHERE wave_id = ?)"
            " + (SELECT COUNT(*) FROM pending WHERE wave_id = ?)",
            (wave_id, wave_id),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def mix_wave(
        self, wave_id: str, unseal: Callable[[bytes], NewResponse]
    ) -> int | None:
        async with self._transaction() as conn:
            # the state transition is the claim: whoever flips `mixed` in this transaction
            # mixes; anyone else (another process, the CLI) finds it flipped
            async with conn.execute("SELECT mixed FROM waves WHERE id = ?", (wave_id,)) as cur:
                row = await cur.fetchone()
            if row is None or row[0]:
                return None
            async with conn.execute(
                "SELECT id FROM pending_marks WHERE wave_id = ?", (wave_id,)
            ) as cur:
                marks = {bytes(r[0]) for r in await cur.fetchall()}
            files = await asyncio.to_thread(self._pending.read, wave_id)
            async with conn.execute(
                "SELECT sealed FROM pending WHERE wave_id = ?", (wave_id,)
            ) as cur:  # answers sealed before per-wave files existed
                legacy = [bytes(r[0]) for r in await cur.fetchall()]
            sealed = [blob for row_id, blob in files.items() if row_id in marks] + legacy
            responses = [unseal(blob) for blob in sealed]
            secrets.SystemRandom().shuffle(responses)
            await conn.executemany(self._insert_sql, [self._row(r) for r in responses])
            await conn.execute("DELETE FROM pending_marks WHERE wave_id = ?", (wave_id,))
            await conn.execute("DELETE FROM pending WHERE wave_id = ?", (wave_id,))
            await conn.execute("UPDATE waves SET mixed = 1 WHERE id = ?", (wave_id,))
        await asyncio.to_thread(self._pending.destroy, wave_id)
        return len(responses)

    async def _destroy_leftovers(self) -> None:
        """Destroy the sealed files of mixed waves (a crash between the mix's commit and the
        file's destruction leaves one)."""
        async with self._r.execute("SELECT id FROM waves WHERE mixed = 1") as cur:
            mixed = [r[0] for r in await cur.fetchall()]
        for wave_id in mixed:
            if self._pending.exists(wave_id):
                await asyncio.to_thread(self._pending.destroy, wave_id)
                log.info("destroyed the leftover sealed answers of mixed wave %s", wave_id)

    async def check_key(self, fingerprint: bytes) -> bool:
        async with self._r.execute("SELECT value FROM meta WHERE name = 'key'") as cur:
            row = await cur.fetchone()
        if row is not None and bytes(row[0]) == fingerprint:
            return True
        async with self._transaction() as conn:
            async with conn.execute("SELECT value FROM meta WHERE name = 'key'") as cur:
                row = await cur.fetchone()
            if row is not None and bytes(row[0]) != fingerprint:
                async with conn.execute(
                    "SELECT EXISTS (SELECT 1 FROM tokens) OR EXISTS (SELECT 1 FROM pending)"
                    " OR EXISTS (SELECT 1 FROM pending_marks)"
                ) as cur:
                    held = await cur.fetchone()
                if held is not None and held[0]:
                    return False
            await conn.execute(
                "INSERT INTO meta (name, value) VALUES ('key', ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (fingerprint,),
            )
        return True

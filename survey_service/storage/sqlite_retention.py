"""Retention on SQLite (a mix-in of :class:`~.sqlite.SQLiteStore`): free-text answers taken
out of a wave's responses, invitation codes replaced by their counts per unit.

A purge of free text runs in chunks of :data:`~.retention_rows.PURGE_CHUNK` rows, one write
transaction each, so the submissions queued behind the one writer wait for a chunk, not for the
whole wave; the wave is marked purged in a last transaction, once every chunk is done. Stopped
between two chunks (a crash, the database away), it leaves some responses without their text
and the wave not marked: the next run goes through the wave again and finishes it.

The bytes go too, not just the values: the writer runs with ``secure_delete``, so the space an
old row version leaves on a page is overwritten with zeros, and once the purge has committed the
WAL, which still holds the old pages, is copied into the database and truncated
(``wal_checkpoint(TRUNCATE)``; tried again while a reader holds an older snapshot). What the
file system keeps of freed blocks is beyond SQLite: whole-disk encryption is the answer there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from contextlib import AbstractAsyncContextManager

import aiosqlite

from .retention_rows import PURGE_CHUNK, paper_without_text, without_text

log = logging.getLogger(__name__)

#: How long a purge waits for readers to let the WAL be truncated.
TRUNCATE_WAIT = 10.0


class SQLiteRetention:
    """Needs the store's write transaction, its lock and its writer connection."""

    _lock: asyncio.Lock
    #: Rows a purge changes per write transaction: submissions wait for one chunk at most.
    purge_chunk = PURGE_CHUNK

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        raise NotImplementedError

    @property
    def _w(self) -> aiosqlite.Connection:
        raise NotImplementedError

    async def purge_text(self, wave_id: str, items: dict[str, list[str]], at: dt.datetime) -> int:
        # the paper entries first: one resolved into a response meanwhile has no text left
        after: tuple[str, str] | None = ("", "")
        while after is not None:
            after = await self._purge_paper_chunk(wave_id, items, after)
        changed, cursor = 0, b""
        while True:
            n, next_cursor = await self._purge_text_chunk(wave_id, items, cursor)
            changed += n
            if next_cursor is None:
                break
            cursor = next_cursor
        async with self._transaction() as conn:
            await conn.execute("UPDATE waves SET text_purged = ? WHERE id = ?",
                               (at.astimezone(dt.UTC).isoformat(), wave_id))
        await self._truncate_wal()
        return changed

    async def _purge_text_chunk(self, wave_id: str, items: dict[str, list[str]],
                                after: bytes) -> tuple[int, bytes | None]:
        """One transaction: the next ``purge_chunk`` responses of the wave (by id, after
        ``after``) without their free text; the responses changed, and where to go on from
        (``None``: none left)."""
        async with self._transaction() as conn:
            async with conn.execute(
                "SELECT id, version, answers FROM responses WHERE wave_id = ? AND id > ?"
                " ORDER BY id LIMIT ?", (wave_id, after, self.purge_chunk)
            ) as cur:
                rows = list(await cur.fetchall())
            updates = []
            for row_id, version, answers in rows:
                kept = without_text(bytes(answers), items.get(version, []))
                if kept is not None:
                    updates.append((kept, row_id))
            await conn.executemany("UPDATE responses SET answers = ? WHERE id = ?", updates)
        more = len(rows) == self.purge_chunk
        return len(updates), bytes(rows[-1][0]) if more else None

    async def _purge_paper_chunk(self, wave_id: str, items: dict[str, list[str]],
                                 after: tuple[str, str]) -> tuple[str, str] | None:
        """One transaction: the next ``purge_chunk`` paper entries waiting (by number and
        clerk) without their free text; where to go on from (``None``: none left)."""
        async with self._transaction() as conn:
            async with conn.execute(
                "SELECT number, clerk, response FROM paper_entries WHERE wave_id = ?"
                " AND (number, clerk) > (?, ?) ORDER BY number, clerk LIMIT ?",
                (wave_id, *after, self.purge_chunk),
            ) as cur:
                entries = list(await cur.fetchall())
            for number, clerk, entry in entries:
                kept = paper_without_text(bytes(entry), items)
                if kept is not None:
                    await conn.execute(
                        "UPDATE paper_entries SET response = ? WHERE wave_id = ? AND number = ?"
                        " AND clerk = ?", (kept, wave_id, number, clerk))
        if len(entries) < self.purge_chunk:
            return None
        return str(entries[-1][0]), str(entries[-1][1])

    async def purge_codes(self, wave_id: str, at: dt.datetime) -> int:
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO token_tallies (wave_id, organisation, unit, issued, used)"
                " SELECT wave_id, organisation, unit, COUNT(*), SUM(used) FROM tokens"
                " WHERE wave_id = ? GROUP BY wave_id, organisation, unit"
                " ON CONFLICT (wave_id, organisation, unit) DO UPDATE SET"
                " issued = issued + excluded.issued, used = used + excluded.used",
                (wave_id,),
            )
            cur = await conn.execute("DELETE FROM tokens WHERE wave_id = ?", (wave_id,))
            removed = cur.rowcount
            await conn.execute("UPDATE waves SET codes_purged = ? WHERE id = ?",
                               (at.astimezone(dt.UTC).isoformat(), wave_id))
        await self._truncate_wal()
        return removed

    async def _truncate_wal(self) -> None:
        """Copy the WAL into the database and empty it, so the old pages leave the disk's
        files; waits (a little) for readers of an older snapshot."""
        deadline = time.monotonic() + TRUNCATE_WAIT
        while True:
            async with self._lock, self._w.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                row = await cur.fetchone()
            if row is not None and row[0] == 0:
                return
            if time.monotonic() >= deadline:
                log.warning("the WAL could not be truncated after a purge (readers busy); the"
                            " background checkpoint will copy it later")
                return
            await asyncio.sleep(0.05)

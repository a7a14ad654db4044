"""Retention on SQLite (a mix-in of :class:`~.sqlite.SQLiteStore`): free-text answers taken
out of a wave's responses, invitation codes replaced by their counts per unit.

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

from .retention_rows import paper_without_text, without_text

log = logging.getLogger(__name__)

#: How long a purge waits for readers to let the WAL be truncated.
TRUNCATE_WAIT = 10.0


class SQLiteRetention:
    """Needs the store's write transaction, its lock and its writer connection."""

    _lock: asyncio.Lock

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        raise NotImplementedError

    @property
    def _w(self) -> aiosqlite.Connection:
        raise NotImplementedError

    async def purge_text(self, wave_id: str, items: dict[str, list[str]], at: dt.datetime) -> int:
        changed = 0
        async with self._transaction() as conn:
            async with conn.execute(
                "SELECT id, version, answers FROM responses WHERE wave_id = ?", (wave_id,)
            ) as cur:
                rows = await cur.fetchall()
            updates = []
            for row_id, version, answers in rows:
                kept = without_text(bytes(answers), items.get(version, []))
                if kept is not None:
                    updates.append((kept, row_id))
            await conn.executemany("UPDATE responses SET answers = ? WHERE id = ?", updates)
            changed = len(updates)
            async with conn.execute(
                "SELECT number, clerk, response FROM paper_entries WHERE wave_id = ?", (wave_id,)
            ) as cur:
                entries = await cur.fetchall()
            for number, clerk, entry in entries:
                kept = paper_without_text(bytes(entry), items)
                if kept is not None:
                    await conn.execute(
                        "UPDATE paper_entries SET response = ? WHERE wave_id = ? AND number = ?"
                        " AND clerk = ?", (kept, wave_id, number, clerk))
            await conn.execute("UPDATE waves SET text_purged = ? WHERE id = ?",
                               (at.astimezone(dt.UTC).isoformat(), wave_id))
        await self._truncate_wal()
        return changed

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

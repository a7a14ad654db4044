"""Retention on PostgreSQL (a mix-in of :class:`~.postgres.PostgresStore`): free-text answers
taken out of a wave's responses, invitation codes replaced by their counts per unit, and the
codes' counts read back with those still kept.

A purge of free text runs in chunks of :data:`~.retention_rows.PURGE_CHUNK` rows, one
transaction each, and marks the wave purged in a last one: stopped between two chunks, it
leaves the wave not marked, and the next run finishes it.

After a purge, ``VACUUM`` removes the old row versions from the tables; PostgreSQL does not zero
the space they leave (it is reused later), and its WAL and any WAL archive keep the old values
until recycled: whole-disk encryption and an archive retention no longer than the shortest
retention period are the answer there.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager

import asyncpg

from .postgres_migrate import Conn
from .retention_rows import PURGE_CHUNK, paper_without_text, without_text


class PostgresRetention:
    """Needs the store's pool and its transactions."""

    #: Rows a purge changes per transaction (its row locks are held for one chunk at most).
    purge_chunk = PURGE_CHUNK

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    def _transaction(self) -> AbstractAsyncContextManager[Conn]:
        raise NotImplementedError

    async def token_counts(self, wave_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        rows = await self._p.fetch(
            "SELECT organisation, unit, SUM(n), SUM(used) FROM ("
            " SELECT organisation, unit, COUNT(*) AS n, COUNT(*) FILTER (WHERE used) AS used"
            " FROM tokens WHERE wave_id = $1 GROUP BY organisation, unit UNION ALL"
            " SELECT organisation, unit, issued, used FROM token_tallies WHERE wave_id = $1) t"
            " GROUP BY organisation, unit ORDER BY organisation, unit",
            wave_id,
        )
        return {(r[0], r[1]): (int(r[2]), int(r[3])) for r in rows}

    async def purge_text(self, wave_id: str, items: dict[str, list[str]], at: dt.datetime) -> int:
        # the paper entries first: one resolved into a response meanwhile has no text left
        after: tuple[str, str] | None = ("", "")
        while after is not None:
            after = await self._purge_paper_chunk(wave_id, items, after)
        # the ids first, in one read: a chunk then finds its rows by primary key, whatever
        # the statistics (a chunk "after this id, of this wave" may be planned as a scan of
        # the whole wave when they are stale)
        ids = [r[0] for r in await self._p.fetch(
            "SELECT id FROM responses WHERE wave_id = $1 ORDER BY id", wave_id)]
        changed = 0
        for start in range(0, len(ids), self.purge_chunk):
            changed += await self._purge_text_chunk(
                wave_id, items, ids[start:start + self.purge_chunk])
        async with self._transaction() as conn:
            await conn.execute("UPDATE waves SET text_purged = $1 WHERE id = $2", at, wave_id)
        await self._p.execute("VACUUM responses, paper_entries")
        return changed

    async def _purge_text_chunk(self, wave_id: str, items: dict[str, list[str]],
                                ids: list[bytes]) -> int:
        """One transaction: the responses ``ids`` of the wave without their free text; the
        responses changed."""
        async with self._transaction() as conn:
            rows = await conn.fetch(
                "SELECT id, version, answers FROM responses WHERE id = ANY($1::bytea[])"
                " AND wave_id = $2 FOR UPDATE", ids, wave_id)
            updates = []
            for row_id, version, answers in rows:
                kept = without_text(bytes(answers), items.get(version, []))
                if kept is not None:
                    updates.append((kept, row_id))
            await conn.executemany("UPDATE responses SET answers = $1 WHERE id = $2", updates)
        return len(updates)

    async def _purge_paper_chunk(self, wave_id: str, items: dict[str, list[str]],
                                 after: tuple[str, str]) -> tuple[str, str] | None:
        """One transaction: the next ``purge_chunk`` paper entries waiting (by number and
        clerk) without their free text; where to go on from (``None``: none left)."""
        async with self._transaction() as conn:
            entries = await conn.fetch(
                "SELECT number, clerk, response FROM paper_entries WHERE wave_id = $1"
                " AND (number, clerk) > ($2, $3) ORDER BY number, clerk LIMIT $4 FOR UPDATE",
                wave_id, *after, self.purge_chunk)
            for number, clerk, entry in entries:
                kept = paper_without_text(bytes(entry), items)
                if kept is not None:
                    await conn.execute(
                        "UPDATE paper_entries SET response = $1 WHERE wave_id = $2 AND number = $3"
                        " AND clerk = $4", kept, wave_id, number, clerk)
        if len(entries) < self.purge_chunk:
            return None
        return str(entries[-1][0]), str(entries[-1][1])

    async def purge_codes(self, wave_id: str, at: dt.datetime) -> int:
        async with self._transaction() as conn:
            await conn.execute(
                "INSERT INTO token_tallies (wave_id, organisation, unit, issued, used)"
                " SELECT wave_id, organisation, unit, COUNT(*), COUNT(*) FILTER (WHERE used)"
                " FROM tokens WHERE wave_id = $1 GROUP BY wave_id, organisation, unit"
                " ON CONFLICT (wave_id, organisation, unit) DO UPDATE SET"
                " issued = token_tallies.issued + excluded.issued,"
                " used = token_tallies.used + excluded.used",
                wave_id,
            )
            status = await conn.execute("DELETE FROM tokens WHERE wave_id = $1", wave_id)
            await conn.execute("UPDATE waves SET codes_purged = $1 WHERE id = $2", at, wave_id)
        await self._p.execute("VACUUM tokens")
        return int(str(status).rpartition(" ")[2] or 0)


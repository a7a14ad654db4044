"""Which waves are on the public results page (table ``publications``): a mixin of each
store."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import msgspec


class Publication(msgspec.Struct, frozen=True, kw_only=True):
    """A wave on the public results page: since when, published by whom."""

    wave_id: str
    published_at: dt.datetime
    actor: str


class SQLitePublications:
    """Publication rows on the SQLite store (its quick reader and one-statement writes)."""

    @property
    def _r(self) -> Any:
        raise NotImplementedError

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        raise NotImplementedError

    async def publish(self, publication: Publication) -> None:
        await self._write(
            "INSERT INTO publications (wave_id, published_at, actor) VALUES (?, ?, ?)"
            " ON CONFLICT (wave_id) DO UPDATE SET published_at = excluded.published_at,"
            " actor = excluded.actor",
            (publication.wave_id, publication.published_at.astimezone(dt.UTC).isoformat(),
             publication.actor),
        )

    async def unpublish(self, wave_id: str) -> bool:
        found = await self.publications()
        if wave_id not in found:
            return False
        await self._write("DELETE FROM publications WHERE wave_id = ?", (wave_id,))
        return True

    async def publications(self) -> dict[str, Publication]:
        async with self._r.execute(
            "SELECT wave_id, published_at, actor FROM publications ORDER BY wave_id"
        ) as cur:
            rows = await cur.fetchall()
        return {r[0]: Publication(wave_id=r[0], published_at=dt.datetime.fromisoformat(r[1]),
                                  actor=r[2]) for r in rows}


class PostgresPublications:
    """Publication rows on the PostgreSQL store (its pool)."""

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def publish(self, publication: Publication) -> None:
        await self._p.execute(
            "INSERT INTO publications (wave_id, published_at, actor) VALUES ($1, $2, $3)"
            " ON CONFLICT (wave_id) DO UPDATE SET published_at = excluded.published_at,"
            " actor = excluded.actor",
            publication.wave_id, publication.published_at, publication.actor,
        )

    async def unpublish(self, wave_id: str) -> bool:
        status = await self._p.execute("DELETE FROM publications WHERE wave_id = $1", wave_id)
        return bool(status.endswith(" 1"))

    async def publications(self) -> dict[str, Publication]:
        rows = await self._p.fetch(
            "SELECT wave_id, published_at, actor FROM publications ORDER BY wave_id")
        return {r[0]: Publication(wave_id=r[0], published_at=r[1], actor=r[2]) for r in rows}

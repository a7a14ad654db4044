"""The fieldwork rows of :class:`~survey_service.storage.postgres.PostgresStore` (a mixin)."""

from __future__ import annotations

import asyncpg

from .base import FieldworkDay

_UPSERT = (
    "INSERT INTO fieldwork (wave_id, organisation, day, handed_out, visitors, attended, source,"
    " entered_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (wave_id, organisation, day) DO UPDATE SET"
    " handed_out = COALESCE(excluded.handed_out, fieldwork.handed_out),"
    " visitors = COALESCE(excluded.visitors, fieldwork.visitors),"
    " attended = COALESCE(excluded.attended, fieldwork.attended),"
    " source = excluded.source, entered_by = excluded.entered_by"
)


class PostgresFieldwork:
    """Fieldwork methods; the store provides the pool."""

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def save_fieldwork(self, days: list[FieldworkDay]) -> None:
        # In the order of the key (stable: a day given twice keeps its later values last), so
        # two operators saving the same days in opposite orders wait for each other in one
        # order and cannot deadlock.
        ordered = sorted(days, key=lambda d: (d.wave_id, d.organisation, d.day))
        async with self._p.acquire() as conn, conn.transaction():
            await conn.executemany(_UPSERT, [
                (d.wave_id, d.organisation, d.day, d.handed_out, d.visitors, d.attended,
                 d.source, d.entered_by) for d in ordered])

    async def fieldwork(self, wave_id: str) -> list[FieldworkDay]:
        rows = await self._p.fetch(
            "SELECT wave_id, organisation, day, handed_out, visitors, attended, source,"
            " entered_by FROM fieldwork WHERE wave_id = $1 ORDER BY organisation, day",
            wave_id,
        )
        return [FieldworkDay(wave_id=r[0], organisation=r[1], day=r[2], handed_out=r[3],
                             visitors=r[4], attended=r[5], source=r[6], entered_by=r[7])
                for r in rows]

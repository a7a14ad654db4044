"""The fieldwork rows of :class:`~survey_service.storage.sqlite.SQLiteStore` (a mixin)."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager

import aiosqlite

from .base import FieldworkDay

_UPSERT = (
    "INSERT INTO fieldwork (wave_id, organisation, day, handed_out, visitors, attended, source,"
    " entered_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (wave_id, organisation, day) DO UPDATE SET"
    " handed_out = COALESCE(excluded.handed_out, fieldwork.handed_out),"
    " visitors = COALESCE(excluded.visitors, fieldwork.visitors),"
    " attended = COALESCE(excluded.attended, fieldwork.attended),"
    " source = excluded.source, entered_by = excluded.entered_by"
)


class SQLiteFieldwork:
    """Fieldwork methods; the store provides the connections."""

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        raise NotImplementedError

    @property
    def _r(self) -> aiosqlite.Connection:
        raise NotImplementedError

    async def save_fieldwork(self, days: list[FieldworkDay]) -> None:
        async with self._transaction() as conn:
            await conn.executemany(_UPSERT, [
                (d.wave_id, d.organisation, d.day.isoformat(), d.handed_out, d.visitors,
                 d.attended, d.source, d.entered_by) for d in days])

    async def fieldwork(self, wave_id: str) -> list[FieldworkDay]:
        async with self._r.execute(
            "SELECT wave_id, organisation, day, handed_out, visitors, attended, source,"
            " entered_by FROM fieldwork WHERE wave_id = ? ORDER BY organisation, day",
            (wave_id,),
        ) as cur:
            return [
                FieldworkDay(wave_id=r[0], organisation=r[1], day=dt.date.fromisoformat(r[2]),
                             handed_out=r[3], visitors=r[4], attended=r[5], source=r[6],
                             entered_by=r[7])
                for r in await cur.fetchall()
            ]

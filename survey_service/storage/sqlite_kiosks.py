"""The kiosk rows of :class:`~survey_service.storage.sqlite.SQLiteStore` (a mixin)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiosqlite
import msgspec

from .base import Kiosk

_SELECT = "SELECT id, label, organisation, survey_id, link_expires, enrolled, revoked FROM kiosks"


def _kiosk(row: Any) -> Kiosk:
    return Kiosk(
        id=row[0],
        label=row[1],
        organisation=row[2],
        survey_id=row[3],
        link_expires=dt.datetime.fromisoformat(row[4]),
        enrolled=bool(row[5]),
        revoked=bool(row[6]),
    )


class SQLiteKiosks:
    """Kiosk methods; the store provides the connections."""

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        raise NotImplementedError

    @property
    def _r(self) -> aiosqlite.Connection:
        raise NotImplementedError

    async def add_kiosk(self, kiosk: Kiosk, link_hash: bytes) -> bool:
        try:
            async with self._transaction() as conn:
                await conn.execute(
                    "INSERT INTO kiosks (id, label, organisation, survey_id, link_expires,"
                    " enrolled, revoked, link_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        kiosk.id,
                        kiosk.label,
                        kiosk.organisation,
                        kiosk.survey_id,
                        kiosk.link_expires.astimezone(dt.UTC).isoformat(),
                        int(kiosk.enrolled),
                        int(kiosk.revoked),
                        link_hash,
                    ),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    async def kiosks(self) -> list[Kiosk]:
        async with self._r.execute(_SELECT + " ORDER BY label, id") as cur:
            return [_kiosk(r) for r in await cur.fetchall()]

    async def kiosk_link(self, link_hash: bytes) -> Kiosk | None:
        async with self._r.execute(
            _SELECT + " WHERE link_hash = ?", (link_hash,)
        ) as cur:
            row = await cur.fetchone()
        return _kiosk(row) if row else None

    async def enrol_kiosk(self, link_hash: bytes, at: dt.datetime) -> Kiosk | None:
        async with self._transaction() as conn:
            async with conn.execute(
                _SELECT + " WHERE link_hash = ?"
                " AND enrolled = 0 AND revoked = 0",
                (link_hash,),
            ) as cur:
                row = await cur.fetchone()
            if row is None or _kiosk(row).link_expires <= at:
                return None
            await conn.execute("UPDATE kiosks SET enrolled = 1 WHERE id = ?", (row[0],))
        return msgspec.structs.replace(_kiosk(row), enrolled=True)

    async def revoke_kiosk(self, label: str) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "UPDATE kiosks SET revoked = 1 WHERE label = ? AND revoked = 0", (label,)
            )
            return cur.rowcount == 1

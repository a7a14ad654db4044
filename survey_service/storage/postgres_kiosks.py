"""The kiosk rows of :class:`~survey_service.storage.postgres.PostgresStore` (a mixin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from .base import Kiosk

_COLUMNS = "id, label, organisation, survey_id, link_expires, enrolled, revoked"


def _kiosk(row: Any) -> Kiosk:
    return Kiosk(
        id=row[0],
        label=row[1],
        organisation=row[2],
        survey_id=row[3],
        link_expires=row[4],
        enrolled=bool(row[5]),
        revoked=bool(row[6]),
    )


class PostgresKiosks:
    """Kiosk methods; the store provides the pool."""

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def add_kiosk(self, kiosk: Kiosk, link_hash: bytes) -> bool:
        try:
            await self._p.execute(
                f"INSERT INTO kiosks ({_COLUMNS}, link_hash)"  # noqa: S608 (fixed strings)
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                kiosk.id, kiosk.label, kiosk.organisation, kiosk.survey_id,
                kiosk.link_expires, kiosk.enrolled, kiosk.revoked, link_hash,
            )
        except asyncpg.UniqueViolationError:
            return False
        return True

    async def kiosks(self) -> list[Kiosk]:
        rows = await self._p.fetch(
            f"SELECT {_COLUMNS} FROM kiosks ORDER BY label, id"  # noqa: S608 (fixed strings)
        )
        return [_kiosk(r) for r in rows]

    async def kiosk_link(self, link_hash: bytes) -> Kiosk | None:
        row = await self._p.fetchrow(
            f"SELECT {_COLUMNS} FROM kiosks WHERE link_hash = $1",  # noqa: S608
            link_hash,
        )
        return _kiosk(row) if row else None

    async def enrol_kiosk(self, link_hash: bytes, at: dt.datetime) -> Kiosk | None:
        # one statement: of two devices opening the same link at once, one enrols
        row = await self._p.fetchrow(
            "UPDATE kiosks SET enrolled = true WHERE link_hash = $1 AND NOT enrolled"  # noqa: S608
            f" AND NOT revoked AND link_expires > $2 RETURNING {_COLUMNS}",
            link_hash, at,
        )
        return _kiosk(row) if row else None

    async def revoke_kiosk(self, label: str) -> bool:
        status = await self._p.execute(
            "UPDATE kiosks SET revoked = true WHERE label = $1 AND NOT revoked", label
        )
        return str(status) == "UPDATE 1"

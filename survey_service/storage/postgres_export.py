"""The wide export's read on PostgreSQL: a wave's responses undecoded (the bulk pool)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg

from .postgres_rows import RAW_RESPONSE_COLUMNS


class ExportRows:
    """Needs the store's pool for long reads."""

    @property
    def _b(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def stream_response_rows(
        self, wave_id: str, batch_size: int = 500
    ) -> AsyncIterator[list[Any]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        # a cursor in a read-only REPEATABLE READ transaction: one snapshot throughout
        async with self._b.acquire() as conn, conn.transaction(
            isolation="repeatable_read", readonly=True
        ):
            cursor = await conn.cursor(
                f"SELECT {RAW_RESPONSE_COLUMNS} FROM responses WHERE wave_id = $1 ORDER BY id",  # noqa: S608
                wave_id,
            )
            while rows := await cursor.fetch(batch_size):
                yield rows

"""The wide export's read on SQLite: a wave's responses undecoded (the store's reader pool)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiosqlite

from .sqlite_rows import RAW_RESPONSE_COLUMNS


class ExportRows:
    """Needs the store's long reads (a connection of the read-only pool)."""

    def _long_read(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        raise NotImplementedError

    async def stream_response_rows(
        self, wave_id: str, batch_size: int = 500
    ) -> AsyncIterator[list[Any]]:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        # one statement is one read transaction: a snapshot, whatever commits meanwhile
        async with self._long_read() as conn, conn.execute(
            f"SELECT {RAW_RESPONSE_COLUMNS} FROM responses WHERE wave_id = ? ORDER BY id",  # noqa: S608
            (wave_id,),
        ) as cur:
            while rows := await cur.fetchmany(batch_size):
                yield list(rows)

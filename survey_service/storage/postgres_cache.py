"""The kept reports of :class:`~survey_service.storage.postgres.PostgresStore` (a mixin)."""

from __future__ import annotations

import asyncpg


class PostgresReportCache:
    """Computed reports over closed waves; the store provides the pool."""

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def cached_report(self, key: str) -> bytes | None:
        value = await self._p.fetchval("SELECT body FROM report_cache WHERE key = $1", key)
        return bytes(value) if value is not None else None

    async def cache_report(self, key: str, waves: list[str], body: bytes) -> None:
        await self._p.execute(
            "INSERT INTO report_cache (key, waves, body) VALUES ($1, $2, $3)"
            " ON CONFLICT (key) DO UPDATE SET waves = excluded.waves, body = excluded.body,"
            " created = now()",
            key, f" {' '.join(waves)} ", body,
        )

    async def forget_cached_reports(self, wave: str) -> int:
        status = await self._p.execute(
            "DELETE FROM report_cache WHERE strpos(waves, $1) > 0", f" {wave} ")
        return int(str(status).rsplit(" ", 1)[-1])

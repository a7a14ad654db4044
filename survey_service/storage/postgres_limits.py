"""The shared counters of :mod:`.limits` on PostgreSQL: the ``client_limits`` table
(migration 0014), ``UNLOGGED``: never written to the WAL (so neither a replica, a WAL archive
nor ``pg_waldump`` ever sees a client's keyed hash), emptied by PostgreSQL after a crash (which
only lifts the limits early), and cheap to write: no WAL flush per submission. Each operation
is one autocommit statement on the store's pool; the row lock of the upsert makes it atomic
across processes.

If the database cannot take the statement now, the limit is not enforced for that request
rather than refusing it; the log says so, at most once a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import asyncpg

from .limits import PURGE_EVERY, Rule, wait

log = logging.getLogger(__name__)

_TAKE = (
    "INSERT INTO client_limits AS c (rule, key, tat)"
    " VALUES ($1::text, $2::bytea, $3::float8 + $4::float8)"
    " ON CONFLICT (rule, key) DO UPDATE SET tat = GREATEST(c.tat, $3) + $4"
    " WHERE GREATEST(c.tat, $3) + $4 - $5::float8 - $3 <= 1e-9 RETURNING tat"
)
_ADD = (
    "INSERT INTO client_limits AS c (rule, key, tat)"
    " VALUES ($1::text, $2::bytea, $3::float8 + $4::float8)"
    " ON CONFLICT (rule, key) DO UPDATE SET tat = LEAST(GREATEST(c.tat, $3) + $4, $3 + $5::float8)"
    " RETURNING tat"
)
_READ = "SELECT tat FROM client_limits WHERE rule = $1 AND key = $2"
_PURGE = "DELETE FROM client_limits WHERE tat <= $1::float8"
_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)


class PostgresLimits:
    """:class:`~.limits.ClientLimits` in the ``client_limits`` table of the store's
    database, through the store's pool (``pool()`` raises while the store is closed)."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool
        self._purged = 0.0
        self._complained = 0.0

    async def _run(self, sql: str, args: tuple[object, ...], at: float) -> list[float] | None:
        try:
            pool = self._pool()
            if at - self._purged > PURGE_EVERY:
                self._purged = at
                await pool.execute(_PURGE, at)
            rows = await pool.fetch(sql, *args)
        except (*_ERRORS, RuntimeError) as exc:
            now = time.monotonic()
            if now - self._complained > 60:
                self._complained = now
                log.warning("limits not enforced now: %s", " ".join(str(exc).split()))
            return None
        return [float(r[0]) for r in rows]

    async def take(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_TAKE, (rule.name, key, at, rule.interval, rule.window), at)
        if got is None or got:
            return 0.0
        return await self.wait(rule, key, at)

    async def add(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_ADD, (rule.name, key, at, rule.interval, rule.window), at)
        return wait(rule, got[0], at) if got else 0.0

    async def wait(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_READ, (rule.name, key), at)
        return wait(rule, got[0] if got else None, at)

    async def purge(self, at: float) -> int:
        self._purged = at
        status = await self._pool().execute(_PURGE, at)
        return int(status.split()[-1])

    async def close(self) -> None:
        return None  # the store's pool is the store's to close

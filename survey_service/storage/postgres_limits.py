"""The shared counters of :mod:`.limits` on PostgreSQL: the ``client_limits`` table
(migration 0014), ``UNLOGGED``: never written to the WAL (so neither a replica, a WAL archive
nor ``pg_waldump`` ever sees a client's keyed hash), emptied by PostgreSQL after a crash (which
only lifts the limits early), and cheap to write: no WAL flush per submission. Each operation
is one autocommit statement on the store's pool; the row lock of the upsert makes it atomic
across processes.

Checks (:meth:`PostgresLimits.take`) are grouped like submissions: the checks queued while a
statement runs go together in the next one, which counts ``m`` checks of a key at once if the
rule allows all ``m`` (``max(tat, at) + m * interval - window <= at``: exactly when the
``m``-th of them, taken one after another, would be allowed). A key whose checks are not all
allowed has them taken one by one, as before. One statement per batch holds one connection
of the pool, however many requests check their limit at once: taken one by one, every check
held one of the pool's few connections until a saturated event loop read its reply, and the
submissions waited for a connection (p99 of one process in ``benchmarks/journeys.py`` 138-147
ms before, 28-30 ms after).
Checks of one batch are decided at the latest of their times when those lie within
:data:`TOGETHER` seconds of each other; checks further apart go in separate statements, in
order.

If the database cannot take the statement now, the limit is not enforced for that request
rather than refusing it; the log says so, at most once a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
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
#: ``m`` checks of each key at once ($6: how many of each of the keys $2), or none of them
_TAKE_MANY = (
    "INSERT INTO client_limits AS c (rule, key, tat)"
    " SELECT $1::text, u.key, $3::float8 + u.m * $4::float8"
    " FROM unnest($2::bytea[], $6::int4[]) AS u(key, m)"
    " WHERE u.m * $4::float8 - $5::float8 <= 1e-9"
    " ON CONFLICT (rule, key) DO UPDATE SET tat = GREATEST(c.tat, $3) + $4 * ("
    "SELECT u.m FROM unnest($2::bytea[], $6::int4[]) AS u(key, m) WHERE u.key = c.key)"
    " WHERE GREATEST(c.tat, $3) + $4 * ("
    "SELECT u.m FROM unnest($2::bytea[], $6::int4[]) AS u(key, m) WHERE u.key = c.key)"
    " - $5::float8 - $3 <= 1e-9 RETURNING key"
)
_READ = "SELECT tat FROM client_limits WHERE rule = $1 AND key = $2"
_PURGE = "DELETE FROM client_limits WHERE tat <= $1::float8"
_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError)
#: Checks whose times lie this close (seconds) are decided together, at the latest of them.
TOGETHER = 0.05

Check = tuple[Rule, bytes, float, "asyncio.Future[float]"]


class PostgresLimits:
    """:class:`~.limits.ClientLimits` in the ``client_limits`` table of the store's
    database, through the store's pool (``pool()`` raises while the store is closed)."""

    def __init__(self, pool: Callable[[], asyncpg.Pool]) -> None:
        self._pool = pool
        self._purged = 0.0
        self._complained = 0.0
        self._queue: list[Check] = []
        self._taker: asyncio.Task[None] | None = None

    async def _run(self, sql: str, args: tuple[object, ...], at: float) -> list[object] | None:
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
        return [r[0] for r in rows]

    async def take(self, rule: Rule, key: bytes, at: float) -> float:
        done: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._queue.append((rule, key, at, done))
        if self._taker is None or self._taker.done():
            self._taker = asyncio.create_task(self._take_queued())
        return await done

    async def _take_queued(self) -> None:
        """Take every queued check, a batch per statement, until none is left."""
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                for group in _together(batch):
                    for (*_, done), waited in zip(group, await self._take_group(group),
                                                  strict=True):
                        if not done.done():
                            done.set_result(waited)
            except BaseException as exc:  # cancelled with the app: no request waits forever
                for *_, done in [*batch, *self._queue]:
                    if done.done():
                        continue
                    if isinstance(exc, Exception):
                        done.set_exception(exc)
                    else:
                        done.cancel()
                raise

    async def _take_group(self, group: list[Check]) -> list[float]:
        """The seconds to wait of each check of one rule, decided at the latest time."""
        if len(group) == 1:
            rule, key, at, _ = group[0]
            return [await self._take_one(rule, key, at)]
        rule, at = group[0][0], max(c[2] for c in group)
        counts = Counter(c[1] for c in group)
        got = await self._run(_TAKE_MANY, (rule.name, list(counts), at, rule.interval,
                                           rule.window, list(counts.values())), at)
        if got is None:
            return [0.0] * len(group)  # not enforced now (said in the log)
        allowed = {bytes(k) for k in got if isinstance(k, bytes | memoryview)}
        full: dict[bytes, float] = {}  # refused keys: their wait, read once per key
        out = []
        for _, key, _, _ in group:
            if key in allowed:
                out.append(0.0)
                continue
            if key not in full:
                full[key] = await self.wait(rule, key, at)
            if full[key] or counts[key] == 1:
                out.append(full[key])  # no room for one more: all refused, nothing written
            else:  # room for some of this key's checks but not all: one by one
                out.append(await self._take_one(rule, key, at))
        return out

    async def _take_one(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_TAKE, (rule.name, key, at, rule.interval, rule.window), at)
        if got is None or got:
            return 0.0
        return await self.wait(rule, key, at)

    async def add(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_ADD, (rule.name, key, at, rule.interval, rule.window), at)
        return wait(rule, float(got[0]), at) if got else 0.0  # type: ignore[arg-type]

    async def wait(self, rule: Rule, key: bytes, at: float) -> float:
        got = await self._run(_READ, (rule.name, key), at)
        return wait(rule, float(got[0]) if got else None, at)  # type: ignore[arg-type]

    async def purge(self, at: float) -> int:
        self._purged = at
        status = await self._pool().execute(_PURGE, at)
        return int(status.split()[-1])

    async def close(self) -> None:
        """Stop taking checks: a check still queued or running is cancelled (the app closes
        the counters as it stops). The store's pool is the store's to close."""
        taker, self._taker = self._taker, None
        if taker is not None and not taker.done():
            taker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await taker


def _together(batch: list[Check]) -> list[list[Check]]:
    """Consecutive checks of one rule whose times lie within :data:`TOGETHER` of the first."""
    groups: list[list[Check]] = []
    for check in batch:
        last = groups[-1] if groups else None
        if last and last[0][0] == check[0] and abs(check[2] - last[0][2]) <= TOGETHER:
            last.append(check)
        else:
            groups.append([check])
    return groups

"""Windowed counters that every process of a deployment shares: the contract behind the limits
per client (:mod:`survey_service.web.limits`), and its implementation in memory.

A counter is a *rule* (a name, so many events per window) and a *key* (16 bytes: a keyed hash
the caller made, never an address or a name). Each is kept as one number, the generic cell
rate algorithm's "theoretical arrival time" (``tat``): the moment the key's allowance is full
again. An event is allowed when ``max(tat, now) + window / limit - window <= now``, and moves
``tat`` on by ``window / limit``. So a key's row is worth nothing once ``tat <= now`` (it means
"nothing counted") and is deleted then (:meth:`ClientLimits.purge`): entries expire within a
window of the last event, and no history of events is ever kept, only that one number.

Implementations: :class:`MemoryLimits` (one process: tests, an in-memory database), the SQLite
file beside the database (:mod:`.sqlite_limits`), an unlogged PostgreSQL table
(:mod:`.postgres_limits`); ``Store.client_limits()`` gives the one of the store's engine.
Times are wall-clock seconds (``time.time()``), the clock the processes share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

#: Keys kept at most by :class:`MemoryLimits` (about 100 bytes each); beyond that the stale
#: ones, or else the oldest half, are forgotten: a flood of addresses degrades a limit, never
#: memory.
MAX_KEYS = 100_000
#: Seconds between two purges of expired counters by one process.
PURGE_EVERY = 60.0
_EPSILON = 1e-9


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` events per ``window`` seconds for each key, under ``name``."""

    name: str
    limit: int
    window: float

    @property
    def interval(self) -> float:
        """One event's share of the window."""
        return self.window / self.limit


def wait(rule: Rule, tat: float | None, at: float) -> float:
    """Seconds from ``at`` before ``rule`` allows one more event of a key at ``tat``."""
    late = max(tat if tat is not None else at, at) + rule.interval - rule.window - at
    return late if late > _EPSILON else 0.0


def after_take(rule: Rule, tat: float | None, at: float) -> float | None:
    """The key's new ``tat`` if the event is allowed, else None (nothing counted)."""
    return None if wait(rule, tat, at) else max(tat if tat is not None else at, at) + rule.interval


def after_add(rule: Rule, tat: float | None, at: float) -> float:
    """The key's new ``tat`` after an event counted whatever the rule says (a failure), never
    more than one window ahead: however long an attacker keeps failing, the key is free again
    at most one window after the last failure."""
    return min(max(tat if tat is not None else at, at) + rule.interval, at + rule.window)


class ClientLimits(Protocol):
    """Windowed counters shared by the processes of one deployment (see the module)."""

    async def take(self, rule: Rule, key: bytes, at: float) -> float:
        """Count one event if ``rule`` allows it now: 0.0; otherwise the seconds to wait, and
        nothing is counted (a refused submission does not lengthen the wait)."""
        ...

    async def add(self, rule: Rule, key: bytes, at: float) -> float:
        """Count one event whatever ``rule`` says (:func:`after_add`); the seconds before the
        rule allows another (0.0: now)."""
        ...

    async def wait(self, rule: Rule, key: bytes, at: float) -> float:
        """Seconds before ``rule`` allows one more event of ``key`` (0.0: now); counts
        nothing."""
        ...

    async def purge(self, at: float) -> int:
        """Delete every counter worth nothing at ``at``; how many were deleted. Callers need
        not call it: each implementation purges by itself every :data:`PURGE_EVERY`."""
        ...

    async def close(self) -> None:
        """Release what the counters hold (a connection); they open again when next used."""
        ...


class MemoryLimits:
    """The counters of one process, in a dict: for tests and a database that is not a file
    (``sqlite:///:memory:``), which no other process can share anyway."""

    def __init__(self) -> None:
        self._tat: dict[tuple[str, bytes], float] = {}

    def __len__(self) -> int:
        return len(self._tat)

    def _keep(self, slot: tuple[str, bytes], tat: float, at: float) -> None:
        if slot not in self._tat and len(self._tat) >= MAX_KEYS:
            stale = [k for k, t in self._tat.items() if t <= at]
            for old in stale or list(self._tat)[: MAX_KEYS // 2]:
                del self._tat[old]
        self._tat[slot] = tat

    async def take(self, rule: Rule, key: bytes, at: float) -> float:
        slot = (rule.name, key)
        tat = self._tat.get(slot)
        new = after_take(rule, tat, at)
        if new is None:
            return wait(rule, tat, at)
        self._keep(slot, new, at)
        return 0.0

    async def add(self, rule: Rule, key: bytes, at: float) -> float:
        slot = (rule.name, key)
        new = after_add(rule, self._tat.get(slot), at)
        self._keep(slot, new, at)
        return wait(rule, new, at)

    async def wait(self, rule: Rule, key: bytes, at: float) -> float:
        return wait(rule, self._tat.get((rule.name, key)), at)

    async def purge(self, at: float) -> int:
        stale = [k for k, t in self._tat.items() if t <= at]
        for slot in stale:
            del self._tat[slot]
        return len(stale)

    async def close(self) -> None:
        return None

"""Limits per client, shared by every process of a deployment, without keeping addresses.

- :class:`SubmissionLimiter`: citizen submissions per client over a window (stuffing).
- :class:`AttemptLimiter`: failed attempts (wrong staff codes; failed sign-ins per client and
  per account, :class:`~.admin.access.SignInLimits`).

Both count in the store's shared counters (:class:`~survey_service.storage.limits.ClientLimits`:
a file beside an SQLite database, an unlogged table on PostgreSQL), so 4 processes on one
database enforce one limit. A client is known there only by a keyed hash
(:class:`ClientKeys`): HMAC-SHA-256 of its address and the rule's name under a key derived
from ``SURVEY_SECRET_KEY`` and the day (UTC), so

- the stored value reveals no address to anyone without the secret key;
- one client's entries under two rules, or on two days, cannot be told to be the same client;
- an entry is deleted once its window has passed (at most a day's window; minutes for most),
  and nothing is ever joined to, or stored with, an answer.

An IPv6 client is counted by its /64 network, the block one subscriber gets. Behind a reverse
proxy the address is the one uvicorn took from ``X-Forwarded-For`` of the proxies in
``SURVEY_FORWARDED_ALLOW_IPS``. At midnight UTC the key changes and every count starts again:
once a day a client may get up to twice its allowance in one window.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import math
import secrets
import time

from ..storage.limits import ClientLimits, MemoryLimits, Rule

#: Seconds one limits key is used for (a day, UTC); the next one is unrelated to it.
KEY_PERIOD = 86_400
#: The key of a rule's counter over all clients together.
EVERYONE = b"*"


class ClientKeys:
    """Keyed hashes (16 bytes) of client addresses, with a key derived from the secret key
    and the day; without a secret (tests), a random key of this process."""

    def __init__(self, secret: str | None = None, period: int = KEY_PERIOD) -> None:
        self._secret = secret.encode() if secret else secrets.token_bytes(32)
        self._period = period
        self._day = -1
        self._key = b""

    def key_of(self, at: float) -> bytes:
        """The key of the period ``at`` falls in (only the current one is kept)."""
        day = int(at // self._period)
        if day != self._day:
            label = f"client-limits/{day}".encode()
            self._key, self._day = hmac.digest(self._secret, label, "sha256"), day
        return self._key

    def __call__(self, address: str, rule: str = "", at: float | None = None) -> bytes:
        data = address.encode()
        if ":" in address:  # IPv6: the subscriber's /64, not one of its 2**64 addresses
            try:
                data = ipaddress.IPv6Address(address.partition("%")[0]).packed[:8]
            except ValueError:
                pass
        key = self.key_of(time.time() if at is None else at)
        return hmac.digest(key, rule.encode() + b"\0" + data, "sha256")[:16]


class SubmissionLimiter:
    """At most ``limit`` stored submissions per client in any ``window`` seconds (the generic
    cell rate algorithm: one number per client, one upsert per check).

    There is no limit over all clients together: it would let one attacker with enough
    addresses lock every citizen out."""

    def __init__(
        self,
        limit: int,
        window: float,
        keys: ClientKeys | None = None,
        counters: ClientLimits | None = None,
    ) -> None:
        self.limit, self.window = limit, window
        self.rule = Rule("submit", limit, window)
        self._keys = keys or ClientKeys()
        self.counters: ClientLimits = counters or MemoryLimits()

    async def take(self, address: str, at: float | None = None) -> float:
        """Count one submission of this client; 0.0 if it is within the limit, otherwise the
        seconds to wait (and nothing is counted)."""
        at = time.time() if at is None else at
        return await self.counters.take(self.rule, self._keys(address, self.rule.name, at), at)

    @staticmethod
    def retry_after(wait: float) -> str:
        """The ``Retry-After`` header: whole seconds, rounded up."""
        return str(max(1, math.ceil(wait)))


class AttemptLimiter:
    """Failed attempts per client (at most ``per_client`` in a window) and, unless
    ``overall`` is None, over everyone together. Only failures are counted, and callers check
    a code before they count a failure: a correct code is never refused, whatever others (or
    the same address, shared behind a proxy) got wrong. However long failures went on, a
    client may try again ``window / per_client`` seconds after its last failure (then once
    per such share), and has its whole allowance again one window after it."""

    def __init__(
        self,
        per_client: int = 20,
        overall: int | None = 600,
        window: float = 600.0,
        keys: ClientKeys | None = None,
        counters: ClientLimits | None = None,
        name: str = "staff-code",
    ) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self.rule = Rule(name, per_client, window)
        self.everyone = Rule(f"{name}/all", overall, window) if overall else None
        self._keys = keys or ClientKeys()
        self.counters: ClientLimits = counters or MemoryLimits()

    @property
    def retry(self) -> int:
        """Seconds a refused client is told to wait (``Retry-After``): the window."""
        return math.ceil(self.window)

    def _key(self, client: str, at: float) -> bytes:
        return self._keys(client, self.rule.name, at)

    async def blocked(self, client: str, at: float | None = None) -> bool:
        """Too many failures from this client: one more would be refused."""
        at = time.time() if at is None else at
        return await self.counters.wait(self.rule, self._key(client, at), at) > 0

    async def busy(self, at: float | None = None) -> bool:
        """Too many failures from everyone: wrong codes get "too many attempts", but a valid
        code still works (a flood of wrong codes must not lock staff out)."""
        if self.everyone is None:
            return False
        at = time.time() if at is None else at
        return await self.counters.wait(self.everyone, EVERYONE, at) > 0

    async def failed(self, client: str, at: float | None = None) -> bool:
        """Count a failure; whether the client (or everyone) has now failed too often."""
        at = time.time() if at is None else at
        mine = self.counters.add(self.rule, self._key(client, at), at)
        if self.everyone is None:
            return await mine > 0
        waits = await asyncio.gather(mine, self.counters.add(self.everyone, EVERYONE, at))
        return max(waits) > 0

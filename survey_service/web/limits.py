"""Limits per client, in memory only: nothing about a client is ever stored or logged.

- :class:`SubmissionLimiter`: citizen submissions per client over a window (stuffing).
- :class:`AttemptLimiter`: failed attempts (wrong invitation codes now, wrong passwords later).

A client is known only by a keyed hash of its address (BLAKE2b with a random key made when
the process starts and never written anywhere), so even a dump of the process's memory does
not list addresses; an IPv6 client is counted by its /64 network, the block one subscriber
gets. Behind a reverse proxy the address is the one uvicorn took from ``X-Forwarded-For`` of
the proxies in ``SURVEY_FORWARDED_ALLOW_IPS``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import secrets
import time
from collections import deque

#: Clients remembered at most per limiter; beyond that the oldest entries are forgotten
#: first (about 100 bytes each: ~10 MB at most).
MAX_CLIENTS = 100_000


class ClientKeys:
    """Keyed hashes of client addresses (16 bytes each), with a key of this process only."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def __call__(self, address: str) -> bytes:
        data = address.encode()
        if ":" in address:  # IPv6: the subscriber's /64, not one of its 2**64 addresses
            try:
                data = ipaddress.IPv6Address(address.partition("%")[0]).packed[:8]
            except ValueError:
                pass
        return hashlib.blake2b(data, key=self._key, digest_size=16).digest()


class SubmissionLimiter:
    """At most ``limit`` stored submissions per client in any ``window`` seconds, as a
    generic cell rate algorithm: one float per client (the time its allowance is next
    full), one dict lookup and a few arithmetic operations per check, O(1).

    There is no limit over all clients together: it would let one attacker with enough
    addresses lock every citizen out."""

    def __init__(self, limit: int, window: float, keys: ClientKeys | None = None) -> None:
        self.limit, self.window = limit, window
        self._interval = window / limit  # one submission's share of the window
        self._keys = keys or ClientKeys()
        self._tat: dict[bytes, float] = {}  # client -> theoretical arrival time

    def take(self, address: str, at: float | None = None) -> float:
        """Count one submission of this client; 0.0 if it is within the limit, otherwise the
        seconds to wait (and nothing is counted)."""
        at = time.monotonic() if at is None else at
        key = self._keys(address)
        tat = max(self._tat.get(key, at), at)
        wait = tat + self._interval - self.window - at
        if wait > 1e-9:
            return wait
        if key not in self._tat and len(self._tat) >= MAX_CLIENTS:
            self._forget(at)
        self._tat[key] = tat + self._interval
        return 0.0

    def _forget(self, at: float) -> None:
        """Drop clients whose allowance is full again (they count as new), or else the oldest
        half: a flood of addresses degrades the limit, never memory."""
        stale = [k for k, tat in self._tat.items() if tat <= at]
        for key in stale or list(self._tat)[: MAX_CLIENTS // 2]:
            del self._tat[key]

    @staticmethod
    def retry_after(wait: float) -> str:
        """The ``Retry-After`` header: whole seconds, rounded up."""
        return str(max(1, math.ceil(wait)))


class AttemptLimiter:
    """Failed attempts per client and in total, over a sliding window. Only failures are
    counted, and callers check a code before asking :meth:`blocked`: a correct code is never
    refused, whatever others (or the same address, shared behind a proxy) got wrong."""

    def __init__(
        self,
        per_client: int = 20,
        overall: int = 600,
        window: float = 600.0,
        keys: ClientKeys | None = None,
    ) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self._keys = keys or ClientKeys()
        self._clients: dict[bytes, deque[float]] = {}
        self._all: deque[float] = deque(maxlen=overall)

    @property
    def retry(self) -> int:
        """Seconds a refused client is told to wait (``Retry-After``): the window."""
        return math.ceil(self.window)

    def _trim(self, q: deque[float], at: float) -> None:
        while q and q[0] < at - self.window:
            q.popleft()

    def blocked(self, client: str) -> bool:
        """Too many failures from this client: a wrong code gets "too many attempts"."""
        q = self._clients.get(self._keys(client), deque())
        self._trim(q, time.monotonic())
        return len(q) >= self.per_client

    def busy(self) -> bool:
        """Too many failures from everyone: wrong codes get "too many attempts", but a valid
        code still works (a flood of wrong codes must not lock staff out)."""
        self._trim(self._all, time.monotonic())
        return len(self._all) >= self.overall

    def failed(self, client: str) -> None:
        at = time.monotonic()
        q = self._clients.setdefault(self._keys(client), deque(maxlen=self.per_client))
        q.append(at)
        self._all.append(at)
        if len(self._clients) > MAX_CLIENTS // 10:  # forget the oldest clients
            for key in list(self._clients)[: MAX_CLIENTS // 20]:
                del self._clients[key]

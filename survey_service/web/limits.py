"""Limits on failed attempts (wrong invitation codes now, wrong passwords later), in memory
only: nothing about a client is ever stored."""

from __future__ import annotations

import time
from collections import deque


class AttemptLimiter:
    """Failed attempts per client address and in total, over a sliding window."""

    def __init__(self, per_client: int = 20, overall: int = 600, window: float = 600.0) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def _trim(self, q: deque[float], at: float) -> None:
        while q and q[0] < at - self.window:
            q.popleft()

    def blocked(self, client: str) -> bool:
        """Too many failures from this client: refuse without looking the code up."""
        q = self._clients.get(client, deque())
        self._trim(q, time.monotonic())
        return len(q) >= self.per_client

    def busy(self) -> bool:
        """Too many failures from everyone: wrong codes get "too many attempts", but a valid
        code still works (a flood of wrong codes must not lock staff out)."""
        self._trim(self._all, time.monotonic())
        return len(self._all) >= self.overall

    def failed(self, client: str) -> None:
        at = time.monotonic()
        self._clients.setdefault(client, deque()).append(at)
        self._all.append(at)
        if len(self._clients) > 10_000:  # forget the oldest clients
            for key in list(self._clients)[:5_000]:
                del self._clients[key]

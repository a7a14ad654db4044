"""Mixing the sealed answers of closed staff and training waves into the responses.

:func:`mix_closed` is what ``waves close`` calls; :class:`ClosedWaveMixer` is what a running
server runs in the background for waves that close by their end date.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping

from ..anonymity import MixError, mix_closed_waves
from ..sealing import Sealer
from ..storage.base import Store
from ..storage.faults import one_line, unavailable
from .errors import Unavailable

log = logging.getLogger(__name__)


class MixFailed(Unavailable):
    """The sealed answers of some closed waves cannot be opened with this secret key."""

    def __init__(self, message: str, waves: list[str]) -> None:
        super().__init__(message)
        self.waves = waves


async def mix_closed(
    store: Store, sealer: Sealer, kinds: Mapping[str, str], skip: frozenset[str] = frozenset()
) -> list[str]:
    """Mix every closed, unmixed staff or training wave (``kinds``: survey id -> kind);
    return the ids of the waves mixed."""
    try:
        return await mix_closed_waves(store, sealer, kinds, skip)
    except MixError as exc:
        raise MixFailed(str(exc), exc.waves) from exc


class ClosedWaveMixer:
    """In a running server: mix the staff waves that closed by their end date, every
    ``interval`` seconds; a wave that cannot be unsealed is logged once and left for the
    next start."""

    def __init__(
        self,
        store: Store,
        sealer: Sealer,
        kinds: Mapping[str, str],
        on_mixed: Callable[[], Awaitable[None]],
        interval: float,
    ) -> None:
        self.store, self.sealer, self.kinds = store, sealer, kinds
        self.on_mixed, self.interval = on_mixed, max(interval, 1.0)
        self.unopenable: set[str] = set()
        self.away = False  # the last try found the database away

    async def run_once(self) -> None:
        try:
            if await mix_closed(self.store, self.sealer, self.kinds, frozenset(self.unopenable)):
                await self.on_mixed()
        except MixFailed as exc:  # logged once by anonymity; retried at the next start
            self.unopenable.update(exc.waves)
        except Exception as exc:
            if not unavailable(exc):
                log.exception("mixing closed staff waves failed; will retry")
            elif not self.away:  # once per outage, one line
                log.warning("cannot mix closed staff waves while the database is away (%s);"
                            " will retry", one_line(exc))
            self.away = unavailable(exc)
            return
        self.away = False

    async def run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)

"""What a running server serves: the catalog, the waves and the frozen form versions.

Waves are opened and closed by the CLI (another process), so the registry re-reads them from
storage every ``refresh_seconds``. The form a wave serves is the version frozen when it was
opened, decoded from storage, never the file as it is now.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass

from .storage.base import Store
from .storage.faults import one_line, unavailable
from .surveys.loader import Catalog, decode_survey
from .surveys.model import Survey
from .surveys.waves import Wave, WaveState, now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WaveChoice:
    """The wave a public URL serves right now and its state."""

    wave: Wave
    state: WaveState
    survey: Survey  # the frozen version of the wave


class Registry:
    def __init__(self, catalog: Catalog, store: Store, refresh_seconds: float = 2.0) -> None:
        self.catalog = catalog
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._waves: list[Wave] = []
        self._versions: dict[str, Survey] = {}
        self._loaded_at = -1e9
        self._loaded = False  # read at least once
        self._stale = False  # the last read failed: the waves are those read before
        self._lock = asyncio.Lock()

    async def refresh(self, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < self.refresh_seconds:
            return
        async with self._lock:
            if not force and time.monotonic() - self._loaded_at < self.refresh_seconds:
                return
            try:
                waves = await self.store.waves()
                for wave in waves:
                    if wave.version not in self._versions:
                        data = await self.store.form_version(wave.version)
                        if data is not None:
                            self._versions[wave.version] = decode_survey(data)
            except Exception as exc:
                if force or not self._loaded or not unavailable(exc):
                    raise
                # the database is away: serve the waves read last (forms keep working, and
                # a submission meanwhile gets 503 with its answers kept), try again later
                if not self._stale:
                    log.warning("cannot re-read the waves, serving those read last: %s",
                                one_line(exc))
                self._stale = True
                self._loaded_at = time.monotonic()
                return
            if self._stale:
                log.info("the waves are read from the database again")
            self._waves, self._loaded, self._stale = waves, True, False
            self._loaded_at = time.monotonic()

    @property
    def waves(self) -> list[Wave]:
        return self._waves

    def survey_version(self, version: str) -> Survey | None:
        return self._versions.get(version)

    def choose(
        self, survey_id: str, organisation: str, at: dt.datetime | None = None
    ) -> WaveChoice | None:
        """The open wave for this survey and organisation; else the next scheduled one; else
        the last closed one; ``None`` if the survey never had a wave for it."""
        at = at or now()
        best: tuple[int, Wave, WaveState] | None = None
        rank = {"open": 3, "scheduled": 2, "closed": 1}
        for wave in self._waves:
            if wave.survey_id != survey_id or not wave.covers(organisation):
                continue
            if wave.version not in self._versions:
                continue
            state = wave.state(at)
            if best is None or rank[state] > best[0]:
                best = (rank[state], wave, state)
        if best is None:
            return None
        _, wave, state = best
        return WaveChoice(wave, state, self._versions[wave.version])

    def open_waves(self, at: dt.datetime | None = None) -> list[Wave]:
        at = at or now()
        return [w for w in self._waves if w.state(at) == "open"]

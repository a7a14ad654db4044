"""A wave's responses as numpy arrays (built from the packed codes storage returns)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..storage.base import WaveCodes
from ..surveys.coding import MISSING, ScoredItem, scored_items
from ..surveys.model import Survey
from ..surveys.waves import Wave

IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class WaveMatrix:
    """Codes of one wave: ``codes[i, j]`` is respondent i's code for scored item j (the
    storage convention: -1 missing, 9 don't know)."""

    wave: Wave
    survey: Survey
    codes: IntArray
    items: dict[str, int]
    organisations: npt.NDArray[np.str_]
    channels: npt.NDArray[np.str_]
    units: npt.NDArray[np.str_]
    panels: npt.NDArray[np.object_] | None = None  # staff panel waves: hashes or None

    @property
    def n(self) -> int:
        return int(self.codes.shape[0])

    def item(self, item_id: str) -> ScoredItem | None:
        index = self.items.get(item_id)
        return scored_items(self.survey)[index] if index is not None else None

    def likert(self, item_id: str) -> IntArray | None:
        """A likert column in the indicators' convention (0 = missing)."""
        index = self.items.get(item_id)
        if index is None:
            return None
        column = self.codes[:, index]
        return np.where(column == MISSING, 0, column).astype(np.int32)

    def raw(self, item_id: str) -> IntArray | None:
        """A column as stored (-1 = missing), e.g. for NPS."""
        index = self.items.get(item_id)
        return None if index is None else self.codes[:, index]

    def subset(self, mask: npt.NDArray[np.bool_]) -> WaveMatrix:
        return WaveMatrix(
            self.wave,
            self.survey,
            self.codes[mask],
            self.items,
            self.organisations[mask],
            self.channels[mask],
            self.units[mask],
            None if self.panels is None else self.panels[mask],
        )


def wave_matrix(wave: Wave, survey: Survey, data: WaveCodes) -> WaveMatrix:
    """Decode the packed codes of a wave (one ``frombuffer``, no per-row Python work)."""
    items = scored_items(survey)
    k = len(items)
    n = len(data.organisations)
    codes = np.frombuffer(data.codes, dtype="<i4")
    if k == 0 or codes.size != n * k:
        raise ValueError(f"wave {wave.id}: stored codes do not match its form version")
    return WaveMatrix(
        wave=wave,
        survey=survey,
        codes=codes.reshape(n, k),
        items={item.id: j for j, item in enumerate(items)},
        organisations=np.asarray(data.organisations, dtype=np.str_),
        channels=np.asarray(data.channels, dtype=np.str_),
        units=np.asarray([u or "" for u in data.units], dtype=np.str_),
        panels=np.asarray(data.panels, dtype=object)
        if wave.panel and len(data.panels) == n
        else None,
    )

"""A wave's responses as numpy arrays (built from the packed codes storage returns)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from ..storage.base import WaveCodes
from ..surveys.coding import MISSING, ScoredItem, scored_items
from ..surveys.model import Survey
from ..surveys.waves import Wave

IntArray = npt.NDArray[np.int32]


@dataclass
class WaveMatrix:
    """Codes of one wave: ``codes[i, j]`` is respondent i's code for scored item j (the
    storage convention: -1 missing, 9 don't know). The group arrays (organisation, channel,
    unit) are empty strings when they were not read (a report of one organisation or of
    everyone needs none of them)."""

    wave: Wave
    survey: Survey
    codes: IntArray
    items: dict[str, int]
    organisations: npt.NDArray[np.str_]
    channels: npt.NDArray[np.str_]
    units: npt.NDArray[np.str_]
    panels: npt.NDArray[np.object_] | None = None  # staff panel waves: hashes or None
    grouped: bool = True  # whether organisations/channels/units were read
    days: npt.NDArray[np.str_] | None = None  # fieldwork day (ISO, "" for none), with groups
    _likert_columns: dict[str, int] = field(default_factory=dict, repr=False)

    @cached_property
    def likert_matrix(self) -> npt.NDArray[np.int8]:
        """Every likert column at once, converted once to the indicators' convention
        (0 = missing) as int8; ``likert()`` and ``likert_columns()`` take views of it."""
        ids = [i.id for i in scored_items(self.survey) if i.kind == "likert"]
        self._likert_columns.update({item: j for j, item in enumerate(ids)})
        if not ids:
            return np.zeros((self.n, 0), dtype=np.int8)
        block = self.codes[:, [self.items[i] for i in ids]]
        return np.where(block == MISSING, 0, block).astype(np.int8)

    def likert_columns(self, item_ids: list[str]) -> npt.NDArray[np.int8]:
        """The likert columns of several items as one n × k matrix."""
        matrix = self.likert_matrix
        return matrix[:, [self._likert_columns[i] for i in item_ids]]

    @property
    def n(self) -> int:
        return int(self.codes.shape[0])

    def item(self, item_id: str) -> ScoredItem | None:
        index = self.items.get(item_id)
        return scored_items(self.survey)[index] if index is not None else None

    def likert(self, item_id: str) -> npt.NDArray[np.int8] | None:
        """A likert column in the indicators' convention (0 = missing)."""
        matrix = self.likert_matrix
        index = self._likert_columns.get(item_id)
        return None if index is None else matrix[:, index]

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
            self.grouped,
            None if self.days is None else self.days[mask],
        )


def wave_matrix(wave: Wave, survey: Survey, data: WaveCodes) -> WaveMatrix:
    """Decode the packed codes of a wave (one ``frombuffer``, no per-row Python work)."""
    items = scored_items(survey)
    k = len(items)
    n = data.count
    codes = np.frombuffer(data.codes, dtype="<i4")
    if k == 0 or codes.size != n * k:
        raise ValueError(f"wave {wave.id}: stored codes do not match its form version")
    return WaveMatrix(
        wave=wave,
        survey=survey,
        codes=codes.reshape(n, k),
        items={item.id: j for j, item in enumerate(items)},
        organisations=_strings(data.organisations, n),
        channels=_strings(data.channels, n),
        units=_strings([u or "" for u in data.units], n),
        panels=np.asarray(data.panels, dtype=object)
        if wave.panel and len(data.panels) == n
        else None,
        grouped=len(data.organisations) == n,
        days=_strings([d or "" for d in data.days], n) if len(data.days) == n else None,
    )


def _strings(values: list[str], n: int) -> npt.NDArray[np.str_]:
    if len(values) == n:
        return np.asarray(values, dtype=np.str_)
    return np.full(n, "", dtype=np.str_)

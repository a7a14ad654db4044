"""A wave's responses as numpy arrays (built from the packed codes storage returns)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

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
    #: group column -> (sorted distinct values, each respondent's index into them), as
    #: ``np.unique(column, return_inverse=True)`` gives them (filled when read, else on use)
    _factors: dict[str, tuple[npt.NDArray[np.str_], npt.NDArray[np.int64]]] = field(
        default_factory=dict, repr=False, compare=False)
    #: values derived from the matrix once (e.g. each respondent's disclosure atom)
    memo: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    def factor(self, name: Literal["organisations", "channels", "units", "days"]
               ) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.int64]]:
        """A group column's distinct values (sorted) and each respondent's index into them
        (days: "" for none, and none at all when the days were not read)."""
        found = self._factors.get(name)
        if found is None:
            column = getattr(self, name)
            if column is None:
                column = np.full(self.n, "", dtype=np.str_)
            values, inverse = np.unique(column, return_inverse=True)
            found = values, np.asarray(inverse, dtype=np.int64).reshape(-1)
            self._factors[name] = found
        return found

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
        """The respondents ``mask`` selects (their likert matrix cut from this one's when it
        was made: the same values, converted once)."""
        part = WaveMatrix(
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
        if "likert_matrix" in self.__dict__:  # made (cached_property keeps it there)
            part.__dict__["likert_matrix"] = self.likert_matrix[mask]
            part._likert_columns.update(self._likert_columns)
        return part


def wave_matrix(wave: Wave, survey: Survey, data: WaveCodes) -> WaveMatrix:
    """Decode the packed codes of a wave (one ``frombuffer``, no per-row Python work)."""
    items = scored_items(survey)
    k = len(items)
    n = data.count
    codes = np.frombuffer(data.codes, dtype="<i4")
    if k == 0 or codes.size != n * k:
        raise ValueError(f"wave {wave.id}: stored codes do not match its form version")
    factors = {name: _factor(values, n) for name, values in (
        ("organisations", data.organisations), ("channels", data.channels),
        ("units", [u or "" for u in data.units]), ("days", [d or "" for d in data.days]))}
    matrix = WaveMatrix(
        wave=wave,
        survey=survey,
        codes=codes.reshape(n, k),
        items={item.id: j for j, item in enumerate(items)},
        organisations=_strings(factors["organisations"], n),
        channels=_strings(factors["channels"], n),
        units=_strings(factors["units"], n),
        panels=np.asarray(data.panels, dtype=object)
        if wave.panel and len(data.panels) == n
        else None,
        grouped=len(data.organisations) == n,
        days=_strings(factors["days"], n) if len(data.days) == n else None,
    )
    matrix._factors.update({k: f for k, f in factors.items() if f is not None})
    return matrix


def _factor(values: list[str], n: int
            ) -> tuple[npt.NDArray[np.str_], npt.NDArray[np.int64]] | None:
    """``np.unique(values, return_inverse=True)`` of a column read from storage, by hashing
    (a few distinct values over many rows: no sort of the strings); None when not read."""
    if len(values) != n:
        return None
    distinct = sorted(set(values))
    index = {v: i for i, v in enumerate(distinct)}
    inverse = np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=n)
    return np.asarray(distinct, dtype=np.str_), inverse


def _strings(factor: tuple[npt.NDArray[np.str_], npt.NDArray[np.int64]] | None, n: int
             ) -> npt.NDArray[np.str_]:
    if factor is None:
        return np.full(n, "", dtype=np.str_)
    distinct, inverse = factor
    return distinct[inverse] if n else np.asarray([], dtype=np.str_)

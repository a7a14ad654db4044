"""The storage interface. SQL lives only in the implementations next to this file."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

import msgspec

from ..surveys.answers import Answers
from ..surveys.waves import Wave


class NewResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A validated submission. It holds no IP address, user agent or cookie identifier, and
    no time finer than the day."""

    submission_key: str  # one-time key from the form: a double POST stores one response
    wave_id: str
    version: str
    organisation: str
    channel: str
    lang: str
    day: dt.date
    answers: Answers
    codes: bytes = b""  # packed int32 codes of the scored items (surveys.coding)


class WaveCodes(msgspec.Struct, frozen=True):
    """A wave's responses for analysis: ``codes`` concatenates each response's packed int32
    vector (same length for the whole wave, as a wave has one form version); the lists give
    each response's organisation and channel in the same order."""

    codes: bytes
    organisations: list[str]
    channels: list[str]


class StoredResponse(msgspec.Struct, frozen=True, kw_only=True):
    id: str  # random, so that row order follows nothing of submission order
    wave_id: str
    version: str
    organisation: str
    channel: str
    lang: str
    day: dt.date
    answers: Answers


class Store(Protocol):
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    async def close(self) -> None: ...

    async def migrate(self) -> list[int]:
        """Apply pending numbered migrations; return the numbers applied."""

    async def save_form_version(self, survey_id: str, version: str, definition: bytes) -> None:
        """Keep a survey definition frozen under its content hash (no-op if already kept)."""

    async def form_version(self, version: str) -> bytes | None: ...

    async def add_wave(self, wave: Wave) -> None: ...

    async def update_wave(self, wave: Wave) -> None: ...

    async def waves(self) -> list[Wave]: ...

    async def submit(self, response: NewResponse) -> None:
        """Store a response durably; return only once it is committed to disk.

        A second submission with the same ``submission_key`` is accepted and stores nothing.
        """

    async def import_responses(self, responses: list[NewResponse]) -> None:
        """Store many responses in one transaction (demo data, paper batches)."""

    async def count_responses(self, wave_id: str | None = None) -> int: ...

    async def responses(self, wave_id: str) -> list[StoredResponse]: ...

    async def wave_codes(self, wave_id: str) -> WaveCodes:
        """The packed codes of every response of a wave, for analysis."""

"""The disclosure plans of a wave that is still open, kept for the responses they were made
from: planning a wave's tables takes seconds, and every report or breakdown of an open wave
asks for them. Each is kept in the store (so every process of the service shows the same
cells) under ``KEY|open`` with a digest of everything it was made from (every response's codes
and groups, the form version, the thresholds, the structures' mappings); a plan whose digest
is not that of the wave's responses now is never used, and is replaced by the next plan made."""

from __future__ import annotations

import hashlib
import logging

import msgspec

from ..reports.data import WaveMatrix
from ..reports.disclosure import WavePlan
from ..settings import Settings
from ..storage.base import Store, StoreUnavailable

log = logging.getLogger(__name__)


class OpenPlan(msgspec.Struct):
    marker: str
    plan: WavePlan


_decode = msgspec.json.Decoder(OpenPlan)


def data_marker(settings: Settings, m: WaveMatrix, *extra: object) -> str:
    """A digest of the wave's responses as read (``m``: every response with its groups) and
    of what a plan depends on besides them."""
    digest = hashlib.sha256()
    for part in (m.wave.id, m.wave.version, m.wave.min_group, settings.min_group,
                 settings.protection_level, m.n, *extra):
        digest.update(repr(part).encode() + b"\x1e")
    digest.update(m.codes.tobytes())
    for column in (m.organisations, m.channels, m.units):
        digest.update("\x1f".join(column.tolist()).encode() + b"\x1e")
    return digest.hexdigest()


def open_key(key: str) -> str:
    return f"{key}|open"


async def open_plan(store: Store, key: str, marker: str) -> WavePlan | None:
    """The plan kept under ``key`` for an open wave, if it was made from the same data."""
    saved = await store.disclosure_plan(open_key(key))
    if saved is None:
        return None
    found = _decode.decode(saved)
    return found.plan if found.marker == marker else None


async def keep_open_plan(store: Store, key: str, marker: str, plan: WavePlan) -> None:
    """Keep the plan for these data; a database that cannot take the write now (locked, full,
    read-only) only costs the next request planning again."""
    try:
        await store.save_disclosure_plan(open_key(key),
                                         msgspec.json.encode(OpenPlan(marker, plan)))
    except StoreUnavailable as exc:
        log.warning("the disclosure plan %s of an open wave was not kept: %s", key, exc)

"""How the SQLite store lays out waves and responses in rows, and reads them back."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

import msgspec

from ..surveys.waves import Wave
from .base import NewResponse, StoredResponse

_json_encode = msgspec.json.Encoder().encode
_answers_decoder = msgspec.json.Decoder(dict[str, int | str | list[str]])
_orgs_decoder = msgspec.json.Decoder(list[str])

INSERT_RESPONSE = (
    "INSERT INTO responses (id, submission_key, wave_id, version, organisation, channel, lang,"
    " day, answers, codes, unit, panel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (submission_key) DO NOTHING"
)
RESPONSE_COLUMNS = "id, wave_id, version, organisation, channel, lang, day, answers, unit"
#: The same columns as the export reads them undecoded (``Store.stream_response_rows``).
RAW_RESPONSE_COLUMNS = (
    "lower(hex(id)), wave_id, version"
    ", organisation, channel, lang, day, answers, unit"
)
WAVE_COLUMNS = (
    "survey_id, version, phase, organisations, starts, ends, closed, mixed, structure,"
    " min_group, panel, retention_text, retention_codes, id"
)
#: What a wave's row is read as: :data:`WAVE_COLUMNS`, then when its text and codes were purged
#: (set by the purges alone, never by ``update_wave``).
WAVE_READ = WAVE_COLUMNS + ", text_purged, codes_purged"


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value is not None else None


def _from_iso(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value is not None else None


def wave_params(wave: Wave) -> tuple[Any, ...]:
    """A wave's values in the order of :data:`WAVE_COLUMNS` (the id last)."""
    return (
        wave.survey_id,
        wave.version,
        wave.phase,
        _json_encode(wave.organisations).decode(),
        _iso(wave.starts),
        _iso(wave.ends),
        _iso(wave.closed),
        int(wave.mixed),
        wave.structure,
        wave.min_group,
        int(wave.panel),
        wave.retention_text,
        wave.retention_codes,
        wave.id,
    )


def wave_insert_params(wave: Wave) -> tuple[Any, ...]:
    """A new wave's values in the order of :data:`WAVE_READ` (a copied wave keeps when it
    was purged)."""
    return (*wave_params(wave), _iso(wave.text_purged), _iso(wave.codes_purged))


def wave_from_row(r: Any) -> Wave:
    """A wave from a row selected as :data:`WAVE_READ`."""
    return Wave(
        survey_id=r[0],
        version=r[1],
        phase=r[2],
        organisations=_orgs_decoder.decode(r[3]),
        starts=_from_iso(r[4]),
        ends=_from_iso(r[5]),
        closed=_from_iso(r[6]),
        mixed=bool(r[7]),
        structure=r[8],
        min_group=int(r[9]),
        panel=bool(r[10]),
        retention_text=r[11],
        retention_codes=r[12],
        id=r[13],
        text_purged=_from_iso(r[14]),
        codes_purged=_from_iso(r[15]),
    )


def response_row(response: NewResponse) -> tuple[Any, ...]:
    """The parameters of :data:`INSERT_RESPONSE`, with a new random id."""
    return (
        secrets.token_bytes(16),
        response.submission_key,
        response.wave_id,
        response.version,
        response.organisation,
        response.channel,
        response.lang,
        response.day.isoformat() if response.day else None,
        _json_encode(response.answers),
        response.codes,
        response.unit,
        response.panel,
    )


def stored_responses(rows: Iterable[Any]) -> list[StoredResponse]:
    """Responses from rows selected as :data:`RESPONSE_COLUMNS`."""
    return [
        StoredResponse(
            id=bytes(r[0]).hex(),
            wave_id=r[1],
            version=r[2],
            organisation=r[3],
            channel=r[4],
            lang=r[5],
            day=dt.date.fromisoformat(r[6]) if r[6] else None,
            answers=_answers_decoder.decode(r[7]),
            unit=r[8],
        )
        for r in rows
    ]

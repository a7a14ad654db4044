"""How the PostgreSQL store lays out waves and responses in rows, and reads them back."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
import msgspec

from ..surveys.waves import Wave
from .base import NewResponse, StoredResponse

#: A row as asyncpg gives it (or any sequence of column values).
Record = asyncpg.Record | Sequence[Any]

_json_encode = msgspec.json.Encoder().encode
_answers_decoder = msgspec.json.Decoder(dict[str, int | str | list[str]])
_orgs_decoder = msgspec.json.Decoder(list[str])

#: One statement for a whole batch: one array per column, unnested into rows. A key already
#: stored, or repeated within the batch, stores nothing (the first one stays).
INSERT_RESPONSES = (
    "INSERT INTO responses (id, submission_key, wave_id, version, organisation, channel, lang,"
    " day, answers, codes, unit, panel)"
    " SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[],"
    " $6::text[], $7::text[], $8::date[], $9::bytea[], $10::bytea[], $11::text[], $12::bytea[])"
    " ON CONFLICT (submission_key) DO NOTHING"
)
RESPONSE_COLUMNS = "id, wave_id, version, organisation, channel, lang, day, answers, unit"
#: The same columns as the export reads them undecoded (``Store.stream_response_rows``).
RAW_RESPONSE_COLUMNS = (
    "encode(id, 'hex'), wave_id, version"
    ", organisation, channel, lang, day::text, answers, unit"
)
WAVE_COLUMNS = (
    "survey_id, version, phase, organisations, starts, ends, closed, mixed, structure,"
    " min_group, panel, retention_text, retention_codes, id"
)
#: What a wave's row is read as: :data:`WAVE_COLUMNS`, then when its text and codes were purged
#: (set by the purges alone, never by ``update_wave``).
WAVE_READ = WAVE_COLUMNS + ", text_purged, codes_purged"


def wave_params(wave: Wave) -> tuple[Any, ...]:
    """A wave's values in the order of :data:`WAVE_COLUMNS` (the id last)."""
    return (
        wave.survey_id,
        wave.version,
        wave.phase,
        _json_encode(wave.organisations).decode(),
        wave.starts,
        wave.ends,
        wave.closed,
        wave.mixed,
        wave.structure,
        wave.min_group,
        wave.panel,
        wave.retention_text,
        wave.retention_codes,
        wave.id,
    )


def wave_insert_params(wave: Wave) -> tuple[Any, ...]:
    """A new wave's values in the order of :data:`WAVE_READ` (a copied wave keeps when it
    was purged)."""
    return (*wave_params(wave), wave.text_purged, wave.codes_purged)


def wave_from_row(r: Record) -> Wave:
    """A wave from a row selected as :data:`WAVE_READ` (times come back aware, in UTC)."""
    return Wave(
        survey_id=r[0],
        version=r[1],
        phase=r[2],
        organisations=_orgs_decoder.decode(r[3]),
        starts=r[4],
        ends=r[5],
        closed=r[6],
        mixed=bool(r[7]),
        structure=r[8],
        min_group=int(r[9]),
        panel=bool(r[10]),
        retention_text=r[11],
        retention_codes=r[12],
        id=r[13],
        text_purged=r[14],
        codes_purged=r[15],
    )


def response_row(response: NewResponse) -> tuple[Any, ...]:
    """One response's values for :data:`INSERT_RESPONSES`, with a new random id."""
    return (
        secrets.token_bytes(16),
        response.submission_key,
        response.wave_id,
        response.version,
        response.organisation,
        response.channel,
        response.lang,
        response.day,
        _json_encode(response.answers),
        response.codes,
        response.unit,
        response.panel,
    )


def columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows of :func:`response_row` turned into the twelve arrays of :data:`INSERT_RESPONSES`."""
    if not rows:
        return [[] for _ in range(12)]
    return [list(column) for column in zip(*rows, strict=True)]


def stored_responses(rows: Iterable[Record]) -> list[StoredResponse]:
    """Responses from rows selected as :data:`RESPONSE_COLUMNS`."""
    return [
        StoredResponse(
            id=bytes(r[0]).hex(),
            wave_id=r[1],
            version=r[2],
            organisation=r[3],
            channel=r[4],
            lang=r[5],
            day=r[6],
            answers=_answers_decoder.decode(r[7]),
            unit=r[8],
        )
        for r in rows
    ]

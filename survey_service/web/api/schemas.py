"""What the JSON API answers: msgspec Structs, described in the OpenAPI document as they are."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

#: A cell of an exported row: a code or number, a text, or nothing (not asked, not answered).
#: (``number`` covers the codes, which are whole numbers: ``integer`` beside it would make a
#: code match two schemas of the ``oneOf``.)
Cell = str | float | None


class Error(msgspec.Struct, kw_only=True):
    """Every refusal of the API: its status and why, in one sentence."""

    status_code: int
    detail: str


class Title(msgspec.Struct, kw_only=True):
    bg: str
    en: str


class SurveyOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    title: Title
    #: the waves of this survey the key may read
    waves: list[str]


class UnitRate(msgspec.Struct, kw_only=True):
    """A unit of a staff wave: codes issued, and codes used with the response rate (only for
    units of at least the wave's smallest group)."""

    unit: str
    head_count: int
    issued: int
    used: int | None = None
    rate: float | None = None


class OrganisationCounts(msgspec.Struct, kw_only=True):
    """Responses of one organisation in a wave (staff waves: the total only once mixed;
    today and this week only for citizen waves)."""

    organisation: str
    total: int | None = None
    today: int | None = None
    week: int | None = None
    units: list[UnitRate] = []


class WaveOut(msgspec.Struct, kw_only=True):
    id: str
    survey_id: str
    kind: str
    state: Literal["scheduled", "open", "closed"]
    phase: str
    form_version: str
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    closed: dt.datetime | None = None
    mixed: bool
    min_group: int
    organisations: list[OrganisationCounts]


class IndicatorOut(msgspec.Struct, kw_only=True):
    """An indicator's level in one wave with its 95 % CI, or why it is not shown."""

    id: str
    label: str
    kind: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    reason: str | None = None
    note: str | None = None


class WaveIndicators(msgspec.Struct, kw_only=True):
    wave: str
    organisation: str | None
    lang: str
    indicators: list[IndicatorOut]
    #: why the wave has no figures at all (not closed yet, a small organisation, ...)
    reason: str | None = None


class ResponsesPage(msgspec.Struct, kw_only=True):
    """One page of a wave's wide export: the columns, and one row of cells per response."""

    wave: str
    organisation: str | None
    page: int
    per_page: int
    columns: list[str]
    rows: list[list[Cell]]
    #: the URL of the next page, or None on the last one
    next: str | None = None

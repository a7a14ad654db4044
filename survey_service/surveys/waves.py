"""Waves: one run of a survey for a period (pure domain)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

SOFIA = ZoneInfo("Europe/Sofia")
WaveState = Literal["scheduled", "open", "closed"]
Phase = Literal["baseline", "follow-up", "annual", "training", "pilot"]
WAVE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class Wave(msgspec.Struct, frozen=True, kw_only=True):
    """A wave of a survey. Times are aware datetimes; a wave opens and closes by itself at
    ``starts`` and ``ends`` (if set); ``closed`` is set when an operator closes it early."""

    id: str
    survey_id: str
    version: str
    phase: Phase = "baseline"
    organisations: list[str] = []  # empty: every organisation
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    closed: dt.datetime | None = None
    #: staff and training waves: answers were mixed into the responses (results may be shown)
    mixed: bool = False
    #: staff waves: the organisation structure (units, head counts) in use, by content hash
    structure: str | None = None
    #: smallest group any figure may describe (``SURVEY_MIN_GROUP`` when the wave opened)
    min_group: int = 10
    #: staff waves: respondents may give a self-made panel code to pair before/after answers
    panel: bool = False
    #: days after the wave closes that its free-text answers, and its list of staff codes, are
    #: kept (``None``: the settings' defaults); when each was purged
    retention_text: int | None = None
    retention_codes: int | None = None
    text_purged: dt.datetime | None = None
    codes_purged: dt.datetime | None = None

    def closed_at(self) -> dt.datetime | None:
        """When the wave closed (or will close by itself); ``None`` while it has no end."""
        ends = [t for t in (self.closed, self.ends) if t is not None]
        return min(ends) if ends else None

    def state(self, now: dt.datetime) -> WaveState:
        if self.closed is not None and now >= self.closed:
            return "closed"
        if self.ends is not None and now >= self.ends:
            return "closed"
        if self.starts is not None and now < self.starts:
            return "scheduled"
        return "open"

    def covers(self, organisation: str) -> bool:
        return not self.organisations or organisation in self.organisations


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today_in_sofia(at: dt.datetime | None = None) -> dt.date:
    return (at or now()).astimezone(SOFIA).date()


def parse_local(value: str) -> dt.datetime:
    """Parse ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` as Europe/Sofia local time."""
    value = value.strip().replace("T", " ")
    try:
        if len(value) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        else:
            parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(
            f"'{value}' is not a date (YYYY-MM-DD) or time (YYYY-MM-DD HH:MM)"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=SOFIA)
    return parsed


def overlapping(
    waves: list[Wave],
    survey_id: str,
    organisations: list[str],
    starts: dt.datetime | None,
    ends: dt.datetime | None,
    at: dt.datetime,
) -> Wave | None:
    """An existing, not closed wave of the same survey that would serve the same organisation
    at the same time as a new one, or ``None``."""
    if ends is not None and ends <= at:
        return None  # a wave wholly in the past (imported or demo data) serves nothing now
    far_past = dt.datetime.min.replace(tzinfo=dt.UTC)
    far_future = dt.datetime.max.replace(tzinfo=dt.UTC)
    for w in waves:
        if w.survey_id != survey_id or w.state(at) == "closed":
            continue
        shared = (
            not w.organisations or not organisations or set(w.organisations) & set(organisations)
        )
        if not shared:
            continue
        a0, a1 = w.starts or far_past, w.ends or far_future
        b0, b1 = starts or far_past, ends or far_future
        if a0 < b1 and b0 < a1:
            return w
    return None

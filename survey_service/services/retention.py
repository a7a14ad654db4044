"""Retention (GDPR storage limitation): what a wave keeps, and for how long after it closes.

Two things are kept for a limited time, each wave with its own period (set when it opens from
``SURVEY_RETENTION_TEXT_DAYS`` and ``SURVEY_RETENTION_CODES_DAYS``, changed with ``waves set``):

- the free-text answers (comments, "other" texts): once due, they are taken out of every
  response of the wave (and of paper entries waiting); the coded answers stay, and with them
  every figure, report and export computed from them;
- the list of staff invitation codes (keyed hashes, each with its "used" mark): once due, it is
  replaced by the number of codes issued and used per unit, so response rates stay.

The free text goes in chunks of a bounded number of rows, one transaction each (submissions to
other waves wait for one chunk at most), and the wave is marked purged last: a purge stopped
half-way (a crash, the database away) is finished by the next run, whose audit entry counts
the responses it changed itself.

A staff or training wave is purged only after its sealed answers were mixed. ``survey-service
retention run`` purges what is due, and the server does the same once a day; every purge is
written to the audit log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Literal

import msgspec

from ..anonymity import TOKEN_KINDS
from ..settings import Settings
from ..storage.base import Store
from ..storage.faults import one_line, unavailable
from ..surveys.loader import decode_survey
from ..surveys.model import Survey
from ..surveys.waves import Wave, now
from . import audit
from .errors import Invalid
from .waves import find_wave

log = logging.getLogger(__name__)

What = Literal["text", "codes"]
#: The longest retention period a wave may be given (a hundred years).
MAX_DAYS = 36_500
#: The server runs the purge this long after it starts, then once a day.
FIRST_RUN_SECONDS = 60.0
EVERY_SECONDS = 24 * 3600.0


class Due(msgspec.Struct, frozen=True):
    """A purge of one wave: what, after how many days, from when; ``purged``: when it was done
    (``None`` while it waits), ``removed``: the responses changed or codes removed."""

    wave: str
    what: What
    days: int
    due: dt.datetime
    purged: dt.datetime | None = None
    removed: int | None = None


def periods(wave: Wave, settings: Settings) -> tuple[int, int]:
    """Days a wave keeps its free-text answers, and its list of codes, after it closes."""
    return (wave.retention_text or settings.retention_text_days,
            wave.retention_codes or settings.retention_codes_days)


def text_items(survey: Survey) -> list[str]:
    """The items whose answers are free text."""
    return [q.id for q in survey.questions() if q.kind == "text"]


async def _survey(store: Store, version: str) -> Survey | None:
    definition = await store.form_version(version)
    return decode_survey(definition) if definition is not None else None


async def schedule(settings: Settings, store: Store, at: dt.datetime | None = None) -> list[Due]:
    """Every purge of the closed waves, done or waiting (waves still open, and staff waves
    not mixed yet, have none)."""
    at = at or now()
    out = []
    for wave in await store.waves():
        closed = wave.closed_at()
        if closed is None or wave.state(at) != "closed":
            continue
        survey = await _survey(store, wave.version)
        tokens = survey is not None and survey.kind in TOKEN_KINDS
        if tokens and not wave.mixed:
            continue
        text_days, codes_days = periods(wave, settings)
        out.append(Due(wave.id, "text", text_days, closed + dt.timedelta(days=text_days),
                       wave.text_purged))
        if tokens:
            out.append(Due(wave.id, "codes", codes_days, closed + dt.timedelta(days=codes_days),
                           wave.codes_purged))
    return out


async def _items(store: Store, wave: Wave) -> dict[str, list[str]]:
    items = {}
    for version in sorted({wave.version, *await store.wave_versions(wave.id)}):
        survey = await _survey(store, version)
        if survey is not None and (ids := text_items(survey)):
            items[version] = ids
    return items


async def run(settings: Settings, store: Store, actor: str,
              at: dt.datetime | None = None) -> list[Due]:
    """Purge whatever is due at ``at`` (now); return the purges done."""
    at = at or now()
    done = []
    for due in await schedule(settings, store, at):
        if due.purged is not None or due.due > at:
            continue
        if due.what == "text":
            wave = await find_wave(store, due.wave)
            removed = await store.purge_text(due.wave, await _items(store, wave), at)
        else:
            removed = await store.purge_codes(due.wave, at)
        finished = msgspec.structs.replace(due, purged=at, removed=removed)
        await audit.record(store, actor, f"retention-{due.what}", {
            "wave": due.wave, "days": due.days, "removed": removed})
        log.info("retention: purged the %s of wave %s (%d %s, kept %d days after it closed)",
                 "free-text answers" if due.what == "text" else "invitation codes", due.wave,
                 removed, "responses" if due.what == "text" else "codes", due.days)
        done.append(finished)
    return done


async def set_retention(store: Store, wave_id: str, text_days: int | None,
                        codes_days: int | None) -> Wave:
    """Change how long a wave keeps its free-text answers and its list of codes."""
    for days in (text_days, codes_days):
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise Invalid(f"a retention period must be a number of days from 1 to {MAX_DAYS:,}")
    wave = await find_wave(store, wave_id)
    wave = msgspec.structs.replace(
        wave,
        retention_text=wave.retention_text if text_days is None else text_days,
        retention_codes=wave.retention_codes if codes_days is None else codes_days,
    )
    await store.update_wave(wave)
    return wave


async def every_day(settings: Settings, store: Store) -> None:
    """The server's purge: shortly after it starts, then once a day, until cancelled. A purge
    that fails is logged and tried again the next day (or at the next start)."""
    await asyncio.sleep(FIRST_RUN_SECONDS)
    while True:
        try:
            await run(settings, store, "server")
        except Exception as exc:
            if unavailable(exc):
                log.warning("retention: the database is away (%s); the purge runs again"
                            " tomorrow", one_line(exc))
            else:
                log.exception("retention: the daily purge failed; it runs again tomorrow")
        await asyncio.sleep(EVERY_SECONDS)

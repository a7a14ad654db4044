"""Fieldwork records per wave (issue #19 §1): paper forms handed out, visitors counted and
training participants per organisation and day, typed in by a clerk or imported from the queue
system's CSV; and the report's fieldwork section (response rates, the waves' seasons).
The arithmetic is :mod:`survey_service.reports.fieldwork`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from typing import Any

import msgspec

from ..reports.data import WaveMatrix
from ..reports.fieldwork import FieldworkReport, WaveFieldwork, rates, season_warnings, window
from ..settings import Settings
from ..storage.base import FieldworkDay, Store
from ..surveys.waves import Wave, today_in_sofia
from . import audit
from .catalog import find_organisation, load, survey_kinds
from .errors import Invalid
from .waves import find_wave

MAX_COUNT = 100_000  # a day's count above this is a typing mistake
#: Column names the queue import understands (lower case), Bulgarian ones too.
DAY_COLUMNS = ("day", "date", "дата", "ден")
VISITOR_COLUMNS = ("visitors", "tickets", "count", "посетители", "билети", "брой")
ORG_COLUMNS = ("organisation", "organization", "org", "организация")
FORM_COLUMNS = ("handed_out", "forms", "анкети")


class Summary(msgspec.Struct, kw_only=True):
    """What ``fieldwork show`` and the admin page show of a wave."""

    wave: str
    survey: str
    starts: dt.date | None
    ends: dt.date | None
    days: list[FieldworkDay]
    totals: list[dict[str, Any]]


def wave_dates(wave: Wave) -> tuple[dt.date | None, dt.date | None]:
    """The first and last day (Europe/Sofia) of a wave's window, where set."""
    end = wave.closed if wave.closed is not None and (
        wave.ends is None or wave.closed < wave.ends) else wave.ends
    first = today_in_sofia(wave.starts) if wave.starts is not None else None
    last = today_in_sofia(end - dt.timedelta(microseconds=1)) if end is not None else None
    return first, last


def parse_day(text: str) -> dt.date:
    """``YYYY-MM-DD`` or ``DD.MM.YYYY`` (as Bulgarian queue systems write it)."""
    text = text.strip().removesuffix("г.").strip()
    try:
        if "." in text:
            d, m, y = text.split(".")
            return dt.date(int(y), int(m), int(d))
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise Invalid(f"'{text}' is not a date (YYYY-MM-DD or DD.MM.YYYY)") from exc


def parse_count(name: str, text: str | int | None) -> int | None:
    """A count typed in: empty means not counted."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        value = int(str(text).strip().replace(" ", ""))
    except ValueError as exc:
        raise Invalid(f"{name} '{text}' is not a whole number") from exc
    if not 0 <= value <= MAX_COUNT:
        raise Invalid(f"{name} {value} is out of range (0 to {MAX_COUNT:,} a day)")
    return value


async def _check(settings: Settings, store: Store, wave_id: str, organisation: str,
                 day: dt.date) -> Wave:
    wave = await find_wave(store, wave_id)
    catalog = load(settings)
    find_organisation(catalog, organisation)
    if survey_kinds(catalog).get(wave.survey_id) == "staff":
        raise Invalid(f"wave '{wave_id}' is a staff wave: its response rate comes from the "
                      "codes issued and used (`waves status`)")
    if not wave.covers(organisation):
        raise Invalid(f"wave '{wave_id}' does not cover organisation '{organisation}'")
    first, last = wave_dates(wave)
    if (first is not None and day < first) or (last is not None and day > last):
        raise Invalid(f"{day} is outside the window of wave '{wave_id}' "
                      f"({first or '…'} – {last or '…'})")
    if day > today_in_sofia():
        raise Invalid(f"{day} has not come yet: record a day once it is over")
    return wave


async def record(settings: Settings, store: Store, wave_id: str, organisation: str,
                 day: dt.date, *, handed_out: int | None = None, visitors: int | None = None,
                 attended: int | None = None, actor: str, source: str = "clerk"
                 ) -> FieldworkDay:
    """Record (or complete) one day's counts; a count left out keeps what was recorded."""
    if handed_out is None and visitors is None and attended is None:
        raise Invalid("give at least one count (forms handed out, visitors or participants)")
    for name, value in (("forms handed out", handed_out), ("visitors", visitors),
                        ("participants", attended)):
        parse_count(name, value)
    await _check(settings, store, wave_id, organisation, day)
    entry = FieldworkDay(wave_id=wave_id, organisation=organisation, day=day,
                         handed_out=handed_out, visitors=visitors, attended=attended,
                         source=source, entered_by=actor)
    await store.save_fieldwork([entry])
    await audit.record(store, actor, "fieldwork", {
        "wave": wave_id, "organisation": organisation, "day": day.isoformat(),
        "handed_out": handed_out, "visitors": visitors, "attended": attended})
    return entry


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def parse_queue_csv(text: str, organisation: str | None) -> list[tuple[str, dt.date, int | None,
                                                                        int | None]]:
    """(organisation, day, visitors, forms) from a queue system's daily export: a header with
    a date column and a visitors column (tickets, count...), optionally an organisation and
    the forms handed out; ',' or ';' separated. One line per day and organisation."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise Invalid("the file is empty")
    header = rows[0]
    at_day, at_visitors = _column(header, DAY_COLUMNS), _column(header, VISITOR_COLUMNS)
    at_org, at_forms = _column(header, ORG_COLUMNS), _column(header, FORM_COLUMNS)
    if at_day is None or at_visitors is None:
        raise Invalid("line 1: the header needs a date column (day, date, дата) and a visitors "
                      "column (visitors, tickets, count, посетители)")
    if at_org is None and organisation is None:
        raise Invalid("the file has no organisation column: say which with --org")
    out: list[tuple[str, dt.date, int | None, int | None]] = []
    seen: set[tuple[str, dt.date]] = set()
    for number, row in enumerate(rows[1:], start=2):
        try:
            cells = row + [""] * (len(header) - len(row))
            org = cells[at_org].strip() if at_org is not None else str(organisation)
            day = parse_day(cells[at_day])
            visitors = parse_count("visitors", cells[at_visitors])
            forms = parse_count("forms handed out", cells[at_forms]) if at_forms is not None \
                else None
        except Invalid as exc:
            raise Invalid(f"line {number}: {exc}") from exc
        if (org, day) in seen:
            raise Invalid(f"line {number}: {org} {day} is in the file twice")
        seen.add((org, day))
        out.append((org, day, visitors, forms))
    if not out:
        raise Invalid("the file has a header but no days")
    return out


async def import_queue(settings: Settings, store: Store, wave_id: str, text: str,
                       organisation: str | None, actor: str, only: bool = False) -> int:
    """Import a queue system's daily counts, all or nothing; returns the days imported. With
    ``only``, every line must be of ``organisation`` (a clerk imports for their own)."""
    parsed = parse_queue_csv(text, organisation)
    entries = []
    for org, day, visitors, forms in parsed:
        if only and org != organisation:
            raise Invalid(f"{org} {day}: the file may only hold days of {organisation}")
        try:
            await _check(settings, store, wave_id, org, day)
        except Invalid as exc:
            raise Invalid(f"{org} {day}: {exc}") from exc
        entries.append(FieldworkDay(wave_id=wave_id, organisation=org, day=day,
                                    visitors=visitors, handed_out=forms, source="queue",
                                    entered_by=actor))
    await store.save_fieldwork(entries)
    await audit.record(store, actor, "fieldwork-import", {"wave": wave_id, "days": len(entries)})
    return len(entries)


async def _counts(store: Store, wave_id: str, organisation: str | None,
                  matrix: WaveMatrix | None = None) -> Counter[tuple[str, str, str]]:
    """Responses per (organisation, channel, day) of a wave."""
    if matrix is not None and matrix.grouped and matrix.days is not None:
        orgs, channels, days = matrix.organisations, matrix.channels, matrix.days
        return Counter(zip((str(o) for o in orgs), (str(c) for c in channels),
                           (str(d) for d in days), strict=True))
    data = await store.wave_codes(wave_id, organisation, groups=True)
    return Counter(zip(data.organisations, data.channels, (d or "" for d in data.days),
                       strict=True))


async def summary(store: Store, wave_id: str, organisation: str | None = None) -> Summary:
    """A wave's fieldwork days and its figures per organisation and in total."""
    wave = await find_wave(store, wave_id)
    days = [d for d in await store.fieldwork(wave_id)
            if organisation is None or d.organisation == organisation]
    counts = await _counts(store, wave_id, organisation)
    orgs = sorted({d.organisation for d in days} | {k[0] for k in counts})
    totals = [msgspec.to_builtins(rates(org, days, counts)) for org in orgs]
    if len(orgs) > 1:
        totals.append(msgspec.to_builtins(rates("", days, counts)))
    first, last = wave_dates(wave)
    return Summary(wave=wave.id, survey=wave.survey_id, starts=first, ends=last, days=days,
                   totals=totals)


async def for_report(store: Store, a: WaveMatrix, b: WaveMatrix, organisation: str | None,
                     lang: str) -> FieldworkReport | None:
    """The report's fieldwork section: response rates per wave (when fieldwork is recorded)
    and what differs between the waves' windows (citizen surveys only)."""
    if a.survey.kind != "citizen":
        return None
    waves = []
    for m in (a, b):
        days = [d for d in await store.fieldwork(m.wave.id)
                if organisation is None or d.organisation == organisation]
        first, last = wave_dates(m.wave)
        counts = await _counts(store, m.wave.id, organisation, m) if days else Counter()
        # the distinct days of the responses (the window needs only the first and last)
        starts, ends, source = window(first, last, days, [k[2] for k in counts] or (
            [str(d) for d in m.factor("days")[0]] if m.days is not None else []))
        orgs = sorted({d.organisation for d in days})
        found = [rates(org, days, counts) for org in orgs]
        if len(orgs) > 1:
            found.append(rates("", days, counts))
        waves.append(WaveFieldwork(wave=m.wave.id, starts=starts, ends=ends,
                                   window_from=source, rates=found))
    return FieldworkReport(waves=waves, warnings=season_warnings(waves[0], waves[1], lang))

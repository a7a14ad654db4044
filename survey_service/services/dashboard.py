"""What the administration dashboard shows: every wave a user may see, per organisation, with
responses today, this week and in total, and for staff waves the response rate of each unit
(only for units of at least the wave's smallest group)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..anonymity import TOKEN_KINDS
from ..storage.base import Store, User
from ..surveys.loader import Catalog
from ..surveys.waves import Wave, now, today_in_sofia
from .catalog import survey_kinds, wave_structures


def visible_organisations(user: User, wave: Wave, catalog: Catalog) -> list[str]:
    """The organisations of a wave the user may see (an admin: every one)."""
    covered = wave.organisations or list(catalog.organisations)
    return [o for o in covered if user.role == "admin" or o in user.organisations]


async def unit_rates(store: Store, wave: Wave, organisation: str) -> list[dict[str, Any]]:
    """Per unit of a staff wave: head count, codes issued, and codes used with the response
    rate, the last two only for units of at least ``wave.min_group`` people."""
    structures = await wave_structures(store, wave)
    counts = await store.token_counts(wave.id)
    structure = structures.get(organisation)
    rows = []
    for unit in structure.units if structure else []:
        issued, used = counts.get((organisation, unit.id), (0, 0))
        shown = unit.head_count >= wave.min_group
        rows.append({
            "unit": unit.id,
            "name": unit.name,
            "head_count": unit.head_count,
            "issued": issued,
            "used": used if shown else None,
            "rate": round(100 * used / unit.head_count, 1) if shown and unit.head_count else None,
        })
    return rows


async def dashboard(store: Store, catalog: Catalog, user: User) -> list[dict[str, Any]]:
    """One entry per wave the user may see, newest surveys' waves first."""
    kinds = survey_kinds(catalog)
    today = today_in_sofia()
    monday = today - dt.timedelta(days=today.weekday())
    at = now()
    found = []
    for wave in await store.waves():
        orgs = visible_organisations(user, wave, catalog)
        loaded = catalog.surveys.get(wave.survey_id)
        if not orgs:
            continue
        staff = kinds.get(wave.survey_id) in TOKEN_KINDS
        days = await store.response_days(wave.id)
        rows = []
        for org in orgs:
            mine = {day: n for (o, day), n in days.items() if o == org}
            row: dict[str, Any] = {
                "organisation": org,
                "name": catalog.organisations[org].name if org in catalog.organisations else None,
                "total": sum(mine.values()),
                "today": None if staff else mine.get(today, 0),
                "week": None if staff else sum(
                    n for day, n in mine.items() if day is not None and day >= monday),
                "units": await unit_rates(store, wave, org) if staff else [],
            }
            if staff:
                # an open staff wave has no readable answer: show only codes used, per unit
                row["total"] = row["total"] if wave.mixed else None
            rows.append(row)
        found.append({
            "wave": wave,
            "state": wave.state(at),
            "title": loaded.survey.title if loaded else None,
            "kind": kinds.get(wave.survey_id, "?"),
            "rows": rows,
        })
    return found

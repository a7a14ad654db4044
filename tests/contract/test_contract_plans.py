"""Contract: analysis plans (the project's confirmatory family) are frozen once, never
rewritten, and read back whole."""

from __future__ import annotations

import datetime as dt

from survey_service.storage import Plan, Store, opened

AT = dt.datetime(2026, 10, 1, 7, 0, tzinfo=dt.UTC)


def plan(definition: bytes, digest: str, at: dt.datetime = AT, wave: str | None = "w") -> Plan:
    return Plan(name="project-confirmatory", hash=digest, definition=definition, frozen=at,
                wave_id=wave)


async def test_a_plan_is_frozen_once_and_never_rewritten(store: Store) -> None:
    assert await store.plan("project-confirmatory") is None
    first = plan(b'[["citizen-satisfaction", "csqi"]]', "h1")
    assert await store.save_plan(first) == first
    later = plan(b'[["staff-survey", "eei"]]', "h2", AT + dt.timedelta(days=30), "other")
    assert await store.save_plan(later) == first  # the first one is kept
    assert await store.plan("project-confirmatory") == first
    assert await store.plan("another") is None


async def test_a_plan_survives_reopening_with_its_time_and_wave(url: str) -> None:
    async with opened(url) as store:
        await store.save_plan(plan(b"{}", "h", wave=None))
    async with opened(url) as store:
        kept = await store.plan("project-confirmatory")
    assert kept is not None and kept.frozen == AT and kept.wave_id is None
    assert kept.definition == b"{}" and kept.hash == "h"

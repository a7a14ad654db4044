"""Contract: fieldwork records per wave, organisation and day (issue #19 §1)."""

from __future__ import annotations

import datetime as dt

import pytest

from survey_service.storage import Store
from survey_service.storage.base import FieldworkDay

from .conftest import add_wave

D1, D2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def day(d: dt.date, org: str = "elena", **counts: int | None) -> FieldworkDay:
    return FieldworkDay(wave_id="w", organisation=org, day=d, entered_by="cleo", **counts)


async def test_days_are_kept_per_organisation_and_day(store: Store) -> None:
    await add_wave(store)
    await add_wave(store, "other")
    assert await store.fieldwork("w") == []
    await store.save_fieldwork([day(D2, handed_out=40, visitors=300), day(D1, visitors=250),
                                day(D1, "lyaskovets", handed_out=0)])
    got = await store.fieldwork("w")
    assert [(d.organisation, d.day, d.handed_out, d.visitors, d.attended) for d in got] == [
        ("elena", D1, None, 250, None), ("elena", D2, 40, 300, None),
        ("lyaskovets", D1, 0, None, None)]
    assert got[0] == day(D1, visitors=250)
    assert await store.fieldwork("other") == []


async def test_a_new_record_of_a_day_keeps_the_counts_it_leaves_out(store: Store) -> None:
    await add_wave(store)
    await store.save_fieldwork([day(D1, handed_out=40, visitors=300)])
    queue = FieldworkDay(wave_id="w", organisation="elena", day=D1, visitors=321,
                         source="queue", entered_by="root")
    await store.save_fieldwork([queue])
    (kept,) = await store.fieldwork("w")
    assert (kept.handed_out, kept.visitors, kept.source, kept.entered_by) == (
        40, 321, "queue", "root")
    await store.save_fieldwork([day(D1, attended=18)])
    (kept,) = await store.fieldwork("w")
    assert (kept.handed_out, kept.visitors, kept.attended) == (40, 321, 18)


async def test_a_batch_is_all_or_nothing(store: Store) -> None:
    await add_wave(store)
    bad = FieldworkDay(wave_id="no-such-wave", organisation="elena", day=D2, visitors=1)
    with pytest.raises(Exception, match=r"(?i)foreign key"):  # each engine's own error
        await store.save_fieldwork([day(D1, visitors=5), bad])
    assert await store.fieldwork("w") == []

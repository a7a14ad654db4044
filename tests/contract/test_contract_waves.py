"""Contract: form versions, organisation structures, waves, migrations as seen from outside."""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec

from survey_service.storage import Store, opened

from .conftest import SURVEY, add_wave


async def test_a_form_version_is_frozen_once_and_never_rewritten(store: Store) -> None:
    await store.save_form_version(SURVEY, "v1", b"first definition")
    await store.save_form_version(SURVEY, "v1", b"another definition under the same hash")
    await store.save_form_version(SURVEY, "v2", b"second definition")
    assert await store.form_version("v1") == b"first definition"
    assert await store.form_version("v2") == b"second definition"
    assert await store.form_version("unknown") is None


async def test_structures_are_kept_apart_from_form_versions(store: Store) -> None:
    await store.save_structure("abc123", b'{"elena": {"id": "before-2026"}}')
    await store.save_structure("abc123", b"not kept: the hash is already there")
    assert await store.structure("abc123") == b'{"elena": {"id": "before-2026"}}'
    assert await store.structure("unknown") is None
    assert await store.form_version("abc123") is None  # not a survey


async def test_waves_are_added_updated_and_listed_with_every_field(store: Store) -> None:
    at = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)
    later = await add_wave(store, "b-later", starts=at + dt.timedelta(days=30))
    full = await add_wave(
        store,
        "a-full",
        phase="follow-up",
        organisations=["elena", "lyaskovets"],
        starts=at,
        ends=at + dt.timedelta(days=14),
        structure="abc123",
        min_group=7,
        panel=True,
    )
    open_ended = await add_wave(store, "c-open")
    # ordered by survey, then start (none first), then id
    assert await store.waves() == [open_ended, full, later]
    closed = msgspec.structs.replace(full, closed=at + dt.timedelta(days=3), mixed=True)
    await store.update_wave(closed)
    assert await store.waves() == [open_ended, closed, later]
    [got] = [w for w in await store.waves() if w.id == "a-full"]
    assert got.closed is not None and got.closed.utcoffset() is not None  # aware times


async def test_an_opened_store_is_up_to_date_and_reopening_migrates_nothing(url: str) -> None:
    async with opened(url) as store:
        assert await store.migrate() == []
        await add_wave(store)
    async with opened(url) as store:
        assert await store.migrate() == []
        assert [w.id for w in await store.waves()] == ["w"]


async def test_stores_started_at_the_same_time_share_one_schema(url: str) -> None:
    first, second, third = (opened(url) for _ in range(3))
    stores = await asyncio.gather(first.__aenter__(), second.__aenter__(), third.__aenter__())
    try:
        await add_wave(stores[0])
        for other in stores[1:]:
            assert [w.id for w in await other.waves()] == ["w"]
    finally:
        for cm in (first, second, third):
            await cm.__aexit__(None, None, None)


async def test_a_disclosure_plan_is_kept_and_replaced_under_its_key(store: Store) -> None:
    assert await store.disclosure_plan("wave-a") is None
    await store.save_disclosure_plan("wave-a", b'{"measures": {}}')
    await store.save_disclosure_plan("wave-b", b"other")
    assert await store.disclosure_plan("wave-a") == b'{"measures": {}}'
    await store.save_disclosure_plan("wave-a", b'{"measures": {"eei": []}}')  # extended
    assert await store.disclosure_plan("wave-a") == b'{"measures": {"eei": []}}'
    assert await store.disclosure_plan("wave-b") == b"other"

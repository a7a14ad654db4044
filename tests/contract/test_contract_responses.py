"""Contract: submissions (durability, one-time keys, group commit), imports and reads."""

from __future__ import annotations

import asyncio

import pytest

from survey_service.storage import Store, opened
from survey_service.storage.base import StoredResponse, StoreUnavailable

from .conftest import DAY, VERSION, add_wave, response


def _key(n: int) -> str:
    return f"key-{n:06d}-xxxxxxxxxxxx"


async def test_an_acknowledged_submission_is_readable_by_another_store_at_once(
    store: Store, url: str
) -> None:
    await add_wave(store)
    await store.submit(response(_key(1)))
    async with opened(url) as other:  # another connection: it was committed, not buffered
        assert await other.submitted(_key(1))
        assert await other.count_responses("w") == 1


async def test_close_commits_what_is_queued(url: str) -> None:
    async with opened(url) as store:
        await add_wave(store)
        tasks = [asyncio.create_task(store.submit(response(_key(n)))) for n in range(20)]
        await asyncio.sleep(0)  # queued, perhaps not yet written
    await asyncio.gather(*tasks)  # every one acknowledged, none failed
    async with opened(url) as store:
        assert await store.count_responses("w") == 20


async def test_a_one_time_key_stores_one_response(store: Store) -> None:
    await add_wave(store)
    assert not await store.submitted(_key(1))
    await asyncio.gather(*(store.submit(response(_key(1))) for _ in range(5)))
    await store.submit(response(_key(1), answers={"service": "other"}))  # later, same key
    assert await store.submitted(_key(1))
    assert not await store.submitted(_key(2))
    [stored] = await store.responses("w")
    assert stored.answers["service"] == "local_taxes"  # the first one stays


async def test_concurrent_submissions_share_commits(store: Store) -> None:
    await add_wave(store)
    before = store.commits
    await asyncio.gather(*(store.submit(response(_key(n))) for n in range(50)))
    assert await store.count_responses("w") == 50
    assert 1 <= store.commits - before < 50


async def test_submitting_to_a_closed_store_is_refused(url: str) -> None:
    async with opened(url) as store:
        await add_wave(store)
    with pytest.raises(StoreUnavailable):
        await store.submit(response(_key(1)))


async def test_an_import_is_all_or_nothing(store: Store) -> None:
    await add_wave(store)
    await store.import_responses([response(_key(n)) for n in range(30)] + [response(_key(0))])
    assert await store.count_responses("w") == 30  # the repeated key is dropped
    with pytest.raises(Exception):  # noqa: B017 (the engine's own integrity error)
        await store.import_responses([response(_key(100)), response(_key(101), wave_id="none")])
    assert await store.count_responses("w") == 30
    assert not await store.submitted(_key(100))


async def test_counts_per_wave_and_per_organisation(store: Store) -> None:
    await add_wave(store, "w")
    await add_wave(store, "other")
    await store.import_responses(
        [response(_key(n), organisation="elena") for n in range(3)]
        + [response(_key(10 + n), organisation="lyaskovets") for n in range(2)]
        + [response(_key(20), wave_id="other")]
    )
    assert await store.count_responses() == 6
    assert await store.count_responses("w") == 5
    assert await store.count_responses("none") == 0
    assert await store.organisation_counts("w") == {"elena": 3, "lyaskovets": 2}
    assert await store.organisation_counts("none") == {}


async def test_responses_come_back_whole_ordered_by_id_and_of_their_wave(store: Store) -> None:
    await add_wave(store, "w")
    await add_wave(store, "other")
    await store.import_responses([
        response(_key(1), lang="en", channel="kiosk"),
        response(_key(2), day=None, unit="finance", answers={"q": 1}),
        response(_key(3), wave_id="other"),
    ])
    got = await store.responses("w")
    assert [r.id for r in got] == sorted(r.id for r in got)
    assert len({r.id for r in got}) == 2
    by_lang = {r.lang: r for r in got}
    assert by_lang["en"] == StoredResponse(
        id=by_lang["en"].id, wave_id="w", version=VERSION, organisation="elena",
        channel="kiosk", lang="en", day=DAY,
        answers={"service": "local_taxes", "overall": 4, "topics": ["a", "b"]},
    )
    assert by_lang["bg"].day is None and by_lang["bg"].unit == "finance"
    assert by_lang["bg"].answers == {"q": 1}
    assert await store.responses("none") == []


async def test_an_open_store_is_ready_and_a_closed_one_says_why_not(url: str) -> None:
    async with opened(url) as store:
        assert await store.ready() is None
    problem = await store.ready()
    assert isinstance(problem, str) and problem  # one line for a readiness probe

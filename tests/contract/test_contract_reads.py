"""Contract: the analysis read (packed codes) and the streaming read for exports, apart from
the writer."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from typing import Any

import msgspec
import pytest

from survey_service.storage import Store
from survey_service.storage.base import StoredResponse, WaveCodes

from .conftest import DAY, add_wave, response


def _codes(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}i", *values)


async def test_wave_codes_with_and_without_groups(store: Store) -> None:
    await add_wave(store, "w")
    await add_wave(store, "other")
    rows = [
        ("k1-xxxxxxxxxxxxxxxxxxxx", "elena", "web", None, None, (1, 2)),
        ("k2-xxxxxxxxxxxxxxxxxxxx", "elena", "paper", "finance", b"p" * 16, (3, 4)),
        ("k3-xxxxxxxxxxxxxxxxxxxx", "lyaskovets", "kiosk", None, None, (5, -1)),
    ]
    await store.import_responses(
        [response(k, organisation=o, channel=c, unit=u, panel=p, codes=_codes(*v))
         for k, o, c, u, p, v in rows]
        + [response("k4-xxxxxxxxxxxxxxxxxxxx", wave_id="other", codes=_codes(9, 9))]
    )
    plain = await store.wave_codes("w")
    assert plain.count == 3 and plain.organisations == [] and plain.channels == []
    vectors = sorted(struct.iter_unpack("<2i", plain.codes))
    assert vectors == [(1, 2), (3, 4), (5, -1)]
    grouped = await store.wave_codes("w", groups=True)
    seen = {
        vector: (org, channel, unit, panel)
        for vector, org, channel, unit, panel in zip(
            struct.iter_unpack("<2i", grouped.codes), grouped.organisations, grouped.channels,
            grouped.units, grouped.panels, strict=True,
        )
    }  # each response's groups stay beside its own codes
    assert seen == {v: (o, c, u, p) for _, o, c, u, p, v in rows}
    assert grouped.days == [DAY.isoformat()] * 3  # the fieldwork day, for clustered SEs
    elena = await store.wave_codes("w", organisation="elena")
    assert elena.count == 2 and sorted(struct.iter_unpack("<2i", elena.codes)) == [(1, 2), (3, 4)]
    assert await store.wave_codes("none") == WaveCodes(b"", 0)
    assert await store.wave_codes("none", groups=True) == WaveCodes(b"", 0)


async def _collect(store: Store, wave_id: str, batch_size: int) -> list[list[StoredResponse]]:
    return [batch async for batch in store.stream_responses(wave_id, batch_size=batch_size)]


async def test_stream_gives_every_response_in_batches(store: Store) -> None:
    await add_wave(store, "w")
    await add_wave(store, "other")
    await store.import_responses([response(f"key-{n:04d}-xxxxxxxxxxxxx") for n in range(25)])
    await store.import_responses([response("other-xxxxxxxxxxxxxxxxxx", wave_id="other")])
    batches = await _collect(store, "w", 10)
    assert [len(b) for b in batches] == [10, 10, 5]
    assert [r for b in batches for r in b] == await store.responses("w")
    assert await _collect(store, "none", 10) == []
    with pytest.raises(ValueError):
        await _collect(store, "w", 0)


async def test_a_stream_reads_one_snapshot(store: Store) -> None:
    await add_wave(store)
    await store.import_responses([response(f"old-{n:04d}-xxxxxxxxxxxxx") for n in range(40)])
    stream = store.stream_responses("w", batch_size=5)
    first = await anext(stream)
    await asyncio.gather(*(store.submit(response(f"new-{n:04d}-xxxxxxxxxxxxx"))
                           for n in range(40)))
    rest = [r async for batch in stream for r in batch]
    assert len(first) + len(rest) == 40  # none of the later ones, whatever their ids
    assert await store.count_responses("w") == 80


async def test_exports_in_progress_delay_neither_submissions_nor_the_duplicate_check(
    store: Store,
) -> None:
    """However many exports are open (paused half-way, as behind a slow network), a
    respondent's duplicate check and submission answer at once."""
    await add_wave(store)
    await store.import_responses([response(f"old-{n:04d}-xxxxxxxxxxxxx") for n in range(30)])
    release = asyncio.Event()
    started = 0

    async def export() -> int:
        nonlocal started
        seen = 0
        async with contextlib.aclosing(store.stream_responses("w", batch_size=3)) as stream:
            async for batch in stream:
                if seen == 0:
                    started += 1
                    await release.wait()
                seen += len(batch)
        return seen

    exports = [asyncio.create_task(export()) for _ in range(6)]
    for _ in range(200):
        if started >= 1:
            break
        await asyncio.sleep(0.01)
    assert started >= 1
    async with asyncio.timeout(5):
        assert not await store.submitted("new-xxxxxxxxxxxxxxxxxx")
        await store.submit(response("new-xxxxxxxxxxxxxxxxxx"))
        assert await store.submitted("new-xxxxxxxxxxxxxxxxxx")
        assert await store.form_version("v1") is not None
    release.set()
    async with asyncio.timeout(10):
        counts = await asyncio.gather(*exports)
    assert all(n in (30, 31) for n in counts)  # each its own snapshot


async def test_a_stream_holds_one_batch_at_a_time(store: Store) -> None:
    """Constant memory: streaming 20,000 responses peaks far below reading them at once."""
    import tracemalloc

    await add_wave(store)
    await store.import_responses([response(f"m-{n:06d}-xxxxxxxxxxxxxxx") for n in range(20_000)])

    async def peak(read: Any) -> int:
        tracemalloc.start()
        try:
            await read()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    async def stream() -> None:
        seen = 0
        async for batch in store.stream_responses("w", batch_size=200):
            seen += len(batch)
        assert seen == 20_000

    async def whole() -> None:
        assert len(await store.responses("w")) == 20_000

    streamed, at_once = await peak(stream), await peak(whole)
    assert streamed * 10 < at_once, (streamed, at_once)


async def test_wave_versions_lists_each_form_version_of_a_wave_once(store: Store) -> None:
    await add_wave(store, "w")
    await add_wave(store, "other")
    await store.import_responses(
        [response(f"v1-{n:04d}-xxxxxxxxxxxxxx", version="v1") for n in range(3)]
        + [response("v2-xxxxxxxxxxxxxxxxxxxx", version="v2")]
        + [response("o-xxxxxxxxxxxxxxxxxxxxx", wave_id="other", version="v3")]
    )
    assert await store.wave_versions("w") == ["v1", "v2"]
    assert await store.wave_versions("none") == []


async def test_the_undecoded_stream_gives_the_same_responses(store: Store) -> None:
    await add_wave(store, "w")
    await store.import_responses([response(f"key-{n:04d}-xxxxxxxxxxxxx") for n in range(25)])
    decoded = await store.responses("w")
    batches = [b async for b in store.stream_response_rows("w", batch_size=10)]
    assert [len(b) for b in batches] == [10, 10, 5]
    rows = [r for b in batches for r in b]
    assert [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], msgspec.json.decode(bytes(r[7])), r[8])
            for r in rows] == [
        (d.id, d.wave_id, d.version, d.organisation, d.channel, d.lang,
         d.day.isoformat() if d.day else None, d.answers, d.unit) for d in decoded]
    assert [b async for b in store.stream_response_rows("none", 10)] == []
    with pytest.raises(ValueError):
        [b async for b in store.stream_response_rows("w", 0)]


async def test_a_bulk_import_keeps_the_first_of_a_key_given_twice_and_every_other_row(
        store: Store) -> None:
    await add_wave(store, "w")
    pairs = [(response(f"twice-{n:02d}-xxxxxxxxxxxxxxx", answers={"first": n}),
              response(f"twice-{n:02d}-xxxxxxxxxxxxxxx", answers={"again": n}))
             for n in range(20)]
    await store.import_responses([r for pair in pairs for r in pair])
    assert sorted(r.answers.get("first", -1) for r in await store.responses("w")) == [
        *range(20)]
    # distinct keys (inserted in the order of their random ids on SQLite): every row stored
    await store.import_responses([response(f"many-{n:05d}-xxxxxxxxxxxx", answers={"n": n})
                                  for n in range(300)])
    stored = await store.responses("w")
    assert sorted(r.answers.get("n", -1) for r in stored) == [*[-1] * 20, *range(300)]

"""Contract: computed reports over closed waves are kept under their key, replaced by a later
one under the same key, survive reopening, and are forgotten per wave."""

from __future__ import annotations

from survey_service.storage import Store, opened


async def test_a_report_is_kept_replaced_and_forgotten_per_wave(store: Store) -> None:
    assert await store.cached_report("k1") is None
    await store.cache_report("k1", ["a", "b"], b'{"one": 1}')
    await store.cache_report("k2", ["ab"], b"\x00\xff binary")
    assert await store.cached_report("k1") == b'{"one": 1}'
    await store.cache_report("k1", ["a", "b"], b'{"one": 2}')
    assert await store.cached_report("k1") == b'{"one": 2}'
    assert await store.forget_cached_reports("a") == 1  # not the report over "ab"
    assert await store.cached_report("k1") is None
    assert await store.cached_report("k2") == b"\x00\xff binary"
    assert await store.forget_cached_reports("zzz") == 0


async def test_a_kept_report_survives_reopening(url: str) -> None:
    async with opened(url) as store:
        await store.cache_report("k", ["w"], b"body")
    async with opened(url) as store:
        assert await store.cached_report("k") == b"body"

"""A write cancelled at any point (a request timed out, a client gone under a server that
cancels its handler) leaves the store able to write: no transaction left open, no lock held."""

from __future__ import annotations

import asyncio

from survey_service.storage import Store


async def test_a_write_cancelled_at_any_await_leaves_the_store_writable(store: Store) -> None:
    for steps in range(12):
        task = asyncio.create_task(store.save_disclosure_plan("wave-a", b"plan %d" % steps))
        for _ in range(steps):
            await asyncio.sleep(0)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        await asyncio.wait_for(store.save_disclosure_plan("wave-b", b"%d" % steps), 10)
        assert await store.disclosure_plan("wave-b") == b"%d" % steps

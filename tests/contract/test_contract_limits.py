"""Contract: the counters of the limits per client (``Store.client_limits()``), on every
engine: the same arithmetic as the in-memory counters, shared by another store object on the
same database, expired rows purged, and four OS processes enforcing one limit together (the
limit reached exactly once, then lifted by itself)."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from survey_service.storage import Store, opened
from survey_service.storage.limits import ClientLimits, MemoryLimits, Rule
from survey_service.web.limits import AttemptLimiter, ClientKeys, SubmissionLimiter
from tests.conftest import SECRET

RULE = Rule("test", 4, 60.0)
A, B = b"a" * 16, b"b" * 16
T = 1_790_000_000.0  # a fixed moment: the processes agree on the time
PROCESSES = 4
EACH = 10
CLIENT = "203.0.113.77"


async def test_the_counters_follow_the_arithmetic_of_the_memory_ones(store: Store) -> None:
    shared, memory = store.client_limits(), MemoryLimits()
    try:
        for counters in (shared, memory):
            assert [await counters.take(RULE, A, T) for _ in range(5)] == [0.0] * 4 + [15.0]
            assert await counters.take(RULE, B, T) == 0.0  # another key
            assert await counters.wait(RULE, A, T + 5) == 10.0
            assert await counters.take(RULE, A, T + 15) == 0.0
            assert await counters.add(RULE, B, T) == 0.0
            for _ in range(10):
                await counters.add(RULE, B, T)
            assert await counters.wait(RULE, B, T) == 15.0  # never beyond a window ahead
            assert await counters.wait(RULE, B, T + 60) == 0.0
            assert await counters.wait(Rule("other", 4, 60.0), A, T) == 0.0
        async with opened_again(store) as other:  # another process's view of the same rows
            assert await other.wait(RULE, A, T + 15) == 15.0
        assert await shared.purge(T + 59) == 0
        assert await shared.purge(T + 60) == 1  # B; A (full until T + 75) stays
        assert await shared.purge(T + 80) == 1
        assert await shared.wait(RULE, A, T + 15) == 0.0  # gone: nothing counted
    finally:
        await shared.close()


@asynccontextmanager
async def opened_again(store: Store) -> AsyncIterator[ClientLimits]:
    """The counters of a second store on the same database."""
    url = getattr(store, "url", None) or f"sqlite:///{getattr(store, 'path', '')}"
    async with opened(url) as again:
        counters = again.client_limits()
        try:
            yield counters
        finally:
            await counters.close()


async def _work(url: str, barrier: Any) -> dict[str, Any]:
    async with opened(url) as store:
        counters = store.client_limits()
        keys = ClientKeys(SECRET)  # every process derives the same key from the secret
        codes = AttemptLimiter(keys=keys, counters=counters)
        submissions = SubmissionLimiter(10, 600, keys, counters)
        await asyncio.to_thread(barrier.wait, 120)  # all at once
        failed = await asyncio.gather(*(codes.failed(CLIENT, T) for _ in range(EACH)))
        taken = await asyncio.gather(*(submissions.take(CLIENT, T) for _ in range(EACH)))
        await asyncio.to_thread(barrier.wait, 120)  # everybody has counted
        later = {
            "blocked now": await codes.blocked(CLIENT, T + 1),
            "blocked after a share": await codes.blocked(CLIENT, T + 30),
            "submit after a share": await submissions.take(CLIENT, T + 60.5),
        }
        await counters.close()
        return {"not blocked": failed.count(False), "allowed": taken.count(0.0), **later}


def _worker(url: str, barrier: Any, results: Any) -> None:
    try:
        results.put(asyncio.run(_work(url, barrier)))
    except BaseException as exc:
        results.put(repr(exc))
        raise


async def test_four_processes_enforce_one_limit_together(url: str) -> None:
    async with opened(url):
        pass  # migrated once, before the race
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, barrier, results)) for _ in range(PROCESSES)]
    for proc in procs:
        proc.start()
    got = await asyncio.to_thread(lambda: [results.get(timeout=240) for _ in procs])
    for proc in procs:
        await asyncio.to_thread(proc.join, 30)
        assert proc.exitcode == 0, got
    assert all(isinstance(r, dict) for r in got), got
    # 40 wrong codes from one client: 19 pass as merely wrong, then the client is blocked
    assert sum(r["not blocked"] for r in got) == 19, got
    # 40 submissions at one moment: exactly 10 (the limit) taken, by whichever processes
    assert sum(r["allowed"] for r in got) == 10, got
    assert all(r["blocked now"] for r in got)
    # not for ever: a share of the window (600 / 20 s) after the last failure, one more try;
    # a share (60 s) after the limit, one more submission (for one of the four)
    assert not any(r["blocked after a share"] for r in got)
    assert [r["submit after a share"] for r in got].count(0.0) == 1, got


async def test_checks_sent_at_once_are_allowed_up_to_the_limit_exactly(store: Store) -> None:
    """Many requests of one client check its limit at the same moment (PostgreSQL takes them
    in one statement): exactly the limit's number is allowed, and every other one is told the
    same wait as when they are taken one after another."""
    shared, memory = store.client_limits(), MemoryLimits()
    try:
        for counters in (shared, memory):
            waits = await asyncio.gather(*(counters.take(RULE, A, T) for _ in range(9)),
                                         *(counters.take(RULE, B, T) for _ in range(3)))
            assert sorted(waits[:9]) == [0.0] * 4 + [15.0] * 5, counters
            assert waits[9:] == [0.0] * 3
            assert await counters.wait(RULE, A, T) == 15.0  # four counted, not nine
            assert await counters.take(RULE, B, T) == 0.0  # the fourth of B
            assert await counters.take(RULE, B, T) == 15.0
            # a client already at its limit: every check refused, each told the same wait
            again = await asyncio.gather(*(counters.take(RULE, A, T + 1) for _ in range(6)))
            assert again == [14.0] * 6
            assert await counters.wait(RULE, A, T + 1) == 14.0  # nothing more counted
    finally:
        await shared.close()

"""Contract: four OS processes sharing one database (on each engine) start at once, send the
same one-time keys and fight over the same invitation codes and over the mix; every key is
stored once, every code used once, and one process mixes the wave."""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import queue
import random
import time
from typing import Any

import msgspec

from survey_service.storage import NewResponse, opened
from survey_service.storage.sqlite_migrate import known_migrations  # same numbers on PostgreSQL

from .conftest import add_wave, response

PROCESSES = 4
SHARED_KEYS = 150  # every process sends each of these
OWN_KEYS = 40  # and these of its own
SEALED_CODES = [b"s" + n.to_bytes(2, "big") + bytes(29) for n in range(30)]
REVOKED_CODES = [b"r" + n.to_bytes(2, "big") + bytes(29) for n in range(20)]


def _unseal(blob: bytes) -> NewResponse:
    return msgspec.json.decode(blob, type=NewResponse)


#: Seconds a process may take to start (spawn imports numpy, scipy and the service: tens of
#: seconds on a loaded 2-core machine), apart from the timeout of each step of the race.
START_UP = 600


async def _work(url: str, n: int, barrier: Any) -> dict[str, Any]:
    barrier.wait(120)  # every process opens (and migrates) the new database at the same moment
    async with opened(url) as store:
        await asyncio.to_thread(barrier.wait, 120)  # all open: the test adds the waves and codes
        await asyncio.to_thread(barrier.wait, 120)
        keys = [f"shared-{k:04d}-xxxxxxxxxxxx" for k in range(SHARED_KEYS)]
        keys += [f"own-{n}-{k:04d}-xxxxxxxxxxxx" for k in range(OWN_KEYS)]
        random.shuffle(keys)
        await asyncio.gather(*(store.submit(response(k, answers={"p": n})) for k in keys))
        sealed_codes = list(SEALED_CODES)
        random.shuffle(sealed_codes)
        sealed = []
        for code in sealed_codes:
            blob = msgspec.json.encode(
                response(f"staff-{code.hex()[:12]}-{n}-xxxxxxxx", wave_id="staff", day=None,
                         unit="finance", answers={"p": n})
            )
            if await store.submit_sealed(code, "staff", blob):
                sealed.append(code.hex())
        revoked = [c.hex() for c in REVOKED_CODES if await store.revoke_token(c)]
        await asyncio.to_thread(barrier.wait, 120)  # every answer is in: all mix at once
        mixed = await store.mix_wave("staff", _unseal)
        return {"sealed": sealed, "revoked": revoked, "mixed": mixed, "commits": store.commits,
                "applied": store.applied}


def _worker(url: str, n: int, barrier: Any, results: Any, ready: Any, go: Any) -> None:
    try:
        ready.put(n)  # started (its imports are done): the race may begin once all are
        if not go.wait(START_UP):
            raise TimeoutError("the other processes did not start")
        results.put((n, asyncio.run(_work(url, n, barrier))))
    except BaseException as exc:
        results.put((n, repr(exc)))
        raise


async def _started(procs: list[Any], ready: Any) -> None:
    """Wait until every process has started, failing at once if one died on the way."""
    deadline = time.monotonic() + START_UP
    started: set[int] = set()
    while len(started) < len(procs):
        dead = [p.exitcode for p in procs if p.exitcode is not None]
        assert not dead, f"a process died before the race: exit codes {dead}"
        assert time.monotonic() < deadline, f"only {len(started)} processes started"
        try:
            started.add(await asyncio.to_thread(ready.get, True, 1.0))
        except queue.Empty:
            pass


async def test_four_processes_store_each_key_once_use_each_code_once_and_mix_once(
    url: str,
) -> None:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES + 1)  # the workers and this test
    results, ready, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_worker, args=(url, n, barrier, results, ready, go))
             for n in range(PROCESSES)]
    for proc in procs:
        proc.start()
    await _started(procs, ready)  # however slow: not counted in the race's timeouts
    go.set()
    await asyncio.to_thread(barrier.wait, 120)  # they open a database that does not exist yet
    await asyncio.to_thread(barrier.wait, 120)  # every one of them opened it
    async with opened(url) as store:  # the waves and codes exist before the race
        assert await store.migrate() == []
        await add_wave(store, "w")
        await add_wave(store, "staff")
        await store.add_tokens("staff", "elena", "finance", SEALED_CODES + REVOKED_CODES)
    await asyncio.to_thread(barrier.wait, 120)  # go
    await asyncio.to_thread(barrier.wait, 120)  # every answer is in: they mix
    got = dict(await asyncio.to_thread(lambda: [results.get(timeout=120)
                                                for _ in range(PROCESSES)]))
    for proc in procs:
        await asyncio.to_thread(proc.join, 30)
        assert proc.exitcode == 0, got
    assert all(isinstance(r, dict) for r in got.values()), got

    applied = sorted(n for r in got.values() for n in r["applied"])
    assert applied == [m.number for m in known_migrations()]  # each once, by one of them
    sealed = [code for r in got.values() for code in r["sealed"]]
    assert sorted(sealed) == sorted(c.hex() for c in SEALED_CODES)  # each code sealed once
    revoked = [code for r in got.values() for code in r["revoked"]]
    assert sorted(revoked) == sorted(c.hex() for c in REVOKED_CODES)
    mixed = [r["mixed"] for r in got.values()]
    assert mixed.count(None) == PROCESSES - 1 and 30 in mixed  # one mix, by one of them
    assert all(r["commits"] < SHARED_KEYS + OWN_KEYS for r in got.values())  # grouped

    async with opened(url) as store:
        assert await store.count_responses("w") == SHARED_KEYS + PROCESSES * OWN_KEYS
        keys = {f"shared-{k:04d}-xxxxxxxxxxxx" for k in range(SHARED_KEYS)}
        assert all([await store.submitted(k) for k in keys])
        assert await store.count_responses("staff") == len(SEALED_CODES)
        assert await store.pending_count("staff") == 0
        assert await store.token_counts("staff") == {
            ("elena", "finance"): (len(SEALED_CODES) + len(REVOKED_CODES),) * 2
        }
        [wave] = [w for w in await store.waves() if w.id == "staff"]
        assert wave.mixed

"""Contract: two OS processes append to the hash-chained audit log at the same moment (each
with several appends in flight); the log stays one unbroken chain, numbered without gap or
repeat, as if every append had been made one after another. Also: the log refuses to be
rewritten, and a paper questionnaire sent twice at once is stored once."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing as mp
import sqlite3
from typing import Any

import asyncpg
import pytest

from survey_service.storage import Store, opened

from .conftest import add_wave, response

PROCESSES = 2
TASKS = 3  # appends in flight at once in each process
APPENDS = 30  # by each task
ROUNDS = 60  # of paper questionnaires sent four times at once


def _chain(prev: bytes, seq: int, at: str, actor: str, action: str, detail: str) -> bytes:
    return hashlib.sha256(prev + f"{seq}|{at}|{actor}|{action}|{detail}".encode()).digest()


async def _append(url: str, n: int, barrier: Any) -> int:
    async with opened(url) as store:
        await asyncio.to_thread(barrier.wait, 120)  # every process is open: go

        async def task(t: int) -> None:
            for k in range(APPENDS):
                await store.append_audit("2026-12-01T10:00:00Z", f"p{n}", "test",
                                         f'{{"task": {t}, "k": {k}}}', _chain)

        await asyncio.gather(*(task(t) for t in range(TASKS)))
    return n


def _worker(url: str, n: int, barrier: Any, results: Any) -> None:
    try:
        results.put((n, asyncio.run(_append(url, n, barrier))))
    except BaseException as exc:
        results.put((n, repr(exc)))
        raise


async def test_two_processes_appending_at_once_keep_one_unbroken_chain(url: str) -> None:
    async with opened(url) as store:  # migrated before the race
        await store.append_audit("2026-12-01T09:00:00Z", "lead", "start", "{}", _chain)
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(url, n, barrier, results))
             for n in range(PROCESSES)]
    for proc in procs:
        proc.start()
    got = dict(await asyncio.to_thread(lambda: [results.get(timeout=120)
                                                for _ in range(PROCESSES)]))
    for proc in procs:
        await asyncio.to_thread(proc.join, 30)
        assert proc.exitcode == 0, got
    assert got == {n: n for n in range(PROCESSES)}, got

    async with opened(url) as store:
        entries = await store.audit_entries()
    assert [e.seq for e in entries] == list(range(1, 2 + PROCESSES * TASKS * APPENDS))
    prev = b""
    for e in entries:
        assert e.prev == prev, e.seq  # chained to the entry just before it, not to an older one
        assert e.hash == _chain(e.prev, e.seq, e.at, e.actor, e.action, e.detail)
        prev = e.hash
    actors = [e.actor for e in entries]
    assert all(actors.count(f"p{n}") == TASKS * APPENDS for n in range(PROCESSES))


async def _raw(url: str, sql: str) -> None:
    """One statement on a connection of the engine's own driver, outside the store."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute(sql)
            conn.commit()
        finally:
            conn.close()
        return
    pg = await asyncpg.connect(url)
    try:
        await pg.execute(sql)
    finally:
        await pg.close()


async def test_the_audit_log_cannot_be_changed_or_deleted(url: str, store: Store) -> None:
    first = await store.append_audit("t1", "ana", "sign-in", "{}", _chain)
    for sql in ("UPDATE audit SET actor = 'eve'", "DELETE FROM audit"):
        with pytest.raises((sqlite3.Error, asyncpg.PostgresError), match="append-only"):
            await _raw(url, sql)
    assert await store.audit_entries() == [first]


async def test_a_paper_questionnaire_sent_twice_at_once_is_stored_once(store: Store) -> None:
    await add_wave(store, "w")
    for r in range(ROUNDS):  # the race with the number's own unique index is a narrow one
        same = [store.submit_paper(response(f"k{r}", channel="paper"), f"{r:04d}")
                for _ in range(4)]
        assert await asyncio.gather(*same) == [True] * 4, r  # a double click: stored once
    others = [store.submit_paper(response(f"other-{n}", channel="paper"), "0000")
              for n in range(4)]
    assert await asyncio.gather(*others) == [False] * 4  # the number is taken
    assert await store.count_responses("w") == ROUNDS

"""Durable submissions per second through the Store, SQLite against PostgreSQL, same run.

N clients (coroutines) in each of P processes submit responses as fast as the store
acknowledges them (each acknowledgement = committed and flushed), for D seconds per variant:

- ``sqlite``: the SQLite store (one writer, group commit), a fresh file;
- ``postgres``: the PostgreSQL store (one writer, group commit by batching), a fresh database;
- ``postgres-2-writers``: the same with two writers;
- ``postgres-pool``: the alternative of one autocommit INSERT per submission on a pool of the
  same size, relying on PostgreSQL's own group commit of concurrent WAL flushes;
- ``postgres-pool-delay``: the same with ``commit_delay = 1000`` µs (``commit_siblings = 2``).

    .venv/bin/python benchmarks/store_submit.py [--clients 32] [--processes 1,4] [--seconds 5]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]

Prints submissions/s, p50/p99 latency of an acknowledgement, and commits per 100 submissions.
Every variant counts the stored rows afterwards: none acknowledged may be missing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from survey_service.storage import NewResponse, Store, open_store, opened
from survey_service.storage.postgres import PostgresStore
from survey_service.storage.postgres_rows import INSERT_RESPONSES, columns
from survey_service.surveys.waves import Wave

ANSWERS: dict[str, int | str | list[str]] = {
    f"q{n}": n % 5 + 1 for n in range(20)
} | {"service": "local_taxes", "comments": "Бързо и любезно обслужване, благодаря!"}


class PoolPerSubmit(PostgresStore):
    """The alternative: each submission its own autocommit INSERT on a pooled connection."""

    async def submit(self, response: NewResponse) -> None:
        rows = [self._row(response)]
        await self._p.execute(INSERT_RESPONSES, *columns(rows))
        self._commits += 1


class PoolPerSubmitDelay(PoolPerSubmit):
    """The same, asking PostgreSQL to wait up to 1 ms for other commits to share a flush."""

    server_settings: ClassVar[dict[str, str]] = {
        **PostgresStore.server_settings, "commit_delay": "1000", "commit_siblings": "2"
    }


class TwoWriters(PostgresStore):
    """The batching store with two writers instead of one (one batch gathers while the other
    is flushed)."""

    def __init__(self, url: str, *, pool_size: int | None = None) -> None:
        super().__init__(url, pool_size=pool_size)
        self.writers, self.point_size = 2, self.point_size - 1


def _response(prefix: str, n: int) -> NewResponse:
    import datetime as dt

    return NewResponse(
        submission_key=f"{prefix}-{n:08d}-{secrets.token_hex(6)}", wave_id="bench",
        version="v1", organisation="elena", channel="web", lang="bg",
        day=dt.date(2026, 12, 1), answers=ANSWERS, codes=bytes(80),
    )


def _store(variant: str, url: str, pool: int) -> Store:
    if variant == "postgres-pool":
        return PoolPerSubmit(url, pool_size=pool)
    if variant == "postgres-pool-delay":
        return PoolPerSubmitDelay(url, pool_size=pool)
    if variant == "postgres-2-writers":
        return TwoWriters(url, pool_size=pool)
    return open_store(url, pool_size=pool)


async def _client_loop(store: Store, prefix: str, until: float, lat: list[float]) -> int:
    n = 0
    while time.perf_counter() < until:
        t = time.perf_counter()
        await store.submit(_response(prefix, n))
        lat.append(time.perf_counter() - t)
        n += 1
    return n


async def _run(variant: str, url: str, clients: int, seconds: float, pool: int,
               barrier: Any, tag: str) -> tuple[int, list[float], int]:
    store = _store(variant, url, pool)
    await store.open()
    try:
        await asyncio.to_thread(barrier.wait)
        until = time.perf_counter() + seconds
        lat: list[float] = []
        counts = await asyncio.gather(
            *(_client_loop(store, f"{tag}-{c}", until, lat) for c in range(clients))
        )
        return sum(counts), lat, store.commits
    finally:
        await store.close()


def _proc(variant: str, url: str, clients: int, seconds: float, pool: int, barrier: Any,
          tag: str, out: Any) -> None:
    out.put(asyncio.run(_run(variant, url, clients, seconds, pool, barrier, tag)))


async def _prepare(url: str) -> None:
    async with opened(url) as store:
        await store.save_form_version("bench", "v1", b"{}")
        await store.add_wave(Wave(id="bench", survey_id="bench", version="v1"))


async def _pg_admin(admin: str, sql: str) -> None:
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def measure(variant: str, url: str, processes: int, clients: int, seconds: float,
            pool: int) -> dict[str, float]:
    asyncio.run(_prepare(url))
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_proc, args=(variant, url, clients, seconds, pool, barrier,
                                             f"p{p}", out)) for p in range(processes)]
    for proc in procs:
        proc.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for proc in procs:
        proc.join()
    done = sum(r[0] for r in results)
    lat = sorted(x for r in results for x in r[1])
    commits = sum(r[2] for r in results)

    async def stored() -> int:
        async with opened(url) as store:
            return await store.count_responses("bench")

    rows = asyncio.run(stored())
    if rows != done:
        raise SystemExit(f"{variant}: {done} acknowledged but {rows} stored")
    return {
        "per_s": done / seconds,
        "p50_ms": statistics.median(lat) * 1000 if lat else 0.0,
        "p99_ms": lat[int(len(lat) * 0.99) - 1] * 1000 if lat else 0.0,
        "commits_per_100": 100 * commits / done if done else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="per process")
    parser.add_argument("--processes", default="1,4")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--pool", type=int, default=8)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--variants",
                        default="sqlite,postgres,postgres-2-writers,postgres-pool,postgres-pool-delay")
    args = parser.parse_args()
    print(f"{'variant':<22}{'procs':>6}{'clients':>8}{'subm/s':>10}{'p50 ms':>9}"
          f"{'p99 ms':>9}{'commits/100':>13}")
    for processes in [int(p) for p in args.processes.split(",")]:
        for variant in args.variants.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                if variant == "sqlite":
                    url, name = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}", ""
                else:
                    name = f"survey_bench_{secrets.token_hex(4)}"
                    asyncio.run(_pg_admin(args.postgres, f'CREATE DATABASE "{name}"'))
                    url = urlunsplit(urlsplit(args.postgres)._replace(path=f"/{name}"))
                try:
                    r = measure(variant, url, processes, args.clients, args.seconds, args.pool)
                finally:
                    if name:
                        asyncio.run(_pg_admin(
                            args.postgres, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"{variant:<22}{processes:>6}{args.clients:>8}{r['per_s']:>10.0f}"
                  f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}{r['commits_per_100']:>13.1f}",
                  flush=True)


if __name__ == "__main__":
    main()

"""What one check of the limit per client costs, on each counter, side by side in one run.

The limit is checked on every citizen submission, every sign-in and every wrong invitation
code, in whichever process takes the request, so its counters live where every process sees
them (``storage/limits.py``). For each counter the same sequence of ``take`` calls (a few
hundred distinct keys, as many clients) runs in a loop, timed by wall clock and by the
process's CPU:

- ``memory``: one process's dictionary (the floor: no sharing at all);
- ``sqlite``: the counters' file beside a SQLite database;
- ``postgres``: the ``client_limits`` table through the store's point pool;
- ``postgres floor``: the same upsert on one dedicated connection, without a pool: what a
  round trip to the server costs, which no pooled check can beat.

    .venv/bin/python benchmarks/limits.py [--checks 5000] [--postgres URL]

Prints microseconds per check (wall and CPU) and the ratio to the PostgreSQL floor.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

from survey_service.storage import opened
from survey_service.storage.limits import MemoryLimits, Rule
from survey_service.storage.postgres_limits import _TAKE

RULE = Rule("bench", limit=1_000_000, window=3600.0)
KEYS = [hashlib.blake2b(str(i).encode(), digest_size=16).digest() for i in range(300)]


Take = Callable[[bytes, float], Awaitable[object]]


async def timed(checks: int, take: Take) -> tuple[float, float]:
    """Microseconds per check: wall clock and this process's CPU."""
    for key in KEYS[:20]:  # warm up: connections, prepared statements
        await take(key, time.time())
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(checks):
        await take(KEYS[i % len(KEYS)], time.time())
    return ((time.perf_counter() - wall) * 1e6 / checks,
            (time.process_time() - cpu) * 1e6 / checks)


async def fresh_database(server: str) -> tuple[str, Callable[[], Awaitable[None]]]:
    name = f"survey_limits_bench_{int(time.time() * 1000)}"
    admin = await asyncpg.connect(server)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    url = server.rsplit("/", 1)[0] + "/" + name

    async def drop() -> None:
        conn = await asyncpg.connect(server)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return url, drop


async def main(checks: int, server: str) -> None:
    rows: list[tuple[str, float, float]] = []
    memory = MemoryLimits()
    rows.append(("memory", *await timed(checks, lambda k, at: memory.take(RULE, k, at))))
    with tempfile.TemporaryDirectory() as tmp:
        async with opened(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}") as store:
            counters = store.client_limits()
            rows.append(("sqlite", *await timed(checks, lambda k, at: counters.take(RULE, k, at))))
            await counters.close()
    url, drop = await fresh_database(server)
    try:
        async with opened(url) as store:
            shared = store.client_limits()
            rows.append(("postgres", *await timed(checks, lambda k, at: shared.take(RULE, k, at))))
        conn = await asyncpg.connect(url)
        try:
            async def floor(key: bytes, at: float) -> object:
                return await conn.fetch(_TAKE, RULE.name, key, at, RULE.interval, RULE.window)

            rows.append(("postgres floor", *await timed(checks, floor)))
        finally:
            await conn.close()
    finally:
        await drop()
    base = rows[-1][1]
    print(f"{checks} checks each, {len(KEYS)} clients")
    print(f"{'counter':<16} {'wall µs':>9} {'CPU µs':>9} {'× floor':>8}")
    for name, wall, cpu in rows:
        print(f"{name:<16} {wall:>9.1f} {cpu:>9.1f} {wall / base:>8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=5000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    asyncio.run(main(args.checks, args.postgres))

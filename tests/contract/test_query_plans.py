"""The dashboard's counts of a wave (every few seconds while people answer) are read from an
index alone, never from the rows of the wave: each engine's own query plan says so (issue 13,
the soak's steady rate: reading every row made each count cost more as the wave grew)."""

from __future__ import annotations

import sqlite3

import asyncpg

from survey_service.storage import Store, postgres_accounts, sqlite_accounts

from .conftest import add_wave, response


async def sqlite_plan(path: str) -> list[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"EXPLAIN QUERY PLAN {sqlite_accounts.RESPONSE_DAYS}", ("w",))
        plan = [str(r[3]) for r in rows]
    conn.close()
    return plan


async def postgres_plan(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        # a few rows: the planner would read the whole (tiny) table; what matters here is
        # that an index can answer alone, as it will once the wave is large
        await conn.execute("SET enable_seqscan = off")
        rows = await conn.fetch(f"EXPLAIN {postgres_accounts.RESPONSE_DAYS}", "w")
    finally:
        await conn.close()
    return [str(r[0]) for r in rows]


async def test_the_dashboard_counts_read_an_index_alone(url: str, store: Store) -> None:
    await add_wave(store)
    await add_wave(store, "other")
    await store.import_responses([response(f"key-{i}") for i in range(20)]
                                 + [response(f"other-{i}", "other") for i in range(5)])
    if url.startswith("sqlite:///"):
        plan = await sqlite_plan(url.removeprefix("sqlite:///"))
        assert any("USING COVERING INDEX responses_wave_day" in step for step in plan), plan
        assert not any("TEMP B-TREE" in step for step in plan), plan  # in the index's order
    else:
        plan = await postgres_plan(url)
        assert any("Index Only Scan using responses_wave_day" in step for step in plan), plan
    assert not any("SCAN responses " in f"{step} " or "Seq Scan" in step for step in plan), plan
    assert await store.response_days("w") == {("elena", response("k").day): 20}

"""compose.yaml's topology as plain processes: three ``serve`` processes on different ports
(one of them with two workers) share one fresh PostgreSQL database. A client moves between
them at every request; each answer is stored once, a staff wave closed by its end date is mixed
once (by whichever process gets there first), and every process is ready."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pytest

from survey_service.storage import opened
from tests.conftest import FULL_ANSWERS, hidden_fields
from tests.contract.pg import fresh_database
from tests.web.servers import citizen_and_staff_waves, serve_env, serving
from tests.web.test_staff import staff_answers

CITIZEN = "citizen-satisfaction"
LAST_STEP = "5"  # the citizen survey's last section: posting it validates every section
ANSWERS, CODES = 30, 6
PASSWORD = "not-printed-anywhere"


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url.replace("postgres@", f"postgres:{PASSWORD}@")  # trust auth takes any


def citizen_journey(client: httpx.Client, get: str, post: str, again: str) -> None:
    """GET the form from one process, POST it to another, and the same POST (a double click)
    to a third: one response."""
    page = client.get(f"{get}/s/{CITIZEN}?org=elena")
    assert page.status_code == 200
    fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": LAST_STEP, "_action": "next"}
    for base in (post, again):
        sent = client.post(f"{base}/s/{CITIZEN}", data=fields)
        assert sent.status_code == 303, sent.text[:500]


def staff_journey(client: httpx.Client, bases: list[str], code: str) -> None:
    page = client.get(f"{bases[0]}/t/{code}")
    assert page.status_code == 200, page.text[:500]
    for n in range(1, 12):
        fields = {**hidden_fields(page.text), **staff_answers(page.text), "_action": "next"}
        page = client.post(f"{bases[n % len(bases)]}/t", data=fields)
        if page.status_code == 303:
            return
        assert page.status_code == 200, page.text[:500]
    raise AssertionError("the staff survey never ended")


async def test_three_processes_on_one_postgresql_database(database: str, tmp_path: Path) -> None:
    env = serve_env(database, SURVEY_WAVE_REFRESH_SECONDS="1",
                    SURVEY_SUBMIT_LIMIT="100000")  # every client of the test is 127.0.0.1
    codes = await citizen_and_staff_waves(env, tmp_path, CODES)

    async with serving(env, tmp_path, [1, 1, 2]) as servers:
        bases = servers.bases

        def client_work() -> None:
            with httpx.Client(timeout=30) as client:  # its cookies go to every port
                for n in range(ANSWERS):
                    citizen_journey(client, bases[n % 3], bases[(n + 1) % 3], bases[(n + 2) % 3])
                for n, code in enumerate(codes):
                    staff_journey(client, bases[n % 3:] + bases[: n % 3], code)

        await asyncio.to_thread(client_work)
        async with opened(database) as store:
            assert await store.count_responses("cs") == ANSWERS
            assert await store.pending_count("staff") == CODES
            assert await store.count_responses("staff") == 0
            [wave] = [w for w in await store.waves() if w.id == "staff"]
            ends = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
            await store.update_wave(msgspec.structs.replace(wave, ends=ends))  # all race to mix
            for _ in range(150):
                if await store.count_responses("staff") == CODES:
                    break
                await asyncio.sleep(0.1)
            assert await store.count_responses("staff") == CODES
            await asyncio.sleep(2.5)  # every process has looked at the closed wave since
            assert await store.count_responses("staff") == CODES
            assert await store.pending_count("staff") == 0
        conn = await asyncpg.connect(database)
        try:  # one mix: every staff response was written by one transaction
            assert await conn.fetchval(
                "SELECT COUNT(DISTINCT xmin::text) FROM responses WHERE wave_id = 'staff'") == 1
        finally:
            await conn.close()
        for base in bases:
            ready = httpx.get(f"{base}/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
    logs = servers.texts()
    mixes = sum(text.count(f"mixed {CODES} responses of closed wave staff") for text in logs)
    assert mixes == 1, logs
    assert all("serving on" in text and ":***@" in text for text in logs)
    assert not any(PASSWORD in text or "Traceback" in text for text in logs), logs
    assert "2 processes" in logs[2]

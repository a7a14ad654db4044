"""compose.yaml's topology as plain processes: three ``serve`` processes on different ports
(one of them with two workers) share one fresh PostgreSQL database. A client moves between
them at every request; each answer is stored once, a staff wave closed by its end date is mixed
once (by whichever process gets there first), and every process is ready."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.storage import opened
from tests.conftest import FORMS, FULL_ANSWERS, SECRET, hidden_fields
from tests.contract.pg import fresh_database
from tests.web.test_staff import staff_answers

CITIZEN, STAFF = "citizen-satisfaction", "staff-survey"
LAST_STEP = "5"  # the citizen survey's last section: posting it validates every section
ANSWERS, CODES = 30, 6
PASSWORD = "not-printed-anywhere"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def database() -> Iterator[str]:
    with fresh_database() as url:
        yield url.replace("postgres@", f"postgres:{PASSWORD}@")  # trust auth takes any


async def command(env: dict[str, str], *args: str) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"port {port} never ready:\n{log.read_text()}")


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
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")},
           "SURVEY_DATABASE_URL": database, "SURVEY_SECRET_KEY": SECRET,
           "SURVEY_FORMS_DIR": str(FORMS), "SURVEY_DB_POOL_SIZE": "4",
           "SURVEY_WAVE_REFRESH_SECONDS": "1",
           "SURVEY_SUBMIT_LIMIT": "100000"}  # every client of the test is 127.0.0.1
    await command(env, "waves", "open", CITIZEN, "--id", "cs", "--org", "elena")
    await command(env, "waves", "open", STAFF, "--id", "staff", "--org", "elena")
    await command(env, "tokens", "issue", "staff", "--org", "elena", "--unit", "finance",
            "--count", str(CODES), "--out", str(tmp_path / "slips"))
    [sheet] = (tmp_path / "slips").glob("*.csv")
    with sheet.open(encoding="utf-8-sig") as f:
        codes = [row["code"] for row in csv.DictReader(f)]

    ports = [free_port() for _ in range(3)]
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for n, port in enumerate(ports):
            log = tmp_path / f"serve-{port}.log"
            workers = "2" if n == 2 else "1"
            with log.open("wb") as out:
                procs.append((subprocess.Popen(
                    [sys.executable, "-m", "survey_service.cli", "serve", "--port", str(port),
                     "--workers", workers],
                    env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                ), log))
        for port, (proc, log) in zip(ports, procs, strict=True):
            await asyncio.to_thread(wait_ready, port, proc, log)
        bases = [f"http://127.0.0.1:{p}" for p in ports]

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
        for port in ports:
            ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            assert ready.status_code == 200, ready.text
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    logs = [log.read_text(errors="replace") for _, log in procs]
    mixes = sum(text.count(f"mixed {CODES} responses of closed wave staff") for text in logs)
    assert mixes == 1, logs
    assert all("serving on" in text and ":***@" in text for text in logs)
    assert not any(PASSWORD in text or "Traceback" in text for text in logs), logs
    assert "2 processes" in logs[2]

"""Many respondents at once, and a server killed while they submit."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from survey_service.settings import Settings
from survey_service.storage import NewResponse, open_store, opened
from survey_service.surveys.waves import today_in_sofia
from tests.conftest import FORMS, FULL_ANSWERS, SECRET, SURVEY, hidden_fields, seed_wave


async def _count(db: Path) -> int:
    async with opened(f"sqlite:///{db}") as store:
        return await store.count_responses()


@pytest.mark.slow
async def test_twenty_clients_times_one_hundred(settings: Settings, db_path: Path) -> None:
    """2,000 submissions from 20 concurrent respondents against the real server, each also
    double-posting every tenth form: exactly 2,000 rows, no error, and the writer needed far
    fewer commits than submissions (group commit)."""
    await seed_wave(settings)
    port = _free_port()
    server = _start_server(db_path, port)
    try:

        async def respondent(n: int) -> list[int]:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                page = await c.get(f"/s/{SURVEY}?org=lyaskovets")
                base = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
                statuses = []
                for i in range(100):
                    data = {**base, "_key": f"client{n:02d}-form{i:03d}-xxxxxxxx"}
                    copies = 2 if i % 10 == 0 else 1  # a double click every tenth form
                    results = await asyncio.gather(
                        *(c.post(f"/s/{SURVEY}", data=data) for _ in range(copies))
                    )
                    statuses += [r.status_code for r in results]
                return statuses

        statuses = [s for batch in await asyncio.gather(*map(respondent, range(20))) for s in batch]
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=20)
    assert statuses == [303] * 2200
    assert await _count(db_path) == 2000
    m = re.search(rb"writer: (\d+) submissions in (\d+) commits", err)
    assert m is not None, err[-2000:]
    submissions, commits = int(m.group(1)), int(m.group(2))
    assert submissions == 2200  # duplicates reach the writer and are dropped by the key
    assert commits < submissions / 2


async def test_duplicates_in_one_commit_batch_store_one_row(db_path: Path) -> None:
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        await store.save_form_version(SURVEY, "v1", b"{}")
        from survey_service.surveys.waves import Wave

        await store.add_wave(Wave(id="w", survey_id=SURVEY, version="v1"))
        response = NewResponse(
            submission_key="k" * 22,
            wave_id="w",
            version="v1",
            organisation="elena",
            channel="web",
            lang="bg",
            day=today_in_sofia(),
            answers={"service": "other"},
        )
        other = NewResponse(
            submission_key="m" * 22,
            wave_id="w",
            version="v1",
            organisation="elena",
            channel="web",
            lang="bg",
            day=today_in_sofia(),
            answers={"service": "social"},
        )
        before = store.commits
        await asyncio.gather(store.submit(response), store.submit(response), store.submit(other))
        assert store.commits == before + 1  # all three in one transaction
        assert await store.count_responses("w") == 2
    finally:
        await store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_server(
    db: Path, port: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        "SURVEY_SUBMIT_LIMIT": "100000",  # every client of these tests is 127.0.0.1
        **(extra_env or {}),
        **os.environ,
        "SURVEY_DATABASE_URL": f"sqlite:///{db}",
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_FORMS_DIR": str(FORMS),
        "SURVEY_PORT": str(port),
    }
    exe = Path(sys.executable).with_name("survey-service")
    process = subprocess.Popen(
        [str(exe), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    _, err = process.communicate()
    raise AssertionError(f"server did not start: {err.decode(errors='replace')}")


@pytest.mark.slow
async def test_sigkill_while_submitting_loses_no_acknowledged_answer(
    settings: Settings, db_path: Path
) -> None:
    await seed_wave(settings)
    port = _free_port()
    server = _start_server(db_path, port)
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()
    enough = threading.Event()

    def respondent(n: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            try:
                page = client.get(f"/s/{SURVEY}?org=elena")
            except httpx.HTTPError:
                return
            base = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
            i = 0
            while not stop.is_set():
                key = f"kill{n:02d}x{i:06d}-aaaaaa"
                i += 1
                try:
                    r = client.post(f"/s/{SURVEY}", data={**base, "_key": key})
                except httpx.HTTPError:
                    return  # the server is gone; this one was never acknowledged
                if r.status_code == 303:
                    acknowledged.append(key)
                    if len(acknowledged) >= 300:
                        enough.set()
                else:
                    failures.append(f"{r.status_code}")

    threads = [threading.Thread(target=respondent, args=(n,)) for n in range(8)]
    try:
        for t in threads:
            t.start()
        assert enough.wait(60), f"only {len(acknowledged)} submissions acknowledged before the kill"
        server.send_signal(signal.SIGKILL)
        server.communicate(timeout=10)
        stop.set()
        for t in threads:
            t.join(10)
        assert not failures
        # restart on the same file (recovers the WAL), then look at what is on disk
        server = _start_server(db_path, port)
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)
        async with opened(f"sqlite:///{db_path}") as store:
            missing = [k for k in acknowledged if not await store.submitted(k)]
            stored = await store.count_responses()
        assert missing == [], f"{len(missing)} acknowledged submissions lost"
        assert stored >= len(acknowledged)
    finally:
        stop.set()
        if server.poll() is None:
            server.kill()
        server.communicate()

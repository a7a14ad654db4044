"""Crash safety, repeated (issue 13): on each engine, the server is killed with SIGKILL at a
random moment while respondents submit, twenty times over; then every submission that got its
303 is stored, none twice, and the database passes its integrity check. And ``waves close``
killed at random moments leaves its staff wave wholly mixed or wholly pending, never half.

The server and the command are forked from a :class:`~tests.web.zygote.Zygote` that imported
the service once: a real process killed for real, without Python's start-up at every round.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import signal
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import pytest

from survey_service.anonymity import padded_size, seal_response
from survey_service.registry import Registry
from survey_service.sealing import Sealer
from survey_service.settings import Settings
from survey_service.storage import NewResponse, open_store, opened
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.tokens import code_hash, new_code
from tests.conftest import FORMS, FULL_ANSWERS, SECRET, SURVEY, hidden_fields, seed_wave
from tests.contract.pg import fresh_database
from tests.web.test_load_and_durability import _free_port
from tests.web.test_staff import open_staff_wave
from tests.web.zygote import Zygote

ROUNDS = 20
RESPONDENTS = 6
CLOSE_ROUNDS = 6
SEALED = 120  # staff answers per wave that ``waves close`` mixes
WAVE = "cs-baseline"

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    else:
        with fresh_database("fuzz_crash") as made:
            yield made


@pytest.fixture(scope="module")
def zygote() -> Iterator[Zygote]:
    with Zygote() as z:
        yield z


def _settings(url: str) -> Settings:
    return Settings.from_env({}, database_url=url, forms_dir=str(FORMS), secret_key=SECRET,
                             wave_refresh_seconds=0.0)


def _env(url: str, port: int = 8000) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "SURVEY_DATABASE_URL": url,
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_FORMS_DIR": str(FORMS),
        "SURVEY_PORT": str(port),
        "SURVEY_SUBMIT_LIMIT": "100000",  # every respondent here is 127.0.0.1
    }


async def _serve(zygote: Zygote, url: str, port: int, log: Path) -> int:
    """Fork a server and wait until it answers; its pid."""
    pid = await asyncio.to_thread(
        zygote.run, ["serve", "--workers", "1", "--port", str(port)], _env(url, port), log
    )
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"http://127.0.0.1:{port}/health")).status_code == 200:
                    return pid
            except httpx.HTTPError:
                await asyncio.sleep(0.02)
    await asyncio.to_thread(zygote.kill, pid)
    raise AssertionError(f"the server did not start: {log.read_text()[-3000:]}")


@dataclass
class Tally:
    attempted: set[str] = field(default_factory=set)
    acknowledged: set[str] = field(default_factory=set)
    failures: list[str] = field(default_factory=list)
    #: per respondent, keys sent without an answer (the server died): sent again next round
    unanswered: list[list[str]] = field(default_factory=lambda: [[] for _ in range(RESPONDENTS)])


async def _respondent(port: int, n: int, tally: Tally, rng: random.Random) -> None:
    """Open the form, then submit until the server is gone, first sending again what the
    last server never answered (a respondent pressing "send" once more)."""
    retry = tally.unanswered[n]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        try:
            page = await client.get(f"/s/{SURVEY}?org=elena")
        except httpx.HTTPError:
            return
        base = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
        while True:
            key = retry.pop() if retry else f"crash-{n}-{secrets.token_hex(8)}"
            tally.attempted.add(key)
            data = {**base, "_key": key, "comments": f"round answer {rng.random()}"}
            try:
                r = await client.post(f"/s/{SURVEY}", data=data)
            except httpx.HTTPError:
                retry.append(key)
                return
            if r.status_code == 303:
                tally.acknowledged.add(key)
            else:
                tally.failures.append(f"{r.status_code}: {r.text[:200]}")


async def _integrity(url: str) -> list[str]:
    """Problems the engine's own checker finds: SQLite's integrity and foreign-key checks;
    on PostgreSQL amcheck over every B-tree index, each heap row found in its indexes."""
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            rows += conn.execute("PRAGMA foreign_key_check").fetchall()
        conn.close()
        return [] if rows == [("ok",)] else [repr(r) for r in rows]
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        checked = await conn.fetch(
            "SELECT c.relname, bt_index_check(c.oid, true) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
            " WHERE a.amname = 'btree' AND c.relnamespace = current_schema()::regnamespace"
        )
    finally:
        await conn.close()
    return [] if checked else ["no index was checked"]


async def test_twenty_sigkills_while_submitting_lose_and_double_nothing(
    url: str, zygote: Zygote, tmp_path: Path
) -> None:
    await seed_wave(_settings(url), WAVE)
    port, log, tally = _free_port(), tmp_path / "server.log", Tally()
    rng = random.Random(int.from_bytes(secrets.token_bytes(4), "big"))
    per_round = []
    started = time.monotonic()
    starts = []
    for _ in range(ROUNDS):
        t0 = time.monotonic()
        pid = await _serve(zygote, url, port, log)
        starts.append(round(time.monotonic() - t0, 2))
        before = len(tally.acknowledged)
        respondents = [asyncio.create_task(_respondent(port, n, tally, rng))
                       for n in range(RESPONDENTS)]
        # a random moment of their submitting: after a random number of acknowledgments
        # (however fast this machine is), and a random fraction of a second more
        target = before + rng.randint(0, 25)
        deadline = time.monotonic() + 30
        while len(tally.acknowledged) < target and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        await asyncio.sleep(rng.uniform(0.0, 0.1))
        assert await asyncio.to_thread(zygote.kill, pid) == -9
        await asyncio.wait_for(asyncio.gather(*respondents), 30)
        per_round.append(len(tally.acknowledged) - before)
    # a last server: what was never answered is sent again and acknowledged, once
    pid = await _serve(zygote, url, port, log)
    await asyncio.gather(*(_respondent_once(port, n, tally) for n in range(RESPONDENTS)))
    os.killpg(pid, signal.SIGTERM)  # uvicorn stops gracefully, then dies of the signal
    assert await asyncio.to_thread(zygote.wait, pid) in (0, -signal.SIGTERM), log.read_text()

    assert tally.failures == []
    assert sum(per_round) > 0, "no submission was acknowledged before a kill"
    async with opened(url) as store:
        stored = {k for k in tally.attempted if await store.submitted(k)}
        total = await store.count_responses(WAVE)
    assert tally.acknowledged - stored == set(), "acknowledged submissions lost"
    assert stored == tally.attempted  # every retried key is stored
    assert total == len(stored)  # none twice, nothing else
    assert await _integrity(url) == []
    assert "Traceback" not in log.read_text()
    print(f"acknowledged per round: {per_round}; {total} stored;"
          f" {time.monotonic() - started:.1f} s; starts {starts}")


async def _respondent_once(port: int, n: int, tally: Tally) -> None:
    """Send again the keys a killed server never answered: each one gets its 303."""
    retry = tally.unanswered[n]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        page = await client.get(f"/s/{SURVEY}?org=elena")
        base = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
        while retry:
            key = retry.pop()
            r = await client.post(f"/s/{SURVEY}", data={**base, "_key": key})
            if r.status_code == 303:
                tally.acknowledged.add(key)
            else:
                tally.failures.append(f"{r.status_code}: {r.text[:200]}")


async def _seal(settings: Settings, wave_id: str, n: int) -> None:
    """``n`` staff answers sealed into an open wave, as the staff form stores them."""
    codes = [new_code().replace("-", "") for _ in range(n)]
    registry = Registry(load_catalog(FORMS), open_store(settings.database_url), 0)
    store = registry.store
    await store.open()
    try:
        await store.add_tokens(wave_id, "elena", "admin_services",
                               [code_hash(c, SECRET) for c in codes])
        await registry.refresh(force=True)
        wave = next(w for w in registry.waves if w.id == wave_id)
        survey = registry.survey_version(wave.version)
        assert survey is not None
        sealer, size = Sealer(SECRET), padded_size(survey)

        async def one(i: int, code: str) -> None:
            response = NewResponse(
                submission_key=secrets.token_urlsafe(16), wave_id=wave_id,
                version=wave.version, organisation="elena", unit="admin_services",
                channel="web", lang="bg", day=None, answers={"comments": "я" * (i % 50)},
            )
            blob = seal_response(sealer, response, size)
            assert await store.submit_sealed(code_hash(code, SECRET), wave_id, blob)

        await asyncio.gather(*(one(i, c) for i, c in enumerate(codes)))
    finally:
        await store.close()


async def _staff_state(url: str, wave_id: str) -> tuple[bool, int, int]:
    """(mixed, responses, still sealed) of a staff wave, as a fresh process finds them."""
    async with opened(url) as store:
        [wave] = [w for w in await store.waves() if w.id == wave_id]
        return wave.mixed, await store.count_responses(wave_id), await store.pending_count(
            wave_id)


async def test_waves_close_killed_at_random_moments_mixes_all_or_nothing(
    url: str, zygote: Zygote, tmp_path: Path
) -> None:
    settings, log = _settings(url), tmp_path / "close.log"
    rng = random.Random(int.from_bytes(secrets.token_bytes(4), "big"))
    timed = 0.0
    outcomes = []
    for n in range(CLOSE_ROUNDS + 1):
        wave_id = f"staff-crash-{n}"
        await open_staff_wave(settings, wave_id)
        await _seal(settings, wave_id, SEALED)
        started = time.monotonic()
        pid = await asyncio.to_thread(zygote.run, ["waves", "close", wave_id], _env(url), log)
        if n == 0:  # the first close runs to its end: how long a close takes
            assert await asyncio.to_thread(zygote.wait, pid) == 0, log.read_text()[-3000:]
            timed = time.monotonic() - started
            assert await _staff_state(url, wave_id) == (True, SEALED, 0)
            continue
        # kill it somewhere in the second half of its run, where it mixes, or just after
        await asyncio.sleep(rng.uniform(0.4, 1.1) * timed)
        await asyncio.to_thread(zygote.kill, pid)
        state = await _staff_state(url, wave_id)
        assert state in ((True, SEALED, 0), (False, 0, SEALED)), state
        outcomes.append("mixed" if state[0] else "pending")
        if not state[0]:  # closing again finishes the job
            pid = await asyncio.to_thread(zygote.run, ["waves", "close", wave_id], _env(url),
                                          log)
            await asyncio.to_thread(zygote.wait, pid)
            assert await _staff_state(url, wave_id) == (True, SEALED, 0)
    assert await _integrity(url) == []
    assert "Traceback" not in log.read_text()
    print(f"close took {timed:.2f} s; killed closes left: {outcomes}")

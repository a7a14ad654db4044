"""No submission fails because of maintenance: the writer waits for another process's lock,
a submission that still cannot be stored gets 503 with the form kept (citizen and staff), and
a large WAL is truncated in the background."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from survey_service.storage import maintenance
from survey_service.storage.base import NewResponse
from survey_service.storage.sqlite import SQLiteStore
from tests.conftest import FULL_ANSWERS, SURVEY, hidden_fields, seed_wave
from tests.web.test_staff import db_counts, issue, last_page_fields, open_staff_wave

Client = AsyncTestClient[Litestar]


# ---------------------------------------------------------------------------- waiting, 503
class LockHolder:
    """Another process's write transaction on the database, held for ``seconds``."""

    def __init__(self, db: Path, seconds: float) -> None:
        self.db, self.seconds = db, seconds
        self.held = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        conn = sqlite3.connect(self.db, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        self.held.set()
        time.sleep(self.seconds)
        conn.execute("ROLLBACK")
        conn.close()

    def __enter__(self) -> LockHolder:
        self.thread.start()
        self.held.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join()


async def test_a_submission_waits_for_a_lock_held_by_another_process(
    client: Client, settings: Settings, db_path: Path
) -> None:
    page = await client.get(f"/s/{SURVEY}?org=elena")
    data = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
    with LockHolder(db_path, 0.8):
        started = time.perf_counter()
        response = await client.post(f"/s/{SURVEY}", data=data, follow_redirects=False)
        waited = time.perf_counter() - started
    assert response.status_code == 303 and waited >= 0.5


def _impatient_app(settings: Settings, db: Path) -> Litestar:
    store = SQLiteStore(str(db))
    store.busy_timeout_ms, store.write_retries = 50, 1
    return create_app(settings, store=store)


@pytest.mark.parametrize("lang", ["bg", "en"])
async def test_a_submission_that_cannot_be_stored_gets_503_with_the_form_kept(
    settings: Settings, db_path: Path, lang: str
) -> None:
    await seed_wave(settings)
    async with AsyncTestClient(app=_impatient_app(settings, db_path)) as client:
        page = await client.get(f"/s/{SURVEY}?org=elena&lang={lang}")
        data = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
        with LockHolder(db_path, 1.0):
            refused = await client.post(f"/s/{SURVEY}", data=data, follow_redirects=False)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "30"
        message = {
            "bg": "Отговорите Ви не можаха да бъдат запазени в момента",
            "en": "Your answers could not be saved just now",
        }[lang]
        assert message in refused.text and f'<html lang="{lang}">' in refused.text
        kept = hidden_fields(refused.text)
        assert kept["_key"] == data["_key"] and kept["service"] == "local_taxes"
        assert FULL_ANSWERS["comments"] in refused.text  # the last page's own answers too
        again = {**kept, **FULL_ANSWERS, "_action": "next"}
        assert (
            await client.post(f"/s/{SURVEY}", data=again, follow_redirects=False)
        ).status_code == 303
        assert (
            await client.post(f"/s/{SURVEY}", data=again, follow_redirects=False)
        ).status_code == 303
    assert db_counts(db_path)["responses"] == 1  # sent three times, stored once


async def test_a_staff_submission_that_cannot_be_stored_keeps_the_code_and_the_form(
    settings: Settings, db_path: Path
) -> None:
    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    async with AsyncTestClient(app=_impatient_app(settings, db_path)) as client:
        fields = await last_page_fields(client, code)
        fields["comments"] = "Трябва повече обучение."
        with LockHolder(db_path, 1.0):
            refused = await client.post("/t", data=fields, follow_redirects=False)
        assert refused.status_code == 503
        assert "Трябва повече обучение." in refused.text
        assert db_counts(db_path)["used"] == 0  # the code is not spent
        again = await client.post("/t", data=fields, follow_redirects=False)
        assert again.status_code == 303
    assert db_counts(db_path)["pending"] == 1


# ---------------------------------------------------------------------------- the WAL
async def test_a_large_wal_is_truncated_in_the_background(
    settings: Settings, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(maintenance, "CHECKPOINT_BYTES", 64 * 1024)
    monkeypatch.setattr(maintenance, "TRUNCATE_BYTES", 256 * 1024)
    await seed_wave(settings)
    store = SQLiteStore(str(db_path))
    store.checkpoint_interval = 0.05
    await store.open()
    try:
        version = (await store.waves())[0].version
        await store.import_responses(
            [
                NewResponse(
                    submission_key=f"k{i}",
                    wave_id="cs-baseline",
                    version=version,
                    organisation="elena",
                    channel="web",
                    lang="bg",
                    day=None,
                    answers={"comments": "x" * 500},
                )
                for i in range(3000)
            ]
        )
        grown = maintenance.wal_size(str(db_path))
        for _ in range(100):
            if maintenance.wal_size(str(db_path)) == 0:
                break
            await asyncio.sleep(0.05)
        assert grown > 256 * 1024 and maintenance.wal_size(str(db_path)) == 0
        assert await store.count_responses("cs-baseline") == 3000
    finally:
        await store.close()

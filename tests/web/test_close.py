"""Closing a staff wave costs the wave, never a citizen's submission: the close next to a large
citizen table, exactly-once mixing, leftover and orphaned sealed rows, the pending file's
destruction and modes. (Waiting for locks, 503 and the WAL: test_unavailable.py.)"""

from __future__ import annotations

import asyncio
import secrets
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.anonymity import padded_size, seal_response, unsealer
from survey_service.app import create_app
from survey_service.registry import Registry
from survey_service.sealing import Sealer
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage.base import NewResponse
from survey_service.storage.sqlite import SQLiteStore
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.tokens import code_hash, new_code
from survey_service.surveys.waves import now
from tests.conftest import FORMS, FULL_ANSWERS, SECRET, SURVEY, hidden_fields, seed_wave
from tests.web.test_load_and_durability import _free_port, _start_server
from tests.web.test_staff import (
    answer_all,
    db_counts,
    issue,
    open_staff_wave,
    pending_files,
    run_cli,
)

Client = AsyncTestClient[Litestar]


def fill_citizens(db: Path, wave_id: str, n: int) -> None:
    """``n`` citizen responses written straight into the file (in key order, so it is quick)."""
    with sqlite3.connect(db) as conn:
        version = conn.execute("SELECT version FROM waves WHERE id = ?", (wave_id,)).fetchone()[0]
        answers = msgspec.json.encode(FULL_ANSWERS)
        rows = sorted(
            (
                secrets.token_bytes(16),
                f"bulk-{i}",
                wave_id,
                version,
                "elena",
                "web",
                "bg",
                "2026-11-01",
                answers,
                b"\x01\x00\x00\x00" * 20,
            )
            for i in range(n)
        )
        conn.executemany(
            "INSERT INTO responses (id, submission_key, wave_id, version, organisation, channel,"
            " lang, day, answers, codes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    conn.close()


async def open_training_wave(settings: Settings, wave_id: str) -> None:
    store = SQLiteStore(settings.database_url.removeprefix("sqlite:///"))
    await store.open()
    try:
        await open_wave(
            settings, store, "training-evaluation", wave_id, "training", ["elena"], None, None
        )
    finally:
        await store.close()


async def seal_staff_answers(
    settings: Settings, db: Path, wave_id: str, n: int, org: str = "elena"
) -> None:
    """``n`` staff answers sealed into an open wave, as the staff form stores them."""
    codes = [new_code() for _ in range(n)]
    helper = SQLiteStore(str(db))
    await helper.open()
    try:
        await helper.add_tokens(
            wave_id, org, "admin_services", [code_hash(c.replace("-", ""), SECRET) for c in codes]
        )
    finally:
        await helper.close()
    registry = Registry(load_catalog(FORMS), SQLiteStore(str(db)), 0)
    store = registry.store
    await store.open()
    try:
        await registry.refresh(force=True)
        wave = next(w for w in registry.waves if w.id == wave_id)
        survey = registry.survey_version(wave.version)
        assert survey is not None
        sealer = Sealer(SECRET)
        for i, code in enumerate(codes):
            response = NewResponse(
                submission_key=secrets.token_urlsafe(16),
                wave_id=wave_id,
                version=wave.version,
                organisation=org,
                unit="admin_services",
                channel="web",
                lang="bg",
                day=None,
                answers={"comments": "я" * (i * 13)},
            )
            blob = seal_response(sealer, response, padded_size(survey))
            assert await store.submit_sealed(
                code_hash(code.replace("-", ""), SECRET), wave_id, blob
            )
    finally:
        await store.close()


async def _close_beside_citizens(tmp_path: Path, citizens: int) -> tuple[float, int]:
    """Shortest time of closing five 20-person staff (and training) waves in a database of
    ``citizens`` responses, while four clients keep submitting the citizen form; returns it and
    the number of citizen submissions acknowledged (every one is checked)."""
    from tests.conftest import settings_for

    db = tmp_path / f"survey-{citizens}.sqlite3"
    settings = settings_for(db)
    await seed_wave(settings)
    fill_citizens(db, "cs-baseline", citizens)
    # three waves that may be open at once: staff for each municipality, and a training
    waves = ["staff-0", "staff-1", "training-2", "training-3", "training-4"]
    await open_staff_wave(settings, "staff-0", organisations=["elena"])
    await open_staff_wave(settings, "staff-1", organisations=["lyaskovets"])
    for wave_id in waves[2:]:
        await open_training_wave(settings, wave_id)
    for wave_id, org in zip(waves, ["elena", "lyaskovets"] + ["elena"] * 3, strict=True):
        await seal_staff_answers(settings, db, wave_id, 20, org)
    statuses: list[int] = []
    times: list[float] = []
    port = _free_port()
    server = _start_server(db, port)  # a real server process: the close is another process
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            page = await client.get(f"/s/{SURVEY}?org=elena")
            base = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5", "_action": "next"}
            stop = asyncio.Event()

            async def citizen(c: int) -> None:
                i = 0
                while not stop.is_set():
                    data = {**base, "_key": f"during-close-{c}-{i:05d}-xxxxxx"}
                    statuses.append((await client.post(f"/s/{SURVEY}", data=data)).status_code)
                    i += 1

            clients = [asyncio.create_task(citizen(c)) for c in range(4)]
            closer = SQLiteStore(str(db))  # its own connections, as `waves close` has
            await closer.open()
            try:
                await asyncio.sleep(0.2)
                for wave_id in waves:
                    started = time.perf_counter()
                    mixed = await closer.mix_wave(wave_id, unsealer(Sealer(SECRET), wave_id))
                    times.append(time.perf_counter() - started)
                    assert mixed == 20
                    await asyncio.sleep(0.1)
            finally:
                stop.set()
                await asyncio.gather(*clients)
                await closer.close()
    finally:
        server.terminate()
        server.communicate(timeout=20)
    assert statuses and set(statuses) == {303}, statuses  # every citizen POST acknowledged
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT COUNT(*) FROM responses WHERE submission_key LIKE 'during-close-%'"
        ).fetchone()[0]
    conn.close()
    assert stored == len(statuses)
    assert pending_files(db) == []
    return min(times), len(statuses)


async def test_closing_a_staff_wave_costs_the_wave_not_the_citizen_table(
    tmp_path: Path,
) -> None:
    """The same close next to 2,000 and next to 100,000 citizen responses (50 times more): the
    close takes about the same time (a close that rewrote the database, as VACUUM did, grows
    with the table), and no citizen submission made meanwhile fails."""
    small, _ = await _close_beside_citizens(tmp_path, 2_000)
    large, _ = await _close_beside_citizens(tmp_path, 100_000)
    print(f"close: {small:.3f} s beside 2,000, {large:.3f} s beside 100,000")
    assert large / small < 5, (small, large)


# ---------------------------------------------------------------------------- exactly once
async def test_two_processes_closing_at_once_mix_exactly_once(
    settings: Settings, db_path: Path
) -> None:
    await open_staff_wave(settings)
    await seal_staff_answers(settings, db_path, "staff-2026", 5)
    stores = [SQLiteStore(str(db_path)), SQLiteStore(str(db_path))]
    for store in stores:
        await store.open()
    try:
        unseal = unsealer(Sealer(SECRET), "staff-2026")
        results = await asyncio.gather(*(s.mix_wave("staff-2026", unseal) for s in stores))
    finally:
        for store in stores:
            await store.close()
    assert sorted(results, key=str) == [5, None]  # one mixes, the other finds it mixed
    assert db_counts(db_path) == {"responses": 5, "tokens": 5, "used": 5, "pending": 0}


async def test_waves_close_says_so_when_the_server_mixed_first(
    settings: Settings, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`waves close` marks the wave closed; the running server mixes it after the CLI saw it
    unmixed and before the CLI's own mix: the CLI reports that, and does not claim to have
    mixed anything."""
    await open_staff_wave(settings)
    await seal_staff_answers(settings, db_path, "staff-2026", 3)
    original = SQLiteStore.mix_wave

    async def server_first(
        self: SQLiteStore, wave_id: str, unseal: Callable[[bytes], NewResponse]
    ) -> int | None:
        server = SQLiteStore(str(db_path))  # the server, in the middle of the CLI's close
        await server.open()
        try:
            assert await original(server, wave_id, unseal) == 3
        finally:
            await server.close()
        return await original(self, wave_id, unseal)

    monkeypatch.setattr(SQLiteStore, "mix_wave", server_first)
    code, out = await run_cli(settings, "waves", "close", "staff-2026")
    assert code == 0, out
    assert "mixed by the running server" in out and "mixed the answers of" not in out
    assert db_counts(db_path)["responses"] == 3


async def test_a_leftover_pending_file_of_a_mixed_wave_is_destroyed_at_open(
    settings: Settings, db_path: Path
) -> None:
    """A crash between the mix's commit and the file's destruction leaves the file: the next
    start destroys it."""
    await open_staff_wave(settings)
    await seal_staff_answers(settings, db_path, "staff-2026", 2)
    [path] = [p for p in pending_files(db_path) if p.suffix == ".sqlite3"]
    copy = path.read_bytes()
    store = SQLiteStore(str(db_path))
    await store.open()
    await store.mix_wave("staff-2026", unsealer(Sealer(SECRET), "staff-2026"))
    await store.close()
    assert pending_files(db_path) == []
    path.write_bytes(copy)  # as if the destruction had not happened
    store = SQLiteStore(str(db_path))
    await store.open()
    await store.close()
    assert pending_files(db_path) == []


async def test_answers_of_a_closed_wave_go_nowhere(settings: Settings, db_path: Path) -> None:
    """A wave closed by its end date stops taking sealed answers at the store itself."""
    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    store = SQLiteStore(str(db_path))
    await store.open()
    try:
        wave = (await store.waves())[0]
        await store.update_wave(msgspec.structs.replace(wave, closed=now()))
        assert not await store.submit_sealed(
            code_hash(code.replace("-", ""), SECRET), wave.id, b"x" * 100
        )
    finally:
        await store.close()
    assert db_counts(db_path) == {"responses": 0, "tokens": 1, "used": 0, "pending": 0}


async def test_a_staff_journey_through_the_app_leaves_a_private_pending_file(
    settings: Settings, db_path: Path
) -> None:
    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await answer_all(client, code)).status_code == 303
    folder = Path(str(db_path) + ".pending")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert pending_files(db_path) and all(
        p.stat().st_mode & 0o777 == 0o600 for p in pending_files(db_path)
    )
    for path in (db_path, Path(str(db_path) + "-wal"), Path(str(db_path) + "-shm")):
        if path.exists():
            assert path.stat().st_mode & 0o777 == 0o600, path


def test_a_destroyed_pending_file_is_overwritten_in_place_before_it_is_unlinked(
    tmp_path: Path,
) -> None:
    """Whoever still holds the file open (or reads its blocks) finds zeros, not the sealed
    rows: the bytes are overwritten in the same file, not just unlinked."""
    from survey_service.storage.pending import PendingFiles

    files = PendingFiles(str(tmp_path / "survey.sqlite3"))
    files.add("staff-x", b"i" * 16, b"SEALED-" * 500)
    path = files.path("staff-x")
    journal = Path(f"{path}-journal")
    assert journal.exists()  # the persistent journal, overwritten too
    with open(path, "rb") as held, open(journal, "rb") as held_journal:
        assert b"SEALED-" in held.read()
        assert files.destroy("staff-x")
        assert not path.exists() and not journal.exists()
        for f in (held, held_journal):
            f.seek(0)
            data = f.read()
            assert data and data.count(0) == len(data)  # every byte is zero
    assert not files.destroy("staff-x")


async def test_a_sealed_answer_whose_code_was_never_marked_is_not_mixed(
    settings: Settings, db_path: Path
) -> None:
    """A crash between the pending file's commit and the main commit leaves a sealed row
    without a mark (its code still unused, so it can be sent again): the mix ignores it and
    destroys it with the file."""
    from survey_service.storage.pending import PendingFiles

    await open_staff_wave(settings)
    await seal_staff_answers(settings, db_path, "staff-2026", 2)
    files = PendingFiles(str(db_path))
    [blob] = list(files.read("staff-2026").values())[:1]
    files.add("staff-2026", b"o" * 16, blob)  # the orphan: same kind of row, no mark
    assert len(files.read("staff-2026")) == 3
    store = SQLiteStore(str(db_path))
    await store.open()
    try:
        assert await store.pending_count("staff-2026") == 2
        assert await store.mix_wave("staff-2026", unsealer(Sealer(SECRET), "staff-2026")) == 2
    finally:
        await store.close()
    assert pending_files(db_path) == []
    assert db_counts(db_path)["responses"] == 2

"""``survey-service db copy``: SQLite to PostgreSQL and back, resumable, verified."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.storage import NewResponse, StoreError, opened
from survey_service.storage import copy as db_copy
from tests.contract.conftest import add_wave, response
from tests.contract.pg import fresh_database

KEY = b"fingerprint-of-the-key"
CITIZENS = 250


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_database() as url:
        yield url


async def fill(url: str) -> None:
    """Citizen answers, a mixed staff wave with units and panel hashes, codes, the key."""
    async with opened(url) as store:
        assert await store.check_key(KEY)
        await add_wave(store, "w", organisations=["elena"],
                       starts=dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC))
        staff = await add_wave(store, "staff", min_group=12, panel=True)
        await store.import_responses([
            response(f"citizen-{n:05d}-xxxxxxxxxx", codes=n.to_bytes(4, "little") * 3,
                     lang="en" if n % 3 else "bg", answers={"n": n, "t": ["a", "é"]})
            for n in range(CITIZENS)
        ])
        await store.add_tokens("staff", "elena", "finance", [bytes([n]) * 32 for n in range(12)])
        await store.add_tokens("staff", "elena", "it", [bytes([n]) * 32 for n in range(12, 15)])
        for n in range(5):
            sealed = msgspec.json.encode(response(
                f"staff-{n:03d}-xxxxxxxxxxxxxx", wave_id="staff", day=None, unit="finance",
                panel=bytes([n]) * 16))
            assert await store.submit_sealed(bytes([n]) * 32, "staff", sealed)
        assert await store.revoke_token(bytes([13]) * 32)
        await store.update_wave(msgspec.structs.replace(staff, closed=dt.datetime.now(dt.UTC)))
        assert await store.mix_wave("staff", lambda b: msgspec.json.decode(
            b, type=NewResponse)) == 5


async def contents(url: str) -> dict[str, object]:
    """Everything the store contract can read back."""
    async with opened(url) as store:
        out: dict[str, object] = {"waves": await store.waves()}
        for wave in ("w", "staff"):
            out[wave] = [await store.responses(wave), await store.wave_codes(wave, groups=True),
                         await store.token_counts(wave), await store.organisation_counts(wave)]
        out["versions"] = await store.form_version("v1")
        out["keys"] = all([await store.submitted(f"citizen-{n:05d}-xxxxxxxxxx")
                           for n in range(0, CITIZENS, 50)])
        out["same key"] = await store.check_key(KEY)
        out["other key"] = await store.check_key(b"another key")  # refused: codes exist
        return out


def copy(source: str, target: str) -> str:
    result = CliRunner().invoke(cli, ["db", "copy", "--from", source, "--to", target])
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_sqlite_to_postgresql_and_back_keeps_everything(
    tmp_path: Path, pg_url: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    back_url = f"sqlite:///{tmp_path / 'back.sqlite3'}"
    await fill(sqlite_url)
    expected = await contents(sqlite_url)
    assert expected["same key"] and not expected["other key"]

    out = await _in_thread(copy, sqlite_url, pg_url)
    assert f"copied {CITIZENS + 5 + 15 + 1:,} rows" in out  # responses, codes, the key
    assert "responses 255" in out and "tokens 15" in out and "waves 2" in out
    assert await contents(pg_url) == expected
    out = await _in_thread(copy, sqlite_url, pg_url)  # again: nothing left to copy
    assert "copied 0 rows" in out

    await _in_thread(copy, pg_url, back_url)
    assert await contents(back_url) == expected


async def _in_thread(fn: Callable[[str, str], str], *args: str) -> str:
    return await asyncio.to_thread(fn, *args)


async def test_a_copy_that_stops_continues_where_it_stopped(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    await fill(sqlite_url)
    monkeypatch.setattr(db_copy, "BATCH", 20)
    seen: list[int] = []

    def stop_midway(done: int, total: int) -> None:
        seen.append(done)
        if done > 100:
            raise ConnectionResetError("the network went away")

    with pytest.raises(StoreError, match="run the same command again to continue"):
        await db_copy.copy_database(sqlite_url, pg_url, stop_midway)
    stopped_at = seen[-1]
    progress: list[tuple[int, int]] = []
    result = await db_copy.copy_database(sqlite_url, pg_url,
                                         lambda d, t: progress.append((d, t)))
    total = CITIZENS + 5 + 1 + 15 + 1  # responses, the form version, codes, the key
    assert result.copied == total - stopped_at  # nothing copied twice
    assert progress[0][0] > stopped_at and progress[-1] == (total, total)
    assert await contents(pg_url) == await contents(sqlite_url)


async def test_sealed_answers_not_mixed_and_a_target_with_other_data_are_refused(
    tmp_path: Path, pg_url: str
) -> None:
    source = f"sqlite:///{tmp_path / 'open.sqlite3'}"
    async with opened(source) as store:
        await add_wave(store, "staff")
        await store.add_tokens("staff", "elena", "finance", [b"c" * 32])
        assert await store.submit_sealed(b"c" * 32, "staff", b"sealed")
    result = await asyncio.to_thread(
        CliRunner().invoke, cli, ["db", "copy", "--from", source, "--to", pg_url])
    assert result.exit_code == 1 and "waves close staff" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1

    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    async with opened(other) as store:
        await add_wave(store, "w")
        await store.submit(response("somebody-elses-xxxxxxxxxx"))
    elena = f"sqlite:///{tmp_path / 'elena.sqlite3'}"
    await fill(elena)
    with pytest.raises(StoreError, match="differs"):
        await db_copy.copy_database(elena, other, lambda d, t: None)

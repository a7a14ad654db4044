"""SQLite only: what cannot be a database is refused at open with one line, at once, and
leaves nothing running (an unclosed connection's thread would keep the process alive)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from survey_service.storage import (
    DatabaseURLError,
    StoreError,
    StoreOpenError,
    open_store,
    opened,
)


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder whose write bits are cleared at the end of the test's setup; restored after."""
    folder = tmp_path / "ro"
    folder.mkdir()
    yield folder
    for p in (folder, *folder.iterdir()):
        p.chmod(0o755 if p.is_dir() else 0o644)


def threading_count() -> int:
    return threading.active_count()


async def threads_settle(before: int) -> bool:
    """Whether the threads started since ``before`` was counted have all ended (a closed
    connection's thread ends a moment after ``close`` returns)."""
    for _ in range(100):
        if threading.active_count() <= before:
            return True
        await asyncio.sleep(0.02)
    return False


async def _refused(url: str) -> str:
    threads = threading_count()
    store = open_store(url)
    async with asyncio.timeout(10):
        with pytest.raises(StoreOpenError) as caught:
            await store.open()
    await store.close()  # harmless after a failed open
    assert await threads_settle(threads)  # no connection thread left behind
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_an_empty_or_unknown_url_is_refused_by_the_factory() -> None:
    for url in ("", "   "):
        with pytest.raises(DatabaseURLError, match="empty"):
            open_store(url)
    open_store("postgresql://survey@localhost/survey")  # made, not connected yet
    with pytest.raises(DatabaseURLError, match="unsupported database URL"):
        open_store("mysql://localhost/survey")
    with pytest.raises(DatabaseURLError):
        open_store("sqlite://relative.db")  # two slashes: not a path


async def test_a_url_without_a_file_is_refused() -> None:
    assert "names no file" in await _refused("sqlite:///")


async def test_a_missing_folder_is_refused_and_not_created(tmp_path: Path) -> None:
    message = await _refused(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}")
    assert "does not exist" in message and str(tmp_path / "missing") in message
    assert not (tmp_path / "missing").exists()


async def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert "is a folder" in await _refused(f"sqlite:///{tmp_path}")


async def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "notes.txt"
    other.write_text("not a database, but somebody's notes\n")
    assert "is not an SQLite database" in await _refused(f"sqlite:///{other}")
    assert other.read_text() == "not a database, but somebody's notes\n"


async def test_a_read_only_file_is_refused(read_only: Path) -> None:
    db = read_only / "db.sqlite3"
    async with opened(f"sqlite:///{db}"):
        pass
    db.chmod(0o444)
    assert "read-only" in await _refused(f"sqlite:///{db}")


async def test_a_read_only_folder_is_refused(read_only: Path) -> None:
    read_only.chmod(0o555)
    assert "read-only" in await _refused(f"sqlite:///{read_only / 'db.sqlite3'}")
    assert not (read_only / "db.sqlite3").exists()


async def test_an_empty_file_becomes_a_database(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite3"
    db.touch()
    async with opened(f"sqlite:///{db}") as store:
        assert await store.waves() == []


@pytest.mark.parametrize(
    "case", ["missing-folder", "folder", "not-sqlite", "no-file", "postgresql"]
)
def test_the_cli_says_one_line_and_exits_at_once(tmp_path: Path, case: str) -> None:
    (tmp_path / "notes.txt").write_text("notes")
    url = {
        "missing-folder": f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}",
        "folder": f"sqlite:///{tmp_path}",
        "not-sqlite": f"sqlite:///{tmp_path / 'notes.txt'}",
        "no-file": "sqlite:///",
        "postgresql": "postgresql://survey@localhost/survey",
    }[case]
    cli = str(Path(sys.executable).with_name("survey-service"))
    env = {**os.environ, "SURVEY_DATABASE_URL": url, "SURVEY_SECRET_KEY": "k" * 32}
    done = subprocess.run([cli, "db", "migrate"], env=env, capture_output=True, text=True,
                          timeout=30, cwd=tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), done.stderr


def test_store_errors_share_one_base() -> None:
    assert issubclass(StoreOpenError, StoreError) and issubclass(DatabaseURLError, StoreError)


async def test_a_damaged_database_is_refused(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert "cannot open" in await _refused(f"sqlite:///{damaged}")


def test_a_store_closed_at_once_leaves_no_thread_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` and every command open the store, do a little and close it: on a busy machine
    the background checkpointer was sometimes still connecting then, on a thread of its own,
    which finished after the event loop had gone ('Event loop is closed' tracebacks when
    `serve` started, and a thread left alive). Its connection is made slow here (as a busy
    machine makes it) to meet that moment every time; each run has its own loop, as each
    command does."""
    import sqlite3

    import aiosqlite

    from survey_service.storage import maintenance

    def slow_connect(path: str, **kwargs: object) -> aiosqlite.Connection:
        def connector() -> sqlite3.Connection:
            threading.Event().wait(0.2)
            return sqlite3.connect(path, **kwargs)  # type: ignore[arg-type]

        return aiosqlite.Connection(connector, 64)

    monkeypatch.setattr(maintenance.aiosqlite, "connect", slow_connect)
    errors: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", errors.append)
    before = threading.active_count()
    for _ in range(3):
        async def open_and_close() -> None:
            async with opened(f"sqlite:///{tmp_path / 'db.sqlite3'}") as store:
                await store.waves()  # a little work: the checkpointer starts meanwhile

        asyncio.run(open_and_close())
    for _ in range(100):  # a closed connection's thread ends a moment later
        if threading.active_count() <= before:
            break
        threading.Event().wait(0.02)
    assert not errors, [str(e.exc_value) for e in errors]
    assert threading.active_count() <= before

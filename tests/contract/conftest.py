"""The store contract: every engine must pass every test in this folder that is not named
after one engine (``test_sqlite_*``).

An engine is one entry of :data:`ENGINES`: a context manager giving a fresh database URL for
a test, and removing the database after it. PostgreSQL gets a new database per test on the
server of :mod:`.pg` (skipped, saying why, only when that server is unreachable).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from survey_service.storage import NewResponse, Store, opened
from survey_service.surveys.waves import Wave

from .pg import fresh_database


@contextmanager
def _sqlite(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'contract.sqlite3'}"


def _postgres(tmp_path: Path) -> AbstractContextManager[str]:
    return fresh_database()


ENGINES: dict[str, Callable[[Path], AbstractContextManager[str]]] = {
    "sqlite": _sqlite,
    "postgres": _postgres,
}

SURVEY = "contract-survey"
VERSION = "v1"
DAY = dt.date(2026, 12, 1)


@pytest.fixture(params=sorted(ENGINES))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to a database that does not exist yet (or is empty)."""
    with ENGINES[request.param](tmp_path) as made:
        yield made


@pytest.fixture
async def store(url: str) -> AsyncIterator[Store]:
    async with opened(url) as s:
        yield s


async def add_wave(store: Store, wave_id: str = "w", **fields: Any) -> Wave:
    """A wave of the contract survey (its form version saved first)."""
    await store.save_form_version(SURVEY, VERSION, b'{"id": "contract-survey"}')
    wave = Wave(id=wave_id, survey_id=SURVEY, version=VERSION, **fields)
    await store.add_wave(wave)
    return wave


def response(key: str, wave_id: str = "w", **fields: Any) -> NewResponse:
    values: dict[str, Any] = {
        "submission_key": key,
        "wave_id": wave_id,
        "version": VERSION,
        "organisation": "elena",
        "channel": "web",
        "lang": "bg",
        "day": DAY,
        "answers": {"service": "local_taxes", "overall": 4, "topics": ["a", "b"]},
        **fields,
    }
    return NewResponse(**values)

"""The store contract: every engine must pass every test in this folder that is not named
after one engine (``test_sqlite_*``).

An engine is one entry of :data:`ENGINES`: a function giving a fresh database URL for a test.
PostgreSQL joins with one more entry (a URL to an empty database from the environment, and
a skip when there is none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from survey_service.storage import NewResponse, Store, opened
from survey_service.surveys.waves import Wave


def _sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'contract.sqlite3'}"


ENGINES: dict[str, Callable[[Path], str]] = {"sqlite": _sqlite}

SURVEY = "contract-survey"
VERSION = "v1"
DAY = dt.date(2026, 12, 1)


@pytest.fixture(params=sorted(ENGINES))
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL to a database that does not exist yet (or is empty)."""
    return ENGINES[request.param](tmp_path)


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

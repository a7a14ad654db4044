"""Shared fixtures: a store file with an open wave, the app, and a client."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened

#: Fuzzing in CI: a fixed number of examples, derandomised (the same examples every run), no
#: example database; ``HYPOTHESIS_PROFILE=dev`` explores more, randomly.
hypothesis_settings.register_profile(
    "ci", max_examples=120, derandomize=True, database=None, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "dev", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"
SURVEY = "citizen-satisfaction"
SECRET = "test-secret-key-" + "x" * 32

#: A complete, valid set of answers to the shipped citizen survey (desk visit).
FULL_ANSWERS: dict[str, str] = {
    "contact_when": "today",
    "service": "local_taxes",
    "respondent_type": "citizen",
    "channel": "desk",
    "matter_finished": "finished",
    "info_easy_to_find": "4",
    "forms_clear": "5",
    "time_reasonable": "3",
    "staff_knowledgeable": "5",
    "staff_explained": "4",
    "staff_courteous": "5",
    "treated_fairly": "9",
    "got_what_needed": "4",
    "deadline_met": "4",
    "documents_correct": "2",
    "visit_count": "2",
    "wait_minutes": "up_to_20",
    "desks_count": "1",
    "desk_easy_to_find": "5",
    "waiting_acceptable": "3",
    "premises_accessible": "4",
    "overall_satisfaction": "4",
    "effort": "6",
    "recommend": "9",
    "age_band": "age_65_plus",
    "comments": "Благодаря!",
}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden fields of a page, as a browser would send them; a field written twice is a
    bug (a browser would send both values), so it fails here."""
    pairs = HIDDEN.findall(html)
    names = [name for name, _ in pairs]
    twice = sorted({n for n in names if n.startswith("_") and names.count(n) > 1})
    assert not twice, f"control fields written twice: {twice}"
    return dict(pairs)


def settings_for(db: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": f"sqlite:///{db}",
        "forms_dir": str(FORMS),
        "secret_key": SECRET,
        "wave_refresh_seconds": 0.0,
        # tests submit many answers from one test client; the limiter's tests set their own
        "submit_limit": 10_000,
        "api_key_limit": 1_000_000,  # the API's limits too (tests/web/test_api_limits.py)
        "api_client_limit": 1_000_000,
        **overrides,
    }
    return Settings.from_env({}, **values)


async def seed_wave(settings: Settings, wave_id: str = "cs-baseline", **kwargs: Any) -> None:
    """Open a wave through the CLI's code path, on a store of its own."""
    async with opened(settings.database_url) as store:
        await open_wave(
            settings,
            store,
            SURVEY,
            wave_id,
            kwargs.pop("phase", "baseline"),
            kwargs.pop("organisations", []),
            kwargs.pop("starts", None),
            kwargs.pop("ends", None),
        )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "survey.sqlite3"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return settings_for(db_path)


@pytest.fixture
async def app(settings: Settings) -> Litestar:
    await seed_wave(settings)
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=app) as c:
        yield c

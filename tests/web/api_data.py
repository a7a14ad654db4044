"""Data for the API tests: the demo's two closed citizen waves (both municipalities), an open
staff wave of Elena, a citizen wave of Lyaskovets only, and accounts with API keys."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from survey_service.services.demo import create_demo_waves, demo_wave_id
from survey_service.services.disclosure import disclosure_for
from survey_service.services.users import add_user, disable_user, new_key
from survey_service.services.waves import find_wave, open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from tests.conftest import SURVEY, settings_for
from tests.web.admin_helpers import ACCOUNTS, PASSWORD

BASELINE = demo_wave_id(SURVEY, "baseline")
FOLLOW_UP = demo_wave_id(SURVEY, "follow-up")
STAFF_OPEN = "staff-open"
LYASKOVETS_ONLY = "lyaskovets-only"


@dataclass(frozen=True)
class ApiData:
    settings: Settings
    keys: dict[str, str]  # user name -> API key (``gone``: a disabled user's)
    counts: dict[str, int]  # organisation -> responses in the baseline wave

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}


async def _build(settings: Settings) -> tuple[dict[str, str], dict[str, int]]:
    keys = {}
    async with opened(settings.database_url) as store:
        await create_demo_waves(settings, store, SURVEY, 40, 5)
        await open_wave(settings, store, "staff-survey", STAFF_OPEN, "baseline", ["elena"],
                        None, None, "before-2026")
        await open_wave(settings, store, SURVEY, LYASKOVETS_ONLY, "baseline", ["lyaskovets"],
                        None, None)
        for name, (role, orgs) in {**ACCOUNTS, "gone": ("admin", [])}.items():
            await add_user(settings, store, name, role, orgs, PASSWORD, "test")
            keys[name] = await new_key(store, name, "test")
        await disable_user(store, "gone", "test")
        counts = await store.organisation_counts(BASELINE)
        # the closed waves' disclosure plans, computed once and kept (as a first report does)
        await disclosure_for(settings, store, await find_wave(store, BASELINE))
        await disclosure_for(settings, store, await find_wave(store, BASELINE),
                             await find_wave(store, FOLLOW_UP))
    return keys, counts


def build(folder: Path) -> ApiData:
    settings = settings_for(folder / "db.sqlite3")
    return ApiData(settings, *asyncio.run(_build(settings)))

"""Waves for the trend, group and public-results tests: the demo's baseline and follow-up, and
annual rounds after them made the same way (synthetic responses of a chosen scenario)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from survey_service.demo import FOLLOW_UP, Scenario, generate
from survey_service.services.catalog import find_survey, load
from survey_service.services.demo import create_demo_waves
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.surveys.waves import now, parse_local
from tests.conftest import SURVEY

BASELINE = f"demo-{SURVEY}-baseline"
FOLLOW = f"demo-{SURVEY}-follow-up"
#: An annual round that improves further on the follow-up.
ANNUAL = Scenario(shifts={k: v + 0.3 for k, v in FOLLOW_UP.shifts.items()},
                  modes=FOLLOW_UP.modes)


async def add_annual(settings: Settings, wave_id: str, responses: int,
                     scenario: Scenario = ANNUAL, seed: int = 11,
                     organisations: list[str] | None = None) -> None:
    """A closed annual wave of the citizen survey with ``responses`` per organisation (the
    last days before today: the demo's follow-up ended on 20 November 2026)."""
    catalog = load(settings)
    survey = find_survey(catalog, SURVEY).survey
    orgs = organisations or list(catalog.organisations)
    ends = now() - dt.timedelta(minutes=5)
    starts = max(parse_local("2026-11-21"), ends - dt.timedelta(days=5))
    async with opened(settings.database_url) as store:
        wave = await open_wave(settings, store, SURVEY, wave_id, "annual", orgs, starts, ends)
        days = [starts.date()]
        for chunk in generate(survey, responses * len(orgs), scenario,
                              np.random.default_rng(seed), wave_id=wave_id,
                              version=wave.version, organisations=orgs, days=days):
            await store.import_responses(chunk)


async def three_waves(settings: Settings, responses: int = 60) -> list[str]:
    """Baseline, follow-up (the demo's) and one annual round, all closed."""
    async with opened(settings.database_url) as store:
        await create_demo_waves(settings, store, SURVEY, responses, 5)
    await add_annual(settings, "annual-2027", responses)
    return [BASELINE, FOLLOW, "annual-2027"]

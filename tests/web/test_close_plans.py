"""`waves close` makes the closed wave's disclosure plan (issue #14: kept with the closed
wave), so the first report about the wave does not wait for it (issue #11: the first
computation of a report page within 2x the floor)."""

from __future__ import annotations

import asyncio
import datetime as dt

import numpy as np

from survey_service.demo import BASELINE, generate
from survey_service.storage import opened
from survey_service.surveys.loader import decode_survey
from tests.conftest import SURVEY
from tests.web.test_cli import run


async def _answer(url: str, wave_id: str) -> None:
    async with opened(url) as store:
        wave = next(w for w in await store.waves() if w.id == wave_id)
        definition = await store.form_version(wave.version)
        assert definition is not None
        for chunk in generate(decode_survey(definition), 120, BASELINE,
                              np.random.default_rng(7), wave_id=wave_id, version=wave.version,
                              organisations=["elena", "lyaskovets"],
                              days=[dt.date(2026, 3, 2) + dt.timedelta(days=i)
                                    for i in range(5)]):
            await store.import_responses(chunk)


async def _kept_plan(url: str, wave_id: str) -> bytes | None:
    async with opened(url) as store:
        return await store.disclosure_plan(wave_id)


def test_closing_a_wave_keeps_its_plan_for_every_output(env: dict[str, str]) -> None:
    url = env["SURVEY_DATABASE_URL"]
    code, out = run(env, "waves", "open", SURVEY, "--id", "cs-base", "--starts", "2026-03-01")
    assert code == 0, out
    asyncio.run(_answer(url, "cs-base"))
    assert asyncio.run(_kept_plan(url, "cs-base")) is None  # open: the data may still change
    code, out = run(env, "waves", "close", "cs-base")
    assert code == 0, out
    assert "planned which small groups of cs-base every output hides" in out
    plan = asyncio.run(_kept_plan(url, "cs-base"))
    assert plan is not None
    # ... and the plan of its answer distributions, which the report pages draw
    distributions = asyncio.run(_kept_plan(url, "cs-base|distributions"))
    assert distributions is not None
    # every output follows that plan (the audit attacks what they publish): none changes it
    code, out = run(env, "disclosure", "audit", "cs-base")
    assert code == 0, out
    assert asyncio.run(_kept_plan(url, "cs-base")) == plan
    assert asyncio.run(_kept_plan(url, "cs-base|distributions")) == distributions

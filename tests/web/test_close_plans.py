"""`waves close` makes the closed wave's disclosure plan (issue #14: kept with the closed
wave), so the first report about the wave does not wait for it (issue #11: the first
computation of a report page within 2x the floor)."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import msgspec
import numpy as np

from survey_service.demo import BASELINE, generate
from survey_service.reports.disclosure import WavePlan
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


def test_closing_a_wave_plans_its_comparisons_with_the_closed_ones(
        env: dict[str, str]) -> None:
    """The second wave's form has lost an item of the CSQI: a comparison of the two shows the
    first wave's CSQI over the items they share, a figure its own plan did not have. ``waves
    close`` of the second plans it in the first wave's kept plan, before any report asks."""
    url = env["SURVEY_DATABASE_URL"]
    for wave in ("cs-a", "cs-b"):
        if wave == "cs-b":
            form = Path(env["SURVEY_FORMS_DIR"]) / "citizen-satisfaction.toml"
            text = form.read_text(encoding="utf-8")
            form.write_text("\n".join(line for line in text.splitlines()
                                      if '{ id = "forms_clear"' not in line) + "\n",
                            encoding="utf-8")
        code, out = run(env, "waves", "open", SURVEY, "--id", wave, "--starts", "2026-03-01",
                        *(["--yes"] if wave == "cs-b" else []))
        assert code == 0, out
        asyncio.run(_answer(url, wave))
        if wave == "cs-a":
            code, out = run(env, "waves", "close", wave)
            assert code == 0, out
            before = msgspec.json.decode(asyncio.run(_kept_plan(url, "cs-a")) or b"",
                                         type=WavePlan)
            assert not [k for k in before.hidden if k.startswith("csqi[")]
    code, out = run(env, "waves", "close", "cs-b")
    assert code == 0, out
    after = msgspec.json.decode(asyncio.run(_kept_plan(url, "cs-a")) or b"", type=WavePlan)
    variants = [k for k in after.hidden if k.startswith("csqi[")]
    assert variants and "forms_clear" not in variants[0]
    for key, cells in before.hidden.items():  # what was planned stays as it was
        assert after.hidden[key] == cells

"""A disclosure plan kept by an older planner is planned again by the current one when it is
next read (issue #14), keeping every cell the old one hid: what the old plan let out is out,
and hiding more never narrows anything. The case: Elena's NPS of +80 from 20 answers pins its
one detractor (:mod:`survey_service.reports.pinned`), which the first planner did not know."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import msgspec

from survey_service.reports.disclosure import (
    PLANNER,
    WavePlan,
    add_figures,
    figure_of,
    new_plan,
    wave_figures,
)
from survey_service.reports.group_plan import new_group_plan
from survey_service.services.catalog import find_survey, load
from survey_service.services.disclosure import full_matrix, wave_plan
from survey_service.services.distributions import distribution_plan, plan_key
from survey_service.services.groups import breakdown_questions, group_plan
from survey_service.services.groups import plan_key as question_key
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.base import NewResponse
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.waves import now
from tests.conftest import FORMS, SECRET, SURVEY

RECOMMEND = {"elena": [0] + [7] * 2 + [10] * 17, "lyaskovets": [0] * 5 + [7] * 5 + [10] * 10}


async def _scenario(settings: Settings) -> dict[str, Any]:
    survey = find_survey(load(settings), SURVEY).survey
    ends = now() - dt.timedelta(minutes=5)
    async with opened(settings.database_url) as store:
        wave = await open_wave(settings, store, SURVEY, "w", "baseline",
                               ["elena", "lyaskovets"], ends - dt.timedelta(days=5), ends)
        rows = []
        for org, values in RECOMMEND.items():
            for i, value in enumerate(values):
                answers: dict[str, Any] = {"recommend": value, "overall_satisfaction": 4}
                rows.append(NewResponse(
                    submission_key=f"{org}-{i}", wave_id="w", version=wave.version,
                    organisation=org, channel="web", lang="bg",
                    day=(ends - dt.timedelta(days=1)).date(), answers=answers,
                    codes=encode_codes(survey, answers)))
        await store.import_responses(rows)
        m = await full_matrix(store, wave)
        old = new_plan(m, [], 10, settings.protection_level)
        old.planner = 0  # what the first planner kept: no pinned figures
        add_figures(old, m, wave_figures(m.survey))
        await store.save_disclosure_plan("w", msgspec.json.encode(old))
        await store.save_disclosure_plan(plan_key("w"), msgspec.json.encode(WavePlan(
            wave="w", min_group=old.min_group, protection=old.protection, atoms=old.atoms,
            cells=old.cells, labels=old.labels, report_cells=old.report_cells,
            hidden={"bands:nps": [old.labels["organisation:lyaskovets"]]})))
        first = await wave_plan(settings, store, wave)
        kept = msgspec.json.decode(await store.disclosure_plan("w") or b"", type=WavePlan)
        dist = await distribution_plan(settings, store, wave)
        question = breakdown_questions(m)[0]  # a breakdown's plan, kept by the first planner
        grouped = new_group_plan(m, question, 10, settings.protection_level)
        grouped.planner = 0
        grouped.hidden = {"nps": [grouped.labels["organisation:lyaskovets"]]}
        await store.save_disclosure_plan(question_key("w", question),
                                         msgspec.json.encode(grouped))
        nps = figure_of(m.survey, "nps")
        assert nps is not None
        again = await group_plan(settings, store, m, question, [nps])
        return {"old": old, "first": first, "kept": kept, "dist": dist, "grouped": grouped,
                "again": again}


def test_a_plan_of_an_older_planner_is_planned_again_keeping_what_it_hid(
        tmp_path: Path) -> None:
    shutil.copytree(FORMS, tmp_path / "forms")
    settings = Settings.from_env({}, database_url=f"sqlite:///{tmp_path / 'db.sqlite3'}",
                                 forms_dir=str(tmp_path / "forms"), secret_key=SECRET)
    found = asyncio.run(_scenario(settings))
    old, first, kept, dist = found["old"], found["first"], found["kept"], found["dist"]
    elena = old.labels["organisation:elena"]
    assert elena not in old.hidden["nps"]  # the old plan showed the pinning NPS
    assert first.planner == PLANNER and kept.planner == PLANNER
    assert elena in first.hidden["nps"] and elena in kept.hidden["nps"]
    for key, cells in old.hidden.items():
        assert set(cells) <= set(first.hidden[key]), key
    assert dist.planner == PLANNER
    assert old.labels["organisation:lyaskovets"] in dist.hidden["bands:nps"]
    assert elena in dist.hidden["bands:nps"]  # never drawn where the NPS is hidden
    grouped, again = found["grouped"], found["again"]  # a breakdown's plan too
    assert again.planner == PLANNER and again.cells == grouped.cells
    assert set(grouped.hidden["nps"]) <= set(again.hidden["nps"])
    assert elena in again.hidden["nps"]  # planned again with the wave's tables

"""Two questions' breakdowns published together narrow no small group (issue #14): in each
of two citizen waves, the 10 answering for a business are exactly the 10 aged 18 to 29, and
the 4 answering for another person answered everything at the bottom of the scale. The
breakdown by respondent type hides those 4 and, as its complement, the businesses; a
breakdown by age band planned without it would show the youngest, who are the businesses.
Built through the real path (the public form over HTTP, ``waves close`` by the CLI); the
auditor is ``disclosure audit`` over both breakdowns, which attacks them together."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.reports.disclosure import WavePlan
from survey_service.services import disclosure_audit
from survey_service.services.groups import compute_groups, plan_key
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from tests.conftest import FORMS, FULL_ANSWERS, SECRET, SURVEY, hidden_fields
from tests.web.disclosure_scenario import run

WAVES = ("cq-before", "cq-after")
QUESTIONS = ["respondent_type", "age_band"]
LIKERT = ["info_easy_to_find", "forms_clear", "time_reasonable", "staff_knowledgeable",
          "staff_explained", "staff_courteous", "treated_fairly", "got_what_needed",
          "deadline_met", "documents_correct", "desk_easy_to_find", "waiting_acceptable",
          "premises_accessible", "overall_satisfaction"]
#: people, (likert answer, effort, recommend, visits and desks, wait), respondent type, age
#: band: no figure is at an end of its scale for everyone
GROUPS = [(20, ("4", "5", "8", "2", "over_40"), "citizen", "age_45_64"),
          (4, ("1", "1", "0", "1", "up_to_5"), "other_person", "age_45_64"),
          (10, ("5", "7", "10", "1", "up_to_5"), "business", "age_18_29")]


def answers(values: tuple[str, ...], kind: str, age: str) -> dict[str, str]:
    likert, effort, recommend, visits, wait = values
    return {**FULL_ANSWERS, **dict.fromkeys(LIKERT, likert), "effort": effort,
            "recommend": recommend, "visit_count": visits, "desks_count": visits,
            "wait_minutes": wait, "respondent_type": kind, "age_band": age}


async def submit(client: Any, fields: dict[str, str]) -> None:
    page = await client.get(f"/s/{SURVEY}?org=elena")
    for _ in range(12):
        form = {**hidden_fields(page.text), **fields, "_action": "next"}
        page = await client.post(f"/s/{SURVEY}", data=form, follow_redirects=False)
        if page.status_code == 303:
            return
        assert page.status_code == 200, page.text
    raise AssertionError("the form never ended")


async def _build(settings: Settings, waves: tuple[str, ...] = WAVES, *close: str,
                 first: int = 0) -> str:
    """The waves opened, answered over HTTP and closed; the last close's output."""
    out = ""
    for i, wave in enumerate(waves, start=first):
        async with opened(settings.database_url) as store:
            await open_wave(settings, store, SURVEY, wave, "baseline" if i == 0 else "follow-up",
                            [], None, None)
        async with AsyncTestClient(app=create_app(settings)) as client:
            for people, values, kind, age in GROUPS:
                for _ in range(people):
                    await submit(client, answers(values, kind, age))
        code, out = await asyncio.to_thread(run, settings, "waves", "close", wave, *close)
        assert code == 0, out
    return out


def _settings(folder: Path) -> Settings:
    shutil.copytree(FORMS, folder / "forms")
    return Settings.from_env({}, database_url=f"sqlite:///{folder / 'db.sqlite3'}",
                             forms_dir=str(folder / "forms"), secret_key=SECRET,
                             wave_refresh_seconds=0.0, submit_limit=10_000)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    found = _settings(tmp_path_factory.mktemp("two-questions"))
    asyncio.run(_build(found))
    return found


def test_two_breakdowns_together_narrow_no_small_group(settings: Settings) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(disclosure_audit, "_questions",
                      lambda m: [q for q in QUESTIONS if q in m.items])
        code, out = run(settings, "disclosure", "audit", *WAVES, "--json")
    found = json.loads(out[:out.rindex("}") + 1])
    small = [i for i in found["intervals"] if i["sensitive"] and not i["figure"].startswith(
        "dist:")]
    four = [i for i in small if i["cell"].endswith("|q:other_person")]
    assert {i["wave"] for i in four} == set(WAVES)  # the 4 are attacked in both waves
    narrowed = [i for i in small if i["published"] or i["width"] < i["needed"] - 1e-6]
    assert not narrowed, sorted({(i["figure"], i["cell"], round(i["low"], 1),
                                  round(i["high"], 1)) for i in narrowed})
    assert code == 0, out[-500:]


async def _ask_then_read(settings: Settings, wave: str, asked: list[str]) -> dict[str, WavePlan]:
    """Ask for the breakdowns by ``asked`` in that order; every question's kept plan."""
    async with opened(settings.database_url) as store:
        for question in asked:
            await compute_groups(settings, store, SURVEY, [wave], question, None, None, "en")
        found = {q: await store.disclosure_plan(plan_key(wave, q)) for q in QUESTIONS}
    return {q: msgspec.json.decode(p, type=WavePlan) for q, p in found.items() if p}


def _hidden(plan: WavePlan, key: str = "driver_timeliness") -> set[str]:
    return {label.split("q:")[1] for label, cell in plan.labels.items()
            if label.startswith("organisation:elena|q:") and cell in plan.hidden[key]}


def test_closing_with_breakdowns_plans_them_in_the_form_order(tmp_path: Path) -> None:
    """Asked for by age band first, the breakdown by age band shows both age bands (the
    youngest are the businesses) and the one by respondent type, planned second, hides the 4
    with the citizens; closed with --breakdowns, the
    form's order holds whatever is asked first: respondent type (asked of everyone before the
    age band) hides the 4 and the businesses, and the age band hides both its groups."""
    asked = ["age_band", "respondent_type"]
    late = _settings(tmp_path / "late")
    asyncio.run(_build(late, ("cq-late",)))
    plans = asyncio.run(_ask_then_read(late, "cq-late", asked))
    assert _hidden(plans["age_band"]) == set()
    assert _hidden(plans["respondent_type"]) == {"citizen", "other_person"}
    early = _settings(tmp_path / "early")
    asyncio.run(_build(early, ("cq-early",), "--breakdowns"))
    plans = asyncio.run(_ask_then_read(early, "cq-early", asked))
    assert _hidden(plans["respondent_type"]) == {"other_person", "business"}
    assert _hidden(plans["age_band"]) == {"age_18_29", "age_45_64"}


async def _kept_plans(settings: Settings) -> dict[str, bytes | None]:
    async with opened(settings.database_url) as store:
        return {key: await store.disclosure_plan(key) for wave in WAVES
                for key in (wave, *(plan_key(wave, q) for q in QUESTIONS))}


def test_closing_with_breakdowns_plans_what_the_comparison_shows(tmp_path: Path) -> None:
    """The follow-up's form dropped an item, so comparing the waves shows each indicator over
    the items they share (figures neither wave's own tables have). Closed with --breakdowns,
    both waves' plans already cover them: asking the comparison's breakdowns afterwards
    plans nothing, so no output printed before hides less than one printed after."""
    settings = _settings(tmp_path)
    asyncio.run(_build(settings, WAVES[:1], "--breakdowns"))
    form = Path(settings.forms_dir) / f"{SURVEY}.toml"
    text = form.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines(keepends=True)
               if line.startswith('  { id = "deadline_met"'))
    form.write_text(text.replace(row, ""), encoding="utf-8")
    out = asyncio.run(_build(settings, WAVES[1:], "--breakdowns", first=1))
    # each plan is announced as it is made (one can take minutes), both waves' sides
    assert all(f"{w} by respondent_type ..." in out for w in WAVES), out
    before = asyncio.run(_kept_plans(settings))
    assert all(before.values())
    variants = {k for p in before.values() if p is not None
                for k in msgspec.json.decode(p, type=WavePlan).hidden if "[" in k}
    assert variants  # indicators over the shared items

    async def ask() -> None:
        async with opened(settings.database_url) as store:
            for question in QUESTIONS:
                await compute_groups(settings, store, SURVEY, list(WAVES), question, None,
                                     None, "en")
    asyncio.run(ask())
    assert asyncio.run(_kept_plans(settings)) == before

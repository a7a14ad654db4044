"""Issue #14: an item row shows the item's % positive and its mean together, and both are in
the attacker's model. Two closed citizen waves of two organisations, 30 people each: in Elena
one person answered 1 to ``forms_clear`` and the other 29 answered 5, so Elena's 96.7 %
positive alone says that at most one person was not positive, and pins the one answer of 1
(a count of 0 to 1: the count needs 3 answers). The wave plan makes that cell sensitive for the
item and hides it with a complement; the audit proves it through the CLI, and catches the
figures shown when the rule is switched off (the audit once read the % positive as the mean:
an attack with no solution, which proved nothing)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from survey_service.services import disclosure, disclosure_audit
from survey_service.services.catalog import find_survey, load
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.base import NewResponse
from survey_service.surveys.coding import encode_codes, scored_items
from survey_service.surveys.waves import now
from tests.conftest import FORMS, SECRET, SURVEY
from tests.web.test_disclosure_questions import run

ITEM = "forms_clear"


def _answers(survey: Any, org: str, i: int) -> dict[str, Any]:
    """Every likert item 3, 4 or 5 in turn; ``ITEM`` as the module says."""
    items = [s.id for s in scored_items(survey) if s.kind == "likert"]
    answers: dict[str, Any] = {"service": "local_taxes", **{q: 3 + i % 3 for q in items}}
    if org == "elena":
        answers[ITEM] = 1 if i == 0 else 5
    else:
        answers[ITEM] = (1, 3, 5)[i % 3]
    return answers


async def _waves(settings: Settings) -> None:
    survey = find_survey(load(settings), SURVEY).survey
    ends = now() - dt.timedelta(minutes=5)
    async with opened(settings.database_url) as store:
        for wave_id, phase in (("before", "baseline"), ("after", "follow-up")):
            wave = await open_wave(settings, store, SURVEY, wave_id, phase,
                                   ["elena", "lyaskovets"], ends - dt.timedelta(days=10), ends)
            rows = []
            for org in ("elena", "lyaskovets"):
                for i in range(30):
                    answers = _answers(survey, org, i)
                    rows.append(NewResponse(
                        submission_key=f"{wave_id}-{org}-{i}", wave_id=wave_id,
                        version=wave.version, organisation=org, channel="web", lang="bg",
                        day=(ends - dt.timedelta(days=1 + i % 9)).date(), answers=answers,
                        codes=encode_codes(survey, answers)))
            await store.import_responses(rows)


def _env(root: Path) -> dict[str, str]:
    shutil.copytree(FORMS, root / "forms")
    settings = Settings.from_env({}, database_url=f"sqlite:///{root / 'db.sqlite3'}",
                                 forms_dir=str(root / "forms"), secret_key=SECRET)
    asyncio.run(_waves(settings))
    return {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_SECRET_KEY": SECRET,
            "SURVEY_FORMS_DIR": settings.forms_dir}


def _item(env: dict[str, str], *extra: str) -> dict[str, Any]:
    code, out = run(env, "report", SURVEY, "--baseline", "before", "--follow-up", "after",
                    "--lang", "en", "--format", "json", *extra)
    assert code == 0, out
    return next(r for r in json.loads(out)["rows"] if r["section"] == "item" and r["id"] == ITEM)


def _audit(env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    code, out = run(env, "disclosure", "audit", "before", "after", "--json")
    return code, json.loads(out[:out.rindex("}") + 1])


def test_an_item_that_pins_its_own_small_count_is_hidden_there(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    env = _env(tmp_path_factory.mktemp("items"))
    elena = _item(env, "--org", "elena")
    assert elena.get("baseline") is None and elena.get("mean_baseline") is None
    # and a complement: all organisations less Lyaskovets would give Elena back
    assert _item(env).get("baseline") is None or \
        _item(env, "--org", "lyaskovets").get("baseline") is None
    code, found = _audit(env)
    assert code == 0 and found["exposed"] == 0, found
    counts = [i for i in found["intervals"] if i["figure"] == f"dist:{ITEM}=1"
              and i["cell"] == "organisation:elena"]
    assert counts and all(i["width"] >= i["needed"] - 1e-6 for i in counts), counts
    # the audit reads the item's figures as what they are: means within 1-5, shares 0-100
    assert any(i["figure"] == f"item:{ITEM}" for i in found["intervals"])


def test_the_audit_catches_the_item_shown_regardless(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(disclosure, "pinned_cells", lambda *args: {})
    env = _env(tmp_path_factory.mktemp("items-unpinned"))
    elena = _item(env, "--org", "elena")
    assert elena["baseline"] == pytest.approx(100 * 29 / 30, abs=0.1)
    assert elena["mean_baseline"] == pytest.approx((1 + 29 * 5) / 30, abs=0.01)
    code, found = _audit(env)
    assert code == 1, found
    exposed = [i for i in found["intervals"] if i["figure"] == f"dist:{ITEM}=1"
               and i["cell"] == "organisation:elena" and i["width"] < i["needed"]]
    # 0 to 1 answer of 30 (3.3 points) where the count needs 3 answers (10 points)
    assert exposed and all(i["high"] <= 100 / 30 + 0.01 and i["needed"] == pytest.approx(10.0)
                           for i in exposed), exposed


def test_an_audit_that_misreads_an_item_row_fails(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The old defect, put back: the % positive recorded as the mean (and the mean as the %
    positive). Its attacks have no solution; the audit says so and exits 1, where it once
    printed the scale's whole range and passed."""
    monkeypatch.setattr(disclosure_audit, "ITEM", "positive:")
    monkeypatch.setattr(disclosure_audit, "POSITIVE", "item:")
    env = _env(tmp_path_factory.mktemp("items-misread"))
    code, found = _audit(env)
    assert code == 1, found
    unsolved = [i for i in found["intervals"] if i["width"] is None]
    assert any(i["sensitive"] for i in unsolved), unsolved
    assert found["exposed"] == sum(i["sensitive"] for i in unsolved)  # nothing else fails

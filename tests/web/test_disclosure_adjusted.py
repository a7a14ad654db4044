"""Issue #14: the report's adjusted-change section is attacked too. Two closed citizen waves
whose form adjusts for the service only: four people of "permits" answered all 1s (a CSQI of
0), so the plans hide them and civil registration beside them. The section's standardised
figure, its change in mix and its regression each give the four away exactly with the figures
the plans show; the service withholds them, and the audit proves it, through the CLI."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
from typing import Any

import pytest

from survey_service.reports import adjusted_plan
from survey_service.services.catalog import find_survey, load
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.base import NewResponse
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import indicator_items
from survey_service.surveys.waves import now
from tests.conftest import FORMS, SECRET, SURVEY
from tests.web.test_disclosure_questions import run

GROUPS = {"before": [("local_taxes", 60, 4), ("civil_registration", 40, 3), ("permits", 4, 1)],
          "after": [("local_taxes", 50, 4), ("civil_registration", 50, 4), ("permits", 4, 1)]}


async def _waves(settings: Settings) -> None:
    survey = find_survey(load(settings), SURVEY).survey
    items = indicator_items(survey, "csqi")
    ends = now() - dt.timedelta(minutes=5)
    async with opened(settings.database_url) as store:
        for wave_id, groups in GROUPS.items():
            wave = await open_wave(settings, store, SURVEY, wave_id,
                                   "baseline" if wave_id == "before" else "follow-up",
                                   ["elena"], ends - dt.timedelta(days=10), ends)
            rows = []
            for service, n, code in groups:
                for i in range(n):
                    value = code + 1 if code not in (1, 5) and i % 3 == 0 else code
                    answers: dict[str, Any] = {"service": service,
                                               **dict.fromkeys(items, value),
                                               "overall_satisfaction": value}
                    rows.append(NewResponse(
                        submission_key=f"{wave_id}-{service}-{i}", wave_id=wave_id,
                        version=wave.version, organisation="elena", channel="web", lang="bg",
                        day=(ends - dt.timedelta(days=1 + i % 9)).date(), answers=answers,
                        codes=encode_codes(survey, answers)))
            await store.import_responses(rows)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("adjusted")
    shutil.copytree(FORMS, root / "forms")
    form = root / "forms" / "citizen-satisfaction.toml"
    text = form.read_text(encoding="utf-8")
    start = text.index("adjust_for = ")
    end = text.index("\n", text.index("composition = ", start))
    form.write_text(text[:start] + 'adjust_for = ["service"]' + text[end:], encoding="utf-8")
    settings = Settings.from_env({}, database_url=f"sqlite:///{root / 'db.sqlite3'}",
                                 forms_dir=str(root / "forms"), secret_key=SECRET)
    asyncio.run(_waves(settings))
    return {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_SECRET_KEY": SECRET,
            "SURVEY_FORMS_DIR": settings.forms_dir}


def _adjusted(env: dict[str, str], *extra: str) -> list[dict[str, Any]]:
    code, out = run(env, "report", SURVEY, "--baseline", "before", "--follow-up", "after",
                    "--lang", "en", "--format", "json", *extra)
    assert code == 0, out
    return [r for r in json.loads(out)["rows"] if r["section"] == "adjusted"]


def test_the_report_withholds_the_adjusted_change_that_gives_a_small_group_away(
        env: dict[str, str]) -> None:
    for extra in ((), ("--org", "elena")):
        rows = [r for r in _adjusted(env, *extra) if r["id"] == "csqi"]
        assert [r.get("test") for r in rows] == ["standardised", "regression"]
        assert all(r.get("change") is None and r.get("baseline") is None for r in rows)
        assert all("not shown" in r["note"] for r in rows)


def test_the_audit_passes_and_catches_the_section_shown_regardless(
        env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run(env, "disclosure", "audit", "before", "after", "--json")
    assert code == 0, out
    found = json.loads(out[:out.rindex("}") + 1])
    assert found["exposed"] == 0
    # withheld, csqi's section shows nothing to attack; the indicators it could show are
    # attacked with both waves
    attacked = {i["figure"].split()[0] for i in found["intervals"] if "(adjusted change" in
                i["figure"]}
    assert "csqi" not in attacked
    monkeypatch.setattr(adjusted_plan.Guard, "allows", lambda self, *args: True)
    assert [r.get("change") is not None for r in _adjusted(env) if r["id"] == "csqi"] == [
        True, True]
    code, out = run(env, "disclosure", "audit", "before", "after", "--json")
    assert code == 1, out
    found = json.loads(out[:out.rindex("}") + 1])
    exposed = [i for i in found["intervals"] if i["figure"].startswith("csqi (adjusted")
               and "permits" in i["cell"] and i["width"] < 1.0]
    assert exposed and all(i["low"] == pytest.approx(0.0, abs=0.01) for i in exposed)

"""The project report (#15): `survey-service results` over every survey, through the CLI, on
the demo's waves (staff and training answers sealed, then mixed at the close)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.demo import BASELINE, generate
from survey_service.storage import opened
from tests.conftest import SURVEY

STAFF_WAVES = ("demo-staff-survey-baseline", "demo-staff-survey-follow-up")


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def results(env: dict[str, str], *args: str) -> dict[str, Any]:
    code, out = run(env, "results", "--format", "json", *args)
    assert code == 0, out
    data: dict[str, Any] = json.loads(out)
    return data


def rows(data: dict[str, Any], scope: str = "all", line: str = "measure") -> dict[str, Any]:
    return {(r["indicator"] if line == "measure" else r["result"]): r for r in data["rows"]
            if r["scope"] == scope and r["line"] == line}


def test_the_demo_project_report_in_both_languages_and_every_format(env: dict[str, str]) -> None:
    code, out = run(env, "demo", "--responses", "150")
    assert code == 0, out
    for wave in (*STAFF_WAVES, "demo-training-evaluation-1", "demo-training-evaluation-2"):
        assert f"created demo wave {wave}" in out
    waves = {w["id"]: w for w in json.loads(run(env, "waves", "list", "--json")[1])}
    assert all(waves[w]["state"] == "closed" and waves[w]["responses"] > 50 for w in STAFF_WAVES)
    code, table = run(env, "results")
    assert code == 0, table
    assert "Очаквани резултати от проекта: двете общини заедно" in table
    assert "Очаквани резултати от проекта: Община Елена" in table
    assert "По-добро разпределение на функциите и дейностите между звената" in table
    assert "ПОСТИГНАТА СЪС СИГУРНОСТ" in table and "БЕЗ ДОКАЗУЕМА ПРОМЯНА" in table
    assert "Промяната между две вълни не е ефект на проекта" in table  # said once
    assert table.count("не е ефект на проекта") == 1
    assert "Планът за анализ" in table and "е фиксиран на" in table
    assert "фиксирани на" in table and "demo-citizen-satisfaction-follow-up" in table
    code, english = run(env, "results", "--lang", "en")
    assert code == 0 and "Expected results of the project: all organisations together" in english
    assert "A better distribution of functions and activities between the units" in english
    code, csv = run(env, "results", "--format", "csv")
    assert code == 0 and csv.startswith("\ufeffscope,result,line,label,survey,indicator,waves,")
    assert len(csv.splitlines()) == 1 + 3 * (15 + 18)  # header; 3 scopes x (results + indicators)
    data = results(env)
    assert data["family_wave"] == "demo-citizen-satisfaction-follow-up"
    assert data["family_frozen"] is not None and len(data["family"]) == 8
    statuses = {r["status"] for r in rows(data, line="result").values()}
    assert {"met with confidence", "no demonstrable change"} <= statuses
    assert data["plan_wave"] == "demo-citizen-satisfaction-follow-up"
    assert data["plan_frozen"] is not None and len(data["plan_hash"]) == 16
    for scope in ("all", "elena", "lyaskovets"):  # every indicator computed in every scope
        assert all(r["status"] != "not computable" for r in rows(data, scope).values()), scope
    staff = rows(data)["eei"]
    assert staff["waves"] == " → ".join(STAFF_WAVES) and staff["adjustment"] == "holm"
    assert staff["n_baseline"] == waves[STAFF_WAVES[0]]["responses"]
    elena = results(env, "--org", "elena", "--lang", "en")
    assert {r["scope"] for r in elena["rows"]} == {"elena"}


def _hand_index(answers: list[dict[str, Any]], items: list[str]) -> float:
    """Mean over respondents of the 0-100 mean of their valid answers (at least 60 %)."""
    scores = []
    for a in answers:
        valid = [a[i] for i in items if i in a and 1 <= a[i] <= 5]
        if len(valid) >= math.ceil(0.6 * len(items)):
            scores.append(sum(25 * (x - 1) for x in valid) / len(valid))
    return sum(scores) / len(scores)


def test_a_level_target_on_a_single_training_wave(env: dict[str, str]) -> None:
    assert run(env, "demo", "--survey", "training-evaluation")[0] == 0
    one = rows(results(env, "--training", "demo-training-evaluation-1"))
    reaction = one["reaction_index"]
    assert reaction["waves"] == "demo-training-evaluation-1" and reaction["n_follow_up"] == 28
    assert reaction["baseline"] is None and reaction["change"] is None

    async def answers() -> list[dict[str, Any]]:
        async with opened(env["SURVEY_DATABASE_URL"]) as store:
            return [dict(r.answers) for r in await store.responses("demo-training-evaluation-1")]

    items = ["reaction_content_useful", "reaction_trainer_clear", "reaction_trainer_knowledge",
             "reaction_materials", "reaction_organisation", "reaction_time_used"]
    expected = _hand_index(asyncio.run(answers()), items)
    assert abs(reaction["follow_up"] - expected) < 1e-9
    assert reaction["ci_low"] < expected < reaction["ci_high"]
    low, high = reaction["ci_low"], reaction["ci_high"]
    assert reaction["status"] == ("met with confidence" if low >= 75 else "met" if expected >= 75
                                  else "below target" if high >= 75 else "clearly below target")
    assert f"{low:.1f}…{high:.1f}" in reaction["status_basis"]  # the status with its CI
    both = rows(results(env))["reaction_index"]
    assert both["waves"] == "demo-training-evaluation-1, demo-training-evaluation-2"
    assert both["n_follow_up"] == 56


def _import(env: dict[str, str], wave_id: str, per_org: dict[str, int]) -> None:
    async def work() -> None:
        async with opened(env["SURVEY_DATABASE_URL"]) as store:
            wave = next(w for w in await store.waves() if w.id == wave_id)
            definition = await store.form_version(wave.version)
            assert definition is not None
            from survey_service.surveys.loader import decode_survey

            survey = decode_survey(definition)
            for i, (org, n) in enumerate(per_org.items()):
                for chunk in generate(survey, n, BASELINE, np.random.default_rng(i),
                                      wave_id=wave_id, version=wave.version,
                                      organisations=[org], days=[dt.date(2020, 1, 2)]):
                    await store.import_responses(chunk)

    asyncio.run(work())


def test_not_computable_says_why(env: dict[str, str]) -> None:
    data = results(env, "--lang", "en")
    measures = rows(data)
    assert measures["csqi"]["status"] == "not computable"
    assert measures["csqi"]["note"] == "no baseline wave yet"
    assert measures["reaction_index"]["note"] == "no training wave yet"
    assert measures["took_project_training"]["note"] == "no follow-up wave yet"
    assert data["family_frozen"] is None  # frozen only when a follow-up wave opens
    assert run(env, "waves", "open", SURVEY, "--id", "b", "--starts", "2020-01-01",
               "--ends", "2020-03-01")[0] == 0
    assert run(env, "waves", "open", SURVEY, "--id", "f", "--phase", "follow-up")[0] == 0
    data = results(env, "--lang", "en")
    assert rows(data)["csqi"]["note"] == "follow-up wave f not closed yet"
    assert data["family_wave"] == "f" and data["family_frozen"] is not None
    bg = rows(results(env))["csqi"]["note"]
    assert bg == "последващата вълна f още не е приключила"
    _import(env, "b", {"elena": 60, "lyaskovets": 4})
    _import(env, "f", {"elena": 60, "lyaskovets": 30})
    assert run(env, "waves", "close", "f")[0] == 0
    data = results(env, "--lang", "en")
    assert rows(data)["csqi"]["note"].startswith(
        "organisation lyaskovets has only 4 responses in wave b (fewer than 10)")
    elena = rows(data, "elena")["csqi"]
    assert elena["status"] != "not computable", elena["note"]  # not hidden for lyaskovets' sake
    assert "fewer than 10 respondents" in rows(data, "lyaskovets")["csqi"]["note"]
    # a staff wave closed but not mixed yet
    assert run(env, "waves", "open", "staff-survey", "--id", "sb", "--starts", "2020-01-01")[0] == 0

    async def close_without_mixing() -> None:
        async with opened(env["SURVEY_DATABASE_URL"]) as store:
            wave = next(w for w in await store.waves() if w.id == "sb")
            at = dt.datetime(2020, 2, 1, tzinfo=dt.UTC)
            await store.update_wave(msgspec.structs.replace(wave, closed=at))

    asyncio.run(close_without_mixing())
    note = rows(results(env, "--lang", "en"))["eei"]["note"]
    assert note == "wave sb closed but its answers not mixed yet (run: waves close sb)"


def test_the_frozen_family_keeps_citizen_adjusted_p_when_a_staff_result_is_added(
    env: dict[str, str], forms_dir: Path
) -> None:
    assert run(env, "demo", "--survey", SURVEY, "--responses", "150")[0] == 0
    citizen_only = results(env)
    assert run(env, "demo", "--survey", "staff-survey")[0] == 0
    before = results(env)
    assert before["family"] == citizen_only["family"]  # whichever surveys have data
    assert before["family_hash"] == citizen_only["family_hash"]
    for indicator in ("csqi", "csat", "effort_agree"):  # staff data can only lower them
        assert rows(before)[indicator]["p_adjusted"] <= rows(citizen_only)[indicator]["p_adjusted"]
    path = forms_dir / "expected-results.toml"
    path.write_text(path.read_text(encoding="utf-8") + """
[[results]]
id = "recognition"
text = { bg = "Признание за добрата работа", en = "Good work recognised" }
survey = "staff-survey"
indicator = "theme_recognition"
target = { change_at_least = 5 }
confirmatory = true
""", encoding="utf-8")
    after = results(env, "--lang", "en")
    assert after["family"] == before["family"] and after["family_hash"] == before["family_hash"]
    for indicator in ("csqi", "csat", "effort_agree", "eei"):
        assert rows(after)[indicator]["p_adjusted"] == rows(before)[indicator]["p_adjusted"]
    added = rows(after)["theme_recognition"]
    assert "added after the analysis plan was frozen" in added["note"]
    assert not added["confirmatory"] and added["p_adjusted"] is not None


def test_mistakes_are_one_line(env: dict[str, str]) -> None:
    code, out = run(env, "results", "--org", "sofia")
    assert code == 1 and out.strip().splitlines() == [
        "Error: unknown organisation 'sofia' (known: elena, lyaskovets)"]
    code, out = run(env, "results", "--baseline", "nope")
    assert code == 1 and out.strip().splitlines() == ["Error: unknown wave 'nope'"]

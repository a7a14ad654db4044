"""The operator's commands, through the CLI, and what the running app makes of them."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from survey_service.app import create_app
from survey_service.cli import cli
from tests.conftest import FORMS, SECRET, SURVEY, settings_for


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(FORMS, folder)
    return folder


@pytest.fixture
def env(tmp_path: Path, forms_dir: Path) -> dict[str, str]:
    return {"SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SURVEY_SECRET_KEY": SECRET, "SURVEY_FORMS_DIR": str(forms_dir)}


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_open_list_close(env: dict[str, str]) -> None:
    code, out = run(env, "waves", "open", SURVEY, "--id", "cs-base", "--org", "elena",
                    "--starts", "2020-01-01", "--ends", "2099-12-31 18:00")
    assert code == 0, out
    assert "opened wave cs-base" in out and "(open)" in out
    code, out = run(env, "waves", "list", "--json")
    assert code == 0
    [wave] = json.loads(out)
    assert wave["id"] == "cs-base" and wave["state"] == "open"
    assert wave["organisations"] == ["elena"] and wave["responses"] == 0
    assert wave["starts"] == "2020-01-01 00:00" and wave["ends"] == "2099-12-31 18:00"
    code, out = run(env, "waves", "list")
    assert code == 0 and re.search(r"cs-base\s+citizen-satisfaction\s+baseline\s+open", out)
    code, out = run(env, "waves", "close", "cs-base")
    assert code == 0 and "closed wave cs-base" in out
    code, out = run(env, "waves", "close", "cs-base")
    assert code != 0 and "already closed" in out
    assert json.loads(run(env, "waves", "list", "--json")[1])[0]["state"] == "closed"


def test_refusals(env: dict[str, str]) -> None:
    assert run(env, "waves", "open", "no-such-survey")[0] != 0
    code, out = run(env, "waves", "open", SURVEY, "--org", "sofia")
    assert code != 0 and "unknown organisation 'sofia'" in out
    code, out = run(env, "waves", "open", SURVEY, "--starts", "tomorrow")
    assert code != 0 and "not a date" in out
    code, out = run(env, "waves", "open", SURVEY, "--starts", "2030-01-02", "--ends", "2030-01-01")
    assert code != 0 and "end must come after the start" in out
    assert run(env, "waves", "open", SURVEY, "--id", "a")[0] == 0
    code, out = run(env, "waves", "open", SURVEY, "--id", "b")
    assert code != 0 and "wave 'a'" in out and "close it first" in out
    code, out = run(env, "waves", "open", SURVEY, "--id", "Bad Id!")
    assert code != 0
    assert run(env, "waves", "close", "nope")[0] != 0
    assert run(env, "db", "migrate") == (0, run(env, "db", "migrate")[1])


def test_scheduled_wave_opens_by_itself(env: dict[str, str]) -> None:
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    code, out = run(env, "waves", "open", SURVEY, "--id", "later", "--starts", tomorrow)
    assert code == 0 and "(scheduled)" in out


def test_a_changed_file_is_a_new_version_and_the_open_wave_keeps_its_own(
    env: dict[str, str], forms_dir: Path, tmp_path: Path
) -> None:
    assert run(env, "waves", "open", SURVEY, "--id", "first", "--org", "elena")[0] == 0
    path = forms_dir / f"{SURVEY}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Вашето обръщение към общината", "Вашето последно обръщение към общината"),
        encoding="utf-8")
    assert run(env, "waves", "open", SURVEY, "--id", "second", "--org", "lyaskovets")[0] == 0
    waves = {w["id"]: w for w in json.loads(run(env, "waves", "list", "--json")[1])}
    assert waves["first"]["version"] != waves["second"]["version"]
    settings = settings_for(tmp_path / "db.sqlite3", forms_dir=str(forms_dir))
    with TestClient(app=create_app(settings)) as client:
        elena = client.get(f"/s/{SURVEY}?org=elena")
        lyaskovets = client.get(f"/s/{SURVEY}?org=lyaskovets")
    assert "<h1>Вашето обръщение към общината</h1>" in elena.text  # frozen when it opened
    assert "<h1>Вашето последно обръщение към общината</h1>" in lyaskovets.text


def test_demo_then_report_in_every_format(env: dict[str, str]) -> None:
    code, out = run(env, "demo", "--responses", "150", "--seed", "3")
    assert code == 0, out
    assert run(env, "demo")[1].count("exists already") == 2  # idempotent
    args = ["report", SURVEY, "--baseline", f"demo-{SURVEY}-baseline",
            "--follow-up", f"demo-{SURVEY}-follow-up"]
    code, table = run(env, *args)
    assert code == 0 and "Очаквани резултати" in table and "Индекс" in table
    code, table_en = run(env, *args, "--lang", "en", "--org", "elena")
    assert code == 0 and "Expected results" in table_en
    code, out = run(env, *args, "--format", "json", "--no-items")
    data = json.loads(out)
    assert {r["section"] for r in data["rows"]} == {"expected", "indicator"}
    assert data["baseline"] == f"demo-{SURVEY}-baseline"
    code, out = run(env, *args, "--format", "csv")
    assert code == 0 and out.startswith("\ufeffsection,id,label,baseline,baseline_ci_low")
    code, out = run(env, "report", SURVEY, "--baseline", "nope", "--follow-up", "x")
    assert code != 0 and "unknown wave 'nope'" in out


def test_no_report_from_an_open_staff_wave(env: dict[str, str]) -> None:
    assert run(env, "waves", "open", "staff-survey", "--id", "s1", "--org", "elena")[0] == 0
    code, out = run(env, "report", "staff-survey", "--baseline", "s1", "--follow-up", "s1")
    assert code != 0 and "still open" in out

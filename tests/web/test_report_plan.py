"""`report` on one pair of waves follows the analysis plan frozen when the follow-up wave
opened (issue #11, #19 §3): making an indicator confirmatory afterwards changes no adjusted p,
and the report prints when and with which hash the plan was frozen. (The same wave given as
baseline and follow-up is refused: tests/web/test_disclosure.py::
test_l2_swapped_waves_and_the_same_wave_twice.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from survey_service.cli import cli
from tests.conftest import SURVEY

BASE, FOLLOW = f"demo-{SURVEY}-baseline", f"demo-{SURVEY}-follow-up"


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def report(env: dict[str, str], *args: str) -> dict[str, Any]:
    code, out = run(env, "report", SURVEY, "--baseline", BASE, "--follow-up", FOLLOW,
                    "--format", "json", "--lang", "en", "--no-items", *args)
    assert code == 0, out
    data: dict[str, Any] = json.loads(out)
    return data


def rows(data: dict[str, Any], section: str) -> dict[str, Any]:
    return {r["id"]: r for r in data["rows"] if r["section"] == section}


def test_the_report_follows_the_plan_frozen_when_the_follow_up_opened(
    env: dict[str, str], forms_dir: Path
) -> None:
    code, out = run(env, "demo", "--survey", SURVEY, "--responses", "150")
    assert code == 0, out
    before = report(env)
    assert before["plan_wave"] == FOLLOW and before["plan_frozen"] is not None
    assert len(before["plan_hash"]) == 16
    indicators = rows(before, "indicator")
    assert indicators["csqi"]["adjustment"] == "holm"
    assert indicators["driver_timeliness"]["adjustment"] == "fdr_bh"
    path = forms_dir / "expected-results.toml"
    text = path.read_text(encoding="utf-8")
    marked = text.replace('indicator = "driver_timeliness"\ntarget = { change_at_least = 5 }\n'
                          "confirmatory = false", 'indicator = "driver_timeliness"\n'
                          "target = { change_at_least = 5 }\nconfirmatory = true")
    assert marked != text
    path.write_text(marked, encoding="utf-8")
    after = report(env)
    assert after["plan_hash"] == before["plan_hash"]
    assert after["plan_frozen"] == before["plan_frozen"]
    for indicator in ("csqi", "csat", "effort_agree", "driver_timeliness"):
        assert rows(after, "indicator")[indicator]["p_adjusted"] == \
            indicators[indicator]["p_adjusted"], indicator
    assert rows(after, "indicator")["driver_timeliness"]["adjustment"] == "fdr_bh"
    timeliness = rows(after, "expected")["timeliness"]
    assert "changed or added after the analysis plan was frozen" in timeliness["note"]
    code, table = run(env, "report", SURVEY, "--baseline", BASE, "--follow-up", FOLLOW,
                      "--no-items")
    assert code == 0, table
    assert "Планът за анализ" in table and f"хеш {before['plan_hash']}" in table
    assert f"при откриването на вълна {FOLLOW}" in table

"""``disclosure audit`` attacks the breakdowns by a question of the form too (``report --by
question:ID`` and ``--by channel``, with and without a channel filter), against each wave's
plan of that question's tables (kept under ``WAVE|question:ID``)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.reports import groups as groups_module
from tests.conftest import SURVEY
from tests.web.trend_data import BASELINE, FOLLOW


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_the_audit_attacks_the_question_breakdowns(env: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(env, "demo", "--survey", SURVEY, "--responses", "40", "--seed", "5")[0] == 0
    code, out = run(env, "disclosure", "audit", BASELINE, FOLLOW, "--json")
    assert code == 0, out
    found = json.loads(out)
    cells = [i for i in found["intervals"] if i["cell"].startswith("question:")]
    questions = {i["cell"].split()[0] for i in cells}
    assert {"question:respondent_type", "question:channel"} <= questions
    assert any(i["sensitive"] for i in cells)  # small groups, hidden and not narrowed
    assert all(not i["published"] and i["width"] >= i["needed"] - 1e-6
               for i in cells if i["sensitive"])
    # a breakdown that ignores its question's plan is caught, and the cell named
    monkeypatch.setattr(groups_module, "group_hidden", lambda *a, **k: False)
    code, out = run(env, "disclosure", "audit", BASELINE, FOLLOW)
    assert code == 1, out
    assert "narrower than the protection level" in out and "question:" in out

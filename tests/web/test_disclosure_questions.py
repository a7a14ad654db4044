"""``disclosure audit`` attacks the breakdowns by a question of the form too (``report --by
question:ID`` and ``--by channel``, with and without a channel filter) together with the
wave's own tables (the same people, the same organisation totals), and the answer
distributions the report pages draw.

The demo and the first audit run once for the module (the plans are kept with the closed
waves, so the second audit, where the breakdowns ignore their plan, only reads and attacks).
The breakdowns are asked by two questions (the respondent type and the contact channel, with
its filters), not all six of the citizen form: the path is the same for each."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.reports import groups as groups_module
from survey_service.services import disclosure_audit, report_pages
from survey_service.surveys.coding import scored_items
from tests.conftest import FORMS, SECRET, SURVEY
from tests.unit.test_report import CITIZEN
from tests.web.trend_data import BASELINE, FOLLOW

QUESTIONS = ["respondent_type", "channel"]


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _two_questions(found: Any) -> Any:
    return lambda m: [q for q in found(m) if q in QUESTIONS]


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, Any]]:
    """The demo's two waves and the audit's JSON."""
    root = tmp_path_factory.mktemp("questions")
    shutil.copytree(FORMS, root / "forms")
    env = {"SURVEY_DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
           "SURVEY_SECRET_KEY": SECRET, "SURVEY_FORMS_DIR": str(root / "forms")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(disclosure_audit, "_questions", _two_questions(disclosure_audit._questions))
        assert run(env, "demo", "--survey", SURVEY, "--responses", "40", "--seed", "5")[0] == 0
        code, out = run(env, "disclosure", "audit", BASELINE, FOLLOW, "--json")
    assert code == 0, out
    return env, json.loads(out)


def test_the_audit_attacks_the_question_breakdowns_with_the_wave_tables(
        audited: tuple[dict[str, str], dict[str, Any]]) -> None:
    found = audited[1]
    cells = [i for i in found["intervals"] if i["cell"].startswith("question:")]
    assert {i["cell"].split()[0] for i in cells} == {f"question:{q}" for q in QUESTIONS}
    assert any(i["sensitive"] for i in cells)  # small groups, hidden and not narrowed
    assert all(not i["published"] and i["width"] >= i["needed"] - 1e-6
               for i in cells if i["sensitive"])
    units = [i for i in found["intervals"] if not i["cell"].startswith("question:")
             and not i["figure"].startswith("dist:") and i["sensitive"]]
    assert units and all(not i["published"] and i["width"] >= i["needed"] - 1e-6
                         for i in units)  # the wave's small cells, attacked with them
    # the 5 paper respondents of the follow-up: the wave's tables planned on its own groups
    # gave their timeliness driver exactly (87.5) with the breakdowns' counts; the joint
    # planner hides more of the wave's cells
    paper = [i for i in units if i["wave"] == FOLLOW and i["figure"] == "driver_timeliness"
             and i["cell"] == "channel:paper"]
    assert paper and paper[0]["width"] >= 20.0 - 1e-6, paper


def test_the_audit_reads_the_answer_distributions_of_the_pages(
        audited: tuple[dict[str, str], dict[str, Any]]) -> None:
    """Every count of 1 or 2 answers is attacked: not shown, and not narrowed."""
    counts = [i for i in audited[1]["intervals"] if i["figure"].startswith("dist:")]
    assert counts and all(1 <= i["n"] <= 2 for i in counts)
    assert all(not i["published"] and i["width"] >= i["needed"] - 1e-6 for i in counts)


def test_a_breakdown_that_ignores_its_plan_is_caught(
        audited: tuple[dict[str, str], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    monkeypatch.setattr(disclosure_audit, "_questions",
                        _two_questions(disclosure_audit._questions))
    monkeypatch.setattr(groups_module, "group_hidden", lambda *a, **k: False)
    code, out = run(audited[0], "disclosure", "audit", BASELINE, FOLLOW)
    assert code == 1, out
    assert "narrower than the protection level" in out and "question:" in out


def test_pages_that_draw_every_distribution_are_caught(
        audited: tuple[dict[str, str], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    """Pages that ignore the distributions' plan show counts of 1 or 2 answers."""
    monkeypatch.setattr(disclosure_audit, "_questions", lambda m: [])

    async def every(settings: Any, store: Any, wave: Any, organisation: Any) -> set[str]:
        return {i.id for i in scored_items(CITIZEN) if i.kind == "likert"}

    monkeypatch.setattr(report_pages, "distributions_shown", every)
    code, out = run(audited[0], "disclosure", "audit", BASELINE, FOLLOW, "--json")
    assert code == 1
    found = json.loads(out[:out.rindex("}") + 1])
    assert any(i["figure"].startswith("dist:") and i["published"] for i in found["intervals"])


def test_the_exact_audit_bears_out_every_certified_interval(
        audited: tuple[dict[str, str], dict[str, Any]], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    """By default most breakdown cells are proved wide enough by a few spread attacks (not
    exact, marked ">=" in the table); ``--exact`` attacks each: the same cells and verdicts,
    and every certified interval inside its exact one."""
    monkeypatch.setattr(disclosure_audit, "_questions",
                        _two_questions(disclosure_audit._questions))
    code, out = run(audited[0], "disclosure", "audit", BASELINE, FOLLOW, "--json", "--exact")
    assert code == 0, out
    certified, exact = audited[1]["intervals"], json.loads(out)["intervals"]
    assert [(i["wave"], i["figure"], i["cell"]) for i in certified] == \
        [(i["wave"], i["figure"], i["cell"]) for i in exact]
    assert all(i["exact"] for i in exact)
    proved = [(c, e) for c, e in zip(certified, exact, strict=True) if not c["exact"]]
    assert len(proved) > len(certified) // 2, len(proved)
    for c, e in zip(certified, exact, strict=True):
        # within the solver's tolerance (a few millionths of the 0-100 range)
        assert e["low"] <= c["low"] + 1e-4 and c["high"] <= e["high"] + 1e-4, (c, e)
        if c["sensitive"]:
            assert (c["width"] >= c["needed"] - 1e-6) == (e["width"] >= e["needed"] - 1e-6)
    code, table = run(audited[0], "disclosure", "audit", BASELINE, FOLLOW)
    assert code == 0 and ">=" in table and "<=" in table


def test_on_a_terminal_the_audit_says_what_it_is_doing_and_stdout_stays_json(
        audited: tuple[dict[str, str], dict[str, Any]]) -> None:
    """The first audit of large waves runs for many minutes: an operator at a terminal sees
    each step on stderr; the JSON on stdout is unchanged (and a pipe gets no progress)."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "survey_service.cli", "disclosure", "audit", BASELINE, "--json"],
            env={**os.environ, **audited[0]}, stdout=subprocess.PIPE, stderr=follower,
            timeout=900, check=False)
        os.close(follower)
        said = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal is closed: all read
                break
            if not chunk:
                break
            said += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0, said
    assert json.loads(done.stdout)["exposed"] == 0
    text = said.decode()
    assert "making every plan" in text and f"attacking {BASELINE}" in text, text

"""Fieldwork records through the CLI (`fieldwork add|import|show`) and in the report: AAPOR-style
response rates and the waves' seasons, in both languages (issue #19 §1)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from survey_service.cli import cli
from tests.conftest import SURVEY

BASE, FOLLOW = f"demo-{SURVEY}-baseline", f"demo-{SURVEY}-follow-up"


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_add_import_and_show(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "waves", "open", SURVEY, "--id", "w1", "--starts", "2026-03-02",
               "--ends", "2026-03-31 18:00")[0] == 0
    code, out = run(env, "fieldwork", "add", "w1", "--org", "elena", "--day", "02.03.2026",
                    "--handed-out", "40", "--visitors", "310")
    assert code == 0 and "forms 40, visitors 310" in out, out
    queue = tmp_path / "queue.csv"
    queue.write_text("\ufeffДата;Посетители\n02.03.2026;321\n03.03.2026;280\n", "utf-8")
    code, out = run(env, "fieldwork", "import", "w1", str(queue), "--org", "elena")
    assert code == 0 and "imported 2 days into w1" in out, out
    code, out = run(env, "fieldwork", "show", "w1", "--format", "json")
    assert code == 0, out
    shown = json.loads(out)
    days = [(d["day"], d.get("handed_out"), d.get("visitors"), d["source"]) for d in shown["days"]]
    assert days == [("2026-03-02", 40, 321, "queue"), ("2026-03-03", None, 280, "queue")]
    (total,) = shown["totals"]
    assert total["handed_out"] == 40 and total["visitors"] == 601 and total["paper"] == 0
    assert total["rr_paper"] == 0 and total["contact_rate"] == 40 / 321 * 100
    assert total["rr_visitors"] == 0 and total["responses"] == 0
    code, out = run(env, "fieldwork", "show", "w1")
    assert code == 0 and "RR1 paper" in out and "2026-03-03" in out


def test_bad_records_are_one_line(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "waves", "open", SURVEY, "--id", "w1", "--starts", "2026-03-02",
               "--ends", "2026-03-31 18:00", "--org", "elena")[0] == 0
    assert run(env, "waves", "open", "staff-survey", "--id", "staff-1", "--starts",
               "2026-03-02", "--ends", "2026-03-31 18:00")[0] == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("date,visitors\n2026-03-02,10\n2026-04-15,3\n", "utf-8")
    for args, message in [
        (("add", "nope", "--org", "elena", "--day", "2026-03-02", "--visitors", "1"),
         "unknown wave 'nope'"),
        (("add", "w1", "--org", "elena", "--day", "2026-04-02", "--visitors", "1"),
         "2026-04-02 is outside the window of wave 'w1' (2026-03-02 – 2026-03-31)"),
        (("add", "w1", "--org", "lyaskovets", "--day", "2026-03-02", "--visitors", "1"),
         "wave 'w1' does not cover organisation 'lyaskovets'"),
        (("add", "w1", "--org", "elena", "--day", "2026-03-02", "--visitors", "lots"),
         "--visitors 'lots' is not a whole number"),
        (("add", "w1", "--org", "elena", "--day", "2026-03-02"), "give at least one count"),
        (("add", "w1", "--org", "elena", "--day", "yesterday", "--visitors", "1"),
         "'yesterday' is not a date"),
        (("import", "w1", str(bad), "--org", "elena"), "elena 2026-04-15: 2026-04-15 is outside"),
        (("import", "w1", str(tmp_path / "none.csv"), "--org", "elena"), "cannot read"),
        (("add", "staff-1", "--org", "elena", "--day", "2026-03-02", "--visitors", "1"),
         "wave 'staff-1' is a staff wave"),
    ]:
        code, out = run(env, "fieldwork", *args)
        lines = out.strip().splitlines()
        assert code == 1 and len(lines) == 1 and message in lines[0], (args, out)
        assert "Traceback" not in out
    code, out = run(env, "fieldwork", "show", "w1", "--format", "json")
    assert json.loads(out)["days"] == []  # the bad import stored nothing


def test_the_report_gives_response_rates_and_warns_about_the_seasons(
        env: dict[str, str]) -> None:
    assert run(env, "demo", "--survey", SURVEY, "--responses", "60", "--seed", "5")[0] == 0
    args = ("report", SURVEY, "--baseline", BASE, "--follow-up", FOLLOW, "--no-items")
    code, out = run(env, *args, "--format", "json")
    assert code == 0, out
    fieldwork = json.loads(out)["fieldwork"]
    base, follow = fieldwork["waves"]
    assert (base["starts"], base["ends"]) == ("2026-03-02", "2026-04-30")
    assert (follow["starts"], follow["ends"]) == ("2026-10-01", "2026-11-20")
    total = base["rates"][-1]
    assert total["organisation"] == "" and total["responses"] == 120
    assert 0 < total["rr_paper"] <= 100 and 0 < total["rr_visitors"] < 100
    assert total["rr_paper"] == 100 * total["paper"] / total["handed_out"]
    assert len(fieldwork["warnings"]) == 2
    code, en = run(env, *args, "--lang", "en")
    assert "Fieldwork and response rates (AAPOR RR1" in en
    assert "Warning: Only demo-citizen-satisfaction-baseline falls in the local-tax season" in en
    code, bg = run(env, *args, "--org", "elena")
    assert code == 0 and "Теренна работа и дял на отговорилите" in bg
    assert "сезона на местните данъци" in bg and "март, април" in bg
    assert "всички организации" not in bg  # one organisation: no total line

"""``survey-service plan`` (#19 §2): responses needed per target, and after a baseline the
smallest detectable change, consistent with the report's n and the power functions."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.indicators.power import (
    mdc_mean,
    mdc_proportion,
    n_mean_change,
    n_proportion_change,
)
from tests.conftest import SURVEY


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_plan_without_baseline_uses_stated_assumptions(env: dict[str, str]) -> None:
    code, out = run(env, "plan", SURVEY, "--format", "json", "--response-rate", "0.3",
                    "--visitors-per-day", "40", "--deff", "1.4")
    assert code == 0, out
    plan = json.loads(out)
    rows = {r["id"]: r for r in plan["rows"]}
    assert plan["family"] == 3  # csqi, csat, effort_agree are confirmatory
    csqi = rows["citizen_focus"]
    assert csqi["source"] == "assumed" and csqi["sd"] == 24.0
    assert csqi["alpha"] == pytest.approx(0.05 / 3)
    assert csqi["n"] == pytest.approx(n_mean_change(5, 24, alpha=0.05 / 3))
    assert csqi["responses"] == math.ceil(csqi["n"] * 1.4)
    assert csqi["forms"] == math.ceil(csqi["responses"] / 0.3)
    assert csqi["days"] == math.ceil(csqi["forms"] / 40)
    one_stop = rows["one_stop"]  # exploratory: the full α, proportion 50 % assumed
    assert one_stop["alpha"] == 0.05 and one_stop["baseline_percent"] == 50.0
    assert one_stop["n"] == pytest.approx(n_proportion_change(0.5, 0.55))
    code, table = run(env, "plan", SURVEY, "--lang", "en", "--change", "10")
    assert code == 0 and "Plan for citizen-satisfaction" in table and "n per wave" in table
    code, table = run(env, "plan", SURVEY)
    assert code == 0 and "n на вълна" in table


def test_plan_after_a_baseline(env: dict[str, str]) -> None:
    assert run(env, "demo", "--responses", "150", "--seed", "3")[0] == 0
    baseline = f"demo-{SURVEY}-baseline"
    code, out = run(env, "plan", SURVEY, "--baseline", baseline, "--org", "elena",
                    "--format", "json", "--deff", "1.3")
    assert code == 0, out
    rows = {r["id"]: r for r in json.loads(out)["rows"]}
    code, out = run(env, "report", SURVEY, "--baseline", baseline, "--follow-up",
                    f"demo-{SURVEY}-follow-up", "--org", "elena", "--format", "json")
    report = {r["id"]: r for r in json.loads(out)["rows"] if r["section"] == "indicator"}
    csqi, csat = rows["citizen_focus"], rows["citizen_satisfaction"]
    assert csqi["source"] == "baseline" and 5 < csqi["sd"] < 50
    assert csqi["baseline_n"] == report["csqi"]["n_baseline"]
    assert csqi["detectable"] == pytest.approx(
        mdc_mean(csqi["baseline_n"], csqi["sd"], alpha=0.05 / 3, deff=1.3))
    assert csat["baseline_percent"] == pytest.approx(report["csat"]["baseline"])
    assert csat["baseline_n"] == report["csat"]["n_baseline"]
    assert csat["detectable"] == pytest.approx(mdc_proportion(
        csat["baseline_percent"] / 100, csat["baseline_n"], alpha=0.05 / 3, deff=1.3))
    assert "detectable_fpc" not in csqi  # citizens: no head count


@pytest.mark.parametrize("args, message", [
    (["--baseline", "nope"], "unknown wave 'nope'"),
    (["--power", "1.5"], "--power 1.5 is out of range"),
    (["--deff", "0.5"], "--deff 0.5 is out of range"),
    (["--response-rate", "0"], "--response-rate 0.0 is out of range"),
    (["--org", "sofia"], "unknown organisation 'sofia'"),
])
def test_plan_errors_are_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    code, out = run(env, "plan", SURVEY, *args)
    assert code == 1 and message in out and "Traceback" not in out
    assert run(env, "plan", "no-such-survey")[0] == 1


def test_staff_census_from_head_counts(env: dict[str, str]) -> None:
    """Elena's 70 staff at an 80 % response rate: 56 answers per wave detect an engagement
    change of ~10.7 points at α = .05 (SD 20 assumed) with the report's test, more at the
    engagement index's Holm share of α (it is one of the staff survey's confirmatory
    indicators), and less with the FPC."""
    code, out = run(env, "plan", "staff-survey", "--org", "elena", "--response-rate", "0.8",
                    "--format", "json")
    assert code == 0, out
    plan = json.loads(out)
    assert plan["population"] == 70 and plan["deff"] == 1.0  # a census: no design effect
    eei = next(r for r in plan["rows"] if r["indicator"] == "eei")
    assert eei["baseline_n"] == 56 and eei["sd"] == 20.0
    assert mdc_mean(56, 20) == pytest.approx(10.7, abs=0.05)  # the issue's ~10-11 points
    assert eei["confirmatory"] and eei["alpha"] == pytest.approx(0.05 / plan["family"])
    alpha = eei["alpha"]
    assert eei["detectable"] == pytest.approx(mdc_mean(56, 20, alpha=alpha))
    assert eei["detectable"] > 10.7
    assert eei["detectable_fpc"] == pytest.approx(mdc_mean(56, 20, alpha=alpha, population=70))
    n_star = eei["n"]  # without the FPC: more than the staff there are
    assert n_star > 70
    assert eei["n_fpc"] == pytest.approx(n_star * 70 / (69 + n_star))
    assert eei["n_fpc"] < 70
    code, table = run(env, "plan", "staff-survey", "--org", "elena", "--response-rate", "0.8",
                      "--lang", "en")
    assert code == 0 and "detectable (FPC, N = 70)" in table

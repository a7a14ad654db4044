"""The project's expected results (#15): every one rests on declared indicators of shipped
surveys, `forms check` refuses one that does not, and the confirmatory family spans surveys
with a Holm adjustment whose size never depends on which surveys have data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from statsmodels.stats.multitest import multipletests

from survey_service.reports.family import Family, confirmatory_family, holm_family
from survey_service.reports.project import ProjectRow, measure_status, result_row
from survey_service.reports.rows import Status
from survey_service.surveys.loader import check_catalog, load_catalog
from tests.conftest import FORMS

CATALOG = load_catalog(FORMS)
#: the project's own expected results (its public announcement), in Bulgarian
PROJECT_WORDING = {
    "citizen_focus": "Организация на работата, ориентирана към нуждите на гражданите и бизнеса",
    "functions_distribution": "По-добро разпределение на функциите и дейностите между звената",
    "processes_coordination": "По-добри работни процеси и координация",
    "trained_staff": "Добре обучени служители за качествено обслужване",
    "motivated_staff": "Мотивирани служители за качествено обслужване",
}


def test_every_shipped_result_rests_on_declared_indicators_of_shipped_surveys() -> None:
    assert CATALOG.project_results
    kinds = set()
    for result in CATALOG.project_results:
        assert result.measures, result.id
        for m in result.measures:
            survey = CATALOG.surveys[m.survey].survey
            assert m.indicator in {i.id for i in survey.indicators}, (result.id, m.indicator)
            kinds.add(survey.kind)
            if survey.kind == "training":  # no baseline: a level, never a change
                assert m.target.at_least is not None and m.target.change_at_least is None
                assert not m.confirmatory
    assert kinds == {"citizen", "staff", "training"}
    texts = {r.id: r.text.bg for r in CATALOG.project_results}
    assert {k: texts.get(k) for k in PROJECT_WORDING} == PROJECT_WORDING
    trained = next(r for r in CATALOG.project_results if r.id == "trained_staff")
    assert [(m.survey, m.indicator) for m in trained.measures] == [
        ("staff-survey", "theme_learning"), ("training-evaluation", "learning_index")]


def _forms_with(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(FORMS, folder)
    path = folder / "expected-results.toml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return folder


RESULT = """
[[results]]
id = "extra"
text = {{ bg = "Още", en = "More" }}
{body}
"""


@pytest.mark.parametrize(("body", "problem"), [
    ('survey = "staff-survey"\nindicator = "theme_nothing"\ntarget = { change_at_least = 5 }',
     "survey 'staff-survey' has no indicator 'theme_nothing'"),
    ('survey = "no-such-survey"\nindicator = "eei"\ntarget = { change_at_least = 5 }',
     "unknown survey 'no-such-survey'"),
    ('[[results.measures]]\nsurvey = "staff-survey"\nindicator = "eei"\n'
     'target = { change_at_least = 5 }\n[[results.measures]]\nsurvey = "training-evaluation"\n'
     'indicator = "no_index"\ntarget = { at_least = 75 }\nconfirmatory = false',
     "survey 'training-evaluation' has no indicator 'no_index'"),
    ('survey = "training-evaluation"\nindicator = "reaction_index"\n'
     'target = { change_at_least = 5 }\nconfirmatory = false', "has no baseline"),
    ('survey = "staff-survey"\nindicator = "eei"\ntarget = { at_least = 70 }\n'
     'confirmatory = true', "cannot be confirmatory"),
    ('survey = "staff-survey"\nindicator = "eei"', "needs survey, indicator and target"),
])
def test_forms_check_refuses_a_result_that_does_not_resolve(
    tmp_path: Path, body: str, problem: str
) -> None:
    _, problems = check_catalog(_forms_with(tmp_path, RESULT.format(body=body)))
    assert [p for p in problems if problem in str(p) and "result 'extra'" in str(p)], problems
    assert all(p.file == "expected-results.toml" for p in problems)


def test_the_confirmatory_family_spans_surveys_in_file_order() -> None:
    family = confirmatory_family(CATALOG.project_results)
    assert family.members == [
        ("citizen-satisfaction", "csqi"), ("citizen-satisfaction", "csat"),
        ("citizen-satisfaction", "effort_agree"), ("staff-survey", "theme_role_clarity"),
        ("staff-survey", "theme_work_distribution"), ("staff-survey", "theme_coordination"),
        ("staff-survey", "eei"), ("staff-survey", "theme_learning"),
    ]


def test_holm_over_the_family_keeps_its_size_whatever_has_data() -> None:
    family = Family([("c", "a"), ("c", "b"), ("s", "x"), ("s", "y")])
    citizen_only = holm_family(family, {("c", "a"): 0.004, ("c", "b"): 0.03})
    # the staff members count as p = 1 until they have data: m stays 4
    expected = multipletests([0.004, 0.03, 1.0, 1.0], method="holm")[1]
    assert citizen_only[("c", "a")] == pytest.approx(expected[0], abs=1e-12)
    assert citizen_only[("c", "a")] == pytest.approx(0.016, abs=1e-12)
    assert citizen_only[("c", "b")] == pytest.approx(0.09, abs=1e-12)
    # staff data arriving can only lower (never raise) a citizen member's adjusted p
    both = holm_family(family, {("c", "a"): 0.004, ("c", "b"): 0.03, ("s", "x"): 0.5,
                                ("s", "y"): 0.001})
    assert both[("c", "a")] <= citizen_only[("c", "a")]
    assert both[("c", "b")] <= citizen_only[("c", "b")]
    assert both == dict(zip(family.members, multipletests(
        [0.004, 0.03, 0.5, 0.001], method="holm")[1], strict=True))


@pytest.mark.parametrize(("statuses", "combined"), [
    (["met", "met"], "met"),
    (["met with confidence", "met with confidence"], "met with confidence"),
    (["met with confidence", "met"], "met"),
    (["met", "improved, below target"], "improved, below target"),
    (["no demonstrable change", "improved, below target"], "no demonstrable change"),
    (["met", "worsened"], "worsened"),
    (["met", "not computable"], "not computable"),
    (["not computable", "no demonstrable change"], "no demonstrable change"),
    (["below target", "met"], "below target"),
])
def test_a_result_on_several_indicators_is_met_only_when_all_are(
    statuses: list[Status], combined: Status
) -> None:
    measures = [ProjectRow(scope="all", result="r", line="measure", label=f"m{i}", status=s)
                for i, s in enumerate(statuses)]
    row = result_row("all", "r", "R", measures, "en")
    assert row.status == combined and row.line == "result"
    assert row.target == "every indicator below meets its target"


def test_a_level_target_is_met_by_the_estimate_and_a_change_needs_significance() -> None:
    trained = next(r for r in CATALOG.project_results if r.id == "trained_staff")
    change, level = trained.measures
    row = ProjectRow(scope="all", result="r", line="measure", label="", follow_up=75.0)
    assert measure_status(level, row) == "met"
    row.follow_up = 74.99
    assert measure_status(level, row) == "below target"
    row = ProjectRow(scope="all", result="r", line="measure", label="", baseline=40.0,
                     follow_up=50.0, change=10.0, ci_low=2.0, ci_high=18.0, p=0.001,
                     p_adjusted=0.06)
    assert measure_status(change, row) == "no demonstrable change"  # the adjusted p decides
    row.p_adjusted = 0.01
    assert measure_status(change, row) == "met"
    row.change = 4.0
    assert measure_status(change, row) == "improved, below target"

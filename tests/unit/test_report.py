"""The expected-results report, end to end on small data computed by hand, and its rules."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import msgspec
import numpy as np
import pytest
from scipy import stats

from survey_service.demo import BASELINE, FOLLOW_UP, generate
from survey_service.reports.data import WaveMatrix, wave_matrix
from survey_service.reports.render import to_csv, to_json, to_table
from survey_service.reports.report import build_report
from survey_service.storage.base import NewResponse, WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.model import ExpectedResult, Survey, Target, Text
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOG = load_catalog(FORMS)
CITIZEN = CATALOG.surveys["citizen-satisfaction"].survey
STAFF = CATALOG.surveys["staff-survey"].survey


def matrix(survey: Survey, wave_id: str, answers: list[dict[str, object]],
           orgs: list[str] | None = None) -> WaveMatrix:
    orgs = orgs or ["elena"] * len(answers)
    data = WaveCodes(b"".join(encode_codes(survey, a) for a in answers),  # type: ignore[arg-type]
                     len(answers), orgs, ["web"] * len(answers), [None] * len(answers))
    return wave_matrix(Wave(id=wave_id, survey_id=survey.id, version="v"), survey, data)


def demo(survey: Survey, wave_id: str, n: int, seed: int, follow: bool = False) -> WaveMatrix:
    rows: list[NewResponse] = [r for chunk in generate(
        survey, n, FOLLOW_UP if follow else BASELINE, np.random.default_rng(seed),
        wave_id=wave_id, version="v", organisations=["elena", "lyaskovets"],
        days=[dt.date(2026, 3, 2)]) for r in chunk]
    data = WaveCodes(b"".join(r.codes for r in rows), len(rows), [r.organisation for r in rows],
                     [r.channel for r in rows], [None] * len(rows))
    return wave_matrix(Wave(id=wave_id, survey_id=survey.id, version="v"), survey, data)


ENGAGEMENT = ["eng_pride", "eng_advocacy", "eng_attachment", "eng_inspiration", "eng_motivation"]


def test_whole_path_by_hand_engagement_index_with_dont_know_and_missing() -> None:
    """EEI (CSPS): s = 25·(x−1); R_i = mean over the answered items, only if at least 3 of 5
    are valid ("don't know" = 9 and unanswered do not count); EEI = mean of R_i."""
    assert [r.id for q in STAFF.questions() for r in q.rows if r.dimension == "engagement"] \
        == ENGAGEMENT
    base = [
        dict(zip(ENGAGEMENT, [5, 4, 4, 5, 3], strict=True)),  # R = 25·(4+3+3+4+2)/5 = 80
        dict(zip(ENGAGEMENT, [2, 9, 3, 9, 1], strict=True)),  # 3 valid: 25·(1+2+0)/3 = 25
        dict(zip(ENGAGEMENT, [4, 9, 9, 9, 4], strict=True)),  # 2 valid of 5: excluded
        {"eng_pride": 3, "eng_advocacy": 3, "eng_attachment": 3},  # 25·2 = 50
    ]
    follow = [
        dict(zip(ENGAGEMENT, [5, 5, 5, 5, 5], strict=True)),  # 100
        dict(zip(ENGAGEMENT, [4, 4, 4, 4, 4], strict=True)),  # 75
        dict(zip(ENGAGEMENT, [3, 4, 4, 4, 5], strict=True)),  # 25·(2+3+3+3+4)/5 = 75
    ]
    a, b = matrix(STAFF, "a", base), matrix(STAFF, "b", follow)  # type: ignore[arg-type]
    report = build_report(a, b, [], lang="en", min_group=2, items=False)
    row = next(r for r in report.rows if r.id == "eei")
    r1, r2 = [80.0, 25.0, 50.0], [100.0, 75.0, 75.0]
    assert row.baseline == pytest.approx(sum(r1) / 3, abs=1e-12)
    assert row.follow_up == pytest.approx(250 / 3, abs=1e-12)
    assert row.change == pytest.approx(250 / 3 - 155 / 3, abs=1e-12)
    welch = stats.ttest_ind(r2, r1, equal_var=False)
    assert row.p == pytest.approx(welch.pvalue, abs=1e-9)
    ci = welch.confidence_interval(0.95)
    assert (row.ci_low, row.ci_high) == (pytest.approx(ci.low, abs=1e-9),
                                         pytest.approx(ci.high, abs=1e-9))
    assert row.test == "welch_t" and (row.n_baseline, row.n_follow_up) == (3, 3)


def _with_reverse_row(survey: Survey, row_id: str) -> Survey:
    """The survey with one matrix row made reverse-worded (the shipped forms have none)."""
    def question(q):  # type: ignore[no-untyped-def]
        rows = [msgspec.structs.replace(r, reverse=True) if r.id == row_id else r for r in q.rows]
        return msgspec.structs.replace(q, rows=rows)
    sections = [msgspec.structs.replace(s, questions=[question(q) for q in s.questions])
                for s in survey.sections]
    return msgspec.structs.replace(survey, sections=sections)


def test_reverse_scored_items_are_recoded_before_the_theme_score() -> None:
    """With a reverse-worded row in theme_work_distribution, an answer of 1 ("strongly
    disagree") to it is positive. (The shipped forms are worded positively throughout; the
    model still supports reverse rows.)"""
    staff = _with_reverse_row(STAFF, "distribution_single_owner")
    items = [r for q in staff.questions() for r in q.rows if r.dimension == "work_distribution"]
    reverse = [r.id for r in items if r.reverse]
    assert reverse == ["distribution_single_owner"]
    normal = [r.id for r in items if not r.reverse]
    # everyone agrees (4) with the positive statements and disagrees (1) with the reverse one
    base = [{**{i: 4 for i in normal}, reverse[0]: 1} for _ in range(3)]
    # everyone agrees with everything, so the reverse item turns negative
    follow = [{**{i: 4 for i in normal}, reverse[0]: 4} for _ in range(3)]
    report = build_report(matrix(staff, "a", base), matrix(staff, "b", follow),  # type: ignore[arg-type]
                          [], lang="en", min_group=2, items=False)
    row = next(r for r in report.rows if r.id == "theme_work_distribution")
    k = len(items)
    assert row.baseline == pytest.approx(100.0)
    assert row.follow_up == pytest.approx(100.0 * (k - 1) / k)


def test_a_report_never_shows_a_group_under_the_threshold() -> None:
    a, b = demo(CITIZEN, "a", 300, 1), demo(CITIZEN, "b", 300, 2, follow=True)
    small = b.subset(np.arange(b.n) < 9)
    report = build_report(a, small, CATALOG.expected_results, lang="en", min_group=10)
    for row in report.rows:
        assert row.baseline is None and row.follow_up is None and row.change is None, row
        assert row.p is None and row.n_follow_up is None
    # ten follow-up respondents who were asked the satisfaction question (the others were
    # screened out by the reference period): CSAT rests on exactly 10 answers and is shown
    asked = b.raw("overall_satisfaction")
    assert asked is not None
    ten = np.isin(np.arange(b.n), np.flatnonzero(asked != -1)[:10])
    shown = build_report(a, b.subset(ten), [], lang="en", min_group=10)
    assert next(r for r in shown.rows if r.id == "csat").follow_up is not None
    assert "9" not in to_table(report).split("Not comparable")[0].replace("95%", "")


def test_expected_results_status_and_holm_family_fixed_by_the_files() -> None:
    a, b = demo(CITIZEN, "a", 1500, 3), demo(CITIZEN, "b", 1500, 4, follow=True)
    report = build_report(a, b, CATALOG.expected_results, lang="en")
    expected = {r.id: r for r in report.rows if r.section == "expected"}
    assert set(expected) == {"citizen_focus", "citizen_satisfaction", "less_effort",
                             "timeliness", "one_stop", "fewer_contacts", "waiting_standard"}
    focus = expected["citizen_focus"]
    assert focus.adjustment == "holm" and focus.p_adjusted is not None
    assert focus.p_adjusted < 0.05 and focus.change is not None
    assert focus.ci_low is not None and focus.ci_low > 0
    assert focus.status == ("met with confidence" if focus.ci_low >= 5 else
                            "met" if focus.change >= 5 else "improved, below target")
    assert expected["timeliness"].adjustment == "fdr_bh"  # not confirmatory
    # the Holm family is the same whatever else the command computes
    again = build_report(a, b, CATALOG.expected_results, lang="en", items=False)
    assert next(r for r in again.rows if r.id == "citizen_focus").p_adjusted == focus.p_adjusted
    # a competence driver did not change in the demo: not significant
    courtesy = next(r for r in report.rows if r.id == "driver_courtesy")
    assert courtesy.p is not None and courtesy.p_adjusted is not None
    from survey_service.reports.report import target_status

    result = ExpectedResult(id="x", text=Text(bg="x", en="x"), survey=CITIZEN.id,
                            indicator="driver_courtesy", target=Target(change_at_least=5))
    if courtesy.p_adjusted >= 0.05:
        assert target_status(result, courtesy) == "no demonstrable change"
    level = ExpectedResult(id="y", text=Text(bg="y", en="y"), survey=CITIZEN.id,
                           indicator="csqi", target=Target(at_least=99))
    assert target_status(level, focus) == "clearly below target"


def test_questions_not_comparable_are_listed_with_the_reason() -> None:
    changed = msgspec.structs.replace(CITIZEN, indicators=[
        msgspec.structs.replace(i, dimensions=["access"]) if i.id == "csqi" else i
        for i in CITIZEN.indicators])
    a = demo(CITIZEN, "a", 200, 5)
    b = demo(changed, "b", 200, 6)
    report = build_report(a, b, CATALOG.expected_results, lang="en")
    reasons = {d.id: d.reason for d in report.not_comparable}
    assert "csqi" in reasons and "items or dimensions differ" in reasons["csqi"]
    assert all(r.id != "csqi" for r in report.rows if r.section == "indicator")
    focus = next(r for r in report.rows if r.id == "citizen_focus")
    assert focus.status == "not computable"


def test_degenerate_waves_give_reasons_not_numbers() -> None:
    all_dont_know = [{"overall_satisfaction": 3, **{r.id: 9 for q in CITIZEN.questions()
                                                    for r in q.rows}} for _ in range(12)]
    a = matrix(CITIZEN, "a", all_dont_know)  # type: ignore[arg-type]
    b = matrix(CITIZEN, "b", all_dont_know)  # type: ignore[arg-type]
    report = build_report(a, b, [], lang="en", min_group=5)
    csqi = next(r for r in report.rows if r.id == "csqi")
    assert csqi.baseline is None and csqi.note
    sat = next(r for r in report.rows if r.id == "satisfaction_mean")
    assert sat.baseline == 3.0 and sat.note  # zero variance: a mean, but no test
    for row in report.rows:
        for value in (row.baseline, row.follow_up, row.change, row.p):
            assert value is None or np.isfinite(value)


def test_csv_and_json_outputs() -> None:
    a, b = demo(CITIZEN, "a", 200, 7), demo(CITIZEN, "b", 200, 8, follow=True)
    report = build_report(a, b, CATALOG.expected_results, lang="bg")
    text = to_csv(report)
    assert text.startswith("\ufeffsection,id,label,baseline,baseline_ci_low,")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == len(report.rows)
    csqi = next(r for r in rows if r["id"] == "csqi")
    source = next(r for r in report.rows if r.id == "csqi")
    assert float(csqi["baseline"]) == source.baseline  # full precision, '.' decimals
    assert source.baseline_ci_low is not None and source.baseline_ci_high is not None
    assert source.baseline_ci_low < source.baseline < source.baseline_ci_high
    assert csqi["label"].startswith("Индекс")
    data = json.loads(to_json(report))
    assert data["survey"] == "citizen-satisfaction" and len(data["rows"]) == len(report.rows)
    evil = msgspec.structs.replace(report, rows=[msgspec.structs.replace(
        report.rows[0], label="=HYPERLINK(\"http://x\")")])
    assert "'=HYPERLINK" in to_csv(evil)


def test_each_wave_has_its_precision_with_the_finite_population_correction() -> None:
    """Staff waves are near-censuses: with the head count N, the CI of a wave's value shrinks
    by √((N−n)/(N−1)); the change test does not use it."""
    a, b = demo(STAFF, "a", 40, 11), demo(STAFF, "b", 40, 12, follow=True)
    plain = next(r for r in build_report(a, b, [], min_group=5, items=False).rows
                 if r.id == "eei")
    census = next(r for r in build_report(a, b, [], min_group=5, items=False,
                                          population=(50, 50)).rows if r.id == "eei")
    assert plain.baseline == census.baseline and plain.p == census.p
    width = plain.baseline_ci_high - plain.baseline_ci_low  # type: ignore[operator]
    narrow = census.baseline_ci_high - census.baseline_ci_low  # type: ignore[operator]
    assert narrow == pytest.approx(width * np.sqrt((50 - 40) / (50 - 1)), rel=1e-9)


def test_no_figure_rests_on_fewer_answers_than_the_threshold() -> None:
    """12 staff per wave, but only 2 know the answer to one statement: that item is hidden."""
    item = "role_expectations_clear"
    assert item in {r.id for q in STAFF.questions() for r in q.rows}

    def answers(value: int, known: int) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for i in range(12):
            row: dict[str, object] = {e: 4 for e in ENGAGEMENT}
            row[item] = value if i < known else 9
            out.append(row)
        return out
    a = matrix(STAFF, "a", answers(3, 2))
    b = matrix(STAFF, "b", answers(5, 2))
    report = build_report(a, b, [], lang="en", min_group=10)
    row = next(r for r in report.rows if r.id == item)
    assert row.baseline is None and row.follow_up is None and row.n_baseline is None
    assert row.note and "not shown" in row.note
    assert next(r for r in report.rows if r.id == "eei").baseline == 75.0  # 12 answers: shown


def test_adjusted_p_does_not_depend_on_showing_the_items() -> None:
    a, b = demo(CITIZEN, "a", 400, 21), demo(CITIZEN, "b", 400, 22, follow=True)
    full = {r.id: r for r in build_report(a, b, CATALOG.expected_results).rows}
    short = {r.id: r for r in build_report(a, b, CATALOG.expected_results, items=False).rows}
    assert not any(r.section == "item" for r in short.values())
    for key, row in short.items():
        assert row.p_adjusted == full[key].p_adjusted and row.status == full[key].status, key

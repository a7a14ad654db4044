"""Tiered target statuses (issue #19 §3), every tier from constructed waves, always given with
the CI; `confirmatory` off unless said; the analysis plan frozen with a hash."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from survey_service.reports.data import WaveMatrix, wave_matrix
from survey_service.reports.family import analysis_plan, encode_plan, follow_plan
from survey_service.reports.render import to_table
from survey_service.reports.report import build_report
from survey_service.reports.rows import Row
from survey_service.reports.status import target_status
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.model import ExpectedResult, ResultEntry, Target, Text
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOG = load_catalog(FORMS)
CITIZEN = CATALOG.surveys["citizen-satisfaction"].survey


def csat_wave(wave_id: str, n: int, positive: int) -> WaveMatrix:
    """n answers to the overall-satisfaction item, ``positive`` of them 5, the rest 2."""
    answers = [{"overall_satisfaction": 5 if i < positive else 2} for i in range(n)]
    data = WaveCodes(b"".join(encode_codes(CITIZEN, a) for a in answers), n, ["elena"] * n,
                     ["web"] * n, [None] * n)
    return wave_matrix(Wave(id=wave_id, survey_id=CITIZEN.id, version="v"), CITIZEN, data)


def expected(change: float | None = None, level: float | None = None) -> ExpectedResult:
    return ExpectedResult(id="r", text=Text(bg="р", en="r"), survey=CITIZEN.id,
                          indicator="csat", confirmatory=change is not None,
                          target=Target(change_at_least=change, at_least=level))


def status_row(a: WaveMatrix, b: WaveMatrix, result: ExpectedResult, lang: str = "en") -> Row:
    report = build_report(a, b, [result], lang=lang, min_group=10, items=False,
                          confirmatory={"csat"} if result.confirmatory else set())
    return next(r for r in report.rows if r.section == "expected")


@pytest.mark.parametrize(("n", "x1", "x2", "status"), [
    (200, 40, 120, "met with confidence"),      # +40, CI lower bound above 5
    (1000, 500, 570, "met"),                    # +7, CI about 2.6…11.3: above 0, not 5
    (4000, 2000, 2120, "improved, below target"),  # +3, CI about 0.8…5.2
    (100, 50, 52, "no demonstrable change"),    # +2, CI includes 0
    (200, 120, 80, "worsened"),                 # −20, CI below 0
])
def test_every_change_tier(n: int, x1: int, x2: int, status: str) -> None:
    row = status_row(csat_wave("a", n, x1), csat_wave("b", n, x2), expected(change=5))
    low, high = confint_proportions_2indep(x2, n, x1, n, method="newcomb")
    assert (row.ci_low, row.ci_high) == (pytest.approx(100 * low, abs=1e-9),
                                         pytest.approx(100 * high, abs=1e-9))
    assert row.status == status
    assert row.status_basis == (f"change {row.change:+.1f}, "
                                f"95% CI {row.ci_low:.1f}…{row.ci_high:.1f}")


def test_met_needs_the_adjusted_p_too() -> None:
    """+7 with its CI above 0, but adjusted within a family in which it fails: not shown as
    met (the Holm-adjusted p decides for a confirmatory result)."""
    a, b = csat_wave("a", 1000, 500), csat_wave("b", 1000, 570)
    row = status_row(a, b, expected(change=5))
    assert row.status == "met" and row.adjustment == "holm"
    row.p_adjusted = 0.2
    assert target_status(expected(change=5), row) == "no demonstrable change"


@pytest.mark.parametrize(("target", "status"), [
    (55, "met with confidence"),   # Wilson CI of 60 % on 1000 is about 57.0…63.0
    (59, "met"),
    (61, "below target"),
    (70, "clearly below target"),
])
def test_every_level_tier(target: float, status: str) -> None:
    row = status_row(csat_wave("a", 1000, 500), csat_wave("b", 1000, 600), expected(level=target))
    low, high = proportion_confint(600, 1000, method="wilson")
    assert (row.follow_up_ci_low, row.follow_up_ci_high) == (
        pytest.approx(100 * low, abs=1e-9), pytest.approx(100 * high, abs=1e-9))
    assert row.status == status
    assert row.status_basis is not None and f"{100 * low:.1f}…{100 * high:.1f}" in row.status_basis


def test_a_target_with_both_parts_takes_the_weaker_status_and_tables_show_the_ci() -> None:
    a, b = csat_wave("a", 200, 40), csat_wave("b", 200, 120)
    row = status_row(a, b, expected(change=5, level=65))  # change: with confidence; level 60
    assert row.status == "below target"
    table = to_table(build_report(a, b, [expected(change=5)], lang="bg", min_group=10,
                                  items=False, confirmatory={"csat"}))
    assert f"постигната със сигурност (промяна {row.change:+.1f}, 95% ДИ " in table
    assert "не е ефект на проекта" in table


def test_confirmatory_is_off_unless_the_file_says_so() -> None:
    entry = msgspec.convert({"id": "x", "text": {"bg": "х", "en": "x"}, "survey": CITIZEN.id,
                             "indicator": "csqi", "target": {"change_at_least": 5}},
                            ResultEntry)
    assert entry.expand()[0].confirmatory is False
    shipped = {m.indicator: m.confirmatory for r in CATALOG.project_results for m in r.measures}
    assert shipped["csqi"] and not shipped["driver_timeliness"]  # said in the file


def test_the_analysis_plan_has_a_stable_hash_and_later_changes_do_not_count() -> None:
    plan = analysis_plan(CATALOG)
    _data, digest = encode_plan(plan)
    assert encode_plan(analysis_plan(load_catalog(FORMS)))[1] == digest and len(digest) == 16
    assert plan.adjust_for["citizen-satisfaction"] == ["service", "organisation", "mode"]
    assert ("citizen-satisfaction", "csqi") in plan.family
    # a result re-marked confirmatory and one added later: the plan's flags are used
    late = ExpectedResult(id="late", text=Text(bg="к", en="l"), survey=CITIZEN.id,
                          indicator="nps", target=Target(change_at_least=1), confirmatory=True)
    remarked = [msgspec.structs.replace(r, confirmatory=True) if r.indicator ==
                "driver_timeliness" else r for r in CATALOG.expected_results]
    followed, changed = follow_plan([*remarked, late], plan)
    flags = {r.id: r.confirmatory for r in followed}
    assert flags["timeliness"] is False and flags["late"] is False
    assert changed == {"timeliness", "late"}

"""The adjusted-change section under the disclosure plans (issue #14): its figures are linear
equations in both waves' answers, and they are shown only when, with everything the plans
show, no small group can be narrowed below the protection level."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest

from survey_service.reports.adjusted_plan import equations, exposed, guard_for, joint
from survey_service.reports.comparability import plan_indicators
from survey_service.reports.data import WaveMatrix, wave_matrix
from survey_service.reports.disclosure import (
    Disclosure,
    add_figures,
    figure_key,
    figure_of,
    figures_compared,
    new_plan,
)
from survey_service.reports.mix import pool_groups, respondent_outcome
from survey_service.reports.report import build_report
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import indicator_items, load_catalog
from survey_service.surveys.model import Analysis
from survey_service.surveys.versions import diff_versions
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[2] / "forms"
CITIZEN = load_catalog(FORMS).surveys["citizen-satisfaction"].survey
CSQI = indicator_items(CITIZEN, "csqi")
BY_SERVICE = msgspec.structs.replace(CITIZEN, analysis=Analysis(adjust_for=["service"]))


def _wave(wave_id: str, groups: list[tuple[str, int, int]], survey=BY_SERVICE) -> WaveMatrix:  # type: ignore[no-untyped-def]
    """``groups``: (service, respondents, answer code of every CSQI item and of overall
    satisfaction); every respondent of Elena, on the web, over ten days."""
    answers = [{"service": s, **dict.fromkeys(CSQI, code), "overall_satisfaction": code}
               for s, n, code in groups for _ in range(n)]
    # a little spread inside the big groups, so that no figure sits on a bound
    for i, a in enumerate(answers):
        if a["overall_satisfaction"] not in (1, 5) and i % 3 == 0:
            a.update(dict.fromkeys(CSQI, int(a[CSQI[0]]) + 1))  # type: ignore[call-overload]
    n = len(answers)
    data = WaveCodes(b"".join(encode_codes(survey, a) for a in answers),  # type: ignore[arg-type]
                     n, ["elena"] * n, ["web"] * n, [None] * n, [None] * n,
                     [f"2026-03-{1 + i % 10:02d}" for i in range(n)])
    return wave_matrix(Wave(id=wave_id, survey_id=survey.id, version="v"), survey, data)


def _disclosure(a: WaveMatrix, b: WaveMatrix) -> Disclosure:
    plans, _ = plan_indicators(a.survey, b.survey, diff_versions(a.survey, b.survey), "en")
    items = {i: p.items for i, p in plans.items()}
    found = {}
    for m in (a, b):
        plan = new_plan(m, [], 10, 20.0)
        add_figures(plan, m, figures_compared(m.survey, items))
        found[m.wave.id] = plan
    return Disclosure(found, full={a.wave.id: a, b.wave.id: b})


#: four people of "permits" answered all 1s (a CSQI of 0): the plans hide them, and civil
#: registration beside them (all of Elena minus local taxes would give them away)
SMALL = [("local_taxes", 60, 4), ("civil_registration", 40, 3), ("permits", 4, 1)]
SMALL_B = [("local_taxes", 50, 4), ("civil_registration", 50, 4), ("permits", 4, 1)]


def _csqi_equations(a: WaveMatrix, b: WaveMatrix, d: Disclosure):  # type: ignore[no-untyped-def]
    items = plan_indicators(a.survey, b.survey, diff_versions(a.survey, b.survey),
                            "en")[0]["csqi"].items
    figures = tuple(figure_of(m.survey, figure_key("csqi", items, CSQI)) for m in (a, b))
    j = joint((d.plans["a"], d.plans["b"]), (a, b), figures)  # type: ignore[arg-type]
    assert j is not None
    covariates, _, _ = pool_groups(a, b, ["service"])
    y = np.concatenate([respondent_outcome(m, "index", items)[0] for m in (a, b)])  # type: ignore[index]
    from survey_service.indicators.adjust_mix import collapse_cells

    wave = np.concatenate([np.zeros(a.n, dtype=bool), np.ones(b.n, dtype=bool)])
    kitagawa = collapse_cells(covariates, wave).codes
    return j, equations(j, (a, b), y, covariates, kitagawa, False)


def test_the_equations_are_the_figures_the_section_prints() -> None:
    a, b = _wave("a", SMALL), _wave("b", SMALL_B)
    d = _disclosure(a, b)
    j, found = _csqi_equations(a, b, d)
    report = build_report(a, b, [], lang="en", items=False)  # no plans: every figure shown
    rows = [r for r in report.rows if r.section == "adjusted" and r.id == "csqi"]
    st, ols = rows[0], rows[1]
    assert st.test == "standardised" and ols.test == "regression"
    crude = next(r for r in report.rows if r.section == "indicator" and r.id == "csqi").change
    values = [j.value(e) for e in found]
    assert values[0] == pytest.approx(crude)
    assert values[1] == pytest.approx(st.baseline) and values[2] == pytest.approx(st.follow_up)
    mix = float((st.note or "").split("change in mix ")[1].split()[0])
    assert values[3] == pytest.approx(mix, abs=0.05)
    assert values[4] == pytest.approx(ols.change)
    assert len(found) == 5


def test_the_adjusted_change_would_give_a_small_group_away_and_is_withheld() -> None:
    a, b = _wave("a", SMALL), _wave("b", SMALL_B)
    d = _disclosure(a, b)
    key = "csqi"
    for plan in d.plans.values():  # the small service is hidden, with a complement
        cells = {name: i for name, i in plan.labels.items()}
        assert cells["service:permits"] in plan.primary[key]
        assert len(set(plan.hidden[key]) - set(plan.primary[key])) >= 1
    j, found = _csqi_equations(a, b, d)
    assert exposed(j, []) == []  # the plans alone protect it
    leaks = exposed(j, found)
    assert leaks, "the section's figures narrow the small service"
    assert all(high - low < 20.0 for _, _, low, high in leaks)
    report = build_report(a, b, [], lang="en", items=False, disclosure=d)
    rows = [r for r in report.rows if r.section == "adjusted" and r.id == "csqi"]
    assert rows and all(r.change is None and r.baseline is None for r in rows)
    assert all("not shown" in (r.note or "") for r in rows)


def test_without_a_small_group_the_section_is_shown_under_the_plans() -> None:
    big = [("local_taxes", 60, 4), ("civil_registration", 40, 3), ("permits", 30, 2)]
    a, b = _wave("a", big), _wave("b", big[::-1])
    d = _disclosure(a, b)
    report = build_report(a, b, [], lang="en", items=False, disclosure=d)
    rows = [r for r in report.rows if r.section == "adjusted" and r.id == "csqi"]
    assert [r.change is not None for r in rows] == [True, True]
    plain = build_report(a, b, [], lang="en", items=False)
    assert [r.change for r in rows] == [
        r.change for r in plain.rows if r.section == "adjusted" and r.id == "csqi"]


def test_what_the_model_cannot_read_is_shown_only_without_small_groups() -> None:
    """The regression that adds the contact channel (a question, not an atom of the plan) is
    withheld beside a small group; with no plans to follow, nothing changes."""
    both = msgspec.structs.replace(CITIZEN, analysis=Analysis(
        adjust_for=["service"], shown_both_ways=["channel"]))
    a, b = _wave("a", SMALL, both), _wave("b", SMALL_B, both)
    d = _disclosure(a, b)
    guard = guard_for(d, a, b)
    assert guard is not None and not guard.quiet("csqi", CSQI)
    assert guard.modelled("index", CSQI) and not guard.modelled("percent_positive", CSQI[:2])
    assert guard_for(None, a, b) is None
    lost = guard_for(Disclosure(d.plans), a, b)  # the waves' responses not at hand
    assert lost is not None and lost.full is None


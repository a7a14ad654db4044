"""Breakdowns by a single-choice question: each group's figure and change against scipy, the
filters (organisation × contact channel), and the group plan: a small group hidden, with
complementary cells, so that the LP attacker who knows every published figure (the totals of
all organisations and of each included) cannot narrow it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from survey_service import indicators as ind
from survey_service.indicators.disclosure import interval
from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import WavePlan, figures_compared, shape_of
from survey_service.reports.group_plan import (
    add_group_figures,
    answers,
    group_label,
    new_group_plan,
    respondent_atoms,
)
from survey_service.reports.groups import build_groups, cannot_group
from survey_service.reports.groups_render import to_csv, to_text
from survey_service.reports.trend import common_plans
from survey_service.surveys.loader import indicator_items
from tests.unit.test_report import CITIZEN, demo

Q = "respondent_type"
CSQI = indicator_items(CITIZEN, "csqi")


def plans_for(ms: list[WaveMatrix], only: tuple[str, ...] = ("csqi", "csat")
              ) -> dict[str, WavePlan]:
    items = {i: p.items for i, p in common_plans(ms, "en")[0].items() if i in only}
    found = {}
    for m in ms:
        plan = new_group_plan(m, Q, 10, 20.0)
        figures = [f for f in figures_compared(m.survey, items) if f.key in only]
        add_group_figures(plan, m, Q, figures)
        found[m.wave.id] = plan
    return found


@pytest.fixture(scope="module")
def waves() -> list[WaveMatrix]:
    return [demo(CITIZEN, "w1", 300, 1), demo(CITIZEN, "w2", 300, 2, follow=True)]


def _scores(m: WaveMatrix) -> np.ndarray:
    s = ind.composite_scores(m.likert_columns(CSQI), 5, [False] * len(CSQI))
    return s[~np.isnan(s)]


def test_each_group_has_its_ci_and_change_against_scipy(waves: list[WaveMatrix]) -> None:
    groups = build_groups(waves, Q, plans_for(waves), lang="en", min_group=10)
    assert [c for c, _ in groups.groups][:3] == ["business", "citizen", "other_person"]
    row = next(r for r in groups.rows if r.group == "citizen" and r.indicator == "csqi")
    parts = [m.subset(answers(m, Q) == "citizen") for m in waves]
    scores = [_scores(p) for p in parts]
    for v, s in zip(row.waves, scores, strict=True):
        ci = stats.t.interval(0.95, len(s) - 1, loc=s.mean(), scale=stats.sem(s))
        assert v.value == pytest.approx(s.mean(), abs=1e-9) and v.n == len(s)
        assert (v.ci_low, v.ci_high) == (pytest.approx(ci[0], abs=1e-9),
                                         pytest.approx(ci[1], abs=1e-9))
    welch = stats.ttest_ind(scores[1], scores[0], equal_var=False)
    change = row.from_first[0]
    assert change.p == pytest.approx(welch.pvalue, abs=1e-9)
    assert change.ci_low == pytest.approx(welch.confidence_interval(0.95).low, abs=1e-9)
    assert change.adjustment == "fdr_bh" and change.p_adjusted is not None
    assert change.p_adjusted >= change.p
    text, table = to_text(groups), to_csv(groups)
    assert "For myself" in text and "csqi" in table


def test_filters_combine_organisation_and_contact_channel(waves: list[WaveMatrix]) -> None:
    groups = build_groups(waves, Q, plans_for(waves), lang="en", organisation="elena",
                          channel="desk", min_group=10)
    row = next(r for r in groups.rows if r.group == "citizen" and r.indicator == "csqi")
    m = waves[0]
    part = m.subset((m.organisations == "elena") & (answers(m, "channel") == "desk")
                    & (answers(m, Q) == "citizen"))
    if row.waves[0].value is not None:
        assert row.waves[0].value == pytest.approx(_scores(part).mean(), abs=1e-9)
        assert row.waves[0].n == len(_scores(part))
    assert "elena" in to_text(groups) and groups.channel == "desk"


def test_questions_that_cannot_group_are_refused(waves: list[WaveMatrix]) -> None:
    assert "--by service" in (cannot_group(waves, "service", None) or "")
    assert "no single-choice question 'visit_count'" in (
        cannot_group(waves, "visit_count", None) or "")
    assert "no single-choice question 'nope'" in (cannot_group(waves, "nope", None) or "")
    assert "not a contact channel" in (cannot_group(waves, Q, "carrier-pigeon") or "")
    assert cannot_group(waves, Q, "desk") is None


def test_a_small_group_is_hidden_and_cannot_be_narrowed_from_what_is_shown(
        waves: list[WaveMatrix]) -> None:
    m = waves[0]
    business = answers(m, Q) == "business"
    keep = ~business | (np.cumsum(business) <= 4)  # 4 people answered "for a business"
    small = m.subset(keep)
    plan = plans_for([small], ("csqi",))["w1"]
    groups = build_groups([small], Q, {"w1": plan}, lang="en", min_group=10)
    row = next(r for r in groups.rows if r.group == "business" and r.indicator == "csqi") \
        if any(r.group == "business" for r in groups.rows) else None
    assert row is None or row.waves[0].value is None
    hidden = set(plan.hidden["csqi"])
    target = plan.labels[group_label("all:", "business")]
    assert target in hidden and len(hidden) >= 2  # and at least one complement
    # the attacker: every cell not hidden (totals included) is published
    atoms, inverse = respondent_atoms(small, Q)
    index = {a: i for i, a in enumerate(plan.atoms)}
    atom = np.asarray([index[a] for a in atoms])[inverse]
    from survey_service.reports.disclosure import Figure
    from survey_service.surveys.loader import indicator_items as items_of

    csqi = next(d for d in CITIZEN.indicators if d.id == "csqi")
    known = shape_of(plan, small, Figure("csqi", "index", tuple(items_of(CITIZEN, "csqi")),
                                         csqi), atom)
    assert known is not None
    shape, sums = known
    published = [(tuple(c), shape.value(sums, tuple(c))) for i, c in enumerate(plan.cells)
                 if i not in hidden and shape.defined(tuple(c))]
    for cell in plan.primary["csqi"]:
        low, high = interval(shape, published, tuple(plan.cells[cell]))
        assert high - low >= 20.0 - 1e-6  # the protection level, on the 0-100 scale

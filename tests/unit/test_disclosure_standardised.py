"""The figure over all organisations standardised to a fixed organisation mix is one more
linear equation for the attacker (issue #14): beside the crude pooled value it gives both
organisations' values away, so the planner hides the all-organisation cell of a figure that
hides an organisation's cell."""

from __future__ import annotations

import numpy as np
import pytest

from survey_service.indicators.disclosure import Combo, Published, Shape, interval, plan_cells
from survey_service.reports.disclosure import WavePlan, close_standardised, standardised_ties

# two municipalities of 20 respondents each; a share figure asked of few of them: 6 valid
# answers in Lyaskovets (all "no"), 7 in Elena (all "yes"); the pooled 13 are above 10
SHAPE = Shape(np.asarray([[6.0], [7.0]]), 0.0, 1.0, 100.0)
SUMS = np.asarray([[0.0], [7.0]])
RESPONDENTS = np.asarray([20, 20])
CELLS = [(0, 1), (0,), (1,)]  # all organisations, Lyaskovets, Elena
MIX: Combo = ((CELLS[1], 0.5), (CELLS[2], 0.5))  # each organisation's share of both waves


def _published(hidden: set[int]) -> list[tuple[Published, float]]:
    """What the report prints: each shown cell's crude value, and over all organisations
    the standardised one too (Σ share · organisation's value)."""
    shown: list[tuple[Published, float]] = [(CELLS[j], SHAPE.value(SUMS, CELLS[j]))
                                         for j in range(3) if j not in hidden]
    if 0 not in hidden:
        shown.append((MIX, sum(w * SHAPE.value(SUMS, c) for c, w in MIX)))
    return shown


def test_the_standardised_figure_gives_both_organisations_away() -> None:
    crude: list[tuple[Published, float]] = [(CELLS[0], SHAPE.value(SUMS, CELLS[0]))]
    assert interval(SHAPE, crude, CELLS[1]) == pytest.approx((0.0, 100.0), abs=1e-3)
    low, high = interval(SHAPE, _published({1, 2}), CELLS[1])
    assert high - low < 1e-3 and low == pytest.approx(0.0, abs=1e-3)
    low, high = interval(SHAPE, _published({1, 2}), CELLS[2])
    assert high - low < 1e-3 and low == pytest.approx(100.0, abs=1e-3)


def test_the_plan_hides_the_total_when_it_hides_an_organisation() -> None:
    alone = plan_cells(SHAPE, SUMS, RESPONDENTS, CELLS, k=10, protection=20)
    assert alone.primary == {1, 2} and 0 not in alone.hidden  # the old plan: total shown
    plan = plan_cells(SHAPE, SUMS, RESPONDENTS, CELLS, k=10, protection=20,
                      implied={0: [1, 2]})
    assert plan.hidden == {0, 1, 2}
    for t in plan.primary:
        low, high = interval(SHAPE, _published(plan.hidden), CELLS[t])
        assert high - low >= 20 - 1e-6


def test_a_pass_that_hid_an_organisation_hides_the_total_of_indicators_only() -> None:
    """The joint pass (a theme and its items) hides cells without knowing the
    standardisation; single items are not standardised, so their total stays."""
    atoms = [("elena", "", "web", ""), ("lyaskovets", "", "web", "")]
    labels = {"all:": 0, "channel:web": 0, "organisation:elena": 1,
              "organisation:elena|channel:web": 1, "organisation:lyaskovets": 2,
              "organisation:lyaskovets|channel:web": 2}
    plan = WavePlan(wave="w", min_group=10, protection=20.0, atoms=atoms,
                    cells=[[0, 1], [0], [1]], labels=labels, report_cells=[0, 1, 2],
                    hidden={"csat": [2], "item:q": [2], "csqi": []})
    assert standardised_ties(plan, "csat") == {0: [1, 2]}
    close_standardised(plan, ["csat", "item:q", "csqi"])
    assert plan.hidden == {"csat": [0, 2], "item:q": [2], "csqi": []}
    alone = WavePlan(wave="w", min_group=10, protection=20.0, atoms=atoms[:1], cells=[[0]],
                     labels={"organisation:elena": 0}, report_cells=[0])
    assert standardised_ties(alone, "csat") == {}  # nothing pooled is published

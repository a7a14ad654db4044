"""A theme and its items attacked together (reports/disclosure_links.py): the ties the
attacker is given hold for the true data, and the plan leaves no sensitive cell narrow."""

from __future__ import annotations

import numpy as np
import pytest

from survey_service.indicators.disclosure_joint import Tie, joint_interval
from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import WavePlan, add_figures, new_plan, wave_figures
from survey_service.reports.disclosure_links import (
    joint_figures,
    plan_linked,
    respondents_per_atom,
    ties,
)
from survey_service.services.disclosure_audit import attack
from tests.unit.test_report import CITIZEN, demo

GROUP = ["satisfaction_mean", "csat", "item:overall_satisfaction"]


@pytest.fixture(scope="module")
def wave() -> WaveMatrix:
    return demo(CITIZEN, "w1", 120, 3)


def _check(found: list[Tie], sums: list[np.ndarray]) -> None:
    x = np.concatenate([s.reshape(-1) for s in sums])
    starts = np.cumsum([0] + [s.size for s in sums])
    for tie in found:
        cols = [starts[f] + a * sums[f].shape[1] + c for f, a, c, _ in tie.terms]
        left = sum(t[3] * float(x[col]) for t, col in zip(tie.terms, cols, strict=True))
        assert left == pytest.approx(tie.rhs, abs=1e-6) if tie.equal else left <= tie.rhs + 1e-6


def test_the_ties_hold_for_the_true_answers(wave: WaveMatrix) -> None:
    plan = new_plan(wave, [], 10, 20.0)
    add_figures(plan, wave, wave_figures(CITIZEN))
    figures, shapes, sums = joint_figures(plan, wave, ["csqi", *GROUP])
    found = ties(wave, figures, shapes, respondents_per_atom(plan, wave))
    kinds = {(figures[f].kind, t.equal) for t in found for f, _, _, _ in t.terms}
    assert {("index", True), ("item", True), ("mean", True), ("percent_positive", False)
            } <= kinds
    _check(found, sums)


def _narrow(plan: WavePlan, wave: WaveMatrix) -> list[tuple[str, int, float]]:
    """Sensitive cells of the group's figures the joint attacker narrows below 20 %."""
    figures, shapes, sums = joint_figures(plan, wave, GROUP)
    found = ties(wave, figures, shapes, respondents_per_atom(plan, wave))
    shown = []
    for f, s, x in zip(figures, shapes, sums, strict=True):
        cells = plan.report_cells if f.kind == "item" else range(len(plan.cells))
        shown.append([(tuple(plan.cells[i]), s.value(x, tuple(plan.cells[i])))
                      for i in cells if i not in plan.hidden[f.key]])
    out = []
    for g, (f, s) in enumerate(zip(figures, shapes, strict=True)):
        lo, hi = s.value_range()
        for i in plan.primary[f.key]:
            low, high = joint_interval(shapes, shown, found, g, tuple(plan.cells[i]))
            if high - low < 0.2 * (hi - lo) - 1e-6:
                out.append((f.key, i, high - low))
    return out


def test_a_theme_hidden_where_its_item_is_shown_is_planned_together(wave: WaveMatrix) -> None:
    """satisfaction_mean is the mean of one item, shown for the organisations as an item too,
    and csat counts its positive answers: after planning them together, the joint attacker
    narrows no sensitive cell of any of the three, and no cell hidden alone is shown."""
    plan = new_plan(wave, [], 10, 20.0)
    figures = [f for f in wave_figures(CITIZEN) if f.key in GROUP]
    add_figures(plan, wave, figures)
    assert any(plan.primary[k] for k in GROUP)
    alone = {k: list(v) for k, v in plan.hidden.items()}
    plan_linked(plan, wave, GROUP)
    assert not _narrow(plan, wave)
    assert all(set(alone[k]) <= set(plan.hidden[k]) for k in GROUP)


def test_the_audit_attacks_a_figure_with_the_figures_tied_to_it(wave: WaveMatrix) -> None:
    """An output that shows no satisfaction_mean but shows its one item for each
    organisation: alone, the theme of Elena keeps the whole 1-5 range; with the item (the
    same sums of the same answers) the audit finds it exactly."""
    plan = new_plan(wave, [], 10, 20.0)
    add_figures(plan, wave, [f for f in wave_figures(CITIZEN) if f.key in GROUP])
    figures, shapes, sums = joint_figures(plan, wave, GROUP)
    item = figures[2]
    assert item.key == GROUP[2]
    everything = {(wave.wave.id, item.key): [(i, shapes[2].value(sums[2], tuple(plan.cells[i])))
                                             for i in plan.report_cells]}
    elena = "organisation:elena"
    truth = shapes[0].value(sums[0], tuple(plan.cells[plan.labels[elena]]))
    joint = {i.cell: i for i in attack(plan, wave, GROUP[0], everything, 20.0)}[elena]
    assert (joint.low, joint.high) == pytest.approx((truth, truth), abs=1e-4)
    del everything[(wave.wave.id, item.key)]
    alone = {i.cell: i for i in attack(plan, wave, GROUP[0], everything, 20.0)}[elena]
    assert (alone.low, alone.high) == pytest.approx((1.0, 5.0), abs=1e-4)

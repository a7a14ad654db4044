"""The answer distributions the report pages draw are planned (reports/distribution_plan.py):
a count of 1 or 2 answers of an organisation is not shown, and cannot be recovered from the
distributions shown for all organisations and the other one (subtraction) or from the
item's mean."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import WavePlan, add_figures, new_plan, wave_figures
from survey_service.reports.distribution_plan import (
    attack_distribution,
    dist_key,
    plan_distributions,
    problem,
)
from tests.unit.test_report import CITIZEN, demo

ITEM = "forms_clear"


def scenario() -> WaveMatrix:
    """Elena 20 people, one of whom answered 1, nine 4 and ten 2 (its mean and 45 % positive
    leave 1 to 10.5 answers of 1); Lyaskovets 20 people, five of whom answered 1 (so all
    organisations have six 1s: not a small count)."""
    m = demo(CITIZEN, "w1", 40, 1)
    codes = m.codes.copy()
    answers = [1] + [4] * 9 + [2] * 10 + [1] * 5 + [4] * 15
    codes[:, m.items[ITEM]] = answers
    orgs = ["elena"] * 20 + ["lyaskovets"] * 20
    return dataclasses.replace(m, codes=codes, organisations=np.asarray(orgs, dtype=np.str_),
                               channels=np.asarray(["web"] * 40, dtype=np.str_),
                               _likert_columns={}, _factors={}, memo={})


def _shown(wave: WavePlan, m: WaveMatrix, hidden: list[int]
           ) -> tuple[dict[str, dict[int, float]], dict[int, list[int]]]:
    """The item's mean and % positive where the wave plan shows them, and the distributions
    not ``hidden``."""
    p = problem(wave, m, ITEM)
    assert p is not None
    figures = {key: {i: p.shapes[f].value(p.sums[f], p.cells[j])
                     for j, i in enumerate(wave.report_cells) if i not in wave.hidden[key]}
               for f, key in p.fixed.items()}
    shown = {i: p.counts[j].tolist() for j, i in enumerate(wave.report_cells)
             if i not in hidden}
    return figures, shown


@pytest.fixture(scope="module")
def planned() -> tuple[WaveMatrix, WavePlan]:
    m = scenario()
    wave = new_plan(m, [], 10, 20.0)
    add_figures(wave, m, [f for f in wave_figures(CITIZEN) if f.items == (ITEM,)
                           and f.key in (f"item:{ITEM}", f"positive:{ITEM}")])
    # the item's mean and % positive are shown everywhere
    assert not wave.hidden[f"item:{ITEM}"] and not wave.hidden[f"positive:{ITEM}"]
    return m, wave


def test_hidden_alone_the_small_count_is_recovered_by_subtraction(
        planned: tuple[WaveMatrix, WavePlan]) -> None:
    """Elena's distribution hidden (its count of 1), all organisations' and Lyaskovets'
    shown (where the item's mean is): all minus Lyaskovets gives Elena's 1 answer of 1."""
    m, wave = planned
    elena = wave.labels["organisation:elena"]
    found = attack_distribution(wave, m, ITEM, *_shown(wave, m, [elena]))
    assert [(cell, point, count) for cell, point, count, *_ in found] == [(elena, 1, 1)]
    low, high, published = found[0].low, found[0].high, found[0].shown
    assert not published and (low, high) == pytest.approx((5.0, 5.0), abs=1e-3)  # 1 of 20


def test_planned_the_small_count_is_hidden_and_keeps_its_interval(
        planned: tuple[WaveMatrix, WavePlan]) -> None:
    m, wave = planned
    plan = WavePlan(wave=wave.wave, min_group=10, protection=20.0, atoms=wave.atoms,
                    cells=wave.cells, labels=wave.labels, report_cells=wave.report_cells)
    assert plan_distributions(plan, wave, m, [ITEM])
    hidden = plan.hidden[dist_key(ITEM)]
    elena = wave.labels["organisation:elena"]
    assert elena in hidden and len(hidden) >= 2  # and a complement: no subtraction
    found = attack_distribution(wave, m, ITEM, *_shown(wave, m, hidden))
    # 20 answers: the level (20 points) asks for 4 answers, the count rule for 3 (15 points)
    assert found and all(not f.shown and f.need == pytest.approx(15.0)
                         and f.high - f.low >= f.need - 1e-6 for f in found), found
    again = WavePlan(wave=wave.wave, min_group=10, protection=20.0, atoms=wave.atoms,
                     cells=wave.cells, labels=wave.labels, report_cells=wave.report_cells)
    plan_distributions(again, wave, m, [ITEM])
    assert again.hidden == plan.hidden  # deterministic

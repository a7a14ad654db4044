"""A question's breakdown planned and attacked together with the wave's own tables
(reports/group_joint.py): the same people are in the unit table and in the breakdown, and
both give the organisation's total."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import (
    WavePlan,
    add_figures,
    figure_of,
    new_plan,
    shape_of,
)
from survey_service.reports.disclosure_links import plan_linked
from survey_service.reports.group_joint import Published, attack_jointly, plan_with_wave
from survey_service.reports.group_plan import add_group_figures, new_group_plan, respondent_atoms
from tests.unit.test_report import CITIZEN, demo

Q, KEY = "respondent_type", "driver_timeliness"
#: unit -> (people, answer to every statement); the small unit answered all 1s
UNITS = {"a_small": (8, 1), "b": (10, 5), "c": (14, 3)}


def scenario() -> WaveMatrix:
    """One organisation of 32: units of 8, 10 and 14; "citizen" is unit b and one person of
    unit c, "business" everyone else (neither group is small)."""
    n = sum(p for p, _ in UNITS.values())
    m = demo(CITIZEN, "w1", n, 1)
    codes = m.codes.copy()
    units, answer, kind = [], [], []
    for unit, (people, value) in UNITS.items():
        units += [unit] * people
        answer += [value] * people
        kind += [1 if unit == "b" else 3] * people
    kind[UNITS["a_small"][0] + UNITS["b"][0]] = 1  # the first of unit c is a citizen too
    for item, spec in m.items.items():
        if m.item(item).kind == "likert":  # type: ignore[union-attr]
            codes[:, spec] = answer
    codes[:, m.items[Q]] = kind
    codes[:, m.items["channel"]] = -1
    codes[:, m.items["service"]] = -1
    return dataclasses.replace(
        m, codes=codes, organisations=np.asarray(["elena"] * n, dtype=np.str_),
        channels=np.asarray(["web"] * n, dtype=np.str_), units=np.asarray(units, dtype=np.str_),
        _likert_columns={}, _factors={}, memo={})


def _published(wave: WavePlan, group: WavePlan, m: WaveMatrix) -> Published:
    figure = figure_of(m.survey, KEY)
    assert figure is not None
    index = {a: i for i, a in enumerate(group.atoms)}
    atoms, inverse = respondent_atoms(m, Q)
    atom = np.asarray([index[a] for a in atoms])[inverse]
    out: Published = {}
    for kind, plan, known in (("wave", wave, shape_of(wave, m, figure)),
                              (Q, group, shape_of(group, m, figure, atom))):
        assert known is not None
        shape, sums = known
        out[(kind, KEY)] = {i: shape.value(sums, tuple(c)) for i, c in enumerate(plan.cells)
                            if i not in plan.hidden[KEY] and shape.defined(tuple(c))}
    return out


def _narrowed(wave: WavePlan, group: WavePlan, m: WaveMatrix) -> list[str]:
    found = attack_jointly(wave, {Q: group}, m, _published(wave, group, m))
    assert found
    return [f"{f.origin} {f.low:.1f}-{f.high:.1f}" for f in found
            if f.n < 10 and f.high - f.low < 0.2 * f.span - 1e-6]


@pytest.fixture(scope="module")
def planned() -> tuple[WaveMatrix, WavePlan]:
    m = scenario()
    wave = new_plan(m, [], 10, 20.0)
    figure = figure_of(m.survey, KEY)
    assert figure is not None
    add_figures(wave, m, [figure])
    plan_linked(wave, m, [KEY])
    small, b = wave.labels["unit:elena/a_small"], wave.labels["unit:elena/b"]
    assert {small, b} <= set(wave.hidden[KEY])  # the small unit and its complement
    assert wave.labels["organisation:elena"] not in wave.hidden[KEY]
    return m, wave


def test_planned_alone_the_breakdown_and_the_unit_table_narrow_a_hidden_unit(
        planned: tuple[WaveMatrix, WavePlan]) -> None:
    """The breakdown planned figure by figure shows both groups (10+ people each); with the
    unit table the attacker gets the small unit within one person's score of 100 points
    over 8 people: 12.5 points, below the 20 of the protection level."""
    m, wave = planned
    group = new_group_plan(m, Q, 10, 20.0)
    add_group_figures(group, m, Q, [f for f in [figure_of(m.survey, KEY)] if f is not None])
    assert not group.hidden[KEY]  # no group is small: nothing hidden
    narrow = _narrowed(wave, group, m)
    assert any(f"('wave', {wave.labels['unit:elena/a_small']})" in n for n in narrow), narrow


def test_planned_with_the_wave_the_hidden_unit_keeps_its_interval(
        planned: tuple[WaveMatrix, WavePlan]) -> None:
    m, wave = planned
    group = new_group_plan(m, Q, 10, 20.0)
    figure = figure_of(m.survey, KEY)
    assert figure is not None
    add_group_figures(group, m, Q, [figure], joint=True)
    plan_with_wave(group, wave, m, Q, [KEY])
    assert group.hidden[KEY]  # the groups that gave it away are hidden now
    assert not _narrowed(wave, group, m)
    again = new_group_plan(m, Q, 10, 20.0)  # deterministic
    add_group_figures(again, m, Q, [figure], joint=True)
    plan_with_wave(again, wave, m, Q, [KEY])
    assert again.hidden == group.hidden

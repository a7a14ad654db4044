"""Two questions' breakdowns planned together (reports/group_joint.py): the people of
"business" are exactly the youngest, so a breakdown by age band shows what the breakdown by
respondent type hid as the complement of a small group."""

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

A, B, KEY = "respondent_type", "age_band", "driver_timeliness"
#: (people, answer to every statement, respondent type, age band): the 4 answering for
#: another person answered all 1s; the 10 businesses are the 10 aged 18-29
PEOPLE = [(20, 4, "citizen", "age_45_64"), (4, 1, "other_person", "age_45_64"),
          (10, 5, "business", "age_18_29")]


def scenario() -> WaveMatrix:
    n = sum(p for p, *_ in PEOPLE)
    m = demo(CITIZEN, "w1", n, 1)
    codes = m.codes.copy()
    rows = [(value, kind, age) for people, value, kind, age in PEOPLE for _ in range(people)]
    for item, j in m.items.items():
        if m.item(item).kind == "likert":  # type: ignore[union-attr]
            codes[:, j] = [r[0] for r in rows]
    for q, k in ((A, 1), (B, 2)):
        options = list(m.item(q).options)  # type: ignore[union-attr]
        codes[:, m.items[q]] = [options.index(r[k]) + 1 for r in rows]
    codes[:, m.items["channel"]] = -1
    codes[:, m.items["service"]] = -1
    return dataclasses.replace(
        m, codes=codes, organisations=np.asarray(["elena"] * n, dtype=np.str_),
        channels=np.asarray(["web"] * n, dtype=np.str_), units=np.asarray([""] * n, dtype=np.str_),
        _likert_columns={}, _factors={}, memo={})


@pytest.fixture(scope="module")
def planned() -> tuple[WaveMatrix, WavePlan]:
    m = scenario()
    wave = new_plan(m, [], 10, 20.0)
    figure = figure_of(m.survey, KEY)
    assert figure is not None
    add_figures(wave, m, [figure])
    plan_linked(wave, m, [KEY])
    return m, wave


def plan(m: WaveMatrix, wave: WavePlan, q: str, others: dict[str, WavePlan]) -> WavePlan:
    group = new_group_plan(m, q, 10, 20.0)
    figure = figure_of(m.survey, KEY)
    assert figure is not None
    add_group_figures(group, m, q, [figure], joint=True)
    plan_with_wave(group, wave, m, q, [KEY], others)
    return group


def narrowed(m: WaveMatrix, wave: WavePlan, groups: dict[str, WavePlan]) -> list[str]:
    """The small cells the attacker narrows below 20 points knowing what every plan shows."""
    figure = figure_of(m.survey, KEY)
    assert figure is not None
    out: Published = {}
    known = shape_of(wave, m, figure)
    assert known is not None
    out[("wave", KEY)] = {i: known[0].value(known[1], tuple(c)) for i, c in
                          enumerate(wave.cells) if i not in wave.hidden[KEY]}
    for q, group in groups.items():
        index = {a: i for i, a in enumerate(group.atoms)}
        atoms, inverse = respondent_atoms(m, q)
        known = shape_of(group, m, figure, np.asarray([index[a] for a in atoms])[inverse])
        assert known is not None
        out[(q, KEY)] = {i: known[0].value(known[1], tuple(c)) for i, c in
                         enumerate(group.cells) if i not in group.hidden[KEY]}
    found = attack_jointly(wave, groups, m, out)
    assert any(f.n < 10 for f in found) == (A in groups)  # the 4 are attacked
    return [f"{f.origin} {f.low:.1f}-{f.high:.1f}" for f in found
            if f.n < 10 and f.high - f.low < 0.2 * f.span - 1e-6]


def test_each_planned_with_the_wave_alone_the_two_breakdowns_give_the_small_group(
        planned: tuple[WaveMatrix, WavePlan]) -> None:
    m, wave = planned
    a, b = plan(m, wave, A, {}), plan(m, wave, B, {})
    assert not narrowed(m, wave, {A: a}) and not narrowed(m, wave, {B: b})  # each alone: safe
    small = a.labels["organisation:elena|q:other_person"]
    assert small in a.hidden[KEY]
    assert any(f"('{A}', {small})" in n for n in narrowed(m, wave, {A: a, B: b}))


@pytest.mark.parametrize("first", [A, B])
def test_the_second_breakdown_is_planned_with_the_first(
        planned: tuple[WaveMatrix, WavePlan], first: str) -> None:
    """Whichever is asked first, the second hides more, and the pair narrows nothing."""
    m, wave = planned
    second = B if first == A else A
    kept = {first: plan(m, wave, first, {})}
    both = {**kept, second: plan(m, wave, second, kept)}
    assert not narrowed(m, wave, both)
    again = plan(m, wave, second, kept)  # deterministic
    assert again.hidden == both[second].hidden

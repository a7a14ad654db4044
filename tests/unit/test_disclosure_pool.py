"""The joint planner's pool of points (indicators/disclosure_joint.py): the ends an attack
finds are answers the attacker cannot rule out, and a width proved by two of them spares a
linear program without changing any plan."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from survey_service.indicators import disclosure_joint
from survey_service.indicators.disclosure_joint import (
    Tie,
    joint_ends,
    joint_interval,
    plan_jointly,
)
from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import add_figures, new_plan, wave_figures
from survey_service.reports.disclosure_links import joint_figures, respondents_per_atom, ties
from tests.unit.test_report import CITIZEN, demo

KEYS = ["satisfaction_mean", "csat", "item:overall_satisfaction"]


@pytest.fixture(scope="module")
def problem() -> dict[str, Any]:
    return linked_problem()


def linked_problem() -> dict[str, Any]:
    """The demo wave's linked figures at 60 respondents, with the cells of every table, and
    each figure's small cells hidden (and sensitive) as planned alone."""
    wave: WaveMatrix = demo(CITIZEN, "w1", 60, 4)
    plan = new_plan(wave, [], 10, 20.0)
    add_figures(plan, wave, wave_figures(CITIZEN))
    figures, shapes, sums = joint_figures(plan, wave, KEYS)
    found = ties(wave, figures, shapes, respondents_per_atom(plan, wave))
    cells = [[tuple(c) for c in plan.cells] for _ in figures]
    hidden = [set(plan.hidden[f.key]) for f in figures]
    primary = [set(plan.primary[f.key]) for f in figures]
    assert found and any(primary)
    return {"shapes": shapes, "sums": sums, "ties": found, "cells": cells, "hidden": hidden,
            "primary": primary, "respondents": respondents_per_atom(plan, wave).tolist()}


def _shown(p: dict[str, Any], hidden: list[set[int]]) -> list[list[tuple[Any, float]]]:
    return [[(c, s.value(x, c)) for j, c in enumerate(cs) if j not in h and s.defined(c)]
            for s, x, cs, h in zip(p["shapes"], p["sums"], p["cells"], hidden, strict=True)]


def _holds(p: dict[str, Any], shown: list[list[tuple[Any, float]]], x: np.ndarray,
           ties_: list[Tie]) -> None:
    """x is answers the attacker cannot rule out: within the bounds, true to every tie and
    to every published value."""
    starts = np.cumsum([0] + [s.weights.size for s in p["shapes"]])
    for f, (s, pub) in enumerate(zip(p["shapes"], shown, strict=True)):
        part = x[starts[f]:starts[f + 1]]
        w = s.weights.reshape(-1)
        assert (part >= s.low * w - 1e-6).all() and (part <= s.high * w + 1e-6).all()
        lo, hi = s.value_range()
        for cell, value in pub:
            assert s.functional_of(cell) @ part == pytest.approx(value, abs=1e-6 * (hi - lo))
    for tie in ties_:
        left = sum(coef * x[starts[f] + a * p["shapes"][f].components + c]
                   for f, a, c, coef in tie.terms)
        assert left == pytest.approx(tie.rhs, abs=1e-6) if tie.equal else left <= tie.rhs + 1e-6


def test_the_ends_an_attack_finds_are_answers_it_cannot_rule_out(problem: dict[str, Any]
                                                                  ) -> None:
    shown = _shown(problem, problem["hidden"])
    tried = 0
    for f, (cells, primary) in enumerate(zip(problem["cells"], problem["primary"],
                                             strict=True)):
        for t in sorted(primary)[:2]:
            ends = joint_ends(problem["shapes"], shown, problem["ties"], f, cells[t])
            assert ends is not None
            low, high, found = ends.low, ends.high, ends.points
            assert (low, high) == joint_interval(problem["shapes"], shown, problem["ties"], f,
                                                 cells[t])
            starts = np.cumsum([0] + [s.weights.size for s in problem["shapes"]])
            goal = problem["shapes"][f].functional(cells[t])
            at = [float(x[starts[f]:starts[f + 1]] @ goal) for x in found]
            assert at == pytest.approx([low, high], abs=1e-6)
            for x in found:
                _holds(problem, shown, x, problem["ties"])
            tried += 1
    assert tried >= 3


def _plan(problem: dict[str, Any], monkeypatch: pytest.MonkeyPatch, exact: bool
          ) -> tuple[list[set[int]], list[tuple[int, int]], int]:
    """Plan the problem, counting the attacks solved; ``exact``: every width by a linear
    program, and every trial tried (no pool, every row taken as binding)."""
    solved = [0]
    real = disclosure_joint.joint_ends

    def counted(shapes: Any, published: Any, *args: Any, **kw: Any) -> Any:
        solved[0] += 1
        ends = real(shapes, published, *args, **kw)
        if exact and ends is not None:
            ends.binding = [set(range(len(shown))) for shown in published]
        return ends

    with monkeypatch.context() as m:
        m.setattr(disclosure_joint, "joint_ends", counted)
        if exact:
            m.setattr(disclosure_joint.Pool, "width", lambda self, f, cell: float("-inf"))
        hidden = [set(h) for h in problem["hidden"]]
        left = plan_jointly(problem["shapes"], problem["sums"], problem["respondents"],
                            problem["cells"], hidden, problem["primary"], problem["ties"],
                            set(range(len(hidden))), 20.0)
    return hidden, left, solved[0]


def test_the_pool_plans_what_exact_widths_plan_with_fewer_programs(
        problem: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    hidden, left, solved = _plan(problem, monkeypatch, exact=False)
    exact_hidden, exact_left, exact_solved = _plan(problem, monkeypatch, exact=True)
    assert any(h > g for h, g in zip(hidden, problem["hidden"], strict=True))  # it hid more
    assert (hidden, left) == (exact_hidden, exact_left)
    assert solved < exact_solved / 4, (solved, exact_solved)
    shown = _shown(problem, hidden)  # and what it left is wide, exactly
    for f, (s, cells, primary) in enumerate(zip(problem["shapes"], problem["cells"],
                                                problem["primary"], strict=True)):
        lo, hi = s.value_range()
        for t in primary:
            if (f, t) not in left:
                low, high = joint_interval(problem["shapes"], shown, problem["ties"], f,
                                           cells[t])
                assert high - low >= 0.2 * (hi - lo) - 1e-6, (f, t, low, high)


def test_the_pool_keeps_only_answers_consistent_with_what_stays_shown(
        problem: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A point joins the pool only when the cells hidden then stay hidden: not from a trial
    of a cell it then shows again, nor from the check with everything hidden."""
    hidden = [set(h) for h in problem["hidden"]]
    added: list[tuple[list[set[int]], list[np.ndarray]]] = []
    real = disclosure_joint.Pool.add

    def add(self: Any, found: list[np.ndarray]) -> None:
        added.append(([set(h) for h in hidden], list(found)))
        real(self, found)

    monkeypatch.setattr(disclosure_joint.Pool, "add", add)
    plan_jointly(problem["shapes"], problem["sums"], problem["respondents"], problem["cells"],
                 hidden, problem["primary"], problem["ties"], set(range(len(hidden))), 20.0,
                 fixed=[set() for _ in hidden])
    assert len(added) >= 5
    for then, found in added:
        assert all(a <= b for a, b in zip(then, hidden, strict=True))
        for x in found:
            _holds(problem, _shown(problem, hidden), x, problem["ties"])


def test_hiding_a_cell_whose_rows_do_not_bind_moves_neither_end(problem: dict[str, Any]
                                                                ) -> None:
    """What lets a trial be skipped: by LP duality, a published value whose multiplier is
    zero at both ends can be withdrawn and neither end moves. Checked against the attack
    run again without it, for the narrowest sensitive cells before planning."""
    shapes, ties_ = problem["shapes"], problem["ties"]
    shown = _shown(problem, problem["hidden"])
    narrow = []
    for f, (cells, primary) in enumerate(zip(problem["cells"], problem["primary"],
                                             strict=True)):
        for t in sorted(primary):
            ends = joint_ends(shapes, shown, ties_, f, cells[t])
            assert ends is not None
            narrow.append((ends.high - ends.low, f, t, ends))
    narrow.sort(key=lambda n: n[:3])
    moved = 0
    for _, f, t, ends in narrow[:2]:
        for g, pub in enumerate(shown):
            for k in range(len(pub)):
                without = [p if h != g else p[:k] + p[k + 1:] for h, p in enumerate(shown)]
                low, high = joint_interval(shapes, without, ties_, f, problem["cells"][f][t])
                if k in ends.binding[g]:
                    moved += abs(high - ends.high) + abs(low - ends.low) > 1e-6
                else:
                    assert (low, high) == pytest.approx((ends.low, ends.high), abs=1e-6)
    assert moved  # and some that bind do move an end

"""The LP attacker and the disclosure planner (indicators/disclosure.py), on hand-made tables."""

from __future__ import annotations

import numpy as np
import pytest

from survey_service.indicators.disclosure import Shape, interval, plan_cells


def index_shape(sizes: list[int]) -> Shape:
    return Shape(np.asarray(sizes, dtype=float).reshape(-1, 1), 0.0, 100.0)


def test_the_attacker_bounds_a_hidden_cell_as_by_hand() -> None:
    shape = index_shape([4, 6])  # two units; the total (10 people) is published
    assert interval(shape, [((0, 1), 90.0)], (0,)) == pytest.approx((75.0, 100.0), abs=1e-3)
    assert interval(shape, [((0, 1), 50.0)], (0,)) == pytest.approx((0.0, 100.0), abs=1e-3)
    assert interval(shape, [((0, 1), 0.0)], (0,)) == pytest.approx((0.0, 0.0), abs=1e-3)  # L4
    assert interval(shape, [], (0,)) == pytest.approx((0.0, 100.0), abs=1e-3)
    nps = Shape(np.asarray([[4.0, 4.0], [6.0, 6.0]]), 0.0, 1.0, 100.0, (1.0, -1.0), True)
    assert interval(nps, [((0, 1), 100.0)], (0,)) == pytest.approx((100.0, 100.0), abs=1e-3)


def test_two_small_units_pooled_at_the_bottom_get_a_wider_interval_l4() -> None:
    """Units of 4 and 6 answered all 1s (score 0), a unit of 12 answered 100: suppressing the
    two small ones alone leaves both at exactly 0 (the total and the big unit are shown)."""
    shape = index_shape([4, 6, 12, 14])
    sums = np.asarray([[0.0], [0.0], [1200.0], [700.0]])
    cells = [(0,), (1,), (2,), (3,), (0, 1, 2, 3)]
    respondents = np.asarray([4, 6, 12, 14])
    naive = [(cells[j], shape.value(sums, cells[j])) for j in (2, 3, 4)]
    assert interval(shape, naive, (0,)) == pytest.approx((0.0, 0.0), abs=1e-3)
    plan = plan_cells(shape, sums, respondents, cells, k=10, protection=20)
    assert plan.primary == {0, 1}
    assert plan.hidden > {0, 1}
    shown = [(cells[j], shape.value(sums, cells[j])) for j in range(5) if j not in plan.hidden]
    for t in plan.primary:
        low, high = interval(shape, shown, cells[t])
        assert high - low >= 20
    again = plan_cells(shape, sums, respondents, cells, k=10, protection=20)
    assert again.hidden == plan.hidden  # deterministic


def test_a_figure_with_few_valid_answers_gets_a_complement_l3() -> None:
    """A unit of 12 with only 4 valid answers to a theme: hidden, and not recoverable."""
    shape = Shape(np.asarray([[4.0], [15.0], [20.0]]), 0.0, 1.0, 100.0)
    sums = np.asarray([[0.0], [9.0], [14.0]])
    cells = [(0,), (1,), (2,), (0, 1, 2)]
    plan = plan_cells(shape, sums, np.asarray([12, 15, 20]), cells, k=10)
    assert plan.primary == {0} and len(plan.hidden) >= 2
    shown = [(cells[j], shape.value(sums, cells[j])) for j in range(4) if j not in plan.hidden]
    low, high = interval(shape, shown, (0,))
    assert high - low >= 20


def test_linked_tables_are_protected_together_l1() -> None:
    """Units of two organisations, the organisations and the grand total: a complement chosen
    inside one organisation's table must not be shown by another table."""
    sizes = [4, 10, 25, 9, 11, 25]
    shape = index_shape(sizes)
    sums = np.asarray([[0.0], [600.0], [1800.0], [0.0], [700.0], [1500.0]])
    cells = [(0,), (1,), (2,), (3,), (4,), (5,), (0, 1, 2), (3, 4, 5), (0, 1, 2, 3, 4, 5),
             (0, 3), (1, 4), (2, 5)]  # the last three: the same units mapped across orgs
    plan = plan_cells(shape, sums, np.asarray(sizes), cells, k=10, protection=20)
    shown = [(cells[j], shape.value(sums, cells[j])) for j in range(len(cells))
             if j not in plan.hidden]
    assert plan.primary == {0, 3}
    for t in plan.primary:
        low, high = interval(shape, shown, cells[t])
        assert high - low >= 20, (cells[t], low, high)

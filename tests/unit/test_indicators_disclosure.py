"""The LP attacker and the disclosure planner (indicators/disclosure.py), on hand-made tables."""

from __future__ import annotations

import numpy as np
import pytest

from survey_service.indicators.disclosure import Shape, interval, plan_cells
from survey_service.indicators.disclosure_joint import Tie, joint_interval, plan_jointly


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


def test_a_theme_and_its_items_are_attacked_together() -> None:
    """A theme (mean of three items) published for units 1 and 2 and the total; items 1 and 2
    published everywhere; item 3 hidden in unit 0 (4 valid answers of 12) and, as its
    complement, in unit 1. Alone, item 3 of unit 0 keeps a wide interval; together with the
    theme, item 3 of unit 1 is 3·theme − item 1 − item 2, and then unit 0 follows from the
    total: both exact. The joint planner hides enough of the theme to stop it."""
    sizes = [12.0, 15.0, 20.0]
    valid3 = [4.0, 15.0, 20.0]
    means = np.asarray([[2.0, 3.0, 1.0], [4.0, 2.0, 5.0], [3.0, 3.0, 3.0]])  # unit × item
    item_shapes = [Shape(np.asarray(valid3 if q == 2 else sizes).reshape(-1, 1), 1.0, 5.0)
                   for q in range(3)]
    item_sums = [means[:, [q]] * s.weights for q, s in enumerate(item_shapes)]
    theme = Shape(np.stack([s.weights[:, 0] for s in item_shapes], axis=1), 1.0, 5.0)
    theme_sums = np.concatenate(item_sums, axis=1)
    cells = [(0,), (1,), (2,), (0, 1, 2)]
    shapes = [theme, *item_shapes]
    sums = [theme_sums, *item_sums]
    ties = [Tie(((0, a, q, 1.0), (1 + q, a, 0, -1.0)), 0.0) for q in range(3) for a in range(3)]
    hidden = [{0}, set(), set(), {0, 1}]  # the theme hides unit 0 only
    shown = [[(c, s.value(x, c)) for j, c in enumerate(cells) if j not in h]
             for s, x, h in zip(shapes, sums, hidden, strict=True)]
    truth = [item_shapes[2].value(item_sums[2], (a,)) for a in (0, 1)]
    alone = interval(item_shapes[2], shown[3], (0,))
    assert alone[1] - alone[0] >= 0.8  # 20 % of the 1-5 range: the old attacker saw no risk
    for a in (0, 1):
        low, high = joint_interval(shapes, shown, ties, 3, (a,))
        assert (low, high) == pytest.approx((truth[a], truth[a]), abs=1e-4)  # recovered
    primary = [{0}, set(), set(), {0}]
    plan_jointly(shapes, sums, [12, 15, 20], [cells] * 4, hidden, primary, ties, {0, 1, 2, 3},
                 20.0)
    assert hidden[0] > {0} and hidden[3] == {0, 1}
    shown = [[(c, s.value(x, c)) for j, c in enumerate(cells) if j not in h]
             for s, x, h in zip(shapes, sums, hidden, strict=True)]
    for f in (0, 3):
        low, high = joint_interval(shapes, shown, ties, f, (0,))
        assert high - low >= 0.8

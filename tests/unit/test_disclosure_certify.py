"""The audit's certified attacks (indicators/disclosure_certify.py): an interval proved by
answers the attacker cannot rule out lies within the exact one, and the verdict (wide enough
or not) is the exact attack's, with fewer linear programs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from survey_service.indicators import disclosure_certify, disclosure_joint
from survey_service.indicators.disclosure import STRICT
from survey_service.indicators.disclosure_certify import Bound, Target, attack_many
from survey_service.indicators.disclosure_joint import plan_jointly
from tests.unit.test_disclosure_pool import _shown, linked_problem


@pytest.fixture(scope="module")
def problem() -> dict[str, Any]:
    """The linked demo figures with the cells the joint planner hides."""
    base = linked_problem()
    hidden = [set(h) for h in base["hidden"]]
    plan_jointly(base["shapes"], base["sums"], base["respondents"], base["cells"], hidden,
                 base["primary"], base["ties"], set(range(len(hidden))), 20.0)
    return {**base, "hidden": hidden}


def _targets(p: dict[str, Any], level: float) -> list[Target]:
    """Every hidden cell: a primary one must be left ``level`` % of its range wide."""
    out = []
    for f, (s, cells, hidden, primary) in enumerate(zip(p["shapes"], p["cells"], p["hidden"],
                                                         p["primary"], strict=True)):
        lo, hi = s.value_range()
        out += [Target(f, cells[j], level / 100 * (hi - lo) if j in primary else None)
                for j in sorted(hidden) if s.defined(cells[j])]
    return out


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    real = disclosure_joint.joint_extremes

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(disclosure_joint, "joint_extremes", counting)
    monkeypatch.setattr(disclosure_certify, "joint_extremes", counting)
    return calls


def _run(p: dict[str, Any], shown: Any, targets: list[Target], exact: bool) -> list[Bound]:
    return attack_many(p["shapes"], p["sums"], shown, p["ties"], targets, exact)


def _agree(targets: list[Target], certified: list[Bound], exact: list[Bound]) -> int:
    """Certified bounds inside the exact ones, the same verdicts; how many are not exact."""
    assert len(certified) == len(exact) == len(targets)
    proved = 0
    for t, c, e in zip(targets, certified, exact, strict=True):
        assert e.exact
        assert e.low <= c.low + 1e-6 and c.high <= e.high + 1e-6, (t, c, e)
        if c.exact:
            assert (c.low, c.high) == pytest.approx((e.low, e.high), abs=1e-6)
        else:
            proved += 1
        if t.need is not None:
            assert (c.high - c.low >= t.need - 1e-6) == (e.high - e.low >= t.need - 1e-6)
    return proved


@pytest.mark.parametrize("level", [20.0, 45.0])
def test_certified_intervals_lie_within_the_exact_ones_with_the_same_verdict(
        problem: dict[str, Any], monkeypatch: pytest.MonkeyPatch, level: float) -> None:
    targets = _targets(problem, level)
    shown = _shown(problem, problem["hidden"])
    calls = _counted(monkeypatch)
    exact = _run(problem, shown, targets, exact=True)
    exact_calls, calls[0] = calls[0], 0
    certified = _run(problem, shown, targets, exact=False)
    proved = _agree(targets, certified, exact)
    narrow = sum(t.need is not None and e.high - e.low < t.need - 1e-6
                 for t, e in zip(targets, exact, strict=True))
    assert proved > 0 and calls[0] < exact_calls, (proved, calls[0], exact_calls)
    if level == 45.0:
        assert narrow > 0  # some cells are narrower than that: found, exactly
    assert exact_calls == len(targets)


def test_sums_unlike_the_published_values_are_not_taken_for_an_answer(
        problem: dict[str, Any]) -> None:
    """Sums that do not give the published values (all zero here) are no answer the attacker
    must allow: the answers then all come from attacks, and the verdicts stay exact."""
    targets = _targets(problem, 20.0)
    shown = _shown(problem, problem["hidden"])
    zeros = [np.zeros_like(x) for x in problem["sums"]]
    certified = attack_many(problem["shapes"], zeros, shown, problem["ties"], targets)
    assert _agree(targets, certified, _run(problem, shown, targets, True)) > 0


def test_published_values_that_contradict_each_other_fail_every_attack(
        problem: dict[str, Any]) -> None:
    targets = _targets(problem, 20.0)
    shown = _shown(problem, problem["hidden"])
    cell, value = shown[0][0]
    lo, hi = problem["shapes"][0].value_range()
    shown[0].append((tuple(sorted(set(cell))), value + (hi - lo) / 2))  # one cell, two values
    token = STRICT.set(True)
    try:
        found = _run(problem, shown, targets, False)
    finally:
        STRICT.reset(token)
    assert found and all(np.isnan(b.low) and np.isnan(b.high) and b.exact for b in found)

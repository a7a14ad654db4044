"""The joint attacker's linear programs, kept between attacks on the same figures.

An attack minimises and maximises one cell's value over every answer consistent with what is
published. One audit or one planning pass asks it hundreds of times over the same variables,
bounds and ties, changing only which cells are published (the planner hides one more) and
which cell is attacked. Built again each time, a program of ten thousand variables costs
thousands of simplex iterations from nothing; kept (one model per direction, so each starts
from its own last optimal basis), HiGHS's primal simplex starts from a point that is still
feasible and usually needs a fraction of them.

Rows: the static ones (an answer counted in at most one component; the ties between
figures), then one ranged row per published (figure, cell) met so far, free while that
cell is not shown. HiGHS prints a banner on stdout when the first model of a process is
made, before any option can be set (HiGHS issues #1702, #2749), which would corrupt
``--json`` output: that first model is made on import, with stdout sent to /dev/null.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import highspy
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
INF = float(highspy.kHighsInf)
_OPTIMAL = highspy.HighsModelStatus.kOptimal
#: from this many variables the first solve of a model is by the interior point method: on
#: the largest audits (10,000 variables) the dual simplex from nothing takes minutes
IPM_FROM = 2000


def _new() -> Any:
    return highspy.Highs()  # type: ignore[no-untyped-call]  # (its __init__ has no types)


def _swallow_banner() -> None:
    """Make the process's first model with stdout (the file descriptor, where HiGHS
    writes) on /dev/null; later models print nothing until asked to."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no stdout at all: nothing to corrupt
        _new()
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            _new()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_swallow_banner()


def _highs(sense: Any) -> Any:
    h = _new()
    h.setOptionValue("output_flag", False)
    h.changeObjectiveSense(sense)
    return h


class AttackModel:
    """Two HiGHS models (minimise, maximise) over variables between ``low`` and ``high``,
    with the rows given to :meth:`add` and a cost set per attack."""

    def __init__(self, low: FloatArray, high: FloatArray) -> None:
        self.size = len(low)
        self.models = [_highs(highspy.ObjSense.kMinimize),
                       _highs(highspy.ObjSense.kMaximize)]
        for h in self.models:
            h.addVars(self.size, np.asarray(low, dtype=np.float64),
                      np.asarray(high, dtype=np.float64))
        self.rows = 0
        self.bounds: dict[int, tuple[float, float]] = {}  # of the rows that may change
        self.cost = np.zeros(0, dtype=np.int32)
        self.saved: tuple[int, list[Any]] = (-1, [])  # rows then, and each model's basis
        self.solved = False

    def add(self, rows: Sequence[tuple[npt.NDArray[np.int64], FloatArray, float, float]]
            ) -> list[int]:
        """Add rows (columns, coefficients, lower, upper); returns their indices."""
        if not rows:
            return []
        starts = np.cumsum([0] + [len(r[0]) for r in rows[:-1]]).astype(np.int32)
        cols = np.concatenate([r[0] for r in rows]).astype(np.int32)
        vals = np.concatenate([r[1] for r in rows]).astype(np.float64)
        low = np.asarray([r[2] for r in rows], dtype=np.float64)
        high = np.asarray([r[3] for r in rows], dtype=np.float64)
        for h in self.models:
            h.addRows(len(rows), low, high, len(cols), starts, cols, vals)
        first, self.rows = self.rows, self.rows + len(rows)
        return list(range(first, self.rows))

    def set_bounds(self, wanted: dict[int, tuple[float, float]]) -> None:
        """Rows ``wanted`` get their bounds; every other row set here before is freed."""
        change = {r: b for r, b in wanted.items() if self.bounds.get(r) != b}
        change.update({r: (-INF, INF) for r, b in self.bounds.items()
                       if r not in wanted and b != (-INF, INF)})
        if not change:
            return
        index = np.fromiter(change, dtype=np.int32, count=len(change))
        low = np.asarray([change[int(r)][0] for r in index], dtype=np.float64)
        high = np.asarray([change[int(r)][1] for r in index], dtype=np.float64)
        for h in self.models:
            h.changeRowsBounds(len(index), index, low, high)
        self.bounds.update(change)

    def remember(self) -> None:
        """Keep each model's basis now (the optimum of the cells hidden now)."""
        self.saved = (self.rows, [_copy(h.getBasis()) for h in self.models])

    def recall(self) -> None:
        """Start the next solve from the basis kept by :meth:`remember` (a trial hides one
        cell more than then: that optimum is still feasible, and near)."""
        rows, bases = self.saved
        if rows == self.rows:  # no row was added since
            for h, basis in zip(self.models, bases, strict=True):
                h.setBasis(basis)

    def solve(self, cols: npt.NDArray[np.int64], coefs: FloatArray
              ) -> tuple[list[float], list[FloatArray], list[FloatArray]] | None:
        """Minimise and maximise Σ coefs · x[cols]: the two values, solutions and row duals
        (None: no answer is consistent with the rows)."""
        old = self.cost
        self.cost = np.asarray(cols, dtype=np.int32)
        values, points, duals = [], [], []
        for h in self.models:
            if len(old):
                h.changeColsCost(len(old), old, np.zeros(len(old)))
            h.changeColsCost(len(self.cost), self.cost, np.asarray(coefs, dtype=np.float64))
            cold = not self.solved
            if cold and self.size >= IPM_FROM:
                h.setOptionValue("solver", "ipm")  # then crossover to a basis to start from
            h.run()  # the first from scratch, by HiGHS's choice (dual simplex) or IPM
            if cold:
                h.setOptionValue("solver", "simplex")
                h.setOptionValue("simplex_strategy", 4)  # then primal, from the last optimum
            if h.getModelStatus() != _OPTIMAL:  # from scratch before giving up on it
                h.clearSolver()
                h.run()
                if h.getModelStatus() != _OPTIMAL:
                    return None
            solution = h.getSolution()
            values.append(float(h.getInfo().objective_function_value))
            points.append(np.asarray(solution.col_value, dtype=np.float64))
            duals.append(np.asarray(solution.row_dual, dtype=np.float64))
        self.solved = True
        return values, points, duals


def _copy(basis: Any) -> Any:
    out = highspy.HighsBasis()
    out.valid = basis.valid
    out.col_status = list(basis.col_status)
    out.row_status = list(basis.row_status)
    return out

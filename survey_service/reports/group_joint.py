"""A question's breakdown tables and the wave's own tables (units, modes, services, the
organisations and all of them), planned and attacked together.

The same respondents are in an organisation's unit table and in its breakdown by age band, and
both print the organisation's total: an attacker combines them. So the breakdown's plan is
checked against the wave's plan as one problem, over **fine atoms** (each distinct pair of the
wave plan's atom and the question plan's atom: organisation × unit × mode × service × contact
channel × answer), where both plans' cells are sets of fine atoms. Each figure appears once
with the cells of both plans (the wave plan's hidden cells fixed: it is planned first and kept
with the closed wave), tied to the figures that share its items (a theme and its items,
:mod:`.disclosure_links`), and the planner of :mod:`..indicators.disclosure_joint` hides more
cells of the question's tables until no sensitive cell of either plan is narrowed below the
protection level. A cell of the question's tables holding exactly the people of a cell of the
wave's tables (a scope's total) is that cell: shown or hidden as the wave's plan says.
Deterministic: the same wave and plans always give the same plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..indicators.disclosure import Cell, FloatArray, Shape
from ..indicators.disclosure import Published as Published_
from ..indicators.disclosure_joint import Tie, joint_interval, plan_jointly
from .data import WaveMatrix
from .disclosure import Figure, WavePlan, atom_index, figure_of, shape_of
from .disclosure_links import linked, ties
from .group_plan import respondent_atoms

Origin = tuple[str, int]  # ("wave", cell of the wave plan) or ("question", cell of its plan)


def _per_respondent(plan: WavePlan, atoms: list[tuple[str, str, str, str]],
                    inverse: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    index = {a: i for i, a in enumerate(plan.atoms)}
    mine = np.asarray([index[a] for a in atoms], dtype=np.int64)
    return mine[inverse] if len(mine) else np.zeros(0, dtype=np.int64)


class Fine:
    """The fine atoms of a wave for one question, and each respondent's."""

    def __init__(self, wave: WavePlan, group: WavePlan, m: WaveMatrix, question: str) -> None:
        w = _per_respondent(wave, *atom_index(m))
        g = _per_respondent(group, *respondent_atoms(m, question))
        found, inverse = np.unique(w * len(group.atoms) + g, return_inverse=True)
        self.atom = np.asarray(inverse, dtype=np.int64).reshape(-1)
        self.wave_atom = found // len(group.atoms)
        self.group_atom = found % len(group.atoms)
        self.size = len(found)
        self.respondents = np.bincount(self.atom, minlength=self.size).astype(np.int64)
        self._plan = WavePlan(wave=wave.wave, min_group=wave.min_group,
                              protection=wave.protection, atoms=[("", "", "", "")] * self.size,
                              cells=[], labels={}, report_cells=[])

    def cell(self, plan_atoms: Sequence[int], of_wave: bool) -> Cell:
        mine = self.wave_atom if of_wave else self.group_atom
        return tuple(np.flatnonzero(np.isin(mine, np.asarray(plan_atoms))).tolist())

    def shape(self, m: WaveMatrix, figure: Figure) -> tuple[Shape, FloatArray] | None:
        return shape_of(self._plan, m, figure, self.atom)


@dataclass
class Problem:
    """Linked figures over fine atoms: each figure's cells (the wave plan's, then the
    question plan's that are not the same people as one of those) and where each comes from."""

    figures: list[Figure]
    shapes: list[Shape]
    sums: list[FloatArray]
    cells: list[list[Cell]]
    origins: list[list[Origin]]
    same: list[dict[int, int]]  # per figure: question cell -> the wave cell of its people
    ties: list[Tie]


def _wave_cells(plan: WavePlan, figure: Figure) -> list[int]:
    if figure.key not in plan.hidden:
        return []
    return plan.report_cells if figure.kind == "item" else list(range(len(plan.cells)))


def problems(fine: Fine, wave: WavePlan, group: WavePlan, m: WaveMatrix,
             keys: Sequence[str]) -> list[Problem]:
    """One problem per group of figures linked to ``keys`` through their items."""
    every = [f for f in (figure_of(m.survey, k) for k in sorted(set(wave.hidden) |
                                                                 set(group.hidden)))
             if f is not None]
    done: set[int] = set()
    out = []
    for key in keys:
        start = next((i for i, f in enumerate(every) if f.key == key), None)
        if start is None or start in done:
            continue
        members = linked(every, start)
        done |= set(members)
        problem = Problem([], [], [], [], [], [], [])
        for figure in (every[i] for i in members):
            known = fine.shape(m, figure)
            if known is None:
                continue
            cells: list[Cell] = []
            origins: list[Origin] = []
            for i in _wave_cells(wave, figure):
                cells.append(fine.cell(wave.cells[i], True))
                origins.append(("wave", i))
            where = {c: j for j, c in enumerate(cells)}
            same: dict[int, int] = {}
            if figure.kind != "item" and figure.key in group.hidden:
                for i, atoms in enumerate(group.cells):
                    cell = fine.cell(atoms, False)
                    if cell in where:
                        same[i] = origins[where[cell]][1]
                        continue
                    cells.append(cell)
                    origins.append(("question", i))
            if not cells:
                continue
            problem.figures.append(figure)
            problem.shapes.append(known[0])
            problem.sums.append(known[1])
            problem.cells.append(cells)
            problem.origins.append(origins)
            problem.same.append(same)
        if problem.figures:
            problem.ties = ties(m, problem.figures, problem.shapes, fine.respondents)
            out.append(problem)
    return out


def plan_with_wave(group: WavePlan, wave: WavePlan, m: WaveMatrix, question: str,
                   keys: Sequence[str]) -> None:
    """After each figure of ``keys`` was planned alone in ``group`` (the question's plan):
    hide more cells of the question's tables until the joint attacker, who knows both plans'
    published cells of every linked figure, narrows no sensitive cell of either below the
    protection level; a question cell of the same people as a wave cell follows the wave."""
    fine = Fine(wave, group, m, question)
    for p in problems(fine, wave, group, m, keys):
        hidden, primary, fixed = [], [], []
        for f, origins in zip(p.figures, p.origins, strict=True):
            plans = {"wave": wave, "question": group}
            hidden.append({j for j, (kind, i) in enumerate(origins)
                           if i in plans[kind].hidden[f.key]})
            primary.append({j for j, (kind, i) in enumerate(origins)
                            if i in plans[kind].primary[f.key]})
            fixed.append({j for j, (kind, _) in enumerate(origins) if kind == "wave"})
        editable = {i for i, f in enumerate(p.figures) if f.key in keys and f.kind != "item"}
        plan_jointly(p.shapes, p.sums, fine.respondents.tolist(), p.cells, hidden, primary,
                     p.ties, editable, group.protection, fixed=fixed)
        for f, origins, h, same in zip(p.figures, p.origins, hidden, p.same, strict=True):
            if f.key not in keys or f.kind == "item":
                continue
            found = {origins[j][1] for j in h if origins[j][0] == "question"}
            found |= {i for i in group.hidden[f.key] if i not in same}
            found |= {i for i, w in same.items() if w in wave.hidden[f.key]}
            group.hidden[f.key] = sorted(found)


@dataclass(frozen=True)
class Found:
    """What the joint attacker proves of one cell of one figure."""

    key: str
    origin: Origin
    n: int
    valid: float
    low: float
    high: float
    published: bool
    span: float  # the figure's range (high - low of its scale)


#: ("wave"|"question", figure) -> cell (or a weighted sum of the wave's cells) -> value
Published = dict[tuple[str, str], dict[int | tuple[tuple[int, float], ...], float]]


def attack_jointly(wave: WavePlan, group: WavePlan, m: WaveMatrix, question: str,
                   published: Published, wave_hidden: bool = True) -> list[Found]:
    """Every hidden or sensitive cell of every figure of both plans, attacked with everything
    ``published`` of the figures linked to it, in both plans' tables (``wave_hidden=False``:
    of the wave's tables only the sensitive cells)."""
    fine = Fine(wave, group, m, question)
    keys = sorted(set(wave.hidden) | set(group.hidden))
    out: list[Found] = []
    for p in problems(fine, wave, group, m, keys):
        shown: list[list[tuple[Published_, float]]] = []
        where: list[dict[int, float]] = []
        for f, cells, origins, same in zip(p.figures, p.cells, p.origins, p.same, strict=True):
            index = {o: j for j, o in enumerate(origins)}
            values = {index[("wave", i)]: v
                      for i, v in published.get(("wave", f.key), {}).items()
                      if isinstance(i, int) and ("wave", i) in index}
            for i, v in published.get(("question", f.key), {}).items():
                if not isinstance(i, int):
                    continue
                j = index.get(("wave", same[i])) if i in same else index.get(("question", i))
                if j is not None:
                    values[j] = v
            where.append(values)
            combos: list[tuple[Published_, float]] = [  # the standardised figures
                (tuple((cells[index[("wave", c)]], w) for c, w in i), v)
                for i, v in published.get(("wave", f.key), {}).items()
                if not isinstance(i, int) and all(("wave", c) in index for c, _ in i)]
            shown.append([(cells[j], v) for j, v in sorted(values.items())] + combos)
        memo: dict[Any, Any] = {}
        for g, (f, s) in enumerate(zip(p.figures, p.shapes, strict=True)):
            for j, (cell, origin) in enumerate(zip(p.cells[g], p.origins[g], strict=True)):
                if not s.defined(cell):
                    continue
                n = int(fine.respondents[list(cell)].sum())
                valid = float(s.weights[list(cell)].sum(axis=0).min())
                small = n < wave.min_group or valid < wave.min_group
                if (j in where[g] or (origin[0] == "wave" and not wave_hidden)) and not small:
                    continue
                low, high = joint_interval(p.shapes, shown, p.ties, g, cell, memo)
                lo, hi = s.value_range()
                out.append(Found(f.key, origin, n, valid, low, high, j in where[g], hi - lo))
    return out

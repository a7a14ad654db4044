"""The breakdowns by questions of the form (respondent type, age band...) and the wave's own
tables (units, modes, services, the organisations and all of them), planned and attacked
together.

The same respondents are in an organisation's unit table, in its breakdown by age band and in
its breakdown by respondent type, and every one of them prints the organisation's total: an
attacker combines them (the people of "business" and of "age 65 or over" overlap). So a
question's plan is checked against the wave's plan and against the plan of every other
question already made for the wave as one problem, over **fine atoms** (each distinct tuple of
the wave plan's atom and each question plan's atom: organisation × unit × mode × service ×
contact channel × each question's answer), where every plan's cells are sets of fine atoms.
Each figure appears once with the cells of all the plans (the wave plan's and the other
questions' fixed: those were made first and are kept), tied to the figures that share its
items (a theme and its items, :mod:`.disclosure_links`), and the planner of
:mod:`..indicators.disclosure_joint` hides more cells of the question's tables until no
sensitive cell of any plan is narrowed below the protection level. A cell holding exactly the
people of a cell met before (the wave's tables first, then the questions in the order given) is
that cell: shown when any fixed plan shows it, and the question's plan follows it.
Deterministic: the same wave and plans always give the same plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from ..indicators.disclosure import Cell, FloatArray, Shape
from ..indicators.disclosure import Published as Published_
from ..indicators.disclosure_certify import Target, attack_many
from ..indicators.disclosure_joint import Tie, plan_jointly
from .data import WaveMatrix
from .disclosure import ITEM_KINDS, Figure, WavePlan, atom_index, figure_of, shape_of
from .disclosure_links import linked, ties
from .group_plan import respondent_atoms

#: ("wave", cell of the wave plan) or (question id, cell of that question's plan)
Origin = tuple[str, int]
WAVE = "wave"


def _per_respondent(plan: WavePlan, atoms: list[tuple[str, str, str, str]],
                    inverse: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    index = {a: i for i, a in enumerate(plan.atoms)}
    mine = np.asarray([index[a] for a in atoms], dtype=np.int64)
    return mine[inverse] if len(mine) else np.zeros(0, dtype=np.int64)


class Fine:
    """The fine atoms of a wave for some questions' plans, and each respondent's."""

    def __init__(self, wave: WavePlan, groups: Mapping[str, WavePlan], m: WaveMatrix) -> None:
        columns = [_per_respondent(wave, *atom_index(m))]
        columns += [_per_respondent(plan, *respondent_atoms(m, q)) for q, plan in groups.items()]
        found, inverse = np.unique(np.stack(columns, axis=1).reshape(m.n, len(columns)),
                                   axis=0, return_inverse=True)
        self.atom = np.asarray(inverse, dtype=np.int64).reshape(-1)
        self.of = {name: found[:, k] for k, name in enumerate([WAVE, *groups])}
        self.size = len(found)
        self.respondents = np.bincount(self.atom, minlength=self.size).astype(np.int64)
        self._plan = WavePlan(wave=wave.wave, min_group=wave.min_group,
                              protection=wave.protection, atoms=[("", "", "", "")] * self.size,
                              cells=[], labels={}, report_cells=[])

    def cell(self, plan_atoms: Sequence[int], source: str) -> Cell:
        """The fine atoms of a cell of the plan ``source`` ("wave" or a question)."""
        return tuple(np.flatnonzero(np.isin(self.of[source], np.asarray(plan_atoms))).tolist())

    def shape(self, m: WaveMatrix, figure: Figure) -> tuple[Shape, FloatArray] | None:
        return shape_of(self._plan, m, figure, self.atom)


@dataclass
class Problem:
    """Linked figures over fine atoms: each figure's cells (the wave plan's, then each
    question plan's that are not the same people as a cell before) and where each comes
    from (``origins``: the first plan that has it; ``also``: the plans whose cell is the
    same people, per cell)."""

    figures: list[Figure] = field(default_factory=list)
    shapes: list[Shape] = field(default_factory=list)
    sums: list[FloatArray] = field(default_factory=list)
    cells: list[list[Cell]] = field(default_factory=list)
    origins: list[list[Origin]] = field(default_factory=list)
    also: list[list[list[Origin]]] = field(default_factory=list)
    ties: list[Tie] = field(default_factory=list)

    def hidden(self, plans: Mapping[str, WavePlan], g: int, editing: str | None = None
               ) -> set[int]:
        """Figure g's cells hidden in every plan that has them; a cell that a fixed plan
        has too (any but ``editing``) is as the fixed plans have it."""
        key = self.figures[g].key
        out = set()
        for j, sources in enumerate(self.also[g]):
            fixed = [(s, i) for s, i in sources if s != editing]
            if all(i in plans[s].hidden[key] for s, i in fixed or sources):
                out.add(j)
        return out

    def primary(self, plans: Mapping[str, WavePlan], g: int) -> set[int]:
        key = self.figures[g].key
        return {j for j, sources in enumerate(self.also[g])
                if any(i in plans[s].primary[key] for s, i in sources)}


def _wave_cells(plan: WavePlan, figure: Figure) -> list[int]:
    if figure.key not in plan.hidden:
        return []
    return plan.report_cells if figure.kind in ITEM_KINDS else list(range(len(plan.cells)))


def problems(fine: Fine, plans: Mapping[str, WavePlan], m: WaveMatrix,
             keys: Sequence[str]) -> list[Problem]:
    """One problem per group of figures linked to ``keys`` through their items (``plans``:
    "wave" first, then each question's plan in order)."""
    every = [f for f in (figure_of(m.survey, k) for k in sorted(
        {k for p in plans.values() for k in p.hidden})) if f is not None]
    done: set[int] = set()
    out = []
    for key in keys:
        start = next((i for i, f in enumerate(every) if f.key == key), None)
        if start is None or start in done:
            continue
        members = linked(every, start)
        done |= set(members)
        problem = Problem()
        for figure in (every[i] for i in members):
            known = fine.shape(m, figure)
            if known is None:
                continue
            cells: list[Cell] = []
            origins: list[Origin] = []
            also: list[list[Origin]] = []
            where: dict[Cell, int] = {}
            for source, plan in plans.items():
                if source == WAVE:
                    mine = _wave_cells(plan, figure)
                elif figure.kind not in ITEM_KINDS and figure.key in plan.hidden:
                    mine = list(range(len(plan.cells)))
                else:
                    continue
                for i in mine:
                    cell = fine.cell(plan.cells[i], source)
                    if cell in where:
                        also[where[cell]].append((source, i))
                        continue
                    where[cell] = len(cells)
                    cells.append(cell)
                    origins.append((source, i))
                    also.append([(source, i)])
            if not cells:
                continue
            problem.figures.append(figure)
            problem.shapes.append(known[0])
            problem.sums.append(known[1])
            problem.cells.append(cells)
            problem.origins.append(origins)
            problem.also.append(also)
        if problem.figures:
            problem.ties = ties(m, problem.figures, problem.shapes, fine.respondents)
            out.append(problem)
    return out


def _locked(p: Problem, g: int, opened: set[str]) -> set[int]:
    """Figure g's cells that some plan outside ``opened`` has: hidden only where it hides."""
    return {j for j, sources in enumerate(p.also[g]) if any(s not in opened for s, _ in sources)}


def plan_with_wave(group: WavePlan, wave: WavePlan, m: WaveMatrix, question: str,
                   keys: Sequence[str], others: Mapping[str, WavePlan] | None = None
                   ) -> set[str]:
    """After each figure of ``keys`` was planned alone in ``group`` (the question's plan):
    hide more cells of the question's tables until the joint attacker, who knows every
    published cell of every linked figure in the wave's tables, in ``others`` (the plans of
    the wave's other questions) and in these, narrows no sensitive cell of any below the
    protection level. A cell of the same people as a cell of another plan follows it.

    The question's answers split the wave's groups finer, and on finer groups the attacker
    knows more (an index is tied to its items in every group whose people all answered every
    item), so hiding the question's cells may not be enough: then the wave's cells are hidden
    too, and last the other questions'. Returns the plans besides ``group`` that hide more
    ("wave" or a question id); the caller keeps them."""
    plans: dict[str, WavePlan] = {WAVE: wave, **{q: p for q, p in (others or {}).items()
                                                  if q != question}, question: group}
    fine = Fine(wave, {q: p for q, p in plans.items() if q != WAVE}, m)
    changed: set[str] = set()
    for p in problems(fine, plans, m, keys):
        count = range(len(p.figures))
        hidden = [p.hidden(plans, g, question) for g in count]
        before = [set(h) for h in hidden]
        primary = [p.primary(plans, g) for g in count]
        editable = {i for i, f in enumerate(p.figures)
                    if f.key in keys and f.kind not in ITEM_KINDS}
        common = (p.shapes, p.sums, fine.respondents.tolist(), p.cells)
        left = plan_jointly(*common, hidden, primary, p.ties, editable, group.protection,
                            fixed=[_locked(p, g, {question}) for g in count])
        for opened in ({question, WAVE}, set(plans)):
            if not left:
                break
            narrow = [{t for h, t in left if h == g} for g in count]
            left = plan_jointly(*common, hidden, narrow, p.ties, set(count), group.protection,
                                fixed=[_locked(p, g, opened) for g in count])
        for g, f in enumerate(p.figures):
            if f.key in keys and f.kind not in ITEM_KINDS:
                group.hidden[f.key] = sorted(i for j, sources in enumerate(p.also[g])
                                             if j in hidden[g] for s, i in sources
                                             if s == question)
            for j in sorted(hidden[g] - before[g]):
                for s, i in p.also[g][j]:
                    mine = plans[s].hidden.get(f.key)
                    if mine is not None and i not in mine:
                        plans[s].hidden[f.key] = sorted({*mine, i})
                        changed.add(s)
    return changed - {question}


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
    exact: bool = True  # False: the narrowest interval holds [low, high]


#: ("wave" or a question id, figure) -> published cells of that plan (or, of the wave's, a
#: weighted sum of its cells: the standardised figures) and their values
Published = dict[tuple[str, str], dict[int | tuple[tuple[int, float], ...], float]]


def attack_jointly(wave: WavePlan, groups: Mapping[str, WavePlan], m: WaveMatrix,
                   published: Published, level: float | None = None, exact: bool = False
                   ) -> list[Found]:
    """Every hidden or sensitive cell of every figure of all the plans (the wave's and each
    question's of ``groups``), attacked with everything ``published`` of the figures linked
    to it in all their tables at once: a small group's exactly unless proved ``level``
    points on 0-100 scales wide (the plan's level by default), the others only as far as
    that proves them; every one exactly with ``exact`` (:mod:`..indicators.disclosure_certify`)."""
    plans: dict[str, WavePlan] = {WAVE: wave, **groups}
    fine = Fine(wave, groups, m)
    keys = sorted({k for p in plans.values() for k in p.hidden})
    need = wave.protection if level is None else level
    out: list[Found] = []
    for p in problems(fine, plans, m, keys):
        shown: list[list[tuple[Published_, float]]] = []
        where: list[dict[int, float]] = []
        for f, cells, also in zip(p.figures, p.cells, p.also, strict=True):
            index = {o: j for j, sources in enumerate(also) for o in sources}
            values: dict[int, float] = {}
            for source in plans:
                for i, v in published.get((source, f.key), {}).items():
                    if isinstance(i, int) and (source, i) in index:
                        values.setdefault(index[(source, i)], v)
            where.append(values)
            combos: list[tuple[Published_, float]] = [  # the standardised figures
                (tuple((cells[index[(WAVE, c)]], w) for c, w in i), v)
                for i, v in published.get((WAVE, f.key), {}).items()
                if not isinstance(i, int) and all((WAVE, c) in index for c, _ in i)]
            shown.append([(cells[j], v) for j, v in sorted(values.items())] + combos)
        targets: list[Target] = []
        found: list[Found] = []
        for g, (f, s) in enumerate(zip(p.figures, p.shapes, strict=True)):
            lo, hi = s.value_range()
            for j, (cell, origin) in enumerate(zip(p.cells[g], p.origins[g], strict=True)):
                if not s.defined(cell):
                    continue
                n = int(fine.respondents[list(cell)].sum())
                valid = float(s.weights[list(cell)].sum(axis=0).min())
                small = n < wave.min_group or valid < wave.min_group
                if j in where[g] and not small:
                    continue
                targets.append(Target(g, cell, need / 100 * (hi - lo) if small else None))
                found.append(Found(f.key, origin, n, valid, 0.0, 0.0, j in where[g], hi - lo))
        bounds = attack_many(p.shapes, p.sums, shown, p.ties, targets, exact)
        out += [replace(f, low=b.low, high=b.high, exact=b.exact)
                for f, b in zip(found, bounds, strict=True)]
    return out

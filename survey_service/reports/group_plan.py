"""The disclosure plan of a breakdown by a single-choice question of the form (respondent type,
age band...): one plan per wave and question, made by the same planner as the wave's own plan
(:func:`..indicators.disclosure.plan_cells`: small groups hidden, then complementary cells
until no hidden figure can be narrowed by linear programming).

Atoms are organisation × contact channel (the ``channel`` question, the one filter a group
table takes besides the organisation) × the question's answer (``""``: not answered). Stored as
a :class:`.disclosure.WavePlan` whose atoms read ``(organisation, "", channel, answer)``. Its
cells are every scope a table can be filtered to (all organisations, an organisation, a channel,
both) and each answer within each scope, the "not answered" group included: no table shows
it, but counting it as shown makes the planner protect it against subtraction too. The scopes'
totals are cells as well; the wave's own plan publishes the totals of all organisations and of
each organisation, so a figure whose plan here had to hide one of those is shown for no group
of the wave at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..indicators.disclosure import Cell, plan_cells
from .data import WaveMatrix
from .disclosure import ALL, ITEM_KINDS, PLANNER, Atom, Figure, WavePlan, org_label, shape_of

#: The question that gives the channel filter its groups.
CHANNEL = "channel"


def answers(m: WaveMatrix, question: str) -> npt.NDArray[np.str_]:
    """Each respondent's answer code to a single-choice question ("" when not answered)."""
    column, spec = m.raw(question), m.item(question)
    if column is None or spec is None or spec.kind != "single":
        return np.full(m.n, "", dtype=np.str_)
    names = np.asarray(["", *spec.options], dtype=np.str_)
    return names[np.clip(column, 0, None)]


def scope_label(organisation: str | None, channel: str | None) -> str:
    """The cell label of a table's scope (its filters)."""
    parts = [org_label(organisation)] if organisation is not None else []
    if channel is not None:
        parts.append(f"channel:{channel}")
    return "|".join(parts) if parts else ALL


def group_label(scope: str, answer: str) -> str:
    return f"{scope}|q:{answer}"


def respondent_atoms(m: WaveMatrix, question: str) -> tuple[list[Atom], npt.NDArray[np.int64]]:
    """The distinct atoms (sorted) and each respondent's atom."""
    keys = np.char.add(np.char.add(np.char.add(np.char.add(
        m.organisations.astype(np.str_), "\x1f"), answers(m, CHANNEL)), "\x1f"),
        answers(m, question))
    found, inverse = np.unique(keys, return_inverse=True)
    atoms: list[Atom] = []
    for key in found.tolist():
        org, channel, answer = str(key).split("\x1f")
        atoms.append((org, "", channel, answer))
    return atoms, np.asarray(inverse, dtype=np.int64).reshape(-1)


def _scopes(org: str, channel: str, pooled: bool) -> list[str]:
    found = [scope_label(org, None), scope_label(org, channel)]
    if pooled:
        found += [ALL, scope_label(None, channel)]
    return found


def new_group_plan(m: WaveMatrix, question: str, min_group: int, protection: float
                   ) -> WavePlan:
    """The cells of a wave's tables by ``question`` (``m``: all the wave's responses)."""
    atoms, _ = respondent_atoms(m, question)
    _, sizes = np.unique(m.organisations, return_counts=True)
    pooled = bool((sizes >= min_group).all())
    groups: dict[str, set[int]] = {}
    for i, (org, _unit, channel, answer) in enumerate(atoms):
        for scope in _scopes(org, channel, pooled):
            groups.setdefault(scope, set()).add(i)
            groups.setdefault(group_label(scope, answer), set()).add(i)
    cells: list[list[int]] = []
    labels: dict[str, int] = {}
    index: dict[tuple[int, ...], int] = {}
    for name in sorted(groups):
        cell = tuple(sorted(groups[name]))
        if cell not in index:
            index[cell] = len(cells)
            cells.append(list(cell))
        labels[name] = index[cell]
    totals = sorted({labels[n] for n in labels if n == ALL or (
        n.startswith("organisation:") and "|" not in n)})
    return WavePlan(wave=m.wave.id, min_group=min_group, protection=protection, atoms=atoms,
                    cells=cells, labels=labels, report_cells=totals, planner=PLANNER)


def add_group_figures(plan: WavePlan, m: WaveMatrix, question: str,
                      figures: Sequence[Figure], *, joint: bool = False) -> bool:
    """Plan the figures the plan lacks, each alone; True when it changed. ``joint``: the
    plan is then checked with the wave's own tables (:func:`.group_joint.plan_with_wave`),
    which settles the totals; otherwise a figure whose plan here had to hide a total the
    wave's plan shows is hidden for every group."""
    missing = [f for f in figures if f.key not in plan.hidden and f.kind not in ITEM_KINDS]
    if not missing:
        return False
    atoms, inverse = respondent_atoms(m, question)
    index = {a: i for i, a in enumerate(plan.atoms)}
    mine = np.asarray([index[a] for a in atoms], dtype=np.int64)
    atom = mine[inverse] if len(mine) else np.zeros(0, dtype=np.int64)
    respondents = np.bincount(atom, minlength=len(plan.atoms)).astype(np.int64)
    cells: list[Cell] = [tuple(c) for c in plan.cells]
    for figure in missing:
        known = shape_of(plan, m, figure, atom)
        if known is None:
            plan.hidden[figure.key], plan.primary[figure.key] = [], []
            continue
        shape, sums = known
        result = plan_cells(shape, sums, respondents, cells, k=plan.min_group,
                            protection=plan.protection)
        hidden = sorted(result.hidden)
        if not joint and (set(hidden) - result.primary) & set(plan.report_cells):
            hidden = list(range(len(cells)))  # a complement the wave's own plan shows
        plan.hidden[figure.key] = hidden
        plan.primary[figure.key] = sorted(result.primary)
    return True


def group_hidden(plan: WavePlan, key: str, scope: str, answer: str) -> bool:
    """Whether the figure ``key`` of the group answering ``answer`` within ``scope`` is
    hidden (unknown figures and cells are hidden)."""
    return plan.is_hidden(key, plan.labels.get(group_label(scope, answer)))

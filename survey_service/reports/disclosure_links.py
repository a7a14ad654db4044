"""What links a wave's figures within a cell, for the joint attacker
(:mod:`..indicators.disclosure_joint`): a theme and its items are published from the same
answers, so hiding one of them while showing the others can give it away.

Assumed known to the attacker, per atom (exact, from the same answers):

- a mean theme's component for item q and the single item q (and any other figure over q:
  a variant over fewer items) are the same sum of the same recoded answers;
- a percent-positive theme's count of positive answers to q bounds q's sum: each positive
  answer is at least the first positive point, each other one at most the midpoint;
- an index's sum of respondent scores is ``100/(K−1)·(Σ_q sum_q/|items| − n)`` when every
  respondent of the atom answered every item (the valid-answer counts, which the attacker
  knows, all equal the atom's respondents). Where some answers are missing, a respondent's
  score averages a different set of items, and no relation is assumed: the attacker is then
  weaker than one who knew each respondent's pattern of missing answers.

NPS and share figures are single questions with no item figure, so they have no tie.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ..indicators.disclosure import Shape
from ..indicators.disclosure_joint import Tie, plan_jointly
from .data import WaveMatrix
from .disclosure import (
    ITEM,
    ITEM_KINDS,
    POSITIVE,
    Figure,
    WavePlan,
    atom_index,
    figure_of,
    shape_of,
)

Source = tuple[str, str]  # item, "sum" (of recoded answers) or "pos" (count of positive ones)


def sources(figure: Figure) -> list[Source]:
    """What each component of the figure sums, per atom (empty: no per-item component)."""
    if figure.kind in ("item", "mean"):
        return [(q, "sum") for q in figure.items]
    if figure.kind in ("percent_positive", "item_positive"):
        return [(q, "pos") for q in figure.items]
    return []


def _items(figure: Figure) -> set[str]:
    kinds = ("item", "mean", "percent_positive", "item_positive", "index")
    return set(figure.items) if figure.kind in kinds else set()


def linked(figures: Sequence[Figure], start: int) -> list[int]:
    """The figures connected to ``figures[start]`` through shared items (itself first)."""
    group, reach, grown = [start], set(_items(figures[start])), True
    while grown:
        grown = False
        for i, f in enumerate(figures):
            if i not in group and _items(f) & reach:
                group.append(i)
                reach |= _items(f)
                grown = True
    return group


def ties(m: WaveMatrix, figures: Sequence[Figure], shapes: Sequence[Shape],
         respondents: npt.NDArray[np.int64]) -> list[Tie]:
    """The relations the attacker knows between the figures' variables (see the module)."""
    where: dict[Source, list[tuple[int, int]]] = {}
    for f, figure in enumerate(figures):
        for c, source in enumerate(sources(figure)):
            where.setdefault(source, []).append((f, c))
    out: list[Tie] = []
    atoms = range(len(respondents))
    for (item, kind), places in sorted(where.items()):
        f0, c0 = places[0]
        for f, c in places[1:]:
            out += [Tie(((f0, a, c0, 1.0), (f, a, c, -1.0)), 0.0) for a in atoms
                    if shapes[f0].weights[a, c0] > 0]
        spec = m.item(item)
        if kind != "pos" or spec is None or (item, "sum") not in where:
            continue
        k, (g, d) = spec.points, where[(item, "sum")][0]
        first = (k + 1) // 2 + 1  # the lowest positive point; first - 1 the highest other
        for a in atoms:
            w = float(shapes[f0].weights[a, c0])
            if w > 0:
                out.append(Tie(((g, a, d, -1.0), (f0, a, c0, first - 1.0)), -w, False))
                out.append(Tie(((g, a, d, 1.0), (f0, a, c0, -(k - first + 1.0))),
                               (first - 1.0) * w, False))
    for f, figure in enumerate(figures):
        if figure.kind != "index":
            continue
        found = [where.get((q, "sum"), [None])[0] for q in figure.items]
        specs = [m.item(q) for q in figure.items]
        if any(p is None for p in found) or any(s is None for s in specs):
            continue
        k = specs[0].points if specs[0] is not None else 0
        scale = 100.0 / (k - 1)
        for a in atoms:
            n = float(respondents[a])
            full = n > 0 and shapes[f].weights[a, 0] == n and all(
                shapes[g].weights[a, c] == n for g, c in (p for p in found if p is not None))
            if full:
                terms = [(f, a, 0, 1.0)] + [(g, a, c, -scale / len(found))
                                            for g, c in (p for p in found if p is not None)]
                out.append(Tie(tuple(terms), -scale * n))
    return out


def _cells_of(plan: WavePlan, figure: Figure) -> list[int]:
    return plan.report_cells if figure.kind in ITEM_KINDS else list(range(len(plan.cells)))


def joint_figures(plan: WavePlan, m: WaveMatrix, keys: Sequence[str]
                  ) -> tuple[list[Figure], list[Shape], list[npt.NDArray[np.float64]]]:
    """The planned figures linked to any of ``keys`` (those first), with shapes and sums."""
    every = [f for f in (figure_of(m.survey, k) for k in sorted(plan.hidden)) if f is not None]
    order = [k for k in keys if any(f.key == k for f in every)]
    every.sort(key=lambda f: (f.key not in order, order.index(f.key) if f.key in order else 0,
                              f.key))
    chosen: list[int] = []
    for i, f in enumerate(every):
        if f.key in order and i not in chosen:
            chosen += [j for j in linked(every, i) if j not in chosen]
    figures, shapes, sums = [], [], []
    for f in (every[i] for i in chosen):
        known = shape_of(plan, m, f)
        if known is not None:
            figures.append(f)
            shapes.append(known[0])
            sums.append(known[1])
    return figures, shapes, sums


def respondents_per_atom(plan: WavePlan, m: WaveMatrix) -> npt.NDArray[np.int64]:
    index = {a: i for i, a in enumerate(plan.atoms)}
    atoms, inverse = atom_index(m)
    mine = np.asarray([index[a] for a in atoms], dtype=np.int64)
    return np.bincount(mine[inverse] if len(mine) else np.zeros(0, dtype=np.int64),
                       minlength=len(plan.atoms)).astype(np.int64)


def plan_linked(plan: WavePlan, m: WaveMatrix, keys: Sequence[str]) -> None:
    """After each figure of ``keys`` was planned alone: hide more cells of those figures
    until the joint attacker (knowing every linked figure's published cells and the ties)
    narrows no sensitive cell of them below the protection level. Each group of figures
    linked through their items is one problem."""
    respondents = respondents_per_atom(plan, m)
    done: set[str] = set()
    for key in keys:
        if key in done:
            continue
        figures, shapes, sums = joint_figures(plan, m, [key])
        done |= {f.key for f in figures}
        found = ties(m, figures, shapes, respondents)
        if not found:
            continue
        chosen = [_cells_of(plan, f) for f in figures]
        cells = [[tuple(plan.cells[i]) for i in c] for c in chosen]
        hidden = [{c.index(i) for i in plan.hidden[f.key] if i in c}
                  for f, c in zip(figures, chosen, strict=True)]
        primary = [{c.index(i) for i in plan.primary[f.key] if i in c}
                   for f, c in zip(figures, chosen, strict=True)]
        editable = {i for i, f in enumerate(figures) if f.key in keys}
        plan_jointly(shapes, sums, respondents.tolist(), cells, hidden, primary, found,
                     editable, plan.protection)
        for f, c, h in zip(figures, chosen, hidden, strict=True):
            plan.hidden[f.key] = sorted(c[j] for j in h)


def unite_items(plan: WavePlan) -> None:
    """One decision per item row: its mean and its % positive are hidden (and sensitive) in
    every cell either is (hiding more never narrows anything)."""
    for key in [k for k in plan.hidden if k.startswith(ITEM)]:
        other = POSITIVE + key[len(ITEM):]
        if other in plan.hidden:
            for part in (plan.hidden, plan.primary):
                both = sorted({*part.get(key, []), *part.get(other, [])})
                part[key], part[other] = both, list(both)

"""A wave's disclosure plan: for every figure (each declared indicator, each variant of it over
fewer comparable items, each likert item) and every aggregate any output can publish of the
wave (all organisations, each organisation, units in the wave's own structure and mapped into
every later structure, channel, service, each organisation's channels and services), which
cells are hidden. Cells are sets of atoms (organisation × unit × channel × service), so the
same people reached through two tables (a unit unchanged by the restructuring, an organisation
with one unit) are one cell with one decision. Planning is pure and deterministic
(:mod:`..indicators.disclosure`); the service keeps the plan with the closed wave.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..indicators.disclosure import Cell, Shape, plan_cells
from ..surveys.coding import scored_items
from ..surveys.loader import indicator_items
from ..surveys.model import IndicatorDef, Survey
from ..surveys.share import share_rule
from .data import WaveMatrix

Atom = tuple[str, str, str, str]  # organisation, "org/unit" or "", channel, service
ALL = "all:"
#: the planner's version: a plan kept by an older one is planned again, keeping what it hid
#: (2: NPS that pin their bands, :mod:`.pinned`; 3: items' % positive, pinned item means)
PLANNER = 3
#: a likert item's two figures, shown together in the report's item rows, planned over the
#: report cells only: its mean (``item:ID``) and its % positive (``positive:ID``)
ITEM, POSITIVE = "item:", "positive:"
ITEM_KINDS = ("item", "item_positive")


def org_label(org: str) -> str:
    return f"organisation:{org}"


class WavePlan(msgspec.Struct, kw_only=True):
    wave: str
    min_group: int
    protection: float
    atoms: list[Atom]
    cells: list[list[int]]
    labels: dict[str, int]  # "all:", "organisation:elena", "unit:elena/finance", ... -> cell
    report_cells: list[int]  # what the report shows of single items: all, each organisation
    hidden: dict[str, list[int]] = {}  # figure key -> hidden cells
    primary: dict[str, list[int]] = {}  # figure key -> sensitive cells (small n or valid n)
    planner: int = 0  # the planner that made it (:data:`PLANNER`; 0: before versions)

    def cell_of(self, atoms: Iterable[Atom]) -> int | None:
        index = {a: i for i, a in enumerate(self.atoms)}
        key = sorted({index.get(a, -1) for a in atoms})
        for i, cell in enumerate(self.cells):
            if cell == key:
                return i
        return None

    def is_hidden(self, key: str, cell: int | None) -> bool:
        """Unknown figures and cells are hidden: no output makes a table the plan lacks."""
        return cell is None or key not in self.hidden or cell in self.hidden[key]


@dataclass(frozen=True)
class Figure:
    """One figure the outputs can show: an indicator (over some items) or a single item."""

    key: str
    kind: str  # index, percent_positive, mean, share, nps; "item" for a single likert item
    items: tuple[str, ...]
    definition: IndicatorDef | None = None


def figure_key(definition_id: str, items: Sequence[str], own: Sequence[str]) -> str:
    return definition_id if list(items) == list(own) else f"{definition_id}[{'+'.join(items)}]"


def wave_figures(survey: Survey) -> list[Figure]:
    """Every declared indicator over all its items, and every likert item."""
    figures = [Figure(d.id, d.kind, tuple(indicator_items(survey, d.id)), d)
               for d in survey.indicators]
    figures += [Figure(f"{p}{i.id}", kind, (i.id,)) for i in scored_items(survey)
                if i.kind == "likert" for p, kind in zip((ITEM, POSITIVE), ITEM_KINDS, strict=True)]
    return [f for f in figures if f.items]


def atom_index(m: WaveMatrix) -> tuple[list[Atom], npt.NDArray[np.int64]]:
    """The distinct atoms of a wave (sorted) and each respondent's atom, without a Python
    loop over respondents (computed once per matrix)."""
    found = m.memo.get("atoms")
    if found is None:
        found = m.memo["atoms"] = _atom_index(m)
    atoms, inverse = found
    return list(atoms), inverse


def _atom_index(m: WaveMatrix) -> tuple[list[Atom], npt.NDArray[np.int64]]:
    column, spec = m.raw("service"), m.item("service")
    if column is None or spec is None:
        services = np.zeros(m.n, dtype=np.int64)
        names = np.asarray([""], dtype=np.str_)
    else:
        services = np.clip(column, 0, None).astype(np.int64)
        names = np.asarray(["", *spec.options], dtype=np.str_)
    parts = [m.factor(name) for name in ("organisations", "units", "channels")]
    uniques = [u for u, _ in parts] + [names]
    codes = [inv for _, inv in parts] + [services]
    key = np.zeros(m.n, dtype=np.int64)
    for u, c in zip(uniques, codes, strict=True):
        key = key * len(u) + c
    found, inverse = np.unique(key, return_inverse=True)
    decoded: list[Atom] = []
    for k in found.tolist():
        digits = []
        for u in reversed(uniques):
            k, d = divmod(k, len(u))
            digits.append(str(u[d]))
        org, unit, channel, service = reversed(digits)
        decoded.append((org, f"{org}/{unit}" if unit else "", channel, service))
    order = sorted(range(len(decoded)), key=lambda i: decoded[i])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return [decoded[i] for i in order], rank[np.asarray(inverse).reshape(-1)]


def atoms_of(m: WaveMatrix) -> set[Atom]:
    """The atoms a (part of a) wave's respondents belong to."""
    return set(atom_index(m)[0])


def layout(atoms: Sequence[Atom], mappings: Sequence[Mapping[str, str]], pooled: bool = True
           ) -> tuple[list[list[int]], dict[str, int], list[int]]:
    """Every publishable cell (deduplicated by its atoms), its labels, the report's cells.

    ``pooled=False`` when an organisation of the wave is smaller than ``min_group``: the
    service then publishes nothing over several organisations for this wave (a report or
    breakdown over all organisations is refused), so those tables are not in the plan, and
    the other organisations' figures are not hidden to protect a total nobody can see."""
    groups: dict[str, set[int]] = {}
    for i, (org, unit, channel, service) in enumerate(atoms):
        names = [org_label(org), f"{org_label(org)}|channel:{channel}"]
        if pooled:
            names += [ALL, f"channel:{channel}"]
        if unit:
            names.append(f"unit:{unit}")
            names += [f"unit>{m.get(unit, unit)}" for m in mappings]
        if service:
            names.append(f"{org_label(org)}|service:{service}")
            if pooled:
                names.append(f"service:{service}")
        for name in names:
            groups.setdefault(name, set()).add(i)
    cells: list[list[int]] = []
    labels: dict[str, int] = {}
    for name in sorted(groups):
        cell = sorted(groups[name])
        if cell not in cells:
            cells.append(cell)
        labels[name] = cells.index(cell)
    report = sorted({labels[n] for n in labels if n == ALL or ("|" not in n
                                                               and n.startswith("organisation:"))})
    return cells, labels, report


def _components(m: WaveMatrix, figure: Figure) -> tuple[Shape, npt.NDArray[np.float64],
                                                        npt.NDArray[np.float64]] | None:
    """Per respondent: each component's value and validity (n × components), and the
    figure's shape (with empty weights, filled per atom by the caller)."""
    found = _per_respondent(m, figure)
    if found is None:
        return None
    shape, x, valid = found
    return shape, np.asarray(x, dtype=np.float64), np.asarray(valid, dtype=np.float64)


def _per_respondent(m: WaveMatrix, figure: Figure) -> tuple[Shape, Any, Any] | None:
    items = list(figure.items)
    if any(m.item(i) is None for i in items):
        return None
    empty = np.zeros((0, 1))
    if figure.kind == "share":
        assert figure.definition is not None
        column = m.raw(items[0])
        assert column is not None
        rule = share_rule(m.survey, figure.definition)
        valid = column != -1
        if rule.values is not None:
            hit = np.isin(column, np.asarray(sorted(rule.values)))
        else:
            hit = np.ones(m.n, dtype=bool)
            if rule.low is not None:
                hit &= column >= rule.low
            if rule.high is not None:
                hit &= column <= rule.high
        hit &= valid
        return Shape(empty, 0.0, 1.0, 100.0), hit[:, None] * 1.0, valid[:, None] * 1.0
    if figure.kind == "nps":
        column = m.raw(items[0])
        assert column is not None
        valid = ((column >= 0) & (column <= 10)) * 1.0
        x = np.stack([(column >= 9) & (column <= 10), (column >= 0) & (column <= 6)], axis=1)
        shape = Shape(empty, 0.0, 1.0, 100.0, (1.0, -1.0), exclusive=True)
        return shape, x * 1.0, np.stack([valid, valid], axis=1)
    specs = [m.item(i) for i in items]
    points = {s.points for s in specs if s is not None}
    if len(points) != 1:
        return None
    k = points.pop()
    if figure.kind == "index":
        scores = ind.composite_scores(m.likert_columns(items), k,
                                      [bool(s.reverse) for s in specs if s is not None])
        ok = ~np.isnan(scores)
        return Shape(empty, 0.0, 100.0), np.where(ok, scores, 0.0)[:, None], ok[:, None] * 1.0
    columns: list[Any] = []
    valids: list[Any] = []
    for item, spec in zip(items, specs, strict=True):
        col = m.likert(item)
        assert col is not None and spec is not None
        ok = (col >= 1) & (col <= k)
        recoded = np.where(spec.reverse, k + 1 - col, col).astype(float)
        if figure.kind in ("percent_positive", "item_positive"):
            columns.append(ok & (recoded > (k + 1) / 2))
        else:  # mean of one item, and single items
            columns.append(np.where(ok, recoded, 0.0))
        valids.append(ok)
    sums, valid_all = np.stack(columns, axis=1) * 1.0, np.stack(valids, axis=1) * 1.0
    if figure.kind in ("percent_positive", "item_positive"):
        return Shape(empty, 0.0, 1.0, 100.0), sums, valid_all
    return Shape(empty, 1.0, float(k)), sums, valid_all


def new_plan(m: WaveMatrix, mappings: Sequence[Mapping[str, str]], min_group: int,
             protection: float) -> WavePlan:
    """The cells of a wave (``m`` holds all its responses, with their groups); no figure yet."""
    atoms = atom_index(m)[0]
    sizes = np.bincount(m.factor("organisations")[1])
    sizes = sizes[sizes > 0]  # each organisation of the wave's size (as np.unique counts)
    cells, labels, report = layout(atoms, mappings, pooled=bool((sizes >= min_group).all()))
    return WavePlan(wave=m.wave.id, min_group=min_group, protection=protection, atoms=atoms,
                    cells=cells, labels=labels, report_cells=report, hidden={}, primary={},
                    planner=PLANNER)


def plan_atoms(plan: WavePlan, m: WaveMatrix) -> npt.NDArray[np.int64]:
    """Each respondent's atom in the plan (once per matrix and plan atoms)."""
    key = ("plan-atoms", tuple(plan.atoms))
    found: npt.NDArray[np.int64] | None = m.memo.get(key)
    if found is None:
        index = {a: i for i, a in enumerate(plan.atoms)}
        atoms, inverse = atom_index(m)
        mine = np.asarray([index[a] for a in atoms], dtype=np.int64)
        found = m.memo[key] = mine[inverse] if len(mine) else np.zeros(0, dtype=np.int64)
    return found


def shape_of(plan: WavePlan, m: WaveMatrix, figure: Figure,
             atom: npt.NDArray[np.int64] | None = None
             ) -> tuple[Shape, npt.NDArray[np.float64]] | None:
    """The attacker's knowledge of a figure (valid answers per atom and component, bounds)
    and the true sums per atom (``atom``: each respondent's atom, by default its atom in
    the plan; then computed once per matrix, plan atoms and figure)."""
    if atom is not None:
        return _shape_of(plan, m, figure, atom)
    key = ("shape", figure.key, figure.kind, figure.items, tuple(plan.atoms))
    if key not in m.memo:
        m.memo[key] = _shape_of(plan, m, figure, plan_atoms(plan, m))
    found: tuple[Shape, npt.NDArray[np.float64]] | None = m.memo[key]
    return found


def _shape_of(plan: WavePlan, m: WaveMatrix, figure: Figure, atom: npt.NDArray[np.int64]
              ) -> tuple[Shape, npt.NDArray[np.float64]] | None:
    parts = _components(m, figure)
    if parts is None:
        return None
    shape, x, valid = parts
    count, c = len(plan.atoms), x.shape[1]
    weights = np.asarray(np.stack([np.bincount(atom, valid[:, j], count) for j in range(c)],
                                  axis=1), dtype=np.float64)
    sums = np.asarray(np.stack([np.bincount(atom, x[:, j] * valid[:, j], count)
                                for j in range(c)], axis=1), dtype=np.float64)
    return Shape(weights, shape.low, shape.high, shape.scale, shape.signs, shape.exclusive), sums


def add_figures(plan: WavePlan, m: WaveMatrix, figures: Sequence[Figure],
                sensitive: Mapping[str, Iterable[int]] | None = None) -> bool:
    """Plan the figures the plan lacks (``m``: every response of the wave, with groups);
    True when the plan changed. ``sensitive``: figure key -> plan cells sensitive for
    another reason than their size (:mod:`.pinned`)."""
    missing = [f for f in figures if f.key not in plan.hidden]
    if not missing:
        return False
    atom = plan_atoms(plan, m)
    respondents = np.bincount(atom, minlength=len(plan.atoms)).astype(np.int64)
    for figure in missing:
        known = shape_of(plan, m, figure)
        if known is None:
            plan.hidden[figure.key], plan.primary[figure.key] = [], []
            continue
        shape, sums = known
        chosen = plan.report_cells if figure.kind in ITEM_KINDS else list(range(len(plan.cells)))
        cells: list[Cell] = [tuple(plan.cells[i]) for i in chosen]
        implied = {chosen.index(i): [chosen.index(j) for j in js]
                   for i, js in standardised_ties(plan, figure.key).items()}
        extra = {chosen.index(i) for i in (sensitive or {}).get(figure.key, ()) if i in chosen}
        result = plan_cells(shape, sums, respondents, cells, k=plan.min_group,
                            protection=plan.protection, implied=implied, sensitive=extra)
        plan.hidden[figure.key] = sorted(chosen[i] for i in result.hidden)
        plan.primary[figure.key] = sorted(chosen[i] for i in result.primary)
    return True


def standardised_ties(plan: WavePlan, key: str) -> dict[int, list[int]]:
    """The cell over all organisations -> the organisations' cells, for a figure that the
    report standardises to a fixed organisation mix (every indicator, not single items):
    shown over all organisations, it gives the organisations' values away, whatever the mix
    (:func:`..indicators.disclosure.plan_cells`' ``implied``)."""
    whole = plan.labels.get(ALL)
    orgs = sorted({j for name, j in plan.labels.items()
                   if name.startswith("organisation:") and "|" not in name} - {whole})
    if key.startswith((ITEM, POSITIVE)) or whole is None or len(orgs) < 2:
        return {}
    return {whole: orgs}


def close_standardised(plan: WavePlan, keys: Iterable[str]) -> None:
    """Hide the cell over all organisations of each figure of ``keys`` that hides an
    organisation's cell (after a pass that hid cells without knowing the standardisation)."""
    for key in keys:
        for whole, orgs in standardised_ties(plan, key).items():
            hidden = plan.hidden.get(key)
            if hidden is not None and whole not in hidden and set(orgs) & set(hidden):
                plan.hidden[key] = sorted({*hidden, whole})



def figure_of(survey: Survey, key: str) -> Figure | None:
    """The figure a plan's key names, in this form version."""
    for prefix, kind in ((ITEM, "item"), (POSITIVE, "item_positive")):
        if key.startswith(prefix):
            return Figure(key, kind, (key[len(prefix):],))
    name, _, rest = key.partition("[")
    definition = next((d for d in survey.indicators if d.id == name), None)
    if definition is None:
        return None
    items = rest.rstrip("]").split("+") if rest else indicator_items(survey, name)
    return Figure(key, definition.kind, tuple(items), definition)


def figures_compared(survey: Survey, plans: Mapping[str, Sequence[str]]) -> list[Figure]:
    """The figures a comparison shows of a wave: its own, and each indicator over the items
    comparable with the other wave (``plans``: indicator id -> items)."""
    figures = wave_figures(survey)
    known = {f.key for f in figures}
    for definition in survey.indicators:
        items = plans.get(definition.id)
        if items:
            key = figure_key(definition.id, items, indicator_items(survey, definition.id))
            if key not in known:
                figures.append(Figure(key, definition.kind, tuple(items), definition))
                known.add(key)
    return figures


@dataclass
class Disclosure:
    """The plans of the waves an output shows; every figure it prints asks here first."""

    plans: dict[str, WavePlan]
    #: wave id -> every response of the wave with its groups (what the adjusted-change
    #: section's guard attacks; :mod:`.adjusted_plan`)
    full: dict[str, WaveMatrix] = field(default_factory=dict)

    def cell(self, m: WaveMatrix, part: WaveMatrix) -> int | None:
        """The plan's cell holding exactly the respondents of ``part`` (None: no such cell)."""
        plan = self.plans.get(m.wave.id)
        return None if plan is None else plan.cell_of(atoms_of(part))

    def _hidden(self, m: WaveMatrix, key: str, label: str | None, cell: int | None) -> bool:
        plan = self.plans.get(m.wave.id)
        if plan is None:
            return True
        if label is None:
            return plan.is_hidden(key, cell)
        return plan.is_hidden(key, plan.labels.get(label))

    def indicator_hidden(self, m: WaveMatrix, definition_id: str, items: Sequence[str], *,
                         label: str | None = None, cell: int | None = None) -> bool:
        """Whether the wave's plan hides this indicator (over ``items``) for the cell named
        by ``label`` (``all:``, ``organisation:ID``) or given by :meth:`cell`."""
        key = figure_key(definition_id, items, indicator_items(m.survey, definition_id))
        return self._hidden(m, key, label, cell)

    def item_hidden(self, m: WaveMatrix, item: str, label: str) -> bool:
        return self._hidden(m, f"item:{item}", label, None)

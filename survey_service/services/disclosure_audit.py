"""``disclosure audit``: produce everything the service would publish about some waves (the
report and every breakdown, over all organisations and each one, in both orders against every
other wave of the survey), then play the LP attacker against it: for each cell that is hidden
or sensitive, the narrowest interval its figure can be proved to lie in.

Breakdowns by a question of the form (``--by question:ID``, ``--by channel``, with and without
a contact-channel filter) have their own plan per wave and question (kept in the disclosure
plans under ``WAVE|question:ID``): their figures are attacked together with the wave's own
tables and with every other question's (the same people, the same organisation totals;
:mod:`..reports.group_joint`), all at once; most of their cells proved wide enough by the
answers of a few attacks, not attacked one by one (:mod:`..indicators.disclosure_certify`).
The answer distributions and NPS bands the one-wave report pages draw (all organisations
and each) are read too, and every answer count of 1 or 2 is attacked with them and the item's
means or the NPS (:mod:`..reports.distribution_plan`, :mod:`..reports.band_plan`;
``dist:ITEM=POINT``, ``bands:ID=BAND``, ``n`` the count, on the 0-100 scale of shares).

Trends (``report --trend``, the trend page, the public page) holding an audited wave are read
too (:mod:`.audit_trends`: which sets of waves, and how their figures are recorded), and each
report's adjusted-change section, attacked with both waves (:mod:`.audit_adjusted`).

The attacker knows every figure any of those outputs shows, every respondent and valid-answer
count of every group (``waves status`` publishes the counts per unit) and the scales' bounds.
The outputs are read as they are produced, so an output that ignored the plan is caught.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..indicators.disclosure import STRICT, Cell, interval
from ..indicators.disclosure import Published as Attacked
from ..indicators.disclosure_joint import joint_interval
from ..reports.band_plan import BANDS, band_problem, bands_key, nps_indicators
from ..reports.breakdown import groups_of
from ..reports.comparability import plan_indicators
from ..reports.data import WaveMatrix
from ..reports.disclosure import (
    ALL,
    ITEM,
    ITEM_KINDS,
    POSITIVE,
    WavePlan,
    atom_index,
    atoms_of,
    figure_key,
    figure_of,
    org_label,
    shape_of,
)
from ..reports.disclosure_links import joint_figures, ties
from ..reports.distribution_plan import attack_distribution, dist_key
from ..reports.group_joint import Published, attack_jointly
from ..reports.group_plan import CHANNEL, answers, group_label, respondent_atoms, scope_label
from ..reports.groups import OWN_TABLES, Groups
from ..reports.report import Report
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import indicator_items
from ..surveys.versions import diff_versions
from ..surveys.waves import Wave
from .audit_adjusted import Produced, adjusted_found
from .audit_shown import (
    Interval,
    QuestionShown,
    Shown,
    Where,
    cell_name,
    plan_with_shown,
)
from .audit_trends import audit_trends
from .catalog import load
from .disclosure import full_matrix
from .errors import ServiceError
from .groups import GROUPINGS, QUESTION, compute_breakdown, group_plan
from .report_pages import report_page
from .reports import BY, compute_report, unit_labels
from .waves import find_wave


def _keys(m: WaveMatrix, other: WaveMatrix) -> dict[str, str]:
    plans, _ = plan_indicators(m.survey, other.survey, diff_versions(m.survey, other.survey),
                               "en")
    return {i: figure_key(i, p.items, indicator_items(m.survey, i)) for i, p in plans.items()}


def _record(shown: Shown, plan: WavePlan, m: WaveMatrix, keys: dict[str, str], side: str,
            output: Report | Groups, org: str | None, mapping: dict[str, str] | None
            ) -> None:
    if isinstance(output, Report):
        cell = plan.labels.get(ALL if org is None else org_label(org))
        shares = [(plan.labels.get(org_label(o)), s) for o, s in sorted(output.mix.items())]
        mix = None if any(c is None for c, _ in shares) else tuple(
            (c, s) for c, s in shares if c is not None)
        for row in output.rows:
            value = getattr(row, side)
            if value is None or row.section not in ("indicator", "item"):
                continue
            if row.section == "item":  # % positive, and the mean code beside it
                for key, v in ((POSITIVE + row.id, value), (ITEM + row.id,
                                                            getattr(row, f"mean_{side}"))):
                    if v is not None:
                        shown[(m.wave.id, key)].append((cell, float(v)))
                continue
            key = keys.get(row.id, row.id)
            crude = getattr(row, f"crude_{side}")
            if crude is not None:  # standardised: Σ share · organisation's value, and crude
                shown[(m.wave.id, key)] += [(cell, float(crude)), (mix, float(value))]
            else:
                shown[(m.wave.id, key)].append((cell, float(value)))
        return
    k = output.waves.index(m.wave.id)
    scope = m if org is None else m.subset(m.organisations == org)
    groups = groups_of(scope, output.question, mapping)  # type: ignore[arg-type]
    for group in output.rows:
        value = group.waves[k].value
        if value is not None:
            where = plan.cell_of(atoms_of(scope.subset(groups == group.group)))
            shown[(m.wave.id, keys.get(group.indicator, group.indicator))].append(
                (where, float(value)))


def _record_question(shown: QuestionShown, plan: WavePlan, m: WaveMatrix,
                     keys: dict[str, str], output: Groups) -> None:
    k = output.waves.index(m.wave.id)
    scope = scope_label(output.organisation, output.channel)
    for row in output.rows:
        value = row.waves[k].value
        if value is not None:
            cell = plan.labels.get(group_label(scope, row.group))
            shown[(m.wave.id, output.question, keys.get(row.indicator, row.indicator))].append(
                (cell, float(value)))


def _questions(m: WaveMatrix) -> list[str]:
    """The single-choice questions a wave can be broken down by (``service`` has its groups
    in the wave's own plan)."""
    return [i for i in m.items if (spec := m.item(i)) is not None and spec.kind == "single"
            and i not in OWN_TABLES]


async def collect(settings: Settings, store: Store, waves: list[Wave],
                  produced: Produced | None = None
                  ) -> tuple[Shown, QuestionShown, dict[str, WaveMatrix], int]:
    """Every figure every output shows about ``waves`` (and the waves they are compared
    with), by the wave's own plan and by each question's group plan, each wave's responses,
    and how many outputs were produced."""
    shown: Shown = defaultdict(list)
    by_question: QuestionShown = defaultdict(list)
    matrices: dict[str, WaveMatrix] = {}
    orgs: list[str | None] = [None, *load(settings).organisations]
    pairs: dict[tuple[str, str], tuple[Wave, Wave]] = {}
    everything = await store.waves()
    for wave in waves:
        for other in everything:
            if other.survey_id == wave.survey_id and other.id != wave.id:
                pairs[(wave.id, other.id)] = (wave, other)
                pairs[(other.id, wave.id)] = (other, wave)
    outputs = 0
    done: set[tuple[str, str]] = set()
    for a, b in pairs.values():
        ma, mb = await full_matrix(store, a), await full_matrix(store, b)
        keys = {"baseline": _keys(ma, mb), "follow_up": _keys(mb, ma)}
        _, mapping = await unit_labels(store, a, b, "en")
        questions = [q for q in _questions(ma) if q in _questions(mb)]
        channels = [c for c in (ma.item(CHANNEL).options if CHANNEL in questions  # type: ignore[union-attr]
                                else ()) if (answers(ma, CHANNEL) == c).any()]
        # --by channel is the breakdown by the channel question: asked with the questions
        asked: list[tuple[str | None, str | None]] = [(None, None), *(
            (by, None) for by in BY if by != CHANNEL or CHANNEL not in questions)]
        if (b.id, a.id) not in done:  # a question's groups are the same in either order
            asked += [(QUESTION + q, c) for q in questions for c in (None, *channels)]
        done.add((a.id, b.id))
        for org in orgs:
            for by, channel in asked:
                try:
                    out: Report | Groups = (
                        await _report(settings, store, a, b, org) if by is None else
                        await compute_breakdown(settings, store, a.survey_id, a.id, b.id, by,
                                                org, channel, "en"))
                except ServiceError:
                    continue  # refused: nothing published
                outputs += 1
                if isinstance(out, Report) and produced is not None:
                    produced.append((out, a.id, b.id, org))
                for side, m, maps in (("baseline", ma, mapping), ("follow_up", mb, None)):
                    matrices[m.wave.id] = m
                    if isinstance(out, Groups) and out.question not in GROUPINGS:
                        plan = await _question_plan(settings, store, m, out.question,
                                                    by_question)
                        _record_question(by_question, plan, m, keys[side], out)
                        continue
                    plan = await plan_with_shown(settings, store, m, shown)
                    _record(shown, plan, m, keys[side], side, out, org, maps)
    outputs += await audit_trends(settings, store, waves, everything, orgs, shown, matrices)
    return shown, by_question, matrices, outputs


async def _report(settings: Settings, store: Store, a: Wave, b: Wave, org: str | None
                  ) -> Report:
    found = await compute_report(settings, store, a.survey_id, a.id, b.id, org, "en", True)
    assert isinstance(found, Report)
    return found


async def _question_plan(settings: Settings, store: Store, m: WaveMatrix, question: str,
                         shown: QuestionShown) -> WavePlan:
    """The wave's plan of the tables by ``question`` (the one its breakdowns keep), with
    every figure they showed of it."""
    keys = sorted({key for wave, q, key in shown if wave == m.wave.id and q == question})
    figures = [f for f in (figure_of(m.survey, k) for k in keys) if f is not None]
    return await group_plan(settings, store, m, question, figures)


def _cell(plan: WavePlan, where: Where) -> Attacked:
    """A shown figure's cell (or weighted sum of cells) as the attacker's atoms."""
    if isinstance(where, int):
        return tuple(plan.cells[where])
    return tuple((tuple(plan.cells[c]), w) for c, w in where or ())


def _intervals(plan: WavePlan, key: str, kind: str, shape: Any, counts: np.ndarray,
               on: set[Where], level: float, bound: Callable[[Cell], tuple[float, float]],
               question: str | None = None) -> list[Interval]:
    """The interval ``bound`` leaves each sensitive or hidden cell of one figure."""
    lo, hi = shape.value_range()
    out = []
    for i, atoms in enumerate(plan.cells):
        cell: Cell = tuple(atoms)
        if (kind in ITEM_KINDS and i not in plan.report_cells) or not shape.defined(cell):
            continue
        n = int(counts[list(cell)].sum())
        valid = float(shape.weights[list(cell)].sum(axis=0).min())
        sensitive = n < plan.min_group or valid < plan.min_group
        if i in on and not sensitive:
            continue
        low, high = bound(cell)
        name = cell_name(plan, i)
        name = name if question is None else f"{QUESTION}{question} {name}"
        out.append(Interval(wave=plan.wave, figure=key, cell=name,
                            n=n, low=low, high=high, width=high - low, sensitive=sensitive,
                            published=i in on, needed=level / 100 * (hi - lo)))
    return out


def attack_alone(plan: WavePlan, m: WaveMatrix, key: str,
                 shown: list[tuple[Where, float]], level: float,
                 question: str | None = None) -> list[Interval]:
    """Each cell of one figure that is sensitive or hidden: its interval given ``shown`` alone
    (``question``: the plan is that question's group plan, whose figures are attacked one at a
    time)."""
    figure = figure_of(m.survey, key)
    index = {a: i for i, a in enumerate(plan.atoms)}
    present, inverse = atom_index(m) if question is None else respondent_atoms(m, question)
    mine = np.asarray([index[a] for a in present], dtype=np.int64)
    atom = mine[inverse] if len(mine) else np.zeros(0, dtype=np.int64)
    known = shape_of(plan, m, figure, atom) if figure is not None else None
    if known is None or figure is None:
        return []
    shape = known[0]
    counts = np.bincount(atom, minlength=len(plan.atoms))
    published = [(_cell(plan, c), v) for c, v in shown if c is not None]
    return _intervals(plan, key, figure.kind, shape, counts, {c for c, _ in shown}, level,
                      lambda cell: interval(shape, published, cell), question)


def attack(plan: WavePlan, m: WaveMatrix, key: str, everything: Shown, level: float
           ) -> list[Interval]:
    """Each cell of one figure that is sensitive or hidden: its interval given every figure
    shown, attacked together with the figures linked to it (its theme, its items)."""
    figures, shapes, _ = joint_figures(plan, m, [key])
    if not figures or figures[0].key != key:
        return []
    figure, shape = figures[0], shapes[0]
    shown = everything.get((m.wave.id, key), [])
    together = [[(_cell(plan, c), v) for c, v in everything.get((m.wave.id, f.key), [])
                 if c is not None] for f in figures]
    index = {a: i for i, a in enumerate(plan.atoms)}
    present, inverse = atom_index(m)
    counts = np.bincount(np.asarray([index[a] for a in present])[inverse],
                         minlength=len(plan.atoms))
    linked = ties(m, figures, shapes, counts.astype(np.int64))
    return _intervals(plan, key, figure.kind, shape, counts, {c for c, _ in shown}, level,
                      lambda cell: joint_interval(shapes, together, linked, 0, cell))


def _with_questions(plan: WavePlan, qplans: dict[str, WavePlan], m: WaveMatrix,
                    shown: Shown, by_question: QuestionShown, level: float, exact: bool
                    ) -> list[Interval]:
    """Each hidden or sensitive cell of every question's tables and of the wave's, attacked
    with everything they all show of the figures linked to it."""
    wave = m.wave.id
    published: Published = {("wave", key): {c: v for c, v in cells if c is not None}
                            for (w, key), cells in shown.items() if w == wave}
    published.update({(q, key): {c: v for c, v in cells if c is not None}
                      for (w, q, key), cells in by_question.items() if w == wave and q in qplans})
    out = []
    for f in attack_jointly(plan, qplans, m, published, level, exact):
        source, cell = f.origin
        name = cell_name(plan, cell) if source == "wave" else \
            f"{QUESTION}{source} {cell_name(qplans[source], cell)}"
        out.append(Interval(wave=wave, figure=f.key, cell=name, n=f.n, low=f.low, high=f.high,
                            width=f.high - f.low, published=f.published, needed=level / 100 *
                            f.span, sensitive=f.n < plan.min_group or f.valid < plan.min_group,
                            exact=f.exact))
    return out


async def _distributions(settings: Settings, store: Store, wave: Wave, plan: WavePlan
                         ) -> tuple[dict[str, dict[int, list[float]]], int]:
    """The answer distributions the wave's report pages draw (all organisations and each):
    item -> plan cell -> answers per point, and how many pages were read."""
    catalog = load(settings)
    drawn: dict[str, dict[int, list[float]]] = defaultdict(dict)
    pages = 0
    for org in [None, *catalog.organisations]:
        try:
            page = await report_page(settings, store, catalog, wave.survey_id, [wave.id], org,
                                     "en", use_cache=False)
        except ServiceError:
            continue  # refused: nothing published
        pages += 1
        cell = plan.labels.get(ALL if org is None else org_label(org))
        for d in page.distributions:
            if cell is not None and wave.id in d.counts:
                drawn[d.id][cell] = [float(c) for c in d.counts[wave.id]]
        for b in page.nps:  # NPS bands: shares of detractors, passives, promoters
            if cell is not None and wave.id in b.shares:
                drawn[bands_key(b.id)][cell] = list(b.shares[wave.id])
    return drawn, pages


async def audit(settings: Settings, store: Store, wave_ids: list[str], exact: bool = False,
                progress: Callable[[str], None] = lambda _: None) -> tuple[list[Interval], int]:
    """The attacker's interval of every hidden or sensitive cell of the waves' figures, and
    how many outputs were read (``exact``: every breakdown cell's interval exactly)."""
    waves = [await find_wave(store, w) for w in dict.fromkeys(wave_ids)]
    # A breakdown planned first may hide more of the wave's cells: every plan made, then read
    progress("making every plan (the first audit of large waves can take many minutes)")
    await collect(settings, store, waves)
    progress("reading every output")
    produced: Produced = []
    shown, by_question, matrices, outputs = await collect(settings, store, waves, produced)
    token = STRICT.set(True)  # an attack with no solution fails, not "nothing narrowed"
    try:
        found = await adjusted_found(settings, store, produced, matrices, shown)
        for wave in (w for w in waves if w.id in matrices):
            progress(f"attacking {wave.id}")
            more, pages = await _attack_wave(settings, store, wave, matrices[wave.id], shown,
                                             by_question, exact)
            found += more
            outputs += pages
    finally:
        STRICT.reset(token)
    return found, outputs


async def _attack_wave(settings: Settings, store: Store, wave: Wave, m: WaveMatrix,
                       shown: Shown, by_question: QuestionShown, exact: bool = False
                       ) -> tuple[list[Interval], int]:
    """Every hidden or sensitive cell of one wave attacked, and the pages read for it."""
    plan = await plan_with_shown(settings, store, m, shown)
    found = [Interval(wave=wave.id, figure=key, cell="(a group outside the plan)", n=0,
                      low=value, high=value, width=0.0, sensitive=True, published=True)
             for (w, key), cells in sorted(shown.items()) if w == wave.id
             for cell, value in cells if cell is None]
    questions = sorted({q for w, q, _k in by_question if w == wave.id})
    if not questions:
        for key in sorted(plan.hidden):
            found += attack(plan, m, key, shown, settings.protection_level)
    qplans: dict[str, WavePlan] = {}
    for question in questions:
        qplans[question] = await _question_plan(settings, store, m, question, by_question)
        found += [Interval(wave=wave.id, figure=key,
                           cell=f"{QUESTION}{question} (a group outside the plan)", n=0,
                           low=value, high=value, width=0.0, sensitive=True, published=True)
                  for (w, q, key), cells in sorted(by_question.items())
                  if w == wave.id and q == question for cell, value in cells if cell is None]
    if qplans:
        found += sorted(_with_questions(plan, qplans, m, shown, by_question,
                                        settings.protection_level, exact),
                        key=lambda i: (i.figure, i.cell))
    drawn, pages = await _distributions(settings, store, wave, plan)
    nps = nps_indicators(plan, m)
    for item in [*sorted(k[len("item:"):] for k in plan.hidden if k.startswith("item:")),
                 *(bands_key(i) for i in nps)]:
        key = item[len(BANDS):] if item.startswith(BANDS) else f"item:{item}"
        figures = {k: {c: v for c, v in shown.get((wave.id, k), []) if c is not None}
                   for k in ((key,) if key in nps else (key, POSITIVE + item))}
        for f in attack_distribution(plan, m, item, figures, drawn.get(item, {}),
                                     band_problem(plan, m, key) if key in nps else None):
            name = item if key in nps else dist_key(item)
            found.append(Interval(wave=wave.id, figure=f"{name}={f.point}",
                                  cell=cell_name(plan, f.cell), n=f.answers, low=f.low,
                                  high=f.high, width=f.high - f.low, sensitive=True,
                                  published=f.shown, needed=f.need))
    return found, pages

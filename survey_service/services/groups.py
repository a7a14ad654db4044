"""Breakdowns by a single-choice question of the form (``report --by question:ID``), with
each wave's group plan kept beside the wave's own disclosure plan once the wave is closed (under
the key ``WAVE|question:ID``; while it is open, for its responses as they are), so that every
output hides the same cells. Each question's plan is made with the wave's own plan and the
plans of the wave's other questions made before it (fixed): the order in which they were
first asked for decides which of two linked breakdowns hides more, unless ``waves close
--breakdowns`` planned them all at the close in the form's order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec
import numpy as np
import numpy.typing as npt

from ..anonymity import results_available
from ..i18n import translations
from ..reports.breakdown import BY_NAMES, cannot_break_down, group_labels, groups_of
from ..reports.data import WaveMatrix
from ..reports.disclosure import (
    ITEM_KINDS,
    PLANNER,
    Figure,
    WavePlan,
    close_standardised,
    figure_of,
    figures_compared,
    wave_figures,
)
from ..reports.disclosure_links import unite_items
from ..reports.group_joint import WAVE, plan_with_wave
from ..reports.group_plan import CHANNEL, add_group_figures, new_group_plan
from ..reports.groups import (
    OWN_TABLES,
    QUESTION,
    Grouping,
    Groups,
    build_groups,
    cannot_group,
)
from ..reports.trend import common_plans
from ..settings import Settings
from ..storage.base import Store
from ..surveys.waves import Wave, now
from .catalog import find_organisation, load
from .disclosure import closed_others, compared_figures, full_matrix, mappings, wave_plan
from .errors import Invalid, Refused
from .open_plans import data_marker, keep_open_plan, open_plan
from .reports import load_matrix, unit_labels
from .trend import refuse_small_organisations, trend_disclosure, trend_matrices

__all__ = ["GROUPINGS", "QUESTION", "breakdown_questions", "compute_breakdown", "compute_groups",
           "compute_groups_by", "group_plan", "plan_breakdowns"]
#: The groupings the wave's own disclosure plan has tables of (the contact channel is a
#: question: ``question:channel``).
GROUPINGS = ("organisation", "unit", "mode", "service")
_decode = msgspec.json.Decoder(WavePlan)


def plan_key(wave_id: str, question: str) -> str:
    return f"{wave_id}|question:{question}"


def breakdown_questions(m: WaveMatrix) -> list[str]:
    """The single-choice questions a wave can be broken down by, in the form's order
    (``service`` has its groups in the wave's own plan)."""
    return [i for i in m.items if (spec := m.item(i)) is not None and spec.kind == "single"
            and i not in OWN_TABLES]


async def group_plan(settings: Settings, store: Store, m: WaveMatrix, question: str,
                     figures: Sequence[Figure]) -> WavePlan:
    """The wave's plan of the tables by ``question``, covering ``figures``: planned with the
    wave's own tables and every other question's plan of the wave already kept (fixed), so
    that no set of breakdowns narrows a small group; kept with the closed wave, or while it
    is open, for its responses as they are (:mod:`.open_plans`)."""
    kept = m.wave.state(now()) == "closed" and results_available(m.wave, m.survey.kind)
    full = None if kept else await full_matrix(store, m.wave)
    marker = None if full is None else data_marker(  # the wave's plan depends on the mappings
        settings, full, await mappings(settings, store, m.wave))

    async def find(q: str) -> WavePlan | None:
        key = plan_key(m.wave.id, q)
        if marker is not None:
            return await open_plan(store, key, marker)
        saved = await store.disclosure_plan(key)
        return _decode.decode(saved) if saved is not None else None

    plan = await find(question)
    wanted = [f for f in figures if f.kind not in ITEM_KINDS]
    old = plan if plan is not None and plan.planner < PLANNER else None
    if plan is not None and old is None and all(f.key in plan.hidden for f in wanted):
        return plan
    full = full if full is not None else await full_matrix(store, m.wave)
    own = await wave_plan(settings, store, m.wave, _with_items(m, figures), full)
    others = {q: p for q in breakdown_questions(full) if q != question
              and (p := await find(q)) is not None}
    if plan is None:
        min_group = max(m.wave.min_group, settings.min_group)
        plan = new_group_plan(full, question, min_group, settings.protection_level)
    if old is not None:  # an older planner's: planned again over its cells, keeping its hiding
        plan = msgspec.structs.replace(old, hidden={}, primary={}, planner=PLANNER)
        known = {f.key for f in wanted}
        wanted += [f for f in (figure_of(m.survey, k) for k in sorted(old.hidden))
                   if f is not None and f.key not in known and f.kind not in ITEM_KINDS]
    missing = [f.key for f in wanted if f.key not in plan.hidden]
    add_group_figures(plan, full, question, wanted, joint=True)
    changed = plan_with_wave(plan, own, full, question, missing, others)  # with the wave's
    if old is not None:  # what the old plan let out is out; hiding more never narrows
        for key, cells in old.hidden.items():
            plan.hidden[key] = sorted({*plan.hidden.get(key, []), *cells})
            plan.primary[key] = sorted({*plan.primary.get(key, []),
                                        *old.primary.get(key, [])})

    async def keep(key: str, kept_plan: WavePlan) -> None:
        if marker is not None:
            await keep_open_plan(store, key, marker, kept_plan)
        else:
            await store.save_disclosure_plan(key, msgspec.json.encode(kept_plan))

    if WAVE in changed:  # the wave's own tables hide more: with their standardised figures
        close_standardised(own, list(own.hidden))
        unite_items(own)
        await keep(m.wave.id, own)
    for q in sorted(changed - {WAVE}):
        await keep(plan_key(m.wave.id, q), others[q])
    await keep(plan_key(m.wave.id, question), plan)
    return plan


async def plan_breakdowns(settings: Settings, store: Store, wave: Wave,
                          progress: Callable[[str, str], None] | None = None) -> list[str]:
    """Plan the breakdowns of a closed wave by every question of its form, one after the
    other in the form's order, each with the ones before it (``waves close --breakdowns``):
    which of two linked breakdowns hides more then follows the form, not the order in which
    someone first asked for them. Each comparison with another closed wave is planned too
    (its figures over the common items, in both waves), so that no breakdown asked later
    hides more of a wave's cells than the outputs printed before it. Returns the questions
    planned (none while the wave's data can still change). ``progress(wave id, question)``
    is called before each plan is made, since one can take minutes."""
    full = await full_matrix(store, wave)
    if not (wave.state(now()) == "closed" and results_available(wave, full.survey.kind)):
        return []
    found = {f.key: f for f in wave_figures(full.survey)}
    compared: list[tuple[Wave, list[Figure]]] = []
    for other in await closed_others(store, wave, full.survey.kind):
        # what a comparison's breakdowns show too: each indicator over the common items
        both = await compared_figures(store, wave, other)
        found.update({f.key: f for f in both[wave.id]})
        compared.append((other, both[other.id]))
    questions = breakdown_questions(full)
    tell = progress or (lambda wave_id, question: None)
    for question in questions:
        tell(wave.id, question)
        await group_plan(settings, store, full, question, [found[k] for k in sorted(found)])
    for other, figures in compared:  # and the other wave's side of each comparison
        m = await full_matrix(store, other)
        for question in breakdown_questions(m):
            tell(other.id, question)
            await group_plan(settings, store, m, question, figures)
    return questions


def _with_items(m: WaveMatrix, figures: Sequence[Figure]) -> list[Figure]:
    """The figures and every figure of the wave (its items among them): the wave's plan
    must have each figure the question's tables are planned with."""
    found = {f.key: f for f in wave_figures(m.survey)}
    found.update({f.key: f for f in figures})
    return [found[k] for k in sorted(found)]


async def compute_groups(settings: Settings, store: Store, survey_id: str,
                         waves: Sequence[str], question: str, organisation: str | None,
                         channel: str | None, lang: str) -> Groups:
    """Every indicator by the answer to ``question`` in each of ``waves`` (one or more, in
    order), within ``organisation`` and the contact ``channel`` when given."""
    catalog = load(settings)
    if organisation is not None:
        find_organisation(catalog, organisation)
    if len(waves) == 1:
        ms = [await load_matrix(store, survey_id, waves[0], organisation, True)]
    else:
        ms = await trend_matrices(settings, store, survey_id, waves, organisation, True)
    reason = cannot_group(ms, question, channel)
    if reason is not None:
        raise Refused(reason)
    min_group = max([settings.min_group, *(m.wave.min_group for m in ms)])
    if organisation is None:
        await refuse_small_organisations(store, ms, min_group)
    plans = common_plans(ms, lang)[0]
    items = {i: p.items for i, p in plans.items()}
    kept = {m.wave.id: await group_plan(settings, store, m, question,
                                        figures_compared(m.survey, items)) for m in ms}
    return build_groups(ms, question, kept, lang=lang, organisation=organisation,
                        channel=channel, min_group=min_group)


async def compute_groups_by(settings: Settings, store: Store, survey_id: str,
                            waves: Sequence[str], by: str, organisation: str | None,
                            lang: str) -> Groups:
    """Every indicator by organisation, unit, answering mode or service over ``waves``, with
    each group's CI and changes; hidden as each wave's own disclosure plan says (its tables by
    these groupings). Units of earlier waves are mapped into the last wave's structure when
    it maps them."""
    if by == CHANNEL:  # the contact channel is a question: its groups are in its group plan
        return await compute_groups(settings, store, survey_id, waves, CHANNEL, organisation,
                                    None, lang)
    catalog = load(settings)
    if organisation is not None:
        find_organisation(catalog, organisation)
    if by not in GROUPINGS:
        raise Invalid(f"cannot break down by '{by}' (only by {', '.join(GROUPINGS)}, "
                      f"{CHANNEL}, or {QUESTION}ID)")
    ms = await trend_matrices(settings, store, survey_id, waves, organisation, True)
    reason = cannot_break_down(by, ms[0], ms[-1])
    if reason is not None:
        raise Refused(reason)
    min_group = max([settings.min_group, *(m.wave.min_group for m in ms)])
    if organisation is None:
        await refuse_small_organisations(store, ms, min_group)
    disclosure = await trend_disclosure(settings, store, ms, lang)
    labels = group_labels(by, ms[0], ms[-1], lang)  # type: ignore[arg-type]
    mappings: dict[str, dict[str, str]] = {}
    if by == "unit":
        for m in ms:
            found, mappings[m.wave.id] = await unit_labels(store, m.wave, ms[-1].wave, lang)
            labels = {**found, **labels}
    elif by == "organisation":
        labels = {o.id: o.name.get(lang) for o in catalog.organisations.values()}

    def codes(m: WaveMatrix) -> npt.NDArray[np.str_]:
        return groups_of(m, by, mappings.get(m.wave.id))  # type: ignore[arg-type]

    def hidden(m: WaveMatrix, part: WaveMatrix, ind_id: str, items: list[str]) -> bool:
        return disclosure.indicator_hidden(m, ind_id, items, cell=disclosure.cell(m, part))

    _ = translations(lang).gettext
    grouping = Grouping(title=_(BY_NAMES[by]), labels=labels, codes=codes, hidden=hidden)
    return build_groups(ms, by, {}, lang=lang, organisation=organisation,
                        min_group=min_group, grouping=grouping)


async def compute_breakdown(settings: Settings, store: Store, survey_id: str, baseline: str,
                            follow_up: str, by: str, organisation: str | None,
                            channel: str | None, lang: str) -> Groups:
    """The two-wave report's breakdown (``report --by``): the trend's breakdown over the two
    waves, so that each group has its CI and its change with CI and test, hidden exactly as
    the trend hides it (``by``: a grouping, ``channel``, or ``question:ID``)."""
    if baseline == follow_up:
        raise Invalid(f"wave '{baseline}' cannot be both the baseline and the follow-up: "
                      "compare two different waves")
    waves = (baseline, follow_up)
    if by.startswith(QUESTION):
        return await compute_groups(settings, store, survey_id, waves, by[len(QUESTION):],
                                    organisation, channel, lang)
    if channel is not None:
        raise Invalid(f"--channel filters only a breakdown by a question ('{QUESTION}ID'), "
                      f"not by '{by}'")
    return await compute_groups_by(settings, store, survey_id, waves, by, organisation, lang)

"""Indicators by the answer to a single-choice question of the form (citizen or business, age
band...) over one or more waves, optionally within one organisation and one contact channel:
each group's value with its 95 % CI and the answers it used, and across waves its change from
the first and from the previous wave with CI and test (the report's two-wave comparisons of
:mod:`.kinds`, each group's respondents against the same group's in the other wave). Every
figure is shown only where the wave's group plan (:mod:`.group_plan`) shows it; adjusted p are
Benjamini-Hochberg over every group and indicator of a pair of waves (exploratory).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import msgspec
import numpy as np
import numpy.typing as npt

from ..i18n import translations
from ..surveys.loader import indicator_items
from .comparability import Difference
from .data import WaveMatrix
from .disclosure import WavePlan, figure_key
from .estimates import Change, Result, WaveValue, adjust, change_of, compare, side_of, wave_value
from .group_plan import CHANNEL, answers, group_hidden, scope_label
from .trend import common_plans, pairs

#: How a breakdown by a question is asked for: ``question:ID``.
QUESTION = "question:"
#: Questions whose groups the wave's own plan already has (``--by service``).
OWN_TABLES = {"service": "service"}


@dataclass(frozen=True)
class Grouping:
    """A grouping other than a question's answers: each respondent's group, the groups'
    names, and whether the wave's plan hides an indicator (over items) of a group."""

    title: str
    labels: Mapping[str, str]
    codes: Callable[[WaveMatrix], npt.NDArray[np.str_]]
    hidden: Callable[[WaveMatrix, WaveMatrix, str, list[str]], bool]


class GroupRow(msgspec.Struct, kw_only=True, omit_defaults=True):
    group: str  # the answer code ("" for "not answered")
    label: str
    indicator: str
    waves: list[WaveValue]
    from_first: list[Change] = []
    from_previous: list[Change] = []


class Groups(msgspec.Struct, kw_only=True):
    survey: str
    question: str
    question_label: str
    waves: list[str]
    organisation: str | None
    channel: str | None
    lang: str
    min_group: int
    indicators: list[tuple[str, str]]  # id, label
    groups: list[tuple[str, str]]  # code, label
    rows: list[GroupRow]
    not_comparable: list[Difference] = []


def cannot_group(matrices: Sequence[WaveMatrix], question: str, channel: str | None
                 ) -> str | None:
    """Why these waves cannot be broken down by ``question`` (or filtered by ``channel``)."""
    if question in OWN_TABLES:
        return (f"break down by '{question}' with --by {OWN_TABLES[question]} (its groups "
                "are in the wave's own disclosure plan)")
    for m in matrices:
        spec = m.item(question)
        if spec is None or spec.kind != "single":
            return (f"wave '{m.wave.id}' of '{m.survey.id}' has no single-choice question "
                    f"'{question}' to break down by")
        if channel is not None:
            chan = m.item(CHANNEL)
            if chan is None or chan.kind != "single":
                return f"wave '{m.wave.id}' has no contact-channel question to filter by"
            if channel not in chan.options:
                return (f"'{channel}' is not a contact channel of wave '{m.wave.id}' "
                        f"(one of {', '.join(chan.options)})")
    return None


def _labels(matrices: Sequence[WaveMatrix], question: str, lang: str
            ) -> tuple[str, dict[str, str]]:
    """The question's wording and its options' labels (the latest wave's wording wins)."""
    _ = translations(lang).gettext
    title, labels = question, {"": _("not answered")}
    for m in matrices:
        q = m.survey.question(question)
        if q is not None:
            title = q.text.get(lang)
            labels.update({o.code: o.label.get(lang) for o in q.options})
    return title, labels


def build_groups(
    matrices: Sequence[WaveMatrix],
    question: str,
    plans: Mapping[str, WavePlan],
    *,
    lang: str = "bg",
    organisation: str | None = None,
    channel: str | None = None,
    min_group: int = 10,
    grouping: Grouping | None = None,
) -> Groups:
    """Every indicator comparable across the waves, by the answer to ``question`` (``plans``:
    each wave's group plan, by wave id; a wave without one shows nothing), or by another
    ``grouping`` (organisation, unit, mode, service: hidden as the waves' own plans say)."""
    ms = list(matrices)
    if organisation is not None:
        ms = [m.subset(m.organisations == organisation) if m.grouped else m for m in ms]
    if channel is not None:
        ms = [m.subset(answers(m, CHANNEL) == channel) for m in ms]
    _ = translations(lang).gettext
    title, labels = _labels(ms, question, lang) if grouping is None else (
        grouping.title, {"": _("not answered"), **grouping.labels})

    def codes(m: WaveMatrix) -> npt.NDArray[np.str_]:
        return answers(m, question) if grouping is None else grouping.codes(m)

    plans_by_indicator, refused = common_plans(ms, lang)
    scope = scope_label(organisation, channel)
    found = sorted({a for m in ms for a in codes(m).tolist()}, key=lambda a: (a == "", a))
    withheld = _("not shown: it would reveal a group of fewer than %(n)s people") % {
        "n": min_group}
    small = _("fewer than %(n)s answers in a wave: not shown") % {"n": min_group}
    rows: list[GroupRow] = []
    results: dict[tuple[int, tuple[int, int]], Result] = {}
    for answer in found:
        parts = [m.subset(codes(m) == answer) for m in ms]
        for ind_id, plan in plans_by_indicator.items():
            definition, items = plan.definition, plan.items
            sides = [side_of(definition, p, items) for p in parts]
            values = []
            for m, part, side in zip(ms, parts, sides, strict=True):
                wave_plan = plans.get(m.wave.id)
                key = figure_key(ind_id, items, _own_items(m, ind_id))
                if grouping is not None:
                    hidden = part.n > 0 and grouping.hidden(m, part, ind_id, items)
                else:
                    hidden = part.n > 0 and (wave_plan is None or group_hidden(
                        wave_plan, key, scope, answer))
                values.append(wave_value(m.wave.id, side, hidden=withheld if hidden else None,
                                         min_group=min_group, too_few=small))
            row = GroupRow(group=answer, label=labels.get(answer, answer), indicator=ind_id,
                           waves=values)
            for pair in pairs(len(ms)):
                results[(len(rows), pair)] = compare(definition, sides[pair[0]],
                                                     sides[pair[1]])
            rows.append(row)
    for pair in pairs(len(ms)):
        members = list(range(len(rows)))
        adjusted = adjust([results[(r, pair)] for r in members], "fdr_bh")
        results.update({(r, pair): a for r, a in zip(members, adjusted, strict=True)})
    for r, row in enumerate(rows):
        for k in range(1, len(ms)):
            row.from_first.append(change_of(row.waves[0], row.waves[k], results[(r, (0, k))]))
            row.from_previous.append(change_of(row.waves[k - 1], row.waves[k],
                                               results[(r, (k - 1, k))]))
    shown = [a for a in found if any(v.value is not None for row in rows if row.group == a
                                     for v in row.waves) or a != ""]
    return Groups(
        survey=ms[0].survey.id, question=question, question_label=title,
        waves=[m.wave.id for m in ms], organisation=organisation, channel=channel, lang=lang,
        min_group=min_group,
        indicators=[(i, p.definition.label.get(lang)) for i, p in plans_by_indicator.items()],
        groups=[(a, labels.get(a, a)) for a in shown],
        rows=[row for row in rows if row.group in shown], not_comparable=refused)




def _own_items(m: WaveMatrix, ind_id: str) -> list[str]:
    return indicator_items(m.survey, ind_id)

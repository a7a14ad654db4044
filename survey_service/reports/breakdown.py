"""Indicators by group (organisation, unit, service, channel) for two waves, with small-group
protection: a (group, wave) cell with fewer than ``min_group`` respondents is hidden, and so
is at least one more cell of the same wave, so that no hidden cell can be recovered by
subtracting shown cells (counts, or means × counts) from the wave's total. Hidden cells look
exactly like empty ones (no value, no count)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..exports.csv_writer import to_csv
from ..exports.table import Cell as ExportCell
from ..exports.table import Table
from ..i18n import N_, translations
from ..indicators.result import NotComputable
from ..surveys.coding import MISSING
from ..surveys.model import IndicatorDef
from ..surveys.versions import diff_versions
from .comparability import Difference, Plan, item_difference, plan_indicators
from .data import WaveMatrix
from .disclosure import Disclosure
from .kinds import wave_side

#: ``mode``: how the form was answered (web, kiosk, paper); ``channel``: how the person contacted
#: the municipality (the survey's ``channel`` question); ``service``: the ``service`` question.
By = Literal["organisation", "unit", "mode", "channel", "service"]

#: What each grouping is called in a table's header.
BY_NAMES: dict[str, str] = {
    "organisation": N_("organisation"),
    "unit": N_("unit"),
    "mode": N_("answering mode"),
    "channel": N_("contact channel"),
    "service": N_("service"),
}
#: How a response reached us (the answering mode).
MODE_NAMES: dict[str, str] = {
    "web": N_("Online"),
    "kiosk": N_("Front-desk kiosk"),
    "paper": N_("Paper questionnaire"),
}
#: Width of the group column of the text table.
LABEL_WIDTH = 40


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, ending with "…" when it was cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def cannot_break_down(by: str, baseline: WaveMatrix, follow_up: WaveMatrix) -> str | None:
    """Why these waves cannot be broken down ``by`` this grouping, or None: a citizen survey
    has no units, and a survey without a ``service`` (``channel``) question has no services
    (contact channels)."""
    survey = baseline.survey
    if by == "unit" and survey.kind == "citizen":
        return (
            f"survey '{survey.id}' is a citizen survey: its answers have no unit (units come "
            "from staff invitation codes); break down by organisation, channel or service"
        )
    if by in ("service", "channel"):
        what = "services" if by == "service" else "contact channels"
        for m in (baseline, follow_up):
            if m.item(by) is None:
                return (
                    f"wave '{m.wave.id}' of '{survey.id}' has no single-choice question "
                    f"'{by}': there are no {what} to break down by"
                )
    return None


def group_labels(by: By, baseline: WaveMatrix, follow_up: WaveMatrix, lang: str) -> dict[str, str]:
    """Readable names of the groups a breakdown can name itself (answering modes, contact
    channels, services)."""
    if by == "mode":
        gettext = translations(lang).gettext
        return {code: gettext(name) for code, name in MODE_NAMES.items()}
    if by in ("service", "channel"):
        labels: dict[str, str] = {}
        for m in (baseline, follow_up):  # the follow-up's wording wins
            question = m.survey.question(by)
            if question is not None:
                labels.update({o.code: o.label.get(lang) for o in question.options})
        return labels
    return {}


class Cell(msgspec.Struct, kw_only=True, omit_defaults=True):
    n: int | None = None  # None: hidden or empty
    values: dict[str, float | None] = {}


class GroupRow(msgspec.Struct, kw_only=True):
    group: str
    label: str
    baseline: Cell
    follow_up: Cell


class Breakdown(msgspec.Struct, kw_only=True):
    by: By
    min_group: int
    indicators: list[tuple[str, str]]  # id, label
    rows: list[GroupRow]
    not_comparable: list[Difference] = []


def _groups(
    m: WaveMatrix, by: By, mapping: Mapping[str, str] | None = None
) -> npt.NDArray[np.str_]:
    if by == "organisation":
        return m.organisations
    if by == "mode":
        return m.channels
    if by == "unit":  # units of different organisations never pool: "org/unit"
        keys = np.char.add(np.char.add(m.organisations, "/"), m.units)
        keys = np.where(m.units == "", "", keys)
        if mapping:
            return np.asarray([mapping.get(u, u) for u in keys.tolist()], dtype=np.str_)
        return keys
    column = m.raw(by)  # a single-choice question: service or channel
    spec = m.item(by)
    if column is None or spec is None:
        return np.full(m.n, "", dtype=np.str_)
    names = np.asarray(["", *spec.options], dtype=np.str_)
    return names[np.clip(column, 0, None)]


def _value(definition: IndicatorDef, items: list[str], m: WaveMatrix) -> float | None:
    if not items or any(m.item(i) is None for i in items):
        return None
    side = wave_side(definition.kind, m, items, definition=definition)
    return None if isinstance(side, NotComputable) else side.value


def _valid_n(items: Sequence[str], m: WaveMatrix) -> int:
    """The fewest valid answers any of the items has in this group."""
    counts = []
    for item in items:
        spec, column = m.item(item), m.raw(item)
        if spec is None or column is None:
            return 0
        if spec.kind == "number":
            counts.append(int((column != MISSING).sum()))
            continue
        top = 10 if spec.kind == "nps" else spec.points
        low = 0 if spec.kind == "nps" else 1
        counts.append(int(((column >= low) & (column <= top)).sum()))
    return min(counts) if counts else 0


def breakdown(
    baseline: WaveMatrix,
    follow_up: WaveMatrix,
    by: By,
    *,
    lang: str = "bg",
    min_group: int = 10,
    labels: Mapping[str, str] | None = None,
    unit_mapping: Mapping[str, str] | None = None,
    disclosure: Disclosure | None = None,
) -> Breakdown:
    """Every indicator of the baseline's survey, by group, for both waves. With a
    ``disclosure`` (the waves' plans), each figure is shown only where the plan shows it;
    without one, each wave's column is protected on its own (counts only)."""
    diff = diff_versions(baseline.survey, follow_up.survey)
    plans, refused = plan_indicators(baseline.survey, follow_up.survey, diff, lang)
    if by in ("service", "channel") and not diff.comparable(by):  # the groups changed
        refused.insert(0, item_difference(diff.items[by], lang))
    groups_a = _groups(baseline, by, unit_mapping)
    groups_b = _groups(follow_up, by)
    names = sorted({g for g in [*groups_a.tolist(), *groups_b.tolist()] if g})
    counts = {
        (g, w): int((groups == g).sum())
        for g in names
        for w, groups in (("baseline", groups_a), ("follow_up", groups_b))
    }
    try:
        hidden = ind.suppress_table(counts, row_totals=False, col_totals=True, k=min_group)
    except ValueError:  # a wave too small to split at all: show no group of it
        hidden = {cell: True for cell in counts}
    labels = {**group_labels(by, baseline, follow_up, lang), **(labels or {})}
    rows = []
    for g in names:
        cells = {}
        for wave, m, groups in (
            ("baseline", baseline, groups_a),
            ("follow_up", follow_up, groups_b),
        ):
            n = counts[(g, wave)]
            if disclosure is not None and n:
                cells[wave] = _planned(disclosure, m, m.subset(groups == g), plans)
                continue
            if hidden[(g, wave)] or n == 0:
                cells[wave] = Cell()
                continue
            part = m.subset(groups == g)
            values: dict[str, float | None] = {}
            for ind_id, plan in plans.items():
                items = plan.items  # comparable in both waves' form versions
                shown = _valid_n(items, part) >= min_group  # not a figure of a few answers
                values[ind_id] = _value(plan.definition, items, part) if shown else None
            cells[wave] = Cell(n=n, values=values)
        rows.append(
            GroupRow(
                group=g,
                label=labels.get(g, g),
                baseline=cells["baseline"],
                follow_up=cells["follow_up"],
            )
        )
    return Breakdown(
        by=by,
        min_group=min_group,
        indicators=[(i, p.definition.label.get(lang)) for i, p in plans.items()],
        rows=rows,
        not_comparable=refused,
    )


def _planned(disclosure: Disclosure, m: WaveMatrix, part: WaveMatrix,
             plans: Mapping[str, Plan]) -> Cell:
    """A group's cell as the wave's disclosure plan allows (empty when it hides every figure:
    hidden and empty cells look the same)."""
    values: dict[str, float | None] = {}
    cell = disclosure.cell(m, part)
    for ind_id, plan in plans.items():
        hide = disclosure.indicator_hidden(m, ind_id, plan.items, cell=cell)
        values[ind_id] = None if hide else _value(plan.definition, plan.items, part)
    if all(v is None for v in values.values()):
        return Cell()
    return Cell(n=part.n, values=values)


def groups_of(m: WaveMatrix, by: By, mapping: Mapping[str, str] | None = None
              ) -> npt.NDArray[np.str_]:
    """Each respondent's group in a breakdown ``by`` (for the disclosure audit)."""
    return _groups(m, by, mapping)


def _cell(c: Cell, ind_id: str) -> str:
    value = c.values.get(ind_id) if c.n else None
    return "–" if value is None else f"{value:.1f} (n={c.n})"


def breakdown_table(b: Breakdown, lang: str) -> str:
    """The breakdown as text: one block per indicator, with column headers, groups as rows
    (names longer than the column end with "…")."""
    _ = translations(lang).gettext
    by = _(BY_NAMES[b.by])
    lines = [_("By %(by)s (groups under %(n)s people are not shown)")
             % {"by": by, "n": b.min_group}]
    w = LABEL_WIDTH
    for ind_id, label in b.indicators:
        lines.append("")
        lines.append(label)
        lines.append(f"  {by[:1].upper() + by[1:]:<{w}}  {_('baseline'):>16}  "
                     f"{_('follow-up'):>16}".rstrip())
        for row in b.rows:
            lines.append(
                f"  {shorten(row.label, w):<{w}}  {_cell(row.baseline, ind_id):>16}  "
                f"{_cell(row.follow_up, ind_id):>16}"
            )
    if b.not_comparable:
        lines += ["", _("Not comparable:")]
        lines += [f"  {d.id}: {d.reason}" for d in b.not_comparable]
    return "\n".join(lines)


BREAKDOWN_COLUMNS = ["by", "group", "indicator", "baseline", "n_baseline", "follow_up",
                     "n_follow_up"]


def breakdown_rows(b: Breakdown) -> Iterator[list[ExportCell]]:
    """One line per group and indicator; hidden cells are empty."""
    for row in b.rows:
        for ind_id, _ in b.indicators:
            a, f = row.baseline, row.follow_up
            yield [
                b.by, row.group, ind_id,
                a.values.get(ind_id) if a.n else None, a.n or None,
                f.values.get(ind_id) if f.n else None, f.n or None,
            ]


def breakdown_table_export(b: Breakdown) -> Table:
    return Table(f"breakdown_{b.by}", BREAKDOWN_COLUMNS, breakdown_rows(b))


def breakdown_csv(b: Breakdown) -> str:
    """UTF-8 CSV with BOM: one line per group and indicator; hidden cells are empty."""
    return to_csv(breakdown_table_export(b))

"""Indicators by group (organisation, unit, service, channel) for two waves, with small-group
protection: a (group, wave) cell with fewer than ``min_group`` respondents is hidden, and so
is at least one more cell of the same wave, so that no hidden cell can be recovered by
subtracting shown cells (counts, or means × counts) from the wave's total. Hidden cells look
exactly like empty ones (no value, no count)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..indicators.result import Estimate, NotComputable
from ..surveys.coding import MISSING
from ..surveys.loader import indicator_items
from ..surveys.model import IndicatorDef
from .data import WaveMatrix
from .shares import share_estimate

By = Literal["organisation", "unit", "channel", "service"]


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


def _groups(
    m: WaveMatrix, by: By, mapping: Mapping[str, str] | None = None
) -> npt.NDArray[np.str_]:
    if by == "organisation":
        return m.organisations
    if by == "channel":
        return m.channels
    if by == "unit":  # units of different organisations never pool: "org/unit"
        keys = np.char.add(np.char.add(m.organisations, "/"), m.units)
        keys = np.where(m.units == "", "", keys)
        if mapping:
            return np.asarray([mapping.get(u, u) for u in keys.tolist()], dtype=np.str_)
        return keys
    column = m.raw("service")
    spec = m.item("service")
    if column is None or spec is None:
        return np.full(m.n, "", dtype=np.str_)
    names = np.asarray(["", *spec.options], dtype=np.str_)
    return names[np.clip(column, 0, None)]


def _value(definition: IndicatorDef, items: Sequence[str], m: WaveMatrix) -> float | None:
    if not items or any(m.item(i) is None for i in items):
        return None
    first = m.item(items[0])
    assert first is not None
    if definition.kind == "share":
        share = share_estimate(definition, m)
        return share.value if isinstance(share, Estimate) else None
    if definition.kind == "nps":
        result = ind.nps(m.raw(items[0]))
        return None if isinstance(result, NotComputable) else result.nps
    points = first.points
    reverse = [bool(m.item(i).reverse) for i in items]  # type: ignore[union-attr]
    columns = [c for c in (m.likert(i) for i in items) if c is not None]
    if definition.kind == "index":
        est = ind.composite_index(np.column_stack(columns), points, reverse)
        return est.value if isinstance(est, Estimate) else None
    if definition.kind == "mean" or (definition.kind == "percent_positive" and len(items) == 1):
        pm = ind.positive_and_mean(columns[0], points, reverse=reverse[0])
        if isinstance(pm, NotComputable):
            return None
        return pm.mean.value if definition.kind == "mean" else pm.percent.value
    theme = ind.theme_score(columns, points, reverse)
    return None if isinstance(theme, NotComputable) else theme.value


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
) -> Breakdown:
    """Every indicator of the baseline's survey, by group, for both waves."""
    survey = baseline.survey
    definitions = [
        d for d in survey.indicators if any(o.id == d.id for o in follow_up.survey.indicators)
    ]
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
    rows = []
    for g in names:
        cells = {}
        for wave, m, groups in (
            ("baseline", baseline, groups_a),
            ("follow_up", follow_up, groups_b),
        ):
            n = counts[(g, wave)]
            if hidden[(g, wave)] or n == 0:
                cells[wave] = Cell()
                continue
            part = m.subset(groups == g)
            values: dict[str, float | None] = {}
            for d in definitions:
                items = indicator_items(m.survey, d.id)
                shown = _valid_n(items, part) >= min_group  # not a figure of a few answers
                values[d.id] = _value(d, items, part) if shown else None
            cells[wave] = Cell(n=n, values=values)
        rows.append(
            GroupRow(
                group=g,
                label=(labels or {}).get(g, g),
                baseline=cells["baseline"],
                follow_up=cells["follow_up"],
            )
        )
    return Breakdown(
        by=by,
        min_group=min_group,
        indicators=[(d.id, d.label.get(lang)) for d in definitions],
        rows=rows,
    )


def _cell(c: Cell, ind_id: str) -> str:
    value = c.values.get(ind_id) if c.n else None
    return "–" if value is None else f"{value:.1f} (n={c.n})"


def breakdown_table(b: Breakdown, lang: str) -> str:
    """The breakdown as text: one block per indicator, groups as rows."""
    bg = lang == "bg"
    lines = [
        ("По " if bg else "By ")
        + b.by
        + (
            f" (групи под {b.min_group} души не се показват)"
            if bg
            else f" (groups under {b.min_group} people are not shown)"
        )
    ]
    for ind_id, label in b.indicators:
        lines.append("")
        lines.append(label)
        for row in b.rows:
            lines.append(
                f"  {row.label[:40]:<40}  {_cell(row.baseline, ind_id):>16}  "
                f"{_cell(row.follow_up, ind_id):>16}"
            )
    return "\n".join(lines)


def breakdown_csv(b: Breakdown) -> str:
    """UTF-8 CSV with BOM: one line per group and indicator; hidden cells are empty."""
    import csv
    import io

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["by", "group", "indicator", "baseline", "n_baseline", "follow_up", "n_follow_up"]
    )
    for row in b.rows:
        for ind_id, _ in b.indicators:
            a, f = row.baseline, row.follow_up
            va = a.values.get(ind_id) if a.n else None
            vf = f.values.get(ind_id) if f.n else None
            writer.writerow(
                [
                    b.by,
                    row.group,
                    ind_id,
                    "" if va is None else repr(va),
                    a.n or "",
                    "" if vf is None else repr(vf),
                    f.n or "",
                ]
            )
    return out.getvalue()

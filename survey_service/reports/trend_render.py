"""A trend as a terminal table, CSV (one line per indicator and wave) or JSON."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from ..exports.csv_writer import to_csv as write_csv
from ..exports.table import Cell, Table
from ..i18n import N_, translations
from .breakdown import shorten
from .estimates import Change, WaveValue
from .render import fmt_number, fmt_p
from .trend import Trend

CHANGE_FIELDS = ["change", "ci_low", "ci_high", "test", "statistic", "p", "p_adjusted",
                 "adjustment",
           "effect", "effect_size", "note"]
COLUMNS = [
    "indicator", "label", "kind", "wave", "value", "ci_low", "ci_high", "n", "note",
    *(f"from_first_{c}" for c in CHANGE_FIELDS), *(f"from_previous_{c}" for c in CHANGE_FIELDS),
    "items_used", "items_declared", "left_out",
]
HEAD = [N_("wave"), N_("value"), N_("95% CI"), "n", N_("change from the first"), N_("95% CI"),
        "p", N_("change from the previous"), N_("95% CI"), "p"]


def _change_cells(c: Change | None) -> list[Cell]:
    if c is None:
        return [None] * len(CHANGE_FIELDS)
    values = msgspec.structs.asdict(c)
    return [values[k] for k in CHANGE_FIELDS]


def trend_table(trend: Trend) -> Table:
    """One line per indicator and wave; the first wave's change columns are empty."""
    def rows() -> Iterator[list[Cell]]:
        for row in trend.rows:
            for k, v in enumerate(row.waves):
                first = row.from_first[k - 1] if k else None
                previous = row.from_previous[k - 1] if k else None
                yield [row.id, row.label, row.kind, v.wave, v.value, v.ci_low, v.ci_high, v.n,
                       v.note, *_change_cells(first), *_change_cells(previous),
                       row.items_used, row.items_declared, row.left_out]
    return Table(f"{trend.survey}_trend_{'_'.join(trend.waves)}", COLUMNS, rows())


def to_csv(trend: Trend) -> str:
    """UTF-8 CSV with a BOM, full precision."""
    return write_csv(trend_table(trend))


def to_json(trend: Trend) -> bytes:
    return msgspec.json.format(msgspec.json.encode(trend))


def _ci(low: float | None, high: float | None) -> str:
    return f"{fmt_number(low)}…{fmt_number(high)}" if low is not None else ""


def value_text(v: WaveValue) -> list[str]:
    return [fmt_number(v.value) if v.value is not None else "–", _ci(v.ci_low, v.ci_high),
            "" if v.n is None else str(v.n)]


def change_text(c: Change | None) -> list[str]:
    if c is None or c.change is None:
        return ["", "", ""]
    sign = "+" if c.change > 0 else ""
    return [sign + fmt_number(c.change), _ci(c.ci_low, c.ci_high), fmt_p(c.p)]


def to_text(trend: Trend) -> str:
    """One block per indicator: a line per wave, its figure and both changes."""
    _ = translations(trend.lang).gettext
    lines = [_("Trend over %(count)s waves: %(waves)s (figures of fewer than %(n)s answers "
               "are not shown)") % {"count": len(trend.waves), "waves": ", ".join(trend.waves),
                                    "n": trend.min_group}]
    if trend.mix:
        lines.append(_("Figures over all organisations are standardised to one fixed mix of "
                       "organisations, the pooled shares of all the waves' respondents "
                       "(%(shares)s), and so are their changes.") % {"shares": ", ".join(
                           f"{org} {100 * share:.1f} %" for org, share in trend.mix.items())})
    head = [_(h) for h in HEAD]
    for row in trend.rows:
        table = [head]
        for k, v in enumerate(row.waves):
            table.append([v.wave, *value_text(v),
                          *change_text(row.from_first[k - 1] if k else None),
                          *change_text(row.from_previous[k - 1] if k > 1 else None)])
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        lines += ["", shorten(row.label, 72) + f" ({row.id})"]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in table]
        notes = [f"{v.wave}: {v.note}" for v in row.waves if v.note]
        notes += [f"{c.baseline} → {c.follow_up}: {c.note}"
                  for c in [*row.from_first, *row.from_previous[1:]] if c.note and c.change]
        if row.note:
            notes.append(row.note)
        if row.left_out:
            notes.append(_("followed over %(used)s of its %(declared)s items; left out as not "
                           "comparable: %(items)s") % {"used": row.items_used,
                                                       "declared": row.items_declared,
                                                       "items": row.left_out})
        lines += [f"  {n}" for n in dict.fromkeys(notes)]
    if trend.not_comparable:
        lines += ["", _("Not comparable:")]
        lines += [f"  {d.id}: {d.reason}" for d in trend.not_comparable]
    return "\n".join(lines)

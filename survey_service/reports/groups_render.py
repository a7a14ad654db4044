"""A breakdown by a question as a terminal table, CSV (one line per group, indicator and wave)
or JSON."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from ..exports.csv_writer import to_csv as write_csv
from ..exports.table import Cell, Table
from ..i18n import N_, translations
from .breakdown import LABEL_WIDTH, shorten
from .estimates import Change
from .groups import Groups
from .trend_render import CHANGE_FIELDS, change_text, value_text

COLUMNS = [
    "question", "group", "label", "indicator", "wave", "value", "ci_low", "ci_high", "n", "note",
    *(f"from_first_{c}" for c in CHANGE_FIELDS), *(f"from_previous_{c}" for c in CHANGE_FIELDS),
]
HEAD = [N_("group"), N_("wave"), N_("value"), N_("95% CI"), "n", N_("change from the first"),
        N_("95% CI"), "p"]


def _cells(c: Change | None) -> list[Cell]:
    values = msgspec.structs.asdict(c) if c is not None else {}
    return [values.get(k) for k in CHANGE_FIELDS]


def groups_table(g: Groups) -> Table:
    def rows() -> Iterator[list[Cell]]:
        for row in g.rows:
            for k, v in enumerate(row.waves):
                yield [g.question, row.group, row.label, row.indicator, v.wave, v.value,
                       v.ci_low, v.ci_high, v.n, v.note,
                       *_cells(row.from_first[k - 1] if k else None),
                       *_cells(row.from_previous[k - 1] if k else None)]
    return Table(f"{g.survey}_by_{g.question}", COLUMNS, rows())


def to_csv(g: Groups) -> str:
    """UTF-8 CSV with a BOM, full precision; hidden figures are empty."""
    return write_csv(groups_table(g))


def to_json(g: Groups) -> bytes:
    return msgspec.json.format(msgspec.json.encode(g))


def to_text(g: Groups) -> str:
    """One block per indicator: a line per group and wave."""
    _ = translations(g.lang).gettext
    lines = [_("By “%(question)s” (groups under %(n)s people are not shown)")
             % {"question": g.question_label, "n": g.min_group}]
    if g.organisation is not None or g.channel is not None:
        lines.append(_("Only: %(filters)s") % {"filters": ", ".join(
            f for f in (g.organisation, g.channel) if f is not None)})
    head = [_(h) for h in HEAD]
    for ind_id, label in g.indicators:
        table = [head]
        for row in (r for r in g.rows if r.indicator == ind_id):
            for k, v in enumerate(row.waves):
                table.append([shorten(row.label, LABEL_WIDTH) if k == 0 else "", v.wave,
                              *value_text(v), *change_text(row.from_first[k - 1] if k else None)])
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        lines += ["", label]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in table]
    if g.not_comparable:
        lines += ["", _("Not comparable:")]
        lines += [f"  {d.id}: {d.reason}" for d in g.not_comparable]
    return "\n".join(lines)

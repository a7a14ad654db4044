"""The project report (pure): every expected result across all surveys, one line per result
and one per indicator it rests on, with the status of each, per organisation and for all
organisations together; and its renderings (table, CSV through the one writer, JSON).

A result's status is the weakest of its indicators' tiered statuses (:mod:`.status`): met
with confidence only when every one is, a failed part before "not computable".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Literal

import msgspec

from ..exports.csv_writer import to_csv as write_csv
from ..exports.table import Cell, Table
from ..i18n import N_, translations
from ..surveys.model import ExpectedResult
from ..surveys.waves import SOFIA
from .render import STATUS, fmt_number, fmt_p, plan_line
from .rows import Row, Status
from .status import describe_target, status_basis, target_status, weakest

ALL = "all"  # the scope of every organisation together
Line = Literal["result", "measure"]


class ProjectRow(msgspec.Struct, kw_only=True):
    """One line: an expected result (``line = "result"``) or one indicator it rests on.
    Figures unrounded; ``ci_*`` is the change's CI for a change target, the level's for a
    level target."""

    scope: str
    result: str
    line: Line
    label: str
    survey: str = ""
    indicator: str = ""
    waves: str = ""
    baseline: float | None = None
    follow_up: float | None = None
    change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    p: float | None = None
    p_adjusted: float | None = None
    adjustment: str | None = None
    n_baseline: int | None = None
    n_follow_up: int | None = None
    target: str = ""
    confirmatory: bool = False
    status: Status = "not computable"
    note: str | None = None
    #: the follow-up level's own 95 % CI (level targets), and what the status rests on
    follow_up_ci_low: float | None = None
    follow_up_ci_high: float | None = None
    status_basis: str | None = None

    def add_note(self, note: str) -> None:
        self.note = f"{self.note}; {note}" if self.note else note


class ProjectReport(msgspec.Struct, kw_only=True):
    lang: str
    organisation: str | None
    #: the confirmatory family adjusted with Holm: "survey/indicator", in file order
    family: list[str]
    family_hash: str
    #: when the family was frozen (the first follow-up wave opened), and by which wave
    family_frozen: dt.datetime | None = None
    family_wave: str | None = None
    rows: list[ProjectRow]
    #: the frozen analysis plan (expected results, targets, confirmatory flags, adjustment
    #: sets): hash, date and wave; ``plan_frozen`` None before the first follow-up wave
    plan_hash: str | None = None
    plan_frozen: dt.datetime | None = None
    plan_wave: str | None = None
    caution: str = ""


def _figures(measure: ExpectedResult, row: ProjectRow) -> Row:
    change = measure.target.change_at_least is not None
    return Row(section="expected", id=row.indicator, label="", kind="",
               follow_up=row.follow_up, change=row.change, p=row.p, p_adjusted=row.p_adjusted,
               ci_low=row.ci_low if change else None, ci_high=row.ci_high if change else None,
               follow_up_ci_low=row.follow_up_ci_low, follow_up_ci_high=row.follow_up_ci_high)


def measure_status(measure: ExpectedResult, row: ProjectRow) -> Status:
    """The target's status, by the same rule as a survey's report."""
    return target_status(measure, _figures(measure, row))


def measure_basis(measure: ExpectedResult, row: ProjectRow, lang: str) -> str | None:
    """What the status rests on (estimate and 95 % CI), in words."""
    return status_basis(measure, _figures(measure, row), lang)


def result_row(scope: str, result_id: str, label: str, measures: Sequence[ProjectRow],
               lang: str) -> ProjectRow:
    """A result's own line: met when every indicator is met, else the weakest status."""
    _ = translations(lang).gettext
    status = weakest([m.status for m in measures])
    row = ProjectRow(scope=scope, result=result_id, line="result", label=label, status=status,
                     confirmatory=any(m.confirmatory for m in measures))
    if len(measures) > 1:
        row.target = _("every indicator below meets its target")
    return row


def target_text(measure: ExpectedResult, lang: str) -> str:
    return describe_target(measure, lang)


COLUMNS = [f for f in ProjectRow.__struct_fields__]


def project_table(report: ProjectReport) -> Table:
    def rows() -> Iterator[list[Cell]]:
        for row in report.rows:
            yield list(msgspec.structs.astuple(row))

    return Table("expected_results", COLUMNS, rows())


def to_csv(report: ProjectReport) -> str:
    """UTF-8 CSV with a BOM, one line per result and per indicator, full precision."""
    return write_csv(project_table(report))


def to_json(report: ProjectReport) -> bytes:
    return msgspec.json.format(msgspec.json.encode(report))


HEAD = [
    N_("expected result / indicator"), N_("baseline"), N_("follow-up"), N_("change"),
    N_("95% CI"), "p", N_("p adj."), "n", N_("target"), N_("status"),
]


def _cells(r: ProjectRow, lang: str) -> list[str]:
    _ = translations(lang).gettext
    status = _(STATUS[r.status])
    if r.line == "result":
        mark = " *" if r.confirmatory else ""
        return [r.label + mark, "", "", "", "", "", "", "", r.target, status.upper()]
    ci = f"{fmt_number(r.ci_low)}…{fmt_number(r.ci_high)}" if r.ci_low is not None else ""
    n = (f"{r.n_baseline}/{r.n_follow_up}" if r.n_baseline is not None
         else str(r.n_follow_up or ""))
    label = f"  {r.label}" + (" *" if r.confirmatory else "")
    if r.status_basis and r.status != "not computable":
        status += f" ({r.status_basis})"
    return [label, fmt_number(r.baseline), fmt_number(r.follow_up), fmt_number(r.change), ci,
            fmt_p(r.p), fmt_p(r.p_adjusted), n, r.target, status]


def family_line(report: ProjectReport) -> str:
    _ = translations(report.lang).gettext
    values = {"n": len(report.family), "hash": report.family_hash}
    if report.family_frozen is None:
        return _("* confirmatory: %(n)s indicators adjusted together (Holm), not frozen yet: "
                 "it is frozen when the first follow-up wave opens (hash %(hash)s)") % values
    values["date"] = f"{report.family_frozen.astimezone(SOFIA):%Y-%m-%d %H:%M}"
    values["wave"] = report.family_wave or "?"
    return _("* confirmatory: %(n)s indicators adjusted together (Holm), frozen on %(date)s "
             "when wave %(wave)s opened (hash %(hash)s)") % values


def to_table(report: ProjectReport, scope_names: dict[str, str]) -> str:
    """One table per scope (all organisations together first), then the notes."""
    _ = translations(report.lang).gettext
    head = [_(h) for h in HEAD]
    lines: list[str] = [report.caution, ""] if report.caution else []
    for scope in dict.fromkeys(r.scope for r in report.rows):
        rows = [r for r in report.rows if r.scope == scope]
        table = [head] + [_cells(r, report.lang) for r in rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        lines.append(_("Expected results of the project: %(scope)s")
                     % {"scope": scope_names.get(scope, scope)})
        for row in table:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        for r in rows:
            if r.line == "measure":
                about = "; ".join(x for x in (r.waves, r.note) if x)
                lines.append(f"  {r.result} / {r.survey}/{r.indicator}: {about}")
        lines.append("")
    lines.append(family_line(report))
    plan = plan_line(report.lang, report.plan_hash, report.plan_frozen, report.plan_wave)
    if plan:
        lines.append(plan)
    return "\n".join(lines)

"""The report as a table (terminal), CSV (Excel, LibreOffice, R, pandas) or JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import msgspec

from ..exports.csv_writer import to_csv as write_csv
from ..exports.table import Cell, Table
from ..i18n import N_, translations
from ..surveys.waves import SOFIA
from .breakdown import shorten
from .comparability import Difference
from .fieldwork import fieldwork_lines
from .mix import composition_lines
from .rows import Report, Row
from .status import LABELS, status_text

COLUMNS = [
    "section",
    "id",
    "label",
    "baseline",
    "baseline_ci_low",
    "baseline_ci_high",
    "follow_up",
    "follow_up_ci_low",
    "follow_up_ci_high",
    "change",
    "ci_low",
    "ci_high",
    "test",
    "statistic",
    "p",
    "p_adjusted",
    "adjustment",
    "effect",
    "effect_size",
    "n_baseline",
    "n_follow_up",
    "alpha_baseline",
    "alpha_follow_up",
    "target",
    "status",
    "note",
    # comparability, after the original columns (readers by name keep working)
    "items_used",
    "items_declared",
    "left_out",
    "wording_baseline",
    "wording_follow_up",
    # issues #11 and #19, after the earlier columns
    "status_basis",
    "mean_baseline",
    "mean_follow_up",
    "dropped_baseline",
    "dropped_follow_up",
    "spearman_brown_baseline",
    "spearman_brown_follow_up",
    "crude_baseline",
    "crude_follow_up",
    "crude_change",
]
STATUS = LABELS


def report_table(report: Report) -> Table:
    """The report's rows as an export table (one line per row, full precision)."""
    index = [Row.__struct_fields__.index(c) for c in COLUMNS]

    def rows() -> Iterator[list[Cell]]:
        for row in report.rows:
            values = msgspec.structs.astuple(row)
            yield [values[i] for i in index]

    return Table(f"{report.survey}_{report.baseline}_{report.follow_up}", COLUMNS, rows())


def to_csv(report: Report) -> str:
    """UTF-8 CSV with a BOM (Excel), comma separated, RFC 4180 quoting, full precision."""
    return write_csv(report_table(report))


def to_json(report: Report) -> bytes:
    return msgspec.json.format(msgspec.json.encode(report))


def fmt_number(value: float | None, digits: int = 1) -> str:
    """A figure for a text table (rounded only here, on display)."""
    return "" if value is None else f"{value:.{digits}f}"


def fmt_p(value: float | None) -> str:
    """A p-value for a text table: three decimals, "<0.001" below."""
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


HEAD = [
    N_("indicator"), N_("baseline"), N_("follow-up"), N_("change"), N_("95% CI"), N_("test"),
    "p", N_("p adj."), N_("effect"), "n", N_("target"), N_("status"),
]
TITLES = {
    "expected": N_("Expected results"),
    "indicator": N_("Indicators"),
    "adjusted": N_("Change adjusted for who answered (service, municipality, mode...)"),
    "comparison": N_("Context, not an effect: the change against a comparison group "
                     "(difference-in-differences)"),
    "item": N_("Items (exploratory)"),
    "panel": N_("The same people in both waves (panel)"),
}


def plan_line(lang: str, plan_hash: str | None, frozen: dt.datetime | None,
              wave: str | None) -> str:
    """When, by which wave and with which hash the analysis plan was frozen."""
    _ = translations(lang).gettext
    if plan_hash is None:
        return ""
    if frozen is None:
        return _("Analysis plan (expected results, targets, confirmatory flags, adjustment "
                 "sets): not frozen yet, it is frozen when the first follow-up wave opens "
                 "(hash of the files now: %(hash)s)") % {"hash": plan_hash}
    return _("Analysis plan (expected results, targets, confirmatory flags, adjustment sets) "
             "frozen on %(date)s when wave %(wave)s opened, hash %(hash)s") % {
        "date": f"{frozen.astimezone(SOFIA):%Y-%m-%d %H:%M}", "wave": wave or "?",
        "hash": plan_hash}


def mix_line(mix: dict[str, float], lang: str) -> str:
    _ = translations(lang).gettext
    if not mix:
        return ""
    shares = ", ".join(f"{org} {100 * share:.1f} %" for org, share in mix.items())
    return _("Figures over all organisations are standardised to one fixed mix of "
             "organisations, the pooled shares of both waves' respondents (%(shares)s); the "
             "items and the crude figures (in CSV and JSON) are not.") % {"shares": shares}


def comparison_lines(report: Report, rows: bool) -> list[str]:
    """The comparison group's title, what it is and its waves, and the caveat; only when
    the report has a comparison group with waves (then its columns are the comparison
    group's baseline and follow-up, and the change is the difference of the changes)."""
    context = report.comparison
    if context is None:
        return []
    _ = translations(report.lang).gettext
    lines = [_(TITLES["comparison"])]
    if context.organisations:
        lines.append("  " + _("Comparison group: %(text)s (waves %(baseline)s, %(follow_up)s)")
                     % {"text": context.text, "baseline": context.baseline,
                        "follow_up": context.follow_up})
    lines += ["  " + _("Benchmark: %(source)s") % {"source": source}
              for source in context.benchmarks]
    lines.append("  " + context.caveat)
    if rows:
        lines.append("  " + _("Baseline and follow-up: the comparison group's (or the "
                              "benchmark's); change: the project's change less theirs, with "
                              "its CI and t test."))
    if context.note:
        lines.append("  " + context.note)
    return lines if rows else [*lines, ""]


def _differences(title: str, differences: list[Difference], lang: str) -> list[str]:
    _ = translations(lang).gettext
    lines = [title]
    for d in differences:
        lines.append(f"  {d.id}: {d.reason}")
        if d.baseline is not None:
            lines.append("      " + _("baseline: %(text)s") % {"text": d.baseline})
        if d.follow_up is not None:
            lines.append("      " + _("follow-up: %(text)s") % {"text": d.follow_up})
    return lines


def to_table(report: Report) -> str:
    _ = translations(report.lang).gettext
    head = [_(h) for h in HEAD]
    lines = [x for x in (report.caution,
                         plan_line(report.lang, report.plan_hash, report.plan_frozen,
                                   report.plan_wave),
                         mix_line(report.mix, report.lang)) if x]
    lines += [""] if lines else []
    for section in ("expected", "indicator", "adjusted", "comparison", "item", "panel"):
        rows: list[Row] = [r for r in report.rows if r.section == section]
        if section == "comparison":
            lines += comparison_lines(report, bool(rows))
        if not rows:
            continue
        table = [head]
        for r in rows:
            ci = f"{fmt_number(r.ci_low)}…{fmt_number(r.ci_high)}" if r.ci_low is not None else ""
            table.append([
                shorten(r.label, 48), fmt_number(r.baseline), fmt_number(r.follow_up),
                fmt_number(r.change), ci, r.test or "", fmt_p(r.p), fmt_p(r.p_adjusted),
                fmt_number(r.effect_size, 2),
                "/".join("–" if n is None else str(n) for n in (r.n_baseline, r.n_follow_up)),
                r.target or "",
                status_text(r, report.lang),
            ])
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        if section != "comparison":  # its title and context come first
            lines.append(_(TITLES[section]))
        for row in table:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        lines += [f"  {r.id}: {r.note}" for r in rows if r.note]
        for r in rows:
            if r.wording_baseline is not None:
                lines.append("  " + _("%(id)s, as asked in the baseline: %(text)s")
                             % {"id": r.id, "text": r.wording_baseline})
                lines.append("  " + _("%(id)s, as asked in the follow-up: %(text)s")
                             % {"id": r.id, "text": r.wording_follow_up})
        lines.append("")
    lines += composition_lines(report.composition, report.lang)
    lines += fieldwork_lines(report.fieldwork, report.lang)
    if report.not_comparable:
        lines += _differences(_("Not comparable:"), report.not_comparable, report.lang)
    if report.editorial:
        lines += _differences(
            _("Reworded by an editorial change declared in the survey file (still comparable):"),
            report.editorial, report.lang)
    return "\n".join(lines)

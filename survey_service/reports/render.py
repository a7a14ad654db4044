"""The report as a table (terminal), CSV (Excel, LibreOffice, R, pandas) or JSON."""

from __future__ import annotations

import csv
import io
import math

import msgspec

from .report import Report, Row

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
]
STATUS_BG = {
    "met": "постигната",
    "not met": "не е постигната",
    "not significant": "няма статистически значима промяна",
    "not computable": "не може да се изчисли",
}
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\0")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return repr(value)
    return str(value)


def _safe(text: str) -> str:
    """Neutralise text cells that a spreadsheet would run as a formula."""
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(report: Report) -> str:
    """UTF-8 CSV with a BOM (Excel), comma separated, RFC 4180 quoting, full precision."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in report.rows:
        values = [getattr(row, c) for c in COLUMNS]
        writer.writerow([_safe(v) if isinstance(v, str) else _cell(v) for v in values])
    return out.getvalue()


def to_json(report: Report) -> bytes:
    return msgspec.json.format(msgspec.json.encode(report))


def _fmt(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return ""
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def to_table(report: Report) -> str:
    bg = report.lang == "bg"
    head = (
        [
            "показател",
            "база",
            "послед.",
            "промяна",
            "ДИ 95%",
            "тест",
            "p",
            "p кор.",
            "ефект",
            "n",
            "цел",
            "статус",
        ]
        if bg
        else [
            "indicator",
            "baseline",
            "follow-up",
            "change",
            "95% CI",
            "test",
            "p",
            "p adj.",
            "effect",
            "n",
            "target",
            "status",
        ]
    )
    lines = []
    for section in ("expected", "indicator", "item", "panel"):
        rows: list[Row] = [r for r in report.rows if r.section == section]
        if not rows:
            continue
        title = {
            "expected": ("Очаквани резултати", "Expected results"),
            "indicator": ("Показатели", "Indicators"),
            "item": ("Въпроси (проучвателно)", "Items (exploratory)"),
            "panel": ("Едни и същи хора в двете вълни (панел)",
                      "The same people in both waves (panel)"),
        }[section]
        table = [head]
        for r in rows:
            ci = f"{_fmt(r.ci_low)}…{_fmt(r.ci_high)}" if r.ci_low is not None else ""
            n = f"{r.n_baseline or 0}/{r.n_follow_up or 0}"
            status = (STATUS_BG.get(r.status, r.status) if bg else r.status) if r.status else ""
            table.append(
                [
                    r.label[:48],
                    _fmt(r.baseline),
                    _fmt(r.follow_up),
                    _fmt(r.change),
                    ci,
                    r.test or "",
                    _p(r.p),
                    _p(r.p_adjusted),
                    _fmt(r.effect_size, 2),
                    n,
                    r.target or "",
                    status or "",
                ]
            )
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        lines.append(title[0] if bg else title[1])
        for row in table:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        notes = [f"  {r.id}: {r.note}" for r in rows if r.note]
        lines += notes
        lines.append("")
    if report.not_comparable:
        lines.append("Не е сравнимо:" if bg else "Not comparable:")
        lines += [f"  {what}: {why}" for what, why in report.not_comparable]
    return "\n".join(lines)

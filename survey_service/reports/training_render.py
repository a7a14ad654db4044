"""The pooled training report as a text table (``survey-service training``)."""

from __future__ import annotations

from ..i18n import translations
from .render import fmt_number, fmt_p
from .training import Change, Event, TrainingReport

TESTS = {"welch_t": "Welch t", "paired_t": "paired t"}


def _event_lines(e: Event, lang: str) -> list[str]:
    _ = translations(lang).gettext
    name = e.wave or _("All events")
    rate = "" if e.response_rate is None else f", {e.response_rate:.1f} %"
    whence = {"attendance": _("attendance recorded"), "codes": _("codes issued")}.get(
        e.participants_from, "")
    people = _("participants %(n)s (%(whence)s)") % {"n": e.participants, "whence": whence} \
        if e.participants else _("participants not recorded")
    lines = [f"{name}: " + _("%(n)s responses") % {"n": e.responses} + f"; {people}{rate}"]
    if e.note:
        lines.append("  " + e.note)
    width = max((len(f.label) for f in e.figures), default=0)
    for f in e.figures:
        ci = f"{fmt_number(f.ci_low)}…{fmt_number(f.ci_high)}" if f.ci_low is not None else ""
        figure = f"{fmt_number(f.value)}  {ci}  n {f.n}" if f.value is not None else (
            f.note or "")
        lines.append(f"  {f.label.ljust(width)}  {figure}".rstrip())
    return lines


def _change(title: str, c: Change, lang: str) -> list[str]:
    _ = translations(lang).gettext
    head = f"  {title} ({TESTS[c.test]}): "
    if c.change is None:
        return [head + (c.note or "")]
    ci = f"{fmt_number(c.ci_low)}…{fmt_number(c.ci_high)}" if c.ci_low is not None else ""
    text = _("before %(a)s (n %(na)s), after %(b)s (n %(nb)s), change %(c)s, 95%% CI %(ci)s, "
             "p %(p)s") % {"a": fmt_number(c.before), "na": c.n_before,
                           "b": fmt_number(c.after), "nb": c.n_after,
                           "c": fmt_number(c.change), "ci": ci or "-", "p": fmt_p(c.p) or "-"}
    return [head + text + (f" ({c.note})" if c.note else "")]


def _choice_lines(report: TrainingReport) -> list[str]:
    """Each multiple-choice question as a table: its options against everyone and each
    role (participants, line managers)."""
    _ = translations(report.lang).gettext
    lines: list[str] = []
    questions = list(dict.fromkeys(c.question for c in report.choices))
    for question in questions:
        rows = [c for c in report.choices if c.question == question]
        groups = list(dict.fromkeys(c.group for c in rows))
        first = {g: next(c for c in rows if c.group == g) for g in groups}
        lines.append(_("%(text)s (every event):") % {"text": rows[0].text})
        heads = [(_("everyone") if not g else first[g].group_label) + f" (n {first[g].n})"
                 for g in groups]
        options = list(dict.fromkeys(c.option for c in rows))
        labels = {c.option: c.label for c in rows}
        width = max(len(labels[o]) for o in options)
        cells = {(c.option, c.group): "-" if c.percent is None else f"{c.percent:.1f} %"
                 for c in rows}
        widths = [max(len(h), 7) for h in heads]
        lines.append("  " + " " * width + "".join(
            "  " + h.rjust(w) for h, w in zip(heads, widths, strict=True)))
        for o in options:
            lines.append("  " + labels[o].ljust(width) + "".join(
                "  " + cells[(o, g)].rjust(w) for g, w in zip(groups, widths, strict=True)))
        if any(c.percent is None for c in rows):
            lines.append("  " + _("- : a group with fewer than %(n)s answers, or one that "
                                  "would reveal it by subtraction: not shown") % {
                                      "n": report.min_group})
        lines.append("")
    return lines


def training_table(report: TrainingReport) -> str:
    _ = translations(report.lang).gettext
    lines = [_("Training report: %(survey)s, %(n)s events pooled (no baseline needed)") % {
        "survey": report.survey, "n": len(report.events)}, ""]
    for e in report.events:
        lines += [*_event_lines(e, report.lang), ""]
    lines += [*_event_lines(report.total, report.lang), ""]
    if report.then_now is not None:
        lines.append(_("Retrospective self-rating, the same people (0–100):"))
        lines += _change(_("before the training against now"), report.then_now, report.lang)
        lines.append("")
    if report.knowledge:
        lines.append(_("Knowledge check before the course (%(pre)s) against after it:") % {
            "pre": ", ".join(report.pre_waves)})
        for c in report.knowledge:
            title = _("everyone") if c.test == "welch_t" else _(
                "the same people (self-made panel codes)")
            lines += _change(title, c, report.lang)
        lines.append("")
    lines += _choice_lines(report)
    lines.append(_("Response rate = responses / participants. Events with fewer responses "
                   "than %(n)s show no figures of their own.") % {"n": report.min_group})
    return "\n".join(lines)

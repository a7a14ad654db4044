"""The public page's words and cells: each figure in plain Bulgarian or English (decimal comma
in Bulgarian), each change said as a rise or a fall and whether chance could explain it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...i18n import N_
from ...reports.estimates import Change, WaveValue
from ...reports.trend import TrendRow
from ...services.publish import Municipality, PublicResults

SIGNIFICANCE = 0.05
Gettext = Callable[..., str]
PHASES = {"baseline": N_("Baseline"), "follow-up": N_("Follow-up"),
          "annual": N_("Annual round"), "training": N_("Training"), "pilot": N_("Pilot")}


def wave_names(results: PublicResults, lang: str, t: Gettext) -> dict[str, str]:
    """Each published wave as the public reads it: its phase and when it ended."""
    names: dict[str, str] = {}
    for w in results.waves:
        name = t(lang, PHASES.get(w.phase, w.phase))
        if w.ends is not None:
            name += f" {w.ends:%m.%Y}" if lang == "bg" else f" {w.ends:%b %Y}"
        names[w.id] = name if name not in names.values() else f"{name} ({w.id})"
    return names


def number(value: float, lang: str, digits: int = 1) -> str:
    text = f"{value:.{digits}f}"
    text = text.replace("-", "−")
    return text.replace(".", ",") if lang == "bg" else text


def ci(low: float | None, high: float | None, lang: str) -> str:
    if low is None or high is None:
        return ""
    return f"{number(low, lang)} – {number(high, lang)}"


@dataclass
class Line:
    """One indicator of a municipality: its cells per wave, the changes, a sentence."""

    id: str
    label: str
    headline: bool
    values: list[dict[str, str]]
    from_first: dict[str, str] | None
    from_previous: dict[str, str] | None
    sentence: str


@dataclass
class View:
    id: str
    name: str
    waves: list[str]
    lines: list[Line] = field(default_factory=list)
    not_comparable: list[Any] = field(default_factory=list)


def _value(v: WaveValue, lang: str, t: Gettext) -> dict[str, str]:
    if v.value is None:
        return {"value": "–", "ci": "", "n": "", "note": v.note or ""}
    return {"value": number(v.value, lang), "ci": ci(v.ci_low, v.ci_high, lang),
            "n": str(v.n) if v.n is not None else "", "note": ""}


def _change(c: Change | None, lang: str, t: Gettext) -> dict[str, str] | None:
    if c is None:
        return None
    if c.change is None:
        return {"change": "–", "ci": "", "p": "", "verdict": c.note or ""}
    sign = "+" if c.change > 0 else ""
    if c.p is None:
        verdict = t(lang, "cannot be tested")
    elif c.p < SIGNIFICANCE:
        verdict = t(lang, "a clear change")
    else:
        verdict = t(lang, "may be chance")
    p = "" if c.p is None else ("< 0,001" if lang == "bg" else "< 0.001") if c.p < 0.001 else (
        number(c.p, lang, 3))
    return {"change": sign + number(c.change, lang), "ci": ci(c.ci_low, c.ci_high, lang),
            "p": p, "verdict": verdict}


def sentence(row: TrendRow, lang: str, t: Gettext, names: dict[str, str]) -> str:
    """What the latest wave says, and how it moved since the first, in plain words."""
    last = row.waves[-1]
    if last.value is None:
        return t(lang, "%(label)s: not shown for %(wave)s, to protect a small group of "
                 "people.", label=row.label, wave=names.get(last.wave, last.wave))
    text = t(lang, "%(label)s: %(value)s in %(wave)s.", label=row.label,
             value=number(last.value, lang), wave=names.get(last.wave, last.wave))
    change = row.from_first[-1] if row.from_first else None
    if change is None or change.change is None:
        return text
    size, first = number(abs(change.change), lang), names.get(change.baseline, "")
    if change.p is not None and change.p < SIGNIFICANCE:
        word = (t(lang, "Up by %(size)s since %(first)s: a clear change.", size=size,
                  first=first) if change.change > 0 else
                t(lang, "Down by %(size)s since %(first)s: a clear change.", size=size,
                  first=first))
    else:
        word = t(lang, "Changed by %(size)s since %(first)s, which may be chance.",
                 size=number(change.change, lang), first=first)
    return f"{text} {word}"


def municipality_view(m: Municipality, results: PublicResults, lang: str, t: Gettext,
                      names: dict[str, str]) -> View:
    """A municipality's lines, the headline indicators first."""
    view = View(id=m.id, name=m.name, waves=[names.get(w, w) for w in m.trend.waves],
                not_comparable=m.trend.not_comparable)
    order = {i: k for k, i in enumerate(results.headline)}
    rows = sorted(m.trend.rows, key=lambda r: (r.id not in order, order.get(r.id, 0)))
    for row in rows:
        view.lines.append(Line(
            id=row.id, label=row.label, headline=row.id in order,
            values=[_value(v, lang, t) for v in row.waves],
            from_first=_change(row.from_first[-1], lang, t) if row.from_first else None,
            from_previous=(_change(row.from_previous[-1], lang, t)
                           if len(row.from_previous) > 1 else None),
            sentence=sentence(row, lang, t, names)))
    return view

"""Fieldwork: who was asked, and when (issue #19 §1; pure: counts in, figures and warnings out).

Response rates follow the AAPOR Standard Definitions, adapted to an exit survey at the front
desk where every visitor is an eligible case (README, "Response rates"):

- **RR1, paper** = completed paper questionnaires / paper forms handed out. Every form handed
  out is an eligible case that was contacted; a form not returned is a refusal or break-off.
- **Contact rate (CON1)** = paper forms handed out / visitors counted, over the days with
  both counts: the share of visitors who were offered a form.
- **RR1, every mode** = responses of every mode on the days with a visitor count / visitors
  counted on those days: every visitor counted is an eligible case, those never offered a form
  are non-contacts. Web and kiosk answers are dated by the day they were given, paper ones by
  the day they were typed in (type them in the same day).

The windows of two waves are compared for what changes who comes to the desk: the calendar
months (and quarters) covered, the local-tax season (March–April, until the 30 April
deadline of the early-payment discount) and the window's length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import msgspec
from babel.dates import get_month_names

from ..i18n import translations
from ..storage.base import FieldworkDay

#: The local-tax season: months in which visitors come mostly to pay local taxes and fees.
TAX_SEASON = (3, 4)
#: Windows whose lengths differ by more than this factor are said to differ.
LENGTH_FACTOR = 1.5


class Rates(msgspec.Struct, kw_only=True):
    """One organisation's fieldwork in one wave ('' = every organisation)."""

    organisation: str
    days: int  # days with a fieldwork record
    handed_out: int | None = None
    visitors: int | None = None
    attended: int | None = None
    paper: int = 0  # completed paper questionnaires of the wave
    responses: int = 0  # responses of every mode of the wave
    responses_counted_days: int = 0  # responses on the days with a visitor count
    rr_paper: float | None = None  # %, AAPOR RR1 for paper
    contact_rate: float | None = None  # %, AAPOR CON1 (offered a form / visitors)
    rr_visitors: float | None = None  # %, AAPOR RR1 over the visitors counted


class WaveFieldwork(msgspec.Struct, kw_only=True):
    wave: str
    starts: dt.date | None
    ends: dt.date | None
    window_from: str  # "wave" (its dates), "fieldwork" (the days recorded), "responses", ""
    rates: list[Rates]


class FieldworkReport(msgspec.Struct, kw_only=True):
    waves: list[WaveFieldwork]
    warnings: list[str] = []


#: (organisation, channel, ISO day or "") -> responses
Counts = Mapping[tuple[str, str, str], int]


def _pct(numerator: int, denominator: int | None) -> float | None:
    return 100 * numerator / denominator if denominator else None


def _total(values: Iterable[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


def rates(organisation: str, days: list[FieldworkDay], counts: Counts) -> Rates:
    """The fieldwork figures of one organisation ('' = all) from its days and responses."""
    mine = [d for d in days if organisation in ("", d.organisation)]
    chosen = {k: n for k, n in counts.items() if organisation in ("", k[0])}
    out = Rates(organisation=organisation, days=len(mine),
                handed_out=_total(d.handed_out for d in mine),
                visitors=_total(d.visitors for d in mine),
                attended=_total(d.attended for d in mine),
                paper=sum(n for (_, channel, _), n in chosen.items() if channel == "paper"),
                responses=sum(chosen.values()))
    if out.handed_out:
        out.rr_paper = _pct(out.paper, out.handed_out)
    both = [d for d in mine if d.handed_out is not None and d.visitors]
    if both:
        out.contact_rate = _pct(sum(d.handed_out or 0 for d in both),
                                sum(d.visitors or 0 for d in both))
    counted = {(d.organisation, d.day.isoformat()) for d in mine if d.visitors}
    if counted:
        out.responses_counted_days = sum(
            n for (org, _, day), n in chosen.items() if (org, day) in counted)
        out.rr_visitors = _pct(out.responses_counted_days,
                               sum(d.visitors or 0 for d in mine if d.visitors))
    return out


def window(starts: dt.date | None, ends: dt.date | None, days: list[FieldworkDay],
           response_days: Iterable[str]) -> tuple[dt.date | None, dt.date | None, str]:
    """A wave's fieldwork window: its own dates, else the days recorded, else the days of its
    responses; and where it came from."""
    if starts is not None and ends is not None:
        return starts, ends, "wave"
    if days:
        return min(d.day for d in days), max(d.day for d in days), "fieldwork"
    found = sorted(dt.date.fromisoformat(d) for d in response_days if d)
    if found:
        return found[0], found[-1], "responses"
    return None, None, ""


def months(starts: dt.date, ends: dt.date) -> list[int]:
    """The calendar months (1–12) a window touches, in calendar order."""
    found: set[int] = set()
    day = starts.replace(day=1)
    while day <= ends:
        found.add(day.month)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return sorted(found)


def _month_range(values: list[int], lang: str) -> str:
    names = get_month_names("wide", context="stand-alone", locale=lang)
    return ", ".join(str(names[m]) for m in values)


def _quarters(values: list[int]) -> str:
    return ", ".join(f"Q{q}" for q in sorted({(m - 1) // 3 + 1 for m in values}))


def season_warnings(a: WaveFieldwork, b: WaveFieldwork, lang: str) -> list[str]:
    """What differs between the windows of two waves, in ``lang`` (empty: nothing found)."""
    _ = translations(lang).gettext
    if a.starts is None or a.ends is None or b.starts is None or b.ends is None:
        return [_("The fieldwork window of a wave is unknown: the waves' seasons cannot be "
                  "compared.")]
    ma, mb = months(a.starts, a.ends), months(b.starts, b.ends)
    out = []
    if ma != mb:
        out.append(_("The waves cover different months (%(a)s: %(ma)s, %(qa)s; %(b)s: %(mb)s, "
                     "%(qb)s): who comes to the desk, and why, changes with the season.") % {
            "a": a.wave, "b": b.wave, "ma": _month_range(ma, lang), "mb": _month_range(mb, lang),
            "qa": _quarters(ma), "qb": _quarters(mb)})
    tax_a, tax_b = (bool(set(m) & set(TAX_SEASON)) for m in (ma, mb))
    if tax_a != tax_b:
        out.append(_("Only %(wave)s falls in the local-tax season (March–April, until the 30 "
                     "April deadline of the early-payment discount): its visitors came mostly "
                     "to pay local taxes and fees, at the busiest time of the year.") % {
            "wave": a.wave if tax_a else b.wave})
    la, lb = ((w.ends - w.starts).days + 1 for w in (a, b))  # type: ignore[operator]
    if max(la, lb) > LENGTH_FACTOR * min(la, lb):
        out.append(_("The waves' windows differ in length (%(a)s: %(la)s days; %(b)s: %(lb)s "
                     "days).") % {"a": a.wave, "b": b.wave, "la": la, "lb": lb})
    return out


def fieldwork_lines(report: FieldworkReport | None, lang: str) -> list[str]:
    """The fieldwork section of the text report."""
    if report is None:
        return []
    _ = translations(lang).gettext
    lines = [_("Fieldwork and response rates (AAPOR RR1; see the README)")]

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f} %"

    for w in report.waves:
        span = f"{w.starts} – {w.ends}" if w.starts is not None else _("unknown")
        lines.append(f"  {w.wave}: {span}")
        for r in w.rates:
            name = r.organisation or _("all organisations")
            lines.append("    " + _(
                "%(org)s: %(days)s days recorded; forms handed out %(forms)s, paper "
                "questionnaires back %(paper)s (RR1 paper %(rr)s); visitors counted "
                "%(visitors)s, offered a form %(contact)s (CON1); responses on the counted "
                "days %(counted)s (RR1 every mode %(rrv)s)") % {
                "org": name, "days": r.days, "forms": "-" if r.handed_out is None
                else r.handed_out, "paper": r.paper, "rr": pct(r.rr_paper),
                "visitors": "-" if r.visitors is None else r.visitors,
                "contact": pct(r.contact_rate), "counted": r.responses_counted_days,
                "rrv": pct(r.rr_visitors)})
    lines += ["  " + _("Warning: %(text)s") % {"text": w} for w in report.warnings]
    lines.append("")
    return lines

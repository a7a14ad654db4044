"""What a report page shows, computed once for closed waves and kept in the database.

A page is one wave (:func:`~..reports.one_wave.wave_report`), two waves (the report of
:func:`.reports.compute_report`, as ``survey-service report`` prints it), two waves broken
down by group (:func:`.groups.compute_breakdown`, as ``report --by`` prints it) or a trend
over N waves (:func:`.trend.compute_trend`, ``report --trend``; with ``by``, per group), for
all organisations or one, plus the numbers its charts draw. Every figure comes through the
waves' disclosure plans, exactly as in the CLI report.

A closed wave never changes, so a page over closed waves is kept (``Store.cache_report``)
under a key made of the waves and their form versions, the filters, the protection settings,
the expected results and the code version; a page over an open wave is computed on demand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Literal

import msgspec

from ..anonymity import results_available
from ..reports.data import WaveMatrix
from ..reports.group_plan import CHANNEL
from ..reports.groups import Groups
from ..reports.one_wave import Bands, Distribution, WaveReport, chart_data, wave_report
from ..reports.rows import Report
from ..reports.trend import Trend
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import Catalog
from ..surveys.waves import Wave, now
from .catalog import find_organisation, find_survey, load
from .disclosure import disclosure_for
from .distributions import distributions_shown
from .errors import Invalid, NotFound, Refused
from .groups import GROUPINGS, QUESTION, compute_breakdown, compute_groups, compute_groups_by
from .reports import compute_report, load_matrix, population
from .trend import MAX_WAVES, compute_trend

Kind = Literal["wave", "compare", "breakdown", "trend"]


class PageData(msgspec.Struct, kw_only=True):
    """Everything a report page (and its CSV, JSON and PDF) shows."""

    kind: Kind
    survey: str
    waves: list[str]
    organisation: str | None
    by: str | None
    lang: str
    computed: str  # ISO 8601, UTC
    channel: str | None = None  # a breakdown by a question: only this contact channel
    report: Report | None = None
    wave_report: WaveReport | None = None
    groups: Groups | None = None  # a breakdown (two waves, or a trend's)
    trend: Trend | None = None  # a trend without breakdown
    distributions: list[Distribution] = []
    nps: list[Bands] = []
    cached: bool = False  # served from the database (set when read, never stored as True)
    key: str = ""  # the key it is kept under (set when computed or read)


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(PageData)
#: Kept pages already read in this process, by key (they never change): the database is read
#: once per process and page.
_READ: OrderedDict[str, PageData] = OrderedDict()
_READ_KEPT = 32


@cache
def code_version() -> str:
    """A hash of the code that computes reports (a new release recomputes every page)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(metadata.version("survey-service").encode())
    files = [*sorted((root / "reports").glob("*.py")), *sorted((root / "indicators").glob("*.py")),
             *(root / "services" / name for name in ("reports.py", "report_pages.py",
                                                      "disclosure.py", "distributions.py",
                                                      "groups.py", "trend.py"))]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(settings: Settings, catalog: Catalog, waves: list[Wave], organisation: str | None,
              by: str | None, lang: str, *, trend: bool = False,
              channel: str | None = None) -> str:
    """The key a page is kept under (the waves in their order, and every option)."""
    expected = [r for r in catalog.expected_results if r.survey == waves[0].survey_id]
    names = {o.id: o.name.get(lang) for o in catalog.organisations.values()}
    parts = {
        "waves": [(w.id, w.version, w.min_group) for w in waves],
        "organisation": organisation, "by": by, "lang": lang,
        "trend": trend, "channel": channel,
        "min_group": settings.min_group, "protection": settings.protection_level,
        "expected": msgspec.to_builtins(expected), "names": names if by else None,
        "code": code_version(),
    }
    return hashlib.sha256(_encoder.encode(parts)).hexdigest()


async def _waves(store: Store, survey_id: str, ids: list[str],
                 read: Sequence[Wave] | None = None) -> list[Wave]:
    known = {w.id: w for w in (await store.waves() if read is None else read)}
    found = []
    for wave_id in ids:
        wave = known.get(wave_id)
        if wave is None:
            raise NotFound(f"unknown wave '{wave_id}'")
        if wave.survey_id != survey_id:
            raise Invalid(f"wave '{wave_id}' is a wave of '{wave.survey_id}'")
        found.append(wave)
    return found


def _closed(waves: list[Wave], kind: str) -> bool:
    """Whether every wave is closed with its results released (so they never change)."""
    moment = now()
    return all(w.state(moment) == "closed" and results_available(w, kind) for w in waves)


def check_choice(waves: list[str], by: str | None, trend: bool, channel: str | None) -> None:
    """Refuse what no page shows (before any wave is read)."""
    if trend:
        if not 2 <= len(waves) <= MAX_WAVES:
            raise Invalid(f"a trend covers from 2 to {MAX_WAVES} waves ({len(waves)} chosen)")
    elif not 1 <= len(waves) <= 2:
        raise Invalid("a report covers one wave, or a baseline and a follow-up wave")
    if by is not None and len(waves) < 2:
        raise Invalid("a breakdown by group compares a baseline and a follow-up wave, or "
                      "follows a trend")
    if by is not None and not (by in (*GROUPINGS, CHANNEL) or (
            by.startswith(QUESTION) and len(by) > len(QUESTION))):
        raise Invalid(f"cannot break down by '{by}' (only by {', '.join(GROUPINGS)}, "
                      f"{CHANNEL}, or {QUESTION}ID for a single-choice question)")
    if channel is not None and (by is None or not by.startswith(QUESTION)):
        raise Invalid("the contact channel filters only a breakdown by a question")


async def report_page(settings: Settings, store: Store, catalog: Catalog, survey_id: str,
                      waves: list[str], organisation: str | None, lang: str,
                      by: str | None = None, *, trend: bool = False,
                      channel: str | None = None, use_cache: bool = True,
                      known: Sequence[Wave] | None = None) -> PageData:
    """The page over one wave, two (baseline, follow-up) or a trend over N waves (in the
    order given), kept when they are closed; ``known``: the waves as just read (e.g. by the
    site's registry), else read here."""
    kind = find_survey(catalog, survey_id).survey.kind
    if organisation is not None:
        find_organisation(catalog, organisation)
    check_choice(waves, by, trend, channel)
    found = await _waves(store, survey_id, waves, known)
    key = cache_key(settings, catalog, found, organisation, by, lang, trend=trend,
                    channel=channel)
    keep = use_cache and _closed(found, kind)
    if keep:
        if key in _READ:
            _READ.move_to_end(key)
            return _READ[key]
        body = await store.cached_report(key)
        if body is not None:
            page = _decoder.decode(body)
            page.cached, page.key = True, key
            _READ[key] = page
            while len(_READ) > _READ_KEPT:
                _READ.popitem(last=False)
            return page
    page = await _compute(settings, store, found, organisation, lang, by, trend, channel)
    page.key = key
    if keep:
        await store.cache_report(key, [w.id for w in found], _encoder.encode(page))
    return page


async def _groups(settings: Settings, store: Store, survey_id: str, ids: list[str],
                  organisation: str | None, lang: str, by: str, trend: bool,
                  channel: str | None) -> Groups:
    """A breakdown as the CLI computes it: ``report --by`` over two waves, or the trend's
    ``report --trend ... --by`` over N."""
    if not trend:
        return await compute_breakdown(settings, store, survey_id, ids[0], ids[1], by,
                                       organisation, channel, lang)
    if by.startswith(QUESTION):
        return await compute_groups(settings, store, survey_id, ids, by[len(QUESTION):],
                                    organisation, channel, lang)
    return await compute_groups_by(settings, store, survey_id, ids, by, organisation, lang)


async def _compute(settings: Settings, store: Store, waves: list[Wave],
                   organisation: str | None, lang: str, by: str | None, trend: bool,
                   channel: str | None) -> PageData:
    survey_id = waves[0].survey_id
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    ids = [w.id for w in waves]
    if by is not None:
        groups = await _groups(settings, store, survey_id, ids, organisation, lang, by, trend,
                               channel)
        return PageData(kind="trend" if trend else "breakdown", survey=survey_id, waves=ids,
                        organisation=organisation, by=by, channel=channel, lang=lang,
                        computed=stamp, groups=groups)
    if trend:
        found = await compute_trend(settings, store, survey_id, ids, organisation, lang)
        return PageData(kind="trend", survey=survey_id, waves=ids, organisation=organisation,
                        by=None, lang=lang, computed=stamp, trend=found)
    if len(waves) == 1:
        return await _one_wave(settings, store, waves[0], organisation, lang, stamp)
    read: list[WaveMatrix] = []
    result = await compute_report(settings, store, survey_id, ids[0], ids[1], organisation,
                                  lang, True, matrices=read)
    assert isinstance(result, Report)
    shown = {(r.section, r.id) for r in result.rows
             if r.baseline is not None and r.follow_up is not None}
    # the charts count codes only: the matrices the report read serve them
    matrices = read or [await load_matrix(store, survey_id, w, organisation, False)
                        for w in ids]
    drawn = {w.id: await distributions_shown(settings, store, w, organisation) for w in waves}
    distributions, nps = chart_data(matrices, lambda s, i: (s, i) in shown, lang,
                                    lambda w, i: i in drawn[w])
    return PageData(kind="compare", survey=survey_id, waves=ids, organisation=organisation,
                    by=None, lang=lang, computed=stamp, report=result,
                    distributions=distributions, nps=nps)


async def _one_wave(settings: Settings, store: Store, wave: Wave, organisation: str | None,
                    lang: str, stamp: str) -> PageData:
    m: WaveMatrix = await load_matrix(store, wave.survey_id, wave.id, organisation, False)
    min_group = max(wave.min_group, settings.min_group)
    if organisation is None:
        for org, n in (await store.organisation_counts(wave.id)).items():
            if n < min_group:
                raise Refused(
                    f"organisation '{org}' has only {n} responses in wave '{wave.id}' (fewer "
                    f"than {min_group}): a report over all organisations would reveal its "
                    "answers by subtraction; report each organisation")
    disclosure = await disclosure_for(settings, store, wave)
    result = wave_report(m, lang=lang, organisation=organisation, min_group=min_group,
                         disclosure=disclosure,
                         population=await population(store, wave, organisation))
    shown = {(r.section, r.id) for r in result.rows if r.value is not None}
    drawn = await distributions_shown(settings, store, wave, organisation)
    distributions, nps = chart_data([m], lambda s, i: (s, i) in shown, lang,
                                    lambda _w, i: i in drawn)
    return PageData(kind="wave", survey=wave.survey_id, waves=[wave.id],
                    organisation=organisation, by=None, lang=lang, computed=stamp,
                    wave_report=result, distributions=distributions, nps=nps)


async def forget(store: Store, wave: str) -> int:
    """Forget the kept pages over ``wave`` (in the database and in this process)."""
    _READ.clear()
    return await store.forget_cached_reports(wave)


def encode(page: PageData) -> bytes:
    """The page as JSON (full precision; what the JSON download gives)."""
    return msgspec.json.format(_encoder.encode(msgspec.structs.replace(page, cached=False,
                                                                        key="")))


__all__ = ["PageData", "cache_key", "check_choice", "code_version", "encode", "forget", "load",
           "report_page"]

"""What a report page shows, computed once for closed waves and kept in the database.

A page is one wave (:func:`~..reports.one_wave.wave_report`), two waves (the report of
:func:`.reports.compute_report`, as ``survey-service report`` prints it) or two waves broken
down by group, for all organisations or one, plus the numbers its charts draw. Every figure
comes through the waves' disclosure plans, exactly as in the CLI report.

A closed wave never changes, so a page over closed waves is kept (``Store.cache_report``)
under a key made of the waves and their form versions, the filters, the protection settings,
the expected results and the code version; a page over an open wave is computed on demand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Literal

import msgspec

from ..anonymity import results_available
from ..reports.breakdown import Breakdown
from ..reports.data import WaveMatrix
from ..reports.one_wave import Bands, Distribution, WaveReport, chart_data, wave_report
from ..reports.rows import Report
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import Catalog
from ..surveys.waves import Wave, now
from .catalog import find_organisation, find_survey, load
from .disclosure import disclosure_for
from .distributions import distributions_shown
from .errors import Invalid, NotFound, Refused
from .reports import compute_report, load_matrix, population

Kind = Literal["wave", "compare", "breakdown"]


class PageData(msgspec.Struct, kw_only=True):
    """Everything a report page (and its CSV, JSON and PDF) shows."""

    kind: Kind
    survey: str
    waves: list[str]
    organisation: str | None
    by: str | None
    lang: str
    computed: str  # ISO 8601, UTC
    report: Report | None = None
    wave_report: WaveReport | None = None
    breakdown: Breakdown | None = None
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
                                                      "disclosure.py", "distributions.py"))]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_key(settings: Settings, catalog: Catalog, waves: list[Wave], organisation: str | None,
              by: str | None, lang: str) -> str:
    expected = [r for r in catalog.expected_results if r.survey == waves[0].survey_id]
    names = {o.id: o.name.get(lang) for o in catalog.organisations.values()}
    parts = {
        "waves": [(w.id, w.version, w.min_group) for w in waves],
        "organisation": organisation, "by": by, "lang": lang,
        "min_group": settings.min_group, "protection": settings.protection_level,
        "expected": msgspec.to_builtins(expected), "names": names if by else None,
        "code": code_version(),
    }
    return hashlib.sha256(_encoder.encode(parts)).hexdigest()


async def _waves(store: Store, survey_id: str, ids: list[str]) -> list[Wave]:
    known = {w.id: w for w in await store.waves()}
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


async def report_page(settings: Settings, store: Store, catalog: Catalog, survey_id: str,
                      waves: list[str], organisation: str | None, lang: str,
                      by: str | None = None, *, use_cache: bool = True) -> PageData:
    """The page over one wave or two (baseline, follow-up), kept when they are closed."""
    kind = find_survey(catalog, survey_id).survey.kind
    if organisation is not None:
        find_organisation(catalog, organisation)
    if not 1 <= len(waves) <= 2:
        raise Invalid("a report covers one wave, or a baseline and a follow-up wave")
    if by is not None and len(waves) != 2:
        raise Invalid("a breakdown by group compares a baseline and a follow-up wave")
    found = await _waves(store, survey_id, waves)
    key = cache_key(settings, catalog, found, organisation, by, lang)
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
    page = await _compute(settings, store, found, organisation, lang, by)
    page.key = key
    if keep:
        await store.cache_report(key, [w.id for w in found], _encoder.encode(page))
    return page


async def _compute(settings: Settings, store: Store, waves: list[Wave],
                   organisation: str | None, lang: str, by: str | None) -> PageData:
    survey_id = waves[0].survey_id
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    ids = [w.id for w in waves]
    if len(waves) == 1:
        return await _one_wave(settings, store, waves[0], organisation, lang, stamp)
    result = await compute_report(settings, store, survey_id, ids[0], ids[1], organisation,
                                  lang, True, by)
    if isinstance(result, Breakdown):
        return PageData(kind="breakdown", survey=survey_id, waves=ids, organisation=organisation,
                        by=by, lang=lang, computed=stamp, breakdown=result)
    shown = {(r.section, r.id) for r in result.rows
             if r.baseline is not None and r.follow_up is not None}
    matrices = [await load_matrix(store, survey_id, w, organisation, False) for w in ids]
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


__all__ = ["PageData", "cache_key", "code_version", "encode", "forget", "load", "report_page"]

"""The public results page: an admin publishes a closed wave (``results publish WAVE``, the
button on the wave's page), and the page shows, for each municipality, the indicators over the
published waves of the survey that cover it (one wave: its figures; two or more: the
before/after or trend comparison), each wave's disclosure plan applied. Nothing from a wave
that is not published, or not closed (an open staff wave is never shown), reaches it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import msgspec

from ..anonymity import results_available
from ..exports.csv_writer import to_csv as write_csv
from ..exports.table import Cell, Table
from ..reports.trend import Trend, build_trend
from ..reports.trend_render import COLUMNS as TREND_COLUMNS
from ..reports.trend_render import trend_table
from ..settings import Settings
from ..storage.base import Store
from ..storage.publications import Publication
from ..surveys.loader import decode_survey
from ..surveys.waves import Wave, now
from .catalog import load
from .errors import NotFound, Refused, Unavailable
from .reports import load_matrix, population
from .trend import MAX_WAVES, trend_disclosure
from .waves import find_wave


class PublishedWave(msgspec.Struct, kw_only=True):
    id: str
    phase: str
    starts: dt.date | None
    ends: dt.date | None
    published: dt.datetime


class Municipality(msgspec.Struct, kw_only=True):
    id: str
    name: str
    trend: Trend


class PublicResults(msgspec.Struct, kw_only=True):
    """Everything the public page shows (and its CSV and JSON downloads hold)."""

    survey: str
    title: str
    lang: str
    min_group: int
    waves: list[PublishedWave]
    #: the indicators named by the project's expected results, shown first
    headline: list[str]
    municipalities: list[Municipality]


async def _survey_kind(store: Store, wave: Wave) -> str:
    definition = await store.form_version(wave.version)
    if definition is None:
        raise Unavailable(f"form version {wave.version} of '{wave.id}' is missing")
    return decode_survey(definition).kind


def _shown(wave: Wave, kind: str, at: dt.datetime) -> bool:
    return wave.state(at) == "closed" and results_available(wave, kind)


async def publish_wave(store: Store, wave_id: str, actor: str) -> Publication:
    """Put a closed wave's results on the public page (refused while it is open)."""
    wave = await find_wave(store, wave_id)
    if not _shown(wave, await _survey_kind(store, wave), now()):
        raise Refused(f"wave '{wave_id}' is not closed: publish its results once it closes")
    publication = Publication(wave_id=wave_id, published_at=now(), actor=actor)
    await store.publish(publication)
    return publication


async def unpublish_wave(store: Store, wave_id: str) -> None:
    await find_wave(store, wave_id)
    if not await store.unpublish(wave_id):
        raise NotFound(f"wave '{wave_id}' is not published")


async def published_waves(store: Store, survey_id: str | None = None
                          ) -> list[tuple[Wave, Publication]]:
    """The published waves that may be shown (closed), oldest first."""
    published = await store.publications()
    at = now()
    found = []
    for wave in await store.waves():
        publication = published.get(wave.id)
        if publication is None or (survey_id is not None and wave.survey_id != survey_id):
            continue
        if _shown(wave, await _survey_kind(store, wave), at):
            found.append((wave, publication))
    epoch = dt.datetime.min.replace(tzinfo=dt.UTC)
    found.sort(key=lambda p: (p[0].starts or p[0].ends or epoch, p[0].id))
    return found


def _date(value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


async def public_results(settings: Settings, store: Store, survey_id: str, lang: str
                         ) -> PublicResults:
    """The public page of a survey; NotFound when none of its waves is published."""
    catalog = load(settings)
    loaded = catalog.surveys.get(survey_id)
    waves = await published_waves(store, survey_id)
    if loaded is None or not waves:
        raise NotFound(f"no published results of '{survey_id}'")
    waves = waves[-MAX_WAVES:]
    min_group = max([settings.min_group, *(w.min_group for w, _ in waves)])
    municipalities = []
    for org in catalog.organisations.values():
        mine = [w for w, _ in waves if w.covers(org.id)]
        if not mine:
            continue
        matrices = [await load_matrix(store, survey_id, w.id, org.id, False) for w in mine]
        disclosure = await trend_disclosure(settings, store, matrices, lang)
        trend = build_trend(
            matrices, catalog.expected_results, lang=lang, organisation=org.id,
            min_group=min_group,
            populations=[await population(store, w, org.id) for w in mine],
            disclosure=disclosure)
        municipalities.append(Municipality(id=org.id, name=org.name.get(lang), trend=trend))
    headline = list(dict.fromkeys(r.indicator for r in catalog.expected_results
                                  if r.survey == survey_id))
    return PublicResults(
        survey=survey_id, title=loaded.survey.title.get(lang), lang=lang, min_group=min_group,
        waves=[PublishedWave(id=w.id, phase=w.phase, starts=_date(w.starts),
                             ends=_date(w.closed or w.ends), published=p.published_at)
               for w, p in waves],
        headline=headline, municipalities=municipalities)


def results_table(results: PublicResults) -> Table:
    """The open-data CSV: one line per municipality, indicator and wave."""
    def rows() -> Iterator[list[Cell]]:
        for m in results.municipalities:
            for line in trend_table(m.trend).rows:
                yield [results.survey, m.id, m.name, *line]
    return Table(f"{results.survey}_results", ["survey", "organisation", "organisation_name",
                                              *TREND_COLUMNS], rows())


def results_csv(results: PublicResults) -> str:
    return write_csv(results_table(results))


def results_json(results: PublicResults) -> bytes:
    return msgspec.json.format(msgspec.json.encode(results))

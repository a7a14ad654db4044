"""The public results page (no sign-in): ``/results`` lists the surveys with published
results, ``/results/{survey}`` shows them for each municipality in plain words and tables,
with the same figures as CSV and JSON for the open-data portal. A survey with no published
wave is "not found", whatever waves it has."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery

from ...i18n import fmt_date, normalise, other_language
from ...services.publish import (
    PublicResults,
    public_results,
    published_waves,
    results_csv,
    results_json,
)
from ..deps import Site, SiteDep
from ..pages import html, message_page
from .results_charts import page_charts
from .results_text import municipality_view, wave_names

#: Computed pages, keyed by survey, language and what is published (published waves are
#: closed: their figures never change, so a page changes only when publication does).
_CACHE: OrderedDict[tuple[Any, ...], PublicResults] = OrderedDict()
_PAGES: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
_CACHE_SIZE = 32


def _remember(cache: OrderedDict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any
              ) -> None:
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


async def _key(site: Site, survey_id: str, lang: str) -> tuple[Any, ...]:
    published = await site.store.publications()
    return (site.settings.database_url, survey_id, lang,
            tuple(sorted((w, p.published_at) for w, p in published.items())))


async def _results(site: Site, survey_id: str, lang: str,
                   key: tuple[Any, ...] | None = None) -> PublicResults:
    key = key or await _key(site, survey_id, lang)
    found = _CACHE.get(key)
    if found is None:
        found = await public_results(site.settings, site.store, survey_id, lang)
        _remember(_CACHE, key, found)
    return found


class ResultsController(Controller):
    """``/results``, ``/results/{survey}`` and its ``results.csv`` and ``results.json``."""

    path = "/results"

    @get("/", name="public-results-index")
    async def index(self, request: Request[Any, Any, Any], site: SiteDep,
                    lang: FromQuery[str | None] = None) -> Response[bytes]:
        """The surveys whose results are published."""
        lang = normalise(lang)
        catalog = site.registry.catalog
        surveys = dict.fromkeys(w.survey_id for w, _ in await published_waves(site.store))
        links = [(site.url(request, "public-results", {"lang": lang} if lang != "bg" else None,
                           survey_id=s), catalog.surveys[s].survey.title.get(lang))
                 for s in surveys if s in catalog.surveys]
        t = site.renderer.gettext
        paragraphs = [t(lang, "The results of the municipalities' surveys, as published after "
                              "each round.")]
        if not links:
            paragraphs.append(t(lang, "No results are published yet."))
        return message_page(site.renderer, lang, t(lang, "Survey results"), paragraphs, links,
                            switch_url=site.url(request, "public-results-index",
                                                {"lang": other_language(lang)}))

    @get("/{survey_id:str}", name="public-results")
    async def page(self, request: Request[Any, Any, Any], site: SiteDep,
                   survey_id: FromPath[str], lang: FromQuery[str | None] = None
                   ) -> Response[bytes]:
        """Each municipality's indicators over the published waves."""
        lang = normalise(lang)
        key = await _key(site, survey_id, lang)
        body = _PAGES.get(key)
        if body is not None:
            return html(body)
        results = await _results(site, survey_id, lang, key)
        t = site.renderer.gettext
        query = {"lang": lang} if lang != "bg" else None
        names = wave_names(results, lang, t)
        body = site.renderer.render(
            lang, "pages/results.html", results=results,
            municipalities=[municipality_view(m, results, lang, t, names) for m in
                            results.municipalities],
            rounds=[(names[w.id], fmt_date(w.ends, lang) if w.ends else "")
                    for w in results.waves],
            charts=page_charts(results, lang, names),  # each with its table
            csv_url=site.url(request, "public-results-csv", query, survey_id=survey_id),
            json_url=site.url(request, "public-results-json", query, survey_id=survey_id),
            switch_url=site.url(request, "public-results", {"lang": other_language(lang)},
                                survey_id=survey_id)).encode()
        _remember(_PAGES, key, body)
        return html(body)

    @get("/{survey_id:str}/results.csv", name="public-results-csv")
    async def csv(self, site: SiteDep, survey_id: FromPath[str],
                  lang: FromQuery[str | None] = None) -> Response[bytes]:
        """The page's figures, one line per municipality, indicator and wave."""
        results = await _results(site, survey_id, normalise(lang))
        return Response(results_csv(results).encode(), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition":
                                 f'attachment; filename="{survey_id}-results.csv"'})

    @get("/{survey_id:str}/results.json", name="public-results-json")
    async def json(self, site: SiteDep, survey_id: FromPath[str],
                   lang: FromQuery[str | None] = None) -> Response[bytes]:
        """The page's figures as JSON (full precision)."""
        results = await _results(site, survey_id, normalise(lang))
        return Response(results_json(results), media_type="application/json",
                        headers={"content-disposition":
                                 f'attachment; filename="{survey_id}-results.json"'})

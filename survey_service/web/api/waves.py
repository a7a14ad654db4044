"""``/api/v1``: surveys, waves with their counts, a wave's indicators, two waves compared."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery, Parameter

from ...reports.rows import Report
from ...services.errors import Invalid
from ...services.reading import (
    scope_of,
    visible_surveys,
    visible_wave,
    visible_waves,
    wave_indicators,
)
from ...services.reports import compute_report
from ..deps import Site, SiteDep
from .access import key_user, organisation, roles
from .common import COMMON, READS, ApiOperation
from .schemas import (
    IndicatorOut,
    OrganisationCounts,
    SurveyOut,
    Title,
    UnitRate,
    WaveIndicators,
    WaveOut,
)

Lang = Literal["bg", "en"]
Org = Annotated[str | None, Parameter(description=(
    "Only this organisation (an analyst: one granted; may be left out when the wave covers "
    "only one of them). Admins: leave out for the whole wave."), max_length=64)]


def wave_out(entry: dict[str, Any]) -> WaveOut:
    wave = entry["wave"]
    return WaveOut(
        id=wave.id, survey_id=wave.survey_id, kind=entry["kind"], state=entry["state"],
        phase=wave.phase, form_version=wave.version, starts=wave.starts, ends=wave.ends,
        closed=wave.closed, mixed=wave.mixed, min_group=wave.min_group,
        organisations=[
            OrganisationCounts(
                organisation=row["organisation"], total=row["total"], today=row["today"],
                week=row["week"],
                units=[UnitRate(unit=u["unit"], head_count=u["head_count"], issued=u["issued"],
                                used=u["used"], rate=u["rate"]) for u in row["units"]])
            for row in entry["rows"]])


async def _catalog(site: Site) -> Any:
    await site.registry.refresh()
    return site.registry.catalog


class WavesController(Controller):
    """Read-only figures for admins and analysts (analysts: the organisations granted)."""

    path = "/"
    tags = ("waves",)

    @get("/surveys", operation_id="listSurveys", opt=roles("analyst"), responses=COMMON,
         operation_class=ApiOperation, summary="Surveys, with the waves the key may read")
    async def surveys(self, request: Request[Any, Any, Any], site: SiteDep) -> list[SurveyOut]:
        catalog = await _catalog(site)
        return [SurveyOut(id=loaded.survey.id, kind=loaded.survey.kind,
                          title=Title(bg=loaded.survey.title.bg, en=loaded.survey.title.en),
                          waves=waves)
                for loaded, waves in await visible_surveys(site.store, catalog,
                                                           key_user(request))]

    @get("/waves", operation_id="listWaves", opt=roles("analyst"), responses=COMMON,
         operation_class=ApiOperation, summary="Waves the key may read, with their response counts")
    async def waves(
        self, request: Request[Any, Any, Any], site: SiteDep,
        survey: Annotated[str | None, Parameter(max_length=64,
                                                description="Only the waves of this survey")
                          ] = None,
    ) -> list[WaveOut]:
        catalog = await _catalog(site)
        return [wave_out(e) for e in await visible_waves(site.store, catalog,
                                                          key_user(request), survey)]

    @get("/waves/{wave_id:str}", operation_id="getWave", opt=roles("analyst"),
         responses=COMMON, operation_class=ApiOperation,
         summary="One wave with its response counts")
    async def wave(self, request: Request[Any, Any, Any], site: SiteDep,
                   wave_id: FromPath[str]) -> WaveOut:
        catalog = await _catalog(site)
        return wave_out(await visible_wave(site.store, catalog, key_user(request), wave_id))

    @get("/waves/{wave_id:str}/indicators", operation_id="getWaveIndicators",
         opt=roles("analyst"), responses=READS,
         operation_class=ApiOperation,
         summary="Each indicator's level in a closed wave, with its 95 % CI")
    async def indicators(self, request: Request[Any, Any, Any], site: SiteDep,
                         wave_id: FromPath[str], org: Org = None, lang: FromQuery[Lang] = "bg"
                         ) -> WaveIndicators:
        user, catalog = key_user(request), await _catalog(site)
        wave = (await visible_wave(site.store, catalog, user, wave_id))["wave"]
        scope = organisation(user, wave, catalog, org)
        found = await wave_indicators(site.settings, site.store, wave, scope, lang)
        if isinstance(found, str):
            return WaveIndicators(wave=wave.id, organisation=scope, lang=lang, indicators=[],
                                  reason=found)
        return WaveIndicators(wave=wave.id, organisation=scope, lang=lang, indicators=[
            IndicatorOut(id=i.id, label=i.label, kind=i.kind, value=i.level.value,
                         ci_low=i.level.ci_low, ci_high=i.level.ci_high, n=i.level.n,
                         reason=i.level.reason, note=i.level.note) for i in found])

    @get("/comparisons", operation_id="compareWaves", opt=roles("analyst"), responses=READS,
         operation_class=ApiOperation,
         summary="The report comparing a baseline wave with a follow-up wave")
    async def compare(
        self, request: Request[Any, Any, Any], site: SiteDep,
        baseline: Annotated[str, Parameter(max_length=64,
                                           description="The baseline wave")],
        follow_up: Annotated[str, Parameter(max_length=64,
                                            description="The follow-up wave")],
        org: Org = None, lang: FromQuery[Lang] = "bg", items: FromQuery[bool] = True,
    ) -> Report:
        user, catalog = key_user(request), await _catalog(site)
        first = (await visible_wave(site.store, catalog, user, baseline))["wave"]
        second = (await visible_wave(site.store, catalog, user, follow_up))["wave"]
        if first.survey_id != second.survey_id:
            raise Invalid(f"waves '{baseline}' and '{follow_up}' are of different surveys")
        scope = organisation(user, second, catalog, org)
        if scope is not None:
            scope_of(user, first, catalog, scope)  # the baseline covers it too
        report = await compute_report(site.settings, site.store, second.survey_id, baseline,
                                      follow_up, scope, lang, items)
        if not isinstance(report, Report):  # pragma: no cover - no breakdown was asked for
            raise Invalid("not a report")
        return report

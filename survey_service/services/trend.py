"""A trend over N waves of one survey (``report --trend``, the public results page)."""

from __future__ import annotations

from collections.abc import Sequence

from ..reports.data import WaveMatrix
from ..reports.disclosure import Disclosure, figures_compared
from ..reports.trend import Trend, build_trend, common_plans
from ..settings import Settings
from ..storage.base import Store
from .catalog import find_organisation, load
from .disclosure import wave_plan
from .errors import Invalid, Refused
from .reports import load_matrix, population

#: More waves than this make a table nobody reads (and as many disclosure plans).
MAX_WAVES = 12


async def refuse_small_organisations(store: Store, matrices: Sequence[WaveMatrix],
                                     min_group: int) -> None:
    """A figure over all organisations would give a small organisation's by subtraction."""
    for m in matrices:
        for org, n in (await store.organisation_counts(m.wave.id)).items():
            if n < min_group:
                raise Refused(
                    f"organisation '{org}' has only {n} responses in wave '{m.wave.id}' "
                    f"(fewer than {min_group}): a report over all organisations would "
                    "reveal its answers by subtraction; report each organisation with --org")


async def trend_disclosure(settings: Settings, store: Store, matrices: Sequence[WaveMatrix],
                           lang: str) -> Disclosure:
    """Each wave's disclosure plan (:func:`.disclosure.wave_plan`, kept with a closed wave),
    covering the indicators as the trend follows them (over the items common to all)."""
    plans, _ = common_plans(matrices, lang)
    items = {i: p.items for i, p in plans.items()}
    return Disclosure({
        m.wave.id: await wave_plan(settings, store, m.wave, figures_compared(m.survey, items))
        for m in matrices})


async def trend_matrices(settings: Settings, store: Store, survey_id: str,
                         waves: Sequence[str], organisation: str | None,
                         groups: bool = False) -> list[WaveMatrix]:
    """The waves' matrices in the order given (each closed, or a citizen wave)."""
    if len(waves) < 2:
        raise Invalid("a trend needs at least two waves")
    if len(waves) > MAX_WAVES:
        raise Invalid(f"a trend shows at most {MAX_WAVES} waves ({len(waves)} given)")
    twice = sorted({w for w in waves if list(waves).count(w) > 1})
    if twice:
        raise Invalid(f"wave '{twice[0]}' is given twice: each wave of a trend is a "
                      "different round")
    return [await load_matrix(store, survey_id, w, organisation, groups) for w in waves]


async def compute_trend(settings: Settings, store: Store, survey_id: str,
                        waves: Sequence[str], organisation: str | None, lang: str) -> Trend:
    """The trend of every indicator over ``waves`` (in the order given: baseline, follow-up,
    the annual rounds), with each wave's disclosure plan applied."""
    catalog = load(settings)
    if organisation is not None:
        find_organisation(catalog, organisation)
    matrices = await trend_matrices(settings, store, survey_id, waves, organisation)
    min_group = max([settings.min_group, *(m.wave.min_group for m in matrices)])
    if organisation is None:
        await refuse_small_organisations(store, matrices, min_group)
    disclosure = await trend_disclosure(settings, store, matrices, lang)
    return build_trend(
        matrices, catalog.expected_results, lang=lang, organisation=organisation,
        min_group=min_group,
        populations=[await population(store, m.wave, organisation) for m in matrices],
        disclosure=disclosure)

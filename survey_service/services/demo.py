"""Demo data: closed baseline and follow-up waves of a survey with synthetic responses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from ..demo import BASELINE, FOLLOW_UP, generate
from ..settings import Settings
from ..storage.base import Store
from ..surveys.waves import parse_local
from .catalog import find_survey, load
from .demo_fieldwork import add_demo_fieldwork
from .waves import open_wave

DEMO_WAVES = [
    ("baseline", "2026-03-02", "2026-04-30 18:00"),
    ("follow-up", "2026-10-01", "2026-11-20 18:00"),
]


@dataclass(frozen=True)
class DemoWave:
    id: str
    responses: int  # stored now (0 when the wave existed already)
    existed: bool


def demo_wave_id(survey_id: str, phase: str) -> str:
    return f"demo-{survey_id}-{phase}"


async def create_demo_waves(
    settings: Settings,
    store: Store,
    survey_id: str,
    responses: int,
    seed: int,
    progress: Callable[[str, int, int], None] = lambda wave_id, done, total: None,
) -> list[DemoWave]:
    """Create the demo waves that do not exist yet, each with ``responses`` responses per
    organisation; ``progress(wave_id, stored, total)`` is called after each batch.

    The follow-up shows a real improvement in timeliness, access and effort and none in staff
    competence and courtesy; who answered differs too (more local-tax visitors and paper forms
    at baseline), so the report's crude and adjusted changes differ."""
    import numpy as np

    catalog = load(settings)
    loaded = find_survey(catalog, survey_id)
    orgs = list(catalog.organisations)
    rng = np.random.default_rng(seed)
    existing = {w.id for w in await store.waves()}
    made = []
    for phase, starts, ends in DEMO_WAVES:
        wave_id = demo_wave_id(survey_id, phase)
        if wave_id in existing:
            made.append(DemoWave(wave_id, 0, existed=True))
            continue
        start_at, end_at = parse_local(starts), parse_local(ends)
        wave = await open_wave(settings, store, survey_id, wave_id, phase, [], start_at, end_at)
        days = [
            start_at.date() + dt.timedelta(days=d)
            for d in range((end_at.date() - start_at.date()).days + 1)
        ]
        total, stored = responses * len(orgs), 0
        scenario = BASELINE if phase == "baseline" else FOLLOW_UP
        for chunk in generate(
            loaded.survey,
            total,
            scenario,
            rng,
            wave_id=wave_id,
            version=wave.version,
            organisations=orgs,
            days=days,
        ):
            await store.import_responses(chunk)
            stored += len(chunk)
            progress(wave_id, stored, total)
        if loaded.survey.kind == "citizen":
            # its own generator: the responses stay those of the seed without fieldwork
            await add_demo_fieldwork(store, wave_id, np.random.default_rng([seed, 19]))
        made.append(DemoWave(wave_id, stored, existed=False))
    return made

"""Demo staff and training waves, answered through the real sealed path: codes are issued
for each unit (stored by keyed hash only), each synthetic answer is sealed as the staff form
seals it and stored with :meth:`Store.submit_sealed` (which marks its code used), and the wave
is closed with :func:`services.waves.close_wave`, which mixes the sealed answers.

The staff follow-up shows a clear rise in engagement, learning and development and the
distribution of work, a small one in coordination and none in role clarity; the training
events are rated well (reaction) but learning is rated lower. The waves then carry the demo's
dates (their answers were sealed and mixed now, in this process)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import msgspec
import numpy as np

from ..anonymity import padded_size, seal_response
from ..demo import Scenario, generate
from ..sealing import Sealer
from ..settings import Settings
from ..storage.base import NewResponse, Store
from ..surveys.tokens import code_hash, new_code
from ..surveys.waves import parse_local
from .catalog import find_survey, load, wave_structures
from .demo_training import RIGHT, Adjust, knowledge_phases, record_attendance
from .errors import Unavailable
from .waves import close_wave, find_wave, open_wave, set_wave

STAFF_BASELINE = Scenario(base=0.15)
STAFF_FOLLOW_UP = Scenario(
    base=0.15,
    shifts={"engagement": 0.9, "learning": 0.9, "work_distribution": 1.0, "coordination": 0.3,
            "role_clarity": 0.0, "leadership": 0.3, None: 0.2},
)
TRAINING = Scenario(base=0.35, shifts={"reaction": 1.1, "learning": 0.15, "application": 1.0,
                                       "relevance": 0.4, None: 0.6})
#: (phase, starts, ends, structure) of the staff waves; the training events' days
STAFF_WAVES = [
    ("baseline", "2026-03-02", "2026-03-20 17:00", "before-2026"),
    ("follow-up", "2026-10-05", "2026-10-23 17:00", None),
]
TRAINING_DAYS = [("1", "2026-06-10"), ("2", "2026-09-16")]
STAFF_SHARE = 0.8  # of each unit's head count answer
TRAINING_PARTICIPANTS = 14  # per organisation and event


@dataclass(frozen=True)
class SealedDemoWave:
    id: str
    responses: int
    existed: bool


async def _answer(
    settings: Settings, store: Store, wave_id: str, people: Sequence[tuple[str, str, int]],
    scenario: Scenario, rng: np.random.Generator, adjust: Adjust | None = None,
) -> int:
    """Issue codes for ``people`` ((organisation, unit, count)), answer each code once through
    the sealed path; return the number of answers."""
    wave = await find_wave(store, wave_id)
    survey = find_survey(load(settings), wave.survey_id).survey
    sealer = Sealer(settings.secret_key)
    stored = 0
    for org, unit, count in people:
        codes = [new_code().replace("-", "") for _ in range(count)]
        await store.add_tokens(wave_id, org, unit,
                               [code_hash(c, settings.secret_key) for c in codes])
        answers: list[NewResponse] = [
            r for chunk in generate(survey, count, scenario, rng, wave_id=wave_id,
                                    version=wave.version, organisations=[org],
                                    days=[dt.date(2026, 1, 1)])
            for r in chunk
        ]
        size = padded_size(survey)  # every sealed answer of the wave the same length
        for i, (code, answer) in enumerate(zip(codes, answers, strict=True)):
            response = msgspec.structs.replace(answer, unit=unit, day=None, channel="web")
            if adjust is not None:
                response = adjust(org, i, response)
            if not await store.submit_sealed(code_hash(code, settings.secret_key), wave_id,
                                             seal_response(sealer, response, size)):
                raise Unavailable(f"demo wave '{wave_id}' refused a sealed answer")
            stored += 1
    return stored


async def _run_wave(
    settings: Settings, store: Store, survey_id: str, wave_id: str, phase: str,
    dates: tuple[str, str], structure: str | None,
    people: Callable[[], Sequence[tuple[str, str, int]]] | None,
    scenario: Scenario, rng: np.random.Generator, adjust: Adjust | None = None,
) -> int:
    start_at, end_at = parse_local(dates[0]), parse_local(dates[1])
    # open until the answers are in (a sealed answer is refused after the end)
    await open_wave(settings, store, survey_id, wave_id, phase, [], start_at, None, structure)
    if adjust is not None and adjust.phase in RIGHT:  # knowledge checks: with a panel
        await set_wave(settings, store, wave_id, None, True)
    wave = await find_wave(store, wave_id)
    if people is None:
        frozen = await wave_structures(store, wave)
        plan = [(org, u.id, max(1, round(STAFF_SHARE * u.head_count)))
                for org, s in frozen.items() for u in s.units]
    else:
        plan = list(people())
    count = await _answer(settings, store, wave_id, plan, scenario, rng, adjust)
    await close_wave(settings, store, wave_id, lasting_key=False)
    mixed = await find_wave(store, wave_id)
    await store.update_wave(msgspec.structs.replace(mixed, ends=end_at, closed=None))
    return count


async def create_sealed_demo_waves(
    settings: Settings, store: Store, survey_id: str, seed: int,
) -> list[SealedDemoWave]:
    """The demo waves of a staff survey (baseline, follow-up) or of a training evaluation
    (two events) that do not exist yet, answered through the sealed path and mixed."""
    catalog = load(settings)
    survey = find_survey(catalog, survey_id).survey
    kind = survey.kind
    rng = np.random.default_rng(seed)
    existing = {w.id for w in await store.waves()}
    made = []
    def participants() -> list[tuple[str, str, int]]:
        return [(org, "participants", TRAINING_PARTICIPANTS) for org in catalog.organisations]

    people: Callable[[], Sequence[tuple[str, str, int]]] | None = participants
    if kind == "staff":
        plans = [(f"demo-{survey_id}-{phase}", phase, (starts, ends), structure,
                  STAFF_BASELINE if phase == "baseline" else STAFF_FOLLOW_UP)
                 for phase, starts, ends, structure in STAFF_WAVES]
        people = None
    elif knowledge_phases(survey):  # a knowledge check before and after the first event
        day = TRAINING_DAYS[0][1]
        plans = [(f"demo-{survey_id}-{n}", "training", (f"{day} {a}", f"{day} {b}"), None,
                  TRAINING) for n, a, b in (("pre", "08:00", "10:00"),
                                            ("post", "16:00", "18:00"))]
    else:
        plans = [(f"demo-{survey_id}-{n}", "training", (day, f"{day} 18:00"), None, TRAINING)
                 for n, day in TRAINING_DAYS]
    for wave_id, phase, dates, structure, scenario in plans:
        if wave_id in existing:
            made.append(SealedDemoWave(wave_id, 0, existed=True))
            continue
        adjust = None if kind == "staff" else Adjust(  # its own generator: see demo_training
            settings, survey, wave_id.rsplit("-", 1)[-1], np.random.default_rng([seed, 5]))
        count = await _run_wave(settings, store, survey_id, wave_id, phase, dates, structure,
                                people, scenario, rng, adjust)
        if kind != "staff":
            await record_attendance(store, wave_id, dates[0][:10], {
                org: TRAINING_PARTICIPANTS for org in catalog.organisations})
        made.append(SealedDemoWave(wave_id, count, existed=False))
    return made

"""The pooled training report (issue #19 §5): ``survey-service training WAVE...``. The
figures are :mod:`survey_service.reports.training`; participants come from the attendance
recorded as fieldwork (``fieldwork add --attended``), else from the codes issued."""

from __future__ import annotations

import numpy as np

from ..reports.data import WaveMatrix
from ..reports.training import (
    Event,
    TrainingReport,
    choices,
    event,
    knowledge_change,
    paired,
    pool,
    then_now_scores,
)
from ..settings import Settings
from ..storage.base import Store
from ..surveys.knowledge import right_positions
from .catalog import find_organisation, load
from .errors import Invalid, Refused
from .reports import load_matrix
from .waves import find_wave


async def _matrices(store: Store, wave_ids: list[str], organisation: str | None
                    ) -> list[WaveMatrix]:
    if len(set(wave_ids)) != len(wave_ids):
        raise Invalid("a wave is named twice")
    first = await find_wave(store, wave_ids[0])
    out = []
    for wave_id in wave_ids:
        wave = await find_wave(store, wave_id)
        if wave.survey_id != first.survey_id:
            raise Invalid(f"wave '{wave_id}' is a wave of '{wave.survey_id}', not of "
                          f"'{first.survey_id}': pool the events of one survey")
        m = await load_matrix(store, wave.survey_id, wave_id, organisation, True)
        if m.survey.kind != "training":
            raise Invalid(f"wave '{wave_id}' is not a training wave (use `report` for "
                          f"{m.survey.kind} surveys)")
        out.append(m)
    return out


async def _participants(store: Store, wave_id: str, organisation: str | None
                        ) -> tuple[int | None, str]:
    attended = [d.attended for d in await store.fieldwork(wave_id)
                if d.attended is not None and organisation in (None, d.organisation)]
    if attended:
        return sum(attended), "attendance"
    issued = sum(i for (org, _), (i, _) in (await store.token_counts(wave_id)).items()
                 if organisation in (None, org))
    return (issued, "codes") if issued else (None, "")


def _small_organisation(m: WaveMatrix, min_group: int) -> str | None:
    """An organisation with some but fewer answers than the smallest group (its answers
    would show by subtraction from its own report), or None."""
    if not m.grouped:
        return None
    values, counts = np.unique(m.organisations, return_counts=True)
    return next((str(o) for o, n in zip(values, counts, strict=True) if 0 < n < min_group),
                None)


async def compute_training(settings: Settings, store: Store, wave_ids: list[str], *,
                           pre: list[str] | None = None, organisation: str | None = None,
                           lang: str = "bg") -> TrainingReport:
    """Figures per event and pooled over ``wave_ids`` (the events of one training survey);
    with ``pre``, the knowledge check before the course against after it."""
    if not wave_ids:
        raise Invalid("name at least one wave (an event of a training survey)")
    if organisation is not None:
        find_organisation(load(settings), organisation)
    matrices = await _matrices(store, wave_ids, organisation)
    min_group = max(settings.min_group, *(m.wave.min_group for m in matrices))
    events: list[Event] = []
    participants_total, sources = 0, set()
    for m in matrices:
        participants, source = await _participants(store, m.wave.id, organisation)
        small = None if organisation else _small_organisation(m, min_group)
        events.append(event(m, participants, source, lang, min_group, hide=small))
        participants_total += participants or 0
        sources.add(source)
    try:
        pooled = pool(matrices)
    except ValueError as exc:
        raise Refused(f"the events cannot be pooled: {exc}") from exc
    if organisation is None and (small := _small_organisation(pooled, min_group)):
        raise Refused(f"organisation '{small}' has fewer than {min_group} responses in these "
                      "events: a report over all organisations would reveal its answers by "
                      "subtraction; report each organisation with --org")
    every = participants_total if all(e.participants for e in events) else None
    total = event(pooled, every, "attendance" if sources == {"attendance"} else "codes",
                  lang, min_group, wave="")
    report = TrainingReport(survey=matrices[0].survey.id, waves=wave_ids, lang=lang,
                            min_group=min_group, events=events, total=total,
                            pre_waves=list(pre or []))
    given = [r.answers for m in matrices for r in await store.responses(m.wave.id)
             if organisation in (None, r.organisation)]
    report.choices = choices(pooled.survey, given, lang, min_group)
    scores = then_now_scores(pooled)
    if scores is not None:
        report.then_now = paired(scores[0], scores[1], lang, min_group)
    if pre:
        if not right_positions(pooled.survey):
            raise Invalid(f"'{pooled.survey.id}' has no knowledge questions: --pre compares "
                          "the scores of a knowledge check")
        before = await _matrices(store, list(pre), organisation)
        if before[0].survey.id != pooled.survey.id:
            raise Invalid(f"--pre waves are of '{before[0].survey.id}', not of "
                          f"'{pooled.survey.id}'")
        if set(pre) & set(wave_ids):
            raise Invalid("a wave cannot be both before and after the course")
        try:
            report.knowledge = knowledge_change(pool(before), pooled, lang, min_group)
        except ValueError as exc:
            raise Refused(f"the waves before the course cannot be pooled: {exc}") from exc
    return report

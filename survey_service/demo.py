"""Synthetic responses for trying every page and report on a fresh machine (pure, seedable).

Each respondent has a latent view of the service (normal, per organisation). Every likert item
is that view plus the shift of its dimension in the wave plus noise, cut into the scale's
points; "don't know" is chosen now and then where the item allows it. ``show_if`` is honoured,
required questions are always answered and optional ones mostly. Answers are generated column
by column with numpy, so a million responses take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .storage.base import NewResponse
from .surveys.answers import Answer
from .surveys.coding import MISSING, scored_items
from .surveys.model import DONT_KNOW, Question, Survey

COMMENTS = [
    "Благодаря за бързото обслужване.",
    "Служителката беше много любезна.",
    "Чаках твърде дълго на гишето.",
    "Трудно се намира информация на сайта на общината.",
    "Добре би било да има повече електронни услуги.",
    "Thank you, very helpful staff.",
]


@dataclass(frozen=True)
class Scenario:
    """How a wave differs: shifts of the latent view per dimension (``None`` key: items
    without a dimension), on a scale where 1 is about one answer point."""

    shifts: Mapping[str | None, float] = field(default_factory=dict)
    base: float = 0.35
    organisation_base: Mapping[str, float] = field(default_factory=dict)


#: A real improvement in timeliness, access and effort; none in competence and courtesy.
FOLLOW_UP = Scenario(
    shifts={
        "timeliness": 0.55, "access": 0.4, "effort": 0.6, "outcome": 0.15, "on_site": 0.55,
        None: 0.25,
    }
)
BASELINE = Scenario()


def _likert(latent: np.ndarray, points: int, rng: np.random.Generator) -> np.ndarray:
    mid = (points + 1) / 2
    spread = (points - 1) / 4
    raw = mid + spread * 1.1 * latent + rng.normal(0, 0.75 * spread, latent.shape)
    return np.clip(np.rint(raw), 1, points).astype(np.int32)


def generate(
    survey: Survey,
    n: int,
    scenario: Scenario,
    rng: np.random.Generator,
    *,
    wave_id: str,
    version: str,
    organisations: Sequence[str],
    days: Sequence[dt.date],
    chunk: int = 10_000,
) -> Iterator[list[NewResponse]]:
    """Yield lists of synthetic responses (``chunk`` at a time)."""
    items = scored_items(survey)
    done = 0
    while done < n:
        size = min(chunk, n - done)
        yield _chunk(
            survey, items, size, scenario, rng, wave_id, version, organisations, days, done
        )
        done += size


def _chunk(
    survey: Survey,
    items: Sequence[object],
    size: int,
    scenario: Scenario,
    rng: np.random.Generator,
    wave_id: str,
    version: str,
    organisations: Sequence[str],
    days: Sequence[dt.date],
    offset: int,
) -> list[NewResponse]:
    orgs = rng.integers(0, len(organisations), size)
    latent = rng.normal(0, 1, size) + scenario.base
    for i, org in enumerate(organisations):
        latent[orgs == i] += scenario.organisation_base.get(org, 0.0)
    columns: dict[str, np.ndarray] = {}  # int codes (MISSING = not answered)
    texts: dict[str, list[str | None]] = {}
    multis: dict[str, list[list[str]]] = {}

    def visible(q: Question) -> np.ndarray:
        if q.show_if is None:
            return np.ones(size, dtype=bool)
        target = survey.question(q.show_if.question)
        col = columns.get(q.show_if.question)
        if target is None or col is None:
            return np.zeros(size, dtype=bool)
        wanted = [
            target.options.index(next(o for o in target.options if o.code == v)) + 1
            if target.kind == "single"
            else int(v)
            for v in q.show_if.any_of
            if target.kind != "single" or any(o.code == v for o in target.options)
        ]
        return np.isin(col, wanted)

    def answered(q: Question, shown: np.ndarray) -> np.ndarray:
        return shown if q.required else shown & (rng.random(size) < 0.85)

    for q in survey.questions():
        shown = visible(q)
        if q.kind in ("likert", "matrix"):
            scale = survey.scale_of(q)
            rows = (
                [(q.id, q.dimension, q.reverse)]
                if q.kind == "likert"
                else [(r.id, r.dimension, r.reverse) for r in q.rows]
            )
            took = answered(q, shown)
            for item_id, dim, reverse in rows:
                shift = scenario.shifts.get(dim, 0.0)
                values = _likert(latent + shift, scale.points, rng)
                if reverse:
                    values = scale.points + 1 - values
                if q.dont_know:
                    values[rng.random(size) < 0.04] = DONT_KNOW
                columns[item_id] = np.where(took, values, MISSING)
        elif q.kind == "single":
            k = len(q.options)
            weights = np.linspace(2.0, 1.0, k)
            picks = rng.choice(k, size=size, p=weights / weights.sum()) + 1
            columns[q.id] = np.where(answered(q, shown), picks, MISSING)
        elif q.kind == "nps":
            raw = (
                6.5
                + 2.2 * (latent + scenario.shifts.get(q.dimension, 0.0))
                + rng.normal(0, 1.2, size)
            )
            columns[q.id] = np.where(answered(q, shown), np.clip(np.rint(raw), 0, 10), MISSING)
        elif q.kind == "number":
            low, high = q.min or 0, q.max or 0
            values = np.clip(low + rng.poisson(0.7, size), low, high)
            columns[q.id] = np.where(answered(q, shown), values, MISSING)
        elif q.kind == "text":
            took = shown & (rng.random(size) < 0.12)
            picks = rng.integers(0, len(COMMENTS), size)
            texts[q.id] = [COMMENTS[p] if t else None for p, t in zip(picks, took, strict=True)]
        elif q.kind == "multi":
            codes = [o.code for o in q.options]
            took = answered(q, shown)
            multis[q.id] = [
                [c for c in codes if rng.random() < 0.3] or [codes[0]] if t else [] for t in took
            ]
    matrix = np.stack(
        [
            columns.get(item.id, np.full(size, MISSING))  # type: ignore[attr-defined]
            for item in items
        ],
        axis=1,
    ).astype("<i4")
    day_index = rng.integers(0, len(days), size)
    channel = rng.choice(np.array(["web", "kiosk", "paper"]), size=size, p=[0.65, 0.2, 0.15])
    out: list[NewResponse] = []
    keys = rng.integers(0, 2**63, size)
    for i in range(size):
        answers: dict[str, Answer] = {}
        for q in survey.questions():
            if q.kind == "single":
                code = int(columns[q.id][i])
                if code != MISSING:
                    answers[q.id] = q.options[code - 1].code
            elif q.kind in ("likert", "nps", "number"):
                value = int(columns[q.id][i])
                if value != MISSING:
                    answers[q.id] = value
            elif q.kind == "matrix":
                for row in q.rows:
                    value = int(columns[row.id][i])
                    if value != MISSING:
                        answers[row.id] = value
            elif q.kind == "text":
                text = texts[q.id][i]
                if text is not None:
                    answers[q.id] = text
            elif q.kind == "multi" and multis[q.id][i]:
                answers[q.id] = multis[q.id][i]
        out.append(
            NewResponse(
                submission_key=f"demo-{wave_id}-{offset + i}-{keys[i]:x}",
                wave_id=wave_id,
                version=version,
                organisation=organisations[int(orgs[i])],
                channel=str(channel[i]),
                lang="bg" if i % 10 else "en",
                day=days[int(day_index[i])],
                answers=answers,
                codes=matrix[i].tobytes(),
            )
        )
    return out

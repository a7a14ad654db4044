"""Demo fieldwork records: forms handed out and visitors counted per day, made up so that the
demo report shows response rates (about 60 % of paper forms come back; about one visitor in
ten answers in some mode)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np

from ..storage.base import FieldworkDay, Store

PAPER_BACK = (0.5, 0.7)  # share of the forms handed out that come back, per day
ANSWERING = (0.08, 0.14)  # share of the visitors counted who answer, per day


async def add_demo_fieldwork(store: Store, wave_id: str, rng: np.random.Generator) -> int:
    """Record a made-up day of fieldwork for every (organisation, day) with responses."""
    data = await store.wave_codes(wave_id, groups=True)
    everyone: Counter[tuple[str, str]] = Counter()
    paper: Counter[tuple[str, str]] = Counter()
    for org, channel, day in zip(data.organisations, data.channels, data.days, strict=True):
        if day:
            everyone[(org, day)] += 1
            if channel == "paper":
                paper[(org, day)] += 1
    days = []
    for (org, day), n in sorted(everyone.items()):
        back = paper[(org, day)]
        days.append(FieldworkDay(
            wave_id=wave_id, organisation=org, day=dt.date.fromisoformat(day),
            handed_out=round(back / rng.uniform(*PAPER_BACK)) + int(rng.integers(0, 2)),
            visitors=max(round(n / rng.uniform(*ANSWERING)), n),
            source="queue", entered_by="demo"))
    await store.save_fieldwork(days)
    return len(days)


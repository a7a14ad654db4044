"""What a breakdown by a question costs on a wave that is still open: 2 organisations x 40
citizen responses (the demo's generator), ``report --by question:ID`` as the service computes
it, asked three times in a row (the first plans the wave's tables by the question; the
repeats should find the plans kept for these responses), then once more after one new
response (which must plan again). Prints each request's time and the ratio of a repeat to the
first, and how many linear programs each solved (a count that does not depend on the
machine's load); in-process, one SQLite file in a temporary folder."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from survey_service.demo import BASELINE, generate
from survey_service.indicators import disclosure, disclosure_joint
from survey_service.services.catalog import find_survey, load
from survey_service.services.groups import compute_groups
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened

FORMS = Path(__file__).resolve().parents[1] / "forms"
SURVEY = "citizen-satisfaction"
SOLVED = [0]


def _counted(real: Any, programs: int) -> Any:
    def solve(*args: Any, **kwargs: Any) -> Any:
        SOLVED[0] += programs
        return real(*args, **kwargs)
    return solve


disclosure.linprog = _counted(disclosure.linprog, 1)  # type: ignore[attr-defined]
disclosure_joint.joint_ends = _counted(disclosure_joint.joint_ends, 2)  # both directions


async def main(questions: list[str], per_org: int = 40) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env({}, database_url=f"sqlite:///{folder}/b.sqlite3",
                                     forms_dir=str(FORMS), secret_key="b" * 48,
                                     wave_refresh_seconds=0.0)
        async with opened(settings.database_url) as store:
            catalog = load(settings)
            survey = find_survey(catalog, SURVEY).survey
            orgs = list(catalog.organisations)
            wave = await open_wave(settings, store, SURVEY, "open", "baseline", [], None, None)
            rng = np.random.default_rng(14)
            chunks = generate(survey, per_org * len(orgs) + 1, BASELINE, rng, wave_id="open",
                              version=wave.version, organisations=orgs,
                              days=[dt.date(2026, 3, 2)])
            responses = [r for chunk in chunks for r in chunk]
            await store.import_responses(responses[:-1])

            async def ask(question: str) -> tuple[float, int]:
                SOLVED[0] = 0
                start = time.perf_counter()
                await compute_groups(settings, store, SURVEY, ["open"], question, None, None,
                                     "en")
                return time.perf_counter() - start, SOLVED[0]

            print(f"{len(responses) - 1} responses in {len(orgs)} organisations, open wave")
            for question in questions:
                first, lps = await ask(question)
                repeats = [await ask(question) for _ in range(2)]
                print(f"--by question:{question}: first {first:.2f} s ({lps} LPs), repeats "
                      + ", ".join(f"{r:.3f} s ({n} LPs)" for r, n in repeats)
                      + f" (repeat/first {min(r for r, _ in repeats) / first:.4f})")
            await store.import_responses(responses[-1:])
            after, lps = await ask(questions[-1])
            print(f"after one new response, --by question:{questions[-1]}: {after:.2f} s "
                  f"({lps} LPs)")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["respondent_type", "age_band"]))

"""What planning a closed citizen wave's breakdowns costs (``waves close --breakdowns``):
2 organisations x N responses (the demo's generator, 300 by default as in the demo), the
wave's plan, then its tables by each question given, one after the other, each planned with
the ones before. Run twice side by side on two copies of the same data:

- **kept**: the planner as it is (one HiGHS model per direction kept between attacks, widths
  two known points prove, trials only of cells whose rows bind);
- **floor**: every width by two linear programs built and solved from nothing (scipy's
  ``linprog``), every trial tried: the planner's attacker as it was first written.

Prints each question's time and linear programs in both, their ratio, and whether the two
made the same plans (they must). The floor can take many minutes at 300 per organisation;
``--per-org 100`` is a quicker look. In-process, SQLite files in a temporary folder."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
from scipy.optimize import linprog

from survey_service.demo import BASELINE, generate
from survey_service.indicators import disclosure_joint
from survey_service.indicators.disclosure_joint import Ends
from survey_service.reports.disclosure import wave_figures
from survey_service.services.catalog import find_survey, load
from survey_service.services.disclosure import full_matrix
from survey_service.services.groups import breakdown_questions, group_plan, plan_key
from survey_service.services.waves import close_wave, find_wave, open_wave
from survey_service.settings import Settings
from survey_service.storage import opened

FORMS = Path(__file__).resolve().parents[1] / "forms"
SURVEY = "citizen-satisfaction"
SOLVED = [0]


def _floor_ends(shapes: Sequence[Any], published: Sequence[Sequence[tuple[Any, float]]],
                ties: Sequence[Any], figure: int, target: Any, memo: Any = None
                ) -> Ends | None:
    """The attack built from nothing each time: dense bounds, two rows per published value."""
    off = np.cumsum([0] + [s.weights.size for s in shapes])
    bounds = [b for s in shapes for b in zip((s.low * s.weights.reshape(-1)).tolist(),
                                              (s.high * s.weights.reshape(-1)).tolist(),
                                              strict=True)]
    rows: list[Any] = []
    eq: list[Any] = []
    rhs: list[float] = []
    eq_rhs: list[float] = []
    for f, s in enumerate(shapes):
        if s.exclusive:
            for a in range(s.weights.shape[0]):
                row = np.zeros(off[-1])
                row[off[f] + a * s.components:off[f] + (a + 1) * s.components] = 1.0
                rows.append(row)
                rhs.append(float(s.weights[a, 0]))
    for tie in ties:
        row = np.zeros(off[-1])
        for f, a, c, coef in tie.terms:
            row[off[f] + a * shapes[f].components + c] = coef
        (eq if tie.equal else rows).append(row)
        (eq_rhs if tie.equal else rhs).append(tie.rhs)
    for f, (s, shown) in enumerate(zip(shapes, published, strict=True)):
        lo, hi = s.value_range()
        eps = 1e-7 * (hi - lo or 1.0)
        for cell, value in shown:
            row = np.zeros(off[-1])
            row[off[f]:off[f + 1]] = s.functional_of(cell)
            rows += [row, -row]
            rhs += [value + eps, -value + eps]
    goal = np.zeros(off[-1])
    goal[off[figure]:off[figure + 1]] = shapes[figure].functional(target)
    values, points = [], []
    for sign in (1.0, -1.0):
        SOLVED[0] += 1
        res = linprog(sign * goal, A_ub=np.asarray(rows) if rows else None,
                      b_ub=np.asarray(rhs) if rhs else None,
                      A_eq=np.asarray(eq) if eq else None,
                      b_eq=np.asarray(eq_rhs) if eq else None, bounds=bounds, method="highs")
        if res.status != 0:
            return None
        values.append(sign * float(res.fun))
        points.append(res.x)
    return Ends(values[0], values[1], points, [set(range(len(s))) for s in published])


def _counted(real: Any) -> Any:
    def ends(*args: Any, **kwargs: Any) -> Any:
        SOLVED[0] += 2
        return real(*args, **kwargs)
    return ends


async def run(folder: str, per_org: int, questions: list[str] | None, floor: bool
              ) -> tuple[list[tuple[str, float, int]], dict[str, bytes]]:
    settings = Settings.from_env({}, database_url=f"sqlite:///{folder}/b.sqlite3",
                                 forms_dir=str(FORMS), secret_key="b" * 48)
    real, pool = disclosure_joint.joint_ends, disclosure_joint.Pool.width
    disclosure_joint.joint_ends = _floor_ends if floor else _counted(real)
    if floor:
        disclosure_joint.Pool.width = lambda self, f, cell: float("-inf")  # type: ignore
    try:
        async with opened(settings.database_url) as store:
            catalog = load(settings)
            survey = find_survey(catalog, SURVEY).survey
            orgs = list(catalog.organisations)
            wave = await open_wave(settings, store, SURVEY, "bench", "baseline", [], None, None)
            chunks = generate(survey, per_org * len(orgs), BASELINE, np.random.default_rng(5),
                              wave_id="bench", version=wave.version, organisations=orgs,
                              days=[dt.date(2026, 3, 2)])
            await store.import_responses([r for chunk in chunks for r in chunk])
            await close_wave(settings, store, "bench")
            m = await full_matrix(store, await find_wave(store, "bench"))
            figures = wave_figures(m.survey)
            out = []
            for question in questions or breakdown_questions(m):
                SOLVED[0] = 0
                start = time.perf_counter()
                await group_plan(settings, store, m, question, figures)
                out.append((question, time.perf_counter() - start, SOLVED[0]))
                print(f"  {'floor' if floor else 'kept '} {question}: {out[-1][1]:.1f} s, "
                      f"{out[-1][2]} LPs", flush=True)
            plans = {}
            for key in ["bench", *(plan_key("bench", q) for q, _, _ in out)]:
                found = await store.disclosure_plan(key)
                plans[key] = msgspec.json.encode(msgspec.json.decode(found)) if found else b""
            return out, plans
    finally:
        disclosure_joint.joint_ends = real
        disclosure_joint.Pool.width = pool  # type: ignore[method-assign]


async def main(per_org: int, questions: list[str] | None) -> None:
    print(f"{2 * per_org} citizen responses in 2 organisations, closed wave")
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        kept, kept_plans = await run(a, per_org, questions, floor=False)
        floor, floor_plans = await run(b, per_org, questions, floor=True)
    for (q, s1, n1), (_, s0, n0) in zip(kept, floor, strict=True):
        print(f"by {q}: kept {s1:.1f} s ({n1} LPs), floor {s0:.1f} s ({n0} LPs), "
              f"kept/floor {s1 / s0:.3f} (LPs {n1 / max(n0, 1):.3f})")
    total = sum(s for _, s, _ in kept), sum(s for _, s, _ in floor)
    print(f"all: kept {total[0]:.1f} s, floor {total[1]:.1f} s, kept/floor "
          f"{total[0] / total[1]:.3f}")
    same = kept_plans == floor_plans
    print("the same plans: " + ("yes" if same else "NO: " + ", ".join(
        k for k in kept_plans if kept_plans[k] != floor_plans.get(k))))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-org", type=int, default=300)
    parser.add_argument("questions", nargs="*")
    args = parser.parse_args()
    asyncio.run(main(args.per_org, args.questions or None))

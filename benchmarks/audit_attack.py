"""What ``disclosure audit`` costs on the citizen demo's two closed waves with every
breakdown (``survey-service demo --responses N``: N per organisation), every plan made first,
then the audit run twice side by side on the same data:

- **certified**: the audit as it is (the breakdowns' cells proved wide enough by the answers
  of a few spread attacks, attacked exactly only when not);
- **floor**: ``--exact``, every hidden or small cell of the breakdowns attacked exactly (two
  linear programs each), as the audit did before.

Prints both times (the whole audit, and its joint attack of the breakdowns), their ratio,
how many cells each attacked exactly, and checks that the two agree: the same cells, every
certified interval inside the exact one, and the same verdict for every small group. The
floor grows fast with N (at the demo's 300 per organisation it does not finish in hours);
the default 40 takes minutes. In-process, SQLite files in a temporary folder."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from survey_service.reports import group_joint
from survey_service.services import disclosure_audit
from survey_service.services.audit_shown import Interval
from survey_service.services.demo import create_demo_waves
from survey_service.services.waves import find_wave
from survey_service.settings import Settings
from survey_service.storage import opened

FORMS = Path(__file__).resolve().parents[1] / "forms"
SURVEY = "citizen-satisfaction"
JOINT = [0.0]


def _timed(real: Any) -> Any:
    def attack(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return real(*args, **kwargs)
        finally:
            JOINT[0] += time.perf_counter() - start
    return attack


async def run(folder: str, per_org: int) -> list[tuple[float, float, list[Interval]]]:
    settings = Settings.from_env({}, database_url=f"sqlite:///{folder}/b.sqlite3",
                                 forms_dir=str(FORMS), secret_key="b" * 48)
    async with opened(settings.database_url) as store:
        made = await create_demo_waves(settings, store, SURVEY, per_org, 5)
        ids = [w.id for w in made]
        start = time.perf_counter()
        await disclosure_audit.collect(settings, store, [await find_wave(store, w) for w in ids])
        print(f"  every plan made: {time.perf_counter() - start:.1f} s", flush=True)
        out = []
        for exact in (False, True):
            JOINT[0] = 0.0
            start = time.perf_counter()
            found, _ = await disclosure_audit.audit(settings, store, ids, exact)
            out.append((time.perf_counter() - start, JOINT[0], found))
            print(f"  {'floor    ' if exact else 'certified'}: audit {out[-1][0]:.1f} s, "
                  f"joint attack {out[-1][1]:.1f} s", flush=True)
        return out


def _agree(certified: list[Interval], exact: list[Interval]) -> list[str]:
    """What the certified audit says that the exact one does not bear out."""
    wrong = []
    if [(i.figure, i.cell) for i in certified] != [(i.figure, i.cell) for i in exact]:
        return ["not the same cells"]
    for c, e in zip(certified, exact, strict=True):
        if not e.exact:
            wrong.append(f"{e.figure} {e.cell}: not exact with --exact")
        tol = 1e-5 * max(1.0, abs(e.low), abs(e.high))  # the solver's tolerance
        inside = e.low <= c.low + tol and c.high <= e.high + tol
        if not inside or c.exposed != e.exposed:
            wrong.append(f"{c.figure} {c.cell}: {c.low:.2f}-{c.high:.2f} against "
                         f"{e.low:.2f}-{e.high:.2f}")
    return wrong


async def main(per_org: int) -> None:
    print(f"the citizen demo's two waves at {per_org} responses per organisation (seed 5), "
          "every breakdown")
    disclosure_audit.attack_jointly = _timed(  # type: ignore[attr-defined]
        group_joint.attack_jointly)
    with tempfile.TemporaryDirectory() as folder:
        (c_all, c_joint, certified), (e_all, e_joint, exact) = await run(folder, per_org)
    proved = sum(not i.exact for i in certified)
    print(f"{len(certified)} intervals; {proved} proved wide enough without their own attack")
    print(f"audit: certified {c_all:.1f} s, floor {e_all:.1f} s, certified/floor "
          f"{c_all / e_all:.3f}")
    print(f"joint attack: certified {c_joint:.1f} s, floor {e_joint:.1f} s, certified/floor "
          f"{c_joint / max(e_joint, 1e-9):.3f}")
    wrong = _agree(certified, exact)
    print("the same verdicts, certified inside exact: " + (
        "yes" if not wrong else f"NO ({len(wrong)}): " + "; ".join(wrong[:5])))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-org", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.per_org))

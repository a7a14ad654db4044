"""The full baseline/follow-up report on two big waves, against a bare numpy floor.

Two waves of ``--rows`` responses (default 1,000,000) to a survey of exactly 20 likert items
(4 matrices of 5 rows on a 5-point agree scale with "don't know") are loaded into the real
storage (``open_store``, ``import_responses``). The same
codes go into a plain SQLite table with one INTEGER column per item (the floor).

Each side then runs in its own child process, ``--repeat`` times (median taken):

* report: what ``survey-service report SURVEY --baseline A --follow-up B --format json``
  computes, in process: open the store, ``compute_report`` (catalog, waves, form versions,
  ``wave_codes``, ``wave_matrix``, ``build_report``: indicators, composites, alpha, every
  item's comparison, Holm/BH) and ``to_json``;
* floor: ``sqlite3`` reads the 20 columns of each wave into a numpy array, and numpy computes
  every item's mean, SD and % positive (don't know and missing excluded).

The goal (issue 3): the report in at most 2x the floor's time, under 1 GB peak RSS.

``--adjusted`` declares an adjustment set (``[analysis] adjust_for = ["organisation",
"mode"]``) in the survey, so that the report also computes the adjusted-change section
(issue #19 §1: standardisation, Kitagawa split, OLS and logit AME clustered by fieldwork
day) and the composition table, as the citizen survey's report does (issue #11's goal: its
first computation within 2x the floor). Run 1 of the report is its first computation (it
also plans and saves each closed wave's disclosure plan); it is printed beside the floor.

    .venv/bin/python benchmarks/indicators.py [--rows N] [--repeat 3] [--keep DIR] [--adjusted]

``--keep DIR`` keeps the generated databases in DIR and reuses them on the next run (with the
same ``--rows`` and ``--seed``); without it they live in a temporary folder deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SURVEY_ID = "bench-likert"
WAVES = (
    ("bench-baseline", "baseline", "2024-03-01 08:00", "2024-04-30 18:00"),
    ("bench-follow-up", "follow-up", "2025-03-01 08:00", "2025-04-30 18:00"),
)
DIMENSIONS = ("d1", "d2", "d3", "d4")
ROWS_PER_MATRIX = 5
ITEMS = [f"{d}_q{r}" for d in DIMENSIONS for r in range(1, ROWS_PER_MATRIX + 1)]
#: Follow-up: a real improvement on two dimensions, none on the others.
FOLLOW_UP_SHIFTS = {"d1": 0.30, "d3": 0.20}
DONT_KNOW_SHARE = 0.04
MISSING_SHARE = 0.03
CHUNK = 50_000
GOAL_RATIO = 2.0
GOAL_RSS_MB = 1024.0
FORMAT_VERSION = 1  # of the cached data; bump when the generator changes


# ------------------------------------------------------------------------------ the survey
def _text(bg: str, en: str) -> str:
    return f'{{ bg = "{bg}", en = "{en}" }}'


def survey_toml(adjusted: bool = False) -> str:
    lines = [
        f'id = "{SURVEY_ID}"',
        'kind = "citizen"',
        "minutes = 5",
        f"title = {_text('Тестова анкета', 'Benchmark survey')}",
        f"intro = {_text('Двадесет твърдения.', 'Twenty statements.')}",
        "",
        "[scales.agree]",
        "labels = [",
        f"  {_text('Категорично не', 'Strongly disagree')},",
        f"  {_text('По-скоро не', 'Disagree')},",
        f"  {_text('Нито да, нито не', 'Neither agree nor disagree')},",
        f"  {_text('По-скоро да', 'Agree')},",
        f"  {_text('Категорично да', 'Strongly agree')},",
        "]",
        f"dont_know = {_text('Не мога да преценя', 'Do not know')}",
        "",
        "[dimensions]",
        *(f"{d} = {_text(f'Измерение {d}', f'Dimension {d}')}" for d in DIMENSIONS),
        "",
    ]
    if adjusted:
        lines[5:5] = ["", "[analysis]", 'adjust_for = ["organisation", "mode"]']

    def indicator(ind_id: str, kind: str, label: str, *, items: str = "", dims: str = "") -> None:
        lines.extend(["[[indicators]]", f'id = "{ind_id}"', f'kind = "{kind}"'])
        if items:
            lines.append(f"items = [{items}]")
        if dims:
            lines.append(f"dimensions = [{dims}]")
        lines.extend([f"label = {_text(label, label)}", ""])

    for d in DIMENSIONS:
        indicator(f"index_{d}", "index", f"Index {d}", dims=f'"{d}"')
    every = ", ".join(f'"{d}"' for d in DIMENSIONS)
    indicator("index_overall", "index", "Overall index", dims=every)
    indicator("positive_d1_q1", "percent_positive", "d1_q1 positive", items='"d1_q1"')
    indicator("mean_d2_q1", "mean", "d2_q1 mean", items='"d2_q1"')
    lines.extend(
        [
            "[[sections]]",
            'id = "statements"',
            f"title = {_text('Твърдения', 'Statements')}",
            "",
        ]
    )
    for d in DIMENSIONS:
        lines.extend(
            [
                "[[sections.questions]]",
                f'id = "m_{d}"',
                'kind = "matrix"',
                'scale = "agree"',
                "dont_know = true",
                "required = true",
                f"text = {_text(f'Блок {d}', f'Block {d}')}",
                "rows = [",
                *(
                    f'  {{ id = "{d}_q{r}", dimension = "{d}", '
                    f"text = {_text(f'Твърдение {d}.{r}', f'Statement {d}.{r}')} }},"
                    for r in range(1, ROWS_PER_MATRIX + 1)
                ),
                "]",
                "",
            ]
        )
    return "\n".join(lines)


def make_forms(folder: Path, adjusted: bool = False) -> None:
    """A forms folder with the benchmark survey and the project's organisations (and no
    expected results, so the report has no target rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "forms" / "organisations.toml", folder / "organisations.toml")
    (folder / f"{SURVEY_ID}.toml").write_text(survey_toml(adjusted), encoding="utf-8")


def settings_for(work: Path) -> Any:
    from survey_service.settings import Settings

    return Settings(
        database_url=f"sqlite:///{work / 'app.sqlite3'}",
        forms_dir=str(work / "forms"),
        secret_key="b" * 40,
    )


# ------------------------------------------------------------------------------ the data
def generate_codes(rng: np.random.Generator, size: int, shifts: dict[str, float]) -> np.ndarray:
    """``size`` x 20 int32 codes: one latent view per respondent (so items correlate), 1..5,
    about 4 % don't know (9) and 3 % missing (-1)."""
    latent = rng.normal(0.35, 1.0, size)
    codes = np.empty((size, len(ITEMS)), dtype="<i4")
    for j, item in enumerate(ITEMS):
        dim = item.split("_")[0]
        raw = 3.0 + 1.1 * (latent + shifts.get(dim, 0.0)) + rng.normal(0.0, 0.75, size)
        codes[:, j] = np.clip(np.rint(raw), 1, 5)
    u = rng.random(codes.shape)
    codes[u < DONT_KNOW_SHARE] = 9
    codes[u > 1.0 - MISSING_SHARE] = -1
    return codes


async def _build_app_db(work: Path, rows: int, seed: int, floor: sqlite3.Connection) -> None:
    from survey_service.services.waves import open_wave
    from survey_service.storage import open_store
    from survey_service.storage.base import NewResponse
    from survey_service.surveys.loader import load_catalog
    from survey_service.surveys.waves import parse_local

    settings = settings_for(work)
    organisations = list(load_catalog(Path(settings.forms_dir)).organisations)
    store = open_store(f"sqlite:///{work / 'app.sqlite3'}")
    await store.open()
    rng = np.random.default_rng(seed)
    channels = np.array(["web", "kiosk", "paper"])
    try:
        for wave_id, phase, starts, ends in WAVES:
            start_at, end_at = parse_local(starts), parse_local(ends)
            wave = await open_wave(settings, store, SURVEY_ID, wave_id, phase, [], start_at, end_at)
            n_days = (end_at.date() - start_at.date()).days + 1
            days = [start_at.date() + dt.timedelta(days=d) for d in range(n_days)]
            shifts = FOLLOW_UP_SHIFTS if phase == "follow-up" else {}
            began = time.perf_counter()
            for offset in range(0, rows, CHUNK):
                size = min(CHUNK, rows - offset)
                codes = generate_codes(rng, size, shifts)
                orgs = rng.integers(0, len(organisations), size).tolist()
                chans = rng.choice(channels, size=size, p=[0.65, 0.2, 0.15]).tolist()
                day_index = rng.integers(0, len(days), size).tolist()
                batch = []
                for i, row in enumerate(codes.tolist()):
                    batch.append(
                        NewResponse(
                            submission_key=f"bench-{wave_id}-{offset + i}",
                            wave_id=wave_id,
                            version=wave.version,
                            organisation=organisations[orgs[i]],
                            channel=chans[i],
                            lang="bg" if i % 10 else "en",
                            day=days[day_index[i]],
                            answers={k: v for k, v in zip(ITEMS, row, strict=True) if v != -1},
                            codes=codes[i].tobytes(),
                        )
                    )
                await store.import_responses(batch)
                floor.executemany(
                    f"INSERT INTO answers VALUES (?{', ?' * len(ITEMS)})",
                    ((wave_id, *row) for row in codes.tolist()),
                )
                done = offset + size
                rate = done / (time.perf_counter() - began)
                print(
                    f"  {wave_id}: {done:,}/{rows:,} ({rate:,.0f} responses/s)",
                    end="\r" if done < rows else "\n",
                    flush=True,
                )
    finally:
        await store.close()


def build(work: Path, rows: int, seed: int, adjusted: bool = False) -> None:
    """Generate the forms folder, the app database and the floor database in ``work``."""
    for name in ("app.sqlite3", "app.sqlite3-wal", "app.sqlite3-shm", "floor.sqlite3"):
        (work / name).unlink(missing_ok=True)
    (work / "meta.json").unlink(missing_ok=True)
    make_forms(work / "forms", adjusted)
    floor = sqlite3.connect(work / "floor.sqlite3")
    columns = ", ".join(f"{item} INTEGER" for item in ITEMS)
    floor.execute(f"CREATE TABLE answers (wave TEXT NOT NULL, {columns})")
    began = time.perf_counter()
    asyncio.run(_build_app_db(work, rows, seed, floor))
    floor.execute("CREATE INDEX answers_wave ON answers (wave)")
    floor.commit()
    floor.close()
    meta = {"rows": rows, "seed": seed, "format": FORMAT_VERSION, "survey": survey_toml(adjusted)}
    (work / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    sizes = {p.name: p.stat().st_size for p in work.glob("*.sqlite3*")}
    print(
        f"built in {time.perf_counter() - began:.0f} s: "
        + ", ".join(f"{k} {v / 2**20:,.0f} MB" for k, v in sorted(sizes.items())),
        flush=True,
    )


def cached(work: Path, rows: int, seed: int, adjusted: bool = False) -> bool:
    try:
        meta = json.loads((work / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return meta == {"rows": rows, "seed": seed, "format": FORMAT_VERSION,
                    "survey": survey_toml(adjusted)}


# ------------------------------------------------------------------------------ the two sides
def peak_rss_mb() -> float:
    """Peak resident set of this process (VmHWM), in MiB."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_report(work: Path) -> dict[str, Any]:
    """The full report as ``survey-service report ... --format json`` computes it."""
    import survey_service.reports.report as report_mod
    import survey_service.services.reports as service_mod
    from survey_service.reports.render import to_json
    from survey_service.services.reports import compute_report
    from survey_service.storage import open_store

    settings = settings_for(work)
    stages = {"storage_read": 0.0, "disclosure": 0.0, "wave_matrix": 0.0,
              "build_report": 0.0, "adjusted": 0.0}

    def timed(name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                stages[name] += time.perf_counter() - t0

        return wrapper

    inside: set[str] = set()

    def timed_async(name: str, fn: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            inside.add(name)
            try:
                return await fn(*args, **kwargs)
            finally:
                inside.discard(name)
                stages[name] += time.perf_counter() - t0

        return wrapper

    # stage timers (one perf_counter pair per call: no measurable cost); the services module
    # holds its own references to the functions it calls
    service_mod.wave_matrix = timed("wave_matrix", service_mod.wave_matrix)
    service_mod.build_report = timed("build_report", service_mod.build_report)
    service_mod.disclosure_for = timed_async("disclosure", service_mod.disclosure_for)
    report_mod.adjusted_rows = timed("adjusted", report_mod.adjusted_rows)

    async def work_() -> Any:
        store = open_store(settings.database_url)
        await store.open()
        read = store.wave_codes

        async def wave_codes(wave_id: str, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return await read(wave_id, *args, **kwargs)
            finally:  # the disclosure plans' own reads count in their stage
                if "disclosure" not in inside:
                    stages["storage_read"] += time.perf_counter() - t0

        store.wave_codes = wave_codes  # type: ignore[method-assign]
        try:
            return await compute_report(
                settings, store, SURVEY_ID, WAVES[0][0], WAVES[1][0], None, "en", True
            )
        finally:
            await store.close()

    began, cpu = time.perf_counter(), time.process_time()
    result = asyncio.run(work_())
    t0 = time.perf_counter()
    out = to_json(result)
    stages["render"] = time.perf_counter() - t0
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    stages["build_report"] -= stages["adjusted"]  # the other sections
    stages["other"] = seconds - sum(stages.values())
    first = next(r for r in result.rows if r.section == "item" and r.id == ITEMS[0])
    return {
        "seconds": seconds,
        "cpu": cpu,
        "stages": stages,
        "mean_first_item": first.mean_baseline,
        "n_first_item": first.n_baseline,
        "rows": len(result.rows),
        "adjusted_rows": sum(r.section == "adjusted" for r in result.rows),
        "json_bytes": len(out),
    }


def floor_stats(x: np.ndarray, points: int = 5) -> dict[str, np.ndarray]:
    """Item means, SDs (n-1) and % positive of a codes matrix, don't know and missing out."""
    valid = (x >= 1) & (x <= points)
    n = valid.sum(axis=0)
    v = np.where(valid, x, 0).astype(np.float64)
    total = v.sum(axis=0)
    mean = total / n
    sd = np.sqrt(((v * v).sum(axis=0) - n * mean * mean) / (n - 1))
    positive = 100.0 * (v > (points + 1) / 2).sum(axis=0) / n
    return {"n": n, "mean": mean, "sd": sd, "positive": positive}


def run_floor(work: Path) -> dict[str, Any]:
    """Plain sqlite3 into numpy, then bare numpy statistics, for both waves."""
    began, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(work / "floor.sqlite3")
    columns = ", ".join(ITEMS)
    results = {}
    read = 0.0
    for wave_id, *_ in WAVES:
        t0 = time.perf_counter()
        cur = conn.execute(f"SELECT {columns} FROM answers WHERE wave = ?", (wave_id,))
        flat = np.fromiter(itertools.chain.from_iterable(cur), dtype=np.int32)
        x = flat.reshape(-1, len(ITEMS))
        read += time.perf_counter() - t0
        results[wave_id] = floor_stats(x)
    conn.close()
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    base = results[WAVES[0][0]]
    return {
        "seconds": seconds,
        "cpu": cpu,
        "stages": {"storage_read": read, "numpy": seconds - read},
        "mean_first_item": float(base["mean"][0]),
        "n_first_item": int(base["n"][0]),
    }


def child(phase: str, work: Path) -> None:
    out = run_report(work) if phase == "report" else run_floor(work)
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


def spawn(phase: str, work: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--phase", phase, "--work", str(work)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{phase} failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# ------------------------------------------------------------------------------ main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses per wave")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (median)")
    parser.add_argument("--keep", type=Path, default=None, help="keep/reuse the data here")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--adjusted", action="store_true",
                        help="declare an adjustment set: the report computes adjusted changes")
    parser.add_argument("--phase", choices=["report", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        child(args.phase, args.work)
        return

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-indicators-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if cached(work, args.rows, args.seed, args.adjusted):
            print(f"reusing the data in {work}", flush=True)
        else:
            print(f"building 2 waves x {args.rows:,} responses x {len(ITEMS)} items in {work}")
            build(work, args.rows, args.seed, args.adjusted)
        runs: dict[str, list[dict[str, Any]]] = {"report": [], "floor": []}
        for i in range(args.repeat):
            for phase in ("report", "floor"):
                result = spawn(phase, work)
                runs[phase].append(result)
                stages = ", ".join(f"{k} {v:.2f}" for k, v in result["stages"].items())
                print(
                    f"  run {i + 1} {phase:6}: {result['seconds']:7.2f} s"
                    f" (CPU {result['cpu']:6.2f} s)"
                    f"  peak RSS {result['peak_rss_mb']:6.0f} MB  ({stages})",
                    flush=True,
                )
        report_s = statistics.median(r["seconds"] for r in runs["report"])
        floor_s = statistics.median(r["seconds"] for r in runs["floor"])
        report_rss = max(r["peak_rss_mb"] for r in runs["report"])
        floor_rss = max(r["peak_rss_mb"] for r in runs["floor"])
        ratio = report_s / floor_s
        first = runs["report"][0]
        print()
        print(f"rows per wave       {args.rows:,} (x 2 waves, {len(ITEMS)} likert items)")
        print(f"report rows         {first['rows']} (json {first['json_bytes']:,} bytes)")
        same = (
            first["n_first_item"] == runs["floor"][0]["n_first_item"]
            and abs(first["mean_first_item"] - runs["floor"][0]["mean_first_item"]) < 1e-9
        )
        print(
            f"check               {ITEMS[0]}: report mean {first['mean_first_item']:.6f}"
            f" (n {first['n_first_item']:,}), floor {runs['floor'][0]['mean_first_item']:.6f}"
            f" (n {runs['floor'][0]['n_first_item']:,}): {'same' if same else 'DIFFERENT'}"
        )
        first_s = runs["report"][0]["seconds"]
        first_cpu = runs["report"][0]["cpu"]
        floor_cpu = statistics.median(r["cpu"] for r in runs["floor"])
        adjusted_rows = first.get("adjusted_rows", 0)
        print(f"adjusted rows       {adjusted_rows}"
              + ("" if args.adjusted else " (no adjustment set: use --adjusted)"))
        print(f"report, first run   {first_s:.2f} s  vs floor {floor_s:.2f} s:"
              f" {first_s / floor_s:.2f}x (first computation, disclosure plans made)")
        print(f"  CPU time          {first_cpu:.2f} s  vs floor {floor_cpu:.2f} s:"
              f" {first_cpu / floor_cpu:.2f}x (steadier than wall time on a busy machine)")
        print(f"report (median)     {report_s:.2f} s")
        print(f"floor (median)      {floor_s:.2f} s")
        print(f"ratio               {ratio:.2f}x (goal <= {GOAL_RATIO:g}x)")
        print(f"peak RSS report     {report_rss:.0f} MB (goal < {GOAL_RSS_MB:.0f} MB)")
        print(f"peak RSS floor      {floor_rss:.0f} MB")
        time_ok, rss_ok = ratio <= GOAL_RATIO, report_rss < GOAL_RSS_MB
        print(f"time                {'PASS' if time_ok else 'FAIL'}")
        print(f"memory              {'PASS' if rss_ok else 'FAIL'}")
        if not (time_ok and rss_ok):
            sys.exit(1)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

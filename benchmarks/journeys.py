"""Respondents' journeys per second, side by side: the real server on SQLite and on PostgreSQL,
with 1 and N processes, against the no-database ceiling.

For each database (a fresh SQLite file; a fresh database on each PostgreSQL server given) it
opens a wave, starts ``survey-service serve --workers W`` for W = 1 and N, and drives it with
``wrk`` and ``benchmarks/journey.lua``, one server at a time, never two at once:

- the **short journey**: GET form, POST every answer with a unique submission key, GET
  thank-you (what the goals are stated in);
- the **full journey**: GET form, POST each of the citizen form's six pages in turn (the last
  one stores the response), GET thank-you: what a real respondent does.

``benchmarks/ceiling.py`` (the same app and uvicorn options on a store that discards
submissions, one process) is measured the same way. A journey counts only when its last POST got
the 303 sent after the response is committed; afterwards the rows stored are counted against
the 303s (none may be lost). Prints journeys/s, per-request latency p50/p99, server CPU and peak
RSS (all its processes), and PASS/FAIL against the goals. Exits 1 if a goal is missed.

    .venv/bin/python benchmarks/journeys.py [--database sqlite] \\
        [--database postgresql://postgres@127.0.0.1:5432/test] [--workers 2] [--duration 10]

Needs Debian's ``wrk`` (``apt-get install wrk``, or ``bash scripts/test-deps.sh``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from journey_lib import (
    CEILING,
    LAST_STEP,
    ROOT,
    SURVEY,
    WAVE,
    BenchError,
    Measured,
    Server,
    count_rows,
    free_port,
)
from journey_lib import measure as measure_one

# Goals of the issue, for this 2-core machine.
GOAL_JOURNEYS = 2000.0  # durable short journeys/s with N processes, on at least one engine
GOAL_P99_MS = 100.0
FULL = list(range(LAST_STEP + 1))
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Result:
    label: str
    short: Measured
    full: Measured
    rows: int = 0
    distinct: int = 0
    database: str = ""

    @property
    def acknowledged(self) -> int:
        return sum(1 + m.warm_303 + m.run.journeys for m in (self.short, self.full))

    @property
    def lost(self) -> int:
        return max(0, self.acknowledged - self.rows) if self.database else 0


async def _admin(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def fresh(database: str, tmp: Path, label: str) -> Iterator[str]:
    """A URL to a new database: a file in ``tmp``, or a database made on the server."""
    if database == "sqlite":
        yield f"sqlite:///{tmp / (label + '.sqlite3')}"
        return
    name = f"survey_bench_{secrets.token_hex(4)}"
    asyncio.run(_admin(database, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(database)._replace(path=f"/{name}"))
    finally:
        asyncio.run(_admin(database, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def measure(server: Server, label: str, args: argparse.Namespace) -> Result:
    server.start()
    try:
        server.wait_ready(60)
        nonce = secrets.token_hex(4)
        short = measure_one(server, nonce + "s", args)
        full = measure_one(server, nonce + "f", args, FULL)
    finally:
        server.stop(signal.SIGKILL if args.stop == "kill" else signal.SIGTERM)
    short.rss_mb = full.rss_mb = server.hwm_kb / 1024
    print(f"{label:>16}: {short.run.journeys_per_s:,.0f} short, {full.run.journeys_per_s:,.0f}"
          f" full journeys/s", flush=True)
    return Result(label, short, full)


def run_database(database: str, workers: int, cli: str, env: dict[str, str], tmp: Path,
                 args: argparse.Namespace) -> list[Result]:
    engine = "SQLite" if database == "sqlite" else "PostgreSQL"
    results = []
    for count in sorted({1, workers}):
        label = f"{engine} x{count}"
        with fresh(database, tmp, label.replace(" ", "-")) as url:
            run_env = env | {"SURVEY_DATABASE_URL": url}
            opened = subprocess.run([cli, "waves", "open", SURVEY, "--id", WAVE], env=run_env,
                                    cwd=ROOT, capture_output=True, text=True)
            if opened.returncode != 0:
                raise BenchError(f"could not open the wave:\n{opened.stdout}{opened.stderr}")
            port = free_port()
            server = Server(label, [cli, "serve", "--host", "127.0.0.1", "--port", str(port),
                                    "--workers", str(count)], run_env, port,
                            tmp / f"{label.replace(' ', '-')}.log")
            result = measure(server, label, args)
            result.database = url
            result.rows, result.distinct = count_rows(url)
            results.append(result)
    return results


def report(results: list[Result], ceiling: Result, args: argparse.Namespace) -> bool:
    every = [*results, ceiling]
    width = max(14, *(len(r.label) + 2 for r in every))

    def line(label: str, cells: list[str]) -> None:
        print(label.ljust(28) + "".join(c.rjust(width) for c in cells))

    def ms(m: Measured, name: str) -> str:
        return f"{m.run.ms(name):.1f}"

    print()
    print(f"journeys: wrk at {args.connections} connections, {args.threads} wrk thread(s),"
          f" {args.duration:g} s each after {args.warmup:g} s warm-up; {os.cpu_count()} CPUs,"
          " shared with whatever else runs on the machine (see 'other processes')")
    line("", [r.label for r in every])
    line("short journeys/s", [f"{r.short.run.journeys_per_s:,.0f}" for r in every])
    line("  latency p50 / p99 (ms)", [f"{ms(r.short, 'latency_p50_us')} / "
                                      f"{ms(r.short, 'latency_p99_us')}" for r in every])
    line("  server CPU (% of a core)",
         [f"{100 * r.short.run.server_cpu / r.short.run.seconds:.0f}" for r in every])
    line("  server CPU per journey (ms)",
         [f"{1e3 * r.short.run.server_cpu / max(1, r.short.run.journeys):.2f}" for r in every])
    line("  other processes (%)",
         [f"{100 * r.short.run.others_cpu / r.short.run.seconds:.0f}" for r in every])
    line("full journeys/s (8 req)", [f"{r.full.run.journeys_per_s:,.0f}" for r in every])
    line("  latency p50 / p99 (ms)", [f"{ms(r.full, 'latency_p50_us')} / "
                                      f"{ms(r.full, 'latency_p99_us')}" for r in every])
    line("  requests/s", [f"{r.full.run.values['requests'] / r.full.run.seconds:,.0f}"
                          for r in every])
    line("errors (non-200/303, I/O)", [str(r.short.run.errors + r.full.run.errors) for r in every])
    line("peak RSS, all processes (MB)", [f"{r.short.rss_mb:.0f}" for r in every])
    line("rows stored / 303s", [f"{r.rows:,} / {r.acknowledged:,}" if r.database else "-"
                                for r in every])

    best = max((r.short.run.journeys_per_s for r in results), default=0.0)
    by = {r.label: r.short.run.journeys_per_s for r in results}
    pg_n = max((v for k, v in by.items() if k.startswith("PostgreSQL")), default=None)
    checks = {
        f"short journeys/s >= {GOAL_JOURNEYS:,.0f} on some engine": best >= GOAL_JOURNEYS,
        f"p99 < {GOAL_P99_MS:.0f} ms (short journeys, every database run)": all(
            r.short.run.ms("latency_p99_us") < GOAL_P99_MS for r in results),
        "no acknowledged response lost": all(r.lost == 0 and r.rows == r.distinct
                                             for r in results),
        "no errors": all(r.short.run.errors + r.full.run.errors == 0 for r in every),
    }
    if pg_n is not None and "SQLite x1" in by:
        checks["PostgreSQL with N processes >= SQLite with 1"] = pg_n >= by["SQLite x1"]
    print()
    for name, ok in checks.items():
        print(f"  {'PASS' if ok else 'FAIL'}  {name}")
    for engine in ("SQLite", "PostgreSQL"):
        runs = sorted((k, v) for k, v in by.items() if k.startswith(engine))
        if len(runs) == 2 and runs[0][1]:
            print(f"  {engine}: x{runs[1][0].split('x')[1]} gives"
                  f" {runs[1][1] / runs[0][1]:.2f}x the journeys/s of x1")
    ok = all(checks.values())
    print(f"result: {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", action="append", metavar="URL",
                        help="'sqlite' (a fresh file) or a PostgreSQL server URL (a fresh"
                        " database is made on it per run); repeatable (default: both, the local"
                        " server)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="N, the second process count (default: the number of CPUs)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (1 leaves the other cores to the server)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (0: none)")
    parser.add_argument("--stop", choices=["term", "kill"], default="term",
                        help="stop each server before counting rows with SIGTERM or SIGKILL"
                        " (proves every 303 was committed before it was sent)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args()
    databases = args.database or ["sqlite", POSTGRES]
    if shutil.which("wrk") is None:
        print("error: wrk is not installed: run `apt-get install wrk` (Debian) or"
              " `bash scripts/test-deps.sh`", file=sys.stderr)
        return 2
    bindir = Path(sys.executable).parent
    cli = shutil.which("survey-service", path=str(bindir)) or shutil.which("survey-service")
    if cli is None:
        print("error: survey-service is not installed: run"
              " `.venv/bin/pip install -e '.[dev]'` and this script with .venv/bin/python",
              file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="survey-bench-"))
    env = os.environ | {
        "SURVEY_SECRET_KEY": secrets.token_urlsafe(32),
        "SURVEY_FORMS_DIR": str(ROOT / "forms"),
        "SURVEY_ACCESS_LOG": "0",
        # every journey comes from 127.0.0.1: the limit per client is checked, never reached
        "SURVEY_SUBMIT_LIMIT": "100000",
        "SURVEY_SUBMIT_WINDOW_SECONDS": "10",
        "PYTHONUNBUFFERED": "1",
    }
    try:
        results = []
        for database in databases:
            results += run_database(database, args.workers, cli, env, tmp, args)
        port = free_port()
        ceiling = measure(Server("ceiling", [sys.executable, str(CEILING), "--host", "127.0.0.1",
                                             "--port", str(port), "--survey", SURVEY, "--wave",
                                             WAVE], env, port, tmp / "ceiling.log"),
                          "ceiling (no DB)", args)
        return 0 if report(results, ceiling, args) else 1
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        args.keep = True  # keep the servers' logs and the databases for a look
        return 2
    finally:
        if args.keep:
            print(f"kept {tmp} (SQLite databases and server logs)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

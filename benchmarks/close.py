"""Closing a staff wave while citizens submit, beside citizen tables of two sizes.

For each size (default 100,000 and 2,000,000 citizen responses): a fresh database with a citizen
wave filled to that size and an open staff wave; 50 staff answer through the real server
(``survey-service serve``); then several clients keep submitting the citizen form while
``survey-service waves close`` (another process, as an operator would run it) closes and mixes
the staff wave. Prints, side by side with the ratio of the two sizes: the mix itself (as the
CLI logs it), the whole ``waves close`` command, the worst and 99th-percentile citizen POST
while the command ran, failed citizen POSTs, and rows stored against 303s counted. Exits 1 if
a goal is missed.

    .venv/bin/python benchmarks/close.py [--sizes 100000 2000000] [--staff 50] [--clients 8]

Goals (issue 16): the close under 1 s at both sizes, the worst citizen page under 200 ms
during the close, no failed citizen submission.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import msgspec
from journey_lib import ANSWERS  # every answer of the shipped citizen survey (a desk visit)

ROOT = Path(__file__).resolve().parent.parent
EXE = Path(sys.executable).with_name("survey-service")
SURVEY = "citizen-satisfaction"
GOAL_CLOSE_S, GOAL_WORST_MS = 1.0, 200.0
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
RADIO = re.compile(r'<input type="radio" id="[^"]+" name="([a-z_0-9]+)"')


@dataclass
class Figures:
    size: int
    db_mb: float
    mix_s: float
    command_s: float
    worst_ms: float
    p99_ms: float
    worst_mix_ms: float
    worst_before_ms: float
    p99_before_ms: float
    posts: int
    failed: int
    stored: int
    wal_mb: float


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"survey-service {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def fill(db: Path, n: int) -> None:
    """``n`` citizen responses, written straight into the file in chunks of increasing keys."""
    with sqlite3.connect(db) as conn:
        version = conn.execute("SELECT version FROM waves WHERE id = 'cs'").fetchone()[0]
        answers = msgspec.json.encode(ANSWERS)
        codes = b"\x04\x00\x00\x00" * 20
        chunk = 100_000
        for start in range(0, n, chunk):
            prefix = (start // chunk).to_bytes(2, "big")
            rows = sorted(
                (prefix + secrets.token_bytes(14), f"bulk-{i}", "cs", version, "elena", "web",
                 "bg", "2026-11-01", answers, codes)
                for i in range(start, min(n, start + chunk))
            )  # fmt: skip
            conn.executemany(
                "INSERT INTO responses (id, submission_key, wave_id, version, organisation,"
                " channel, lang, day, answers, codes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def staff_journey(client: httpx.AsyncClient, code: str, n: int) -> None:
    page = await client.get(f"/t/{code}")
    for _ in range(12):
        fields = dict(HIDDEN.findall(page.text))
        for name in dict.fromkeys(RADIO.findall(page.text)):
            values = re.findall(rf'name="{name}" value="([^"]+)"', page.text)
            fields[name] = "4" if "4" in values else values[0]
        if 'name="comments"' in page.text:
            fields["comments"] = "мнение " * (n % 40)
        fields["_action"] = "next"
        page = await client.post("/t", data=fields)
        if page.status_code == 303:
            return
        if page.status_code != 200:
            raise SystemExit(f"staff journey failed: {page.status_code}")
    raise SystemExit("staff journey never ended")


def prepare(size: int, staff: int, folder: Path) -> tuple[dict[str, str], Path, list[str]]:
    """A database of ``size`` citizen responses with an open staff wave and its codes."""
    db = folder / "survey.sqlite3"
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": f"sqlite:///{db}",
        "SURVEY_SECRET_KEY": secrets.token_urlsafe(32),
        "SURVEY_FORMS_DIR": str(ROOT / "forms"),
        "SURVEY_SUBMIT_LIMIT": "100000",  # every client of the benchmark is 127.0.0.1
    }
    cli(env, "waves", "open", SURVEY, "--id", "cs", "--org", "elena")
    cli(env, "waves", "open", "staff-survey", "--id", "staff", "--org", "elena")
    started = time.perf_counter()
    fill(db, size)
    print(f"  {size:,} citizen responses written in {time.perf_counter() - started:.0f} s",
          flush=True)  # fmt: skip
    units = ["citizen_services", "finance"]
    codes: list[str] = []
    for unit in units:
        cli(env, "tokens", "issue", "staff", "--org", "elena", "--unit", unit, "--count",
            str(staff // len(units)), "--out", str(folder / "slips"))  # fmt: skip
    for path in (folder / "slips").glob("*.csv"):
        with open(path, encoding="utf-8-sig") as f:
            codes += [row["code"] for row in csv.DictReader(f)]
    return env, db, codes


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [str(EXE), "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


async def staff_answer(base: str, codes: list[str]) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for n, code in enumerate(codes):
            await staff_journey(client, code, n)


async def close_under_load(
    base: str, env: dict[str, str], clients: int
) -> tuple[list[tuple[float, float, int]], float, float, str, int | None]:
    """Citizens submit; after 2 s `waves close` runs; 1 s after it ends the citizens stop."""
    timings: list[tuple[float, float, int]] = []
    stop = asyncio.Event()

    async def citizen(c: int) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            page = await client.get(f"/s/{SURVEY}?org=elena")
            fields = {**dict(HIDDEN.findall(page.text)), **ANSWERS, "_step": "5",
                      "_action": "next"}  # fmt: skip
            i = 0
            while not stop.is_set():
                fields["_key"] = f"close-bench-{c:02d}-{i:06d}-x"
                t0 = time.perf_counter()
                r = await client.post(f"/s/{SURVEY}", data=fields)
                timings.append((t0, time.perf_counter(), r.status_code))
                i += 1

    tasks = [asyncio.create_task(citizen(c)) for c in range(clients)]
    await asyncio.sleep(2.0)
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        str(EXE), "waves", "close", "staff", env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out = (await proc.communicate())[0].decode()
    t1 = time.perf_counter()
    await asyncio.sleep(1.0)
    stop.set()
    await asyncio.gather(*tasks)
    return timings, t0, t1, out, proc.returncode


def run_size(size: int, staff: int, clients: int, folder: Path) -> Figures:
    env, db, codes = prepare(size, staff, folder)
    server, base = start_server(env)
    try:
        asyncio.run(staff_answer(base, codes))
        timings, t0, t1, out, returncode = asyncio.run(close_under_load(base, env, clients))
    finally:
        server.terminate()
        server.wait(timeout=30)
    m = re.search(r"mixed (\d+) responses of closed wave staff in ([0-9.]+) s", out)
    if returncode != 0 or m is None or int(m.group(1)) != len(codes):
        raise SystemExit(f"waves close did not mix {len(codes)} answers:\n{out}")
    during = sorted((e - s) * 1000 for s, e, _ in timings if e >= t0 and s <= t1)
    # the mix itself: its transaction ends the command (give it 0.1 s more for closing)
    mix_s = float(m.group(2))
    mix = sorted(
        (e - s) * 1000 for s, e, _ in timings if e >= t1 - mix_s - 0.1 and s <= t1
    )
    # the same load without a close: the 1.5 s before the command started
    before = sorted((e - s) * 1000 for s, e, _ in timings if t0 - 1.5 <= s and e < t0)
    with sqlite3.connect(db) as conn:
        stored = conn.execute(
            "SELECT COUNT(*) FROM responses WHERE submission_key LIKE 'close-bench-%'"
        ).fetchone()[0]
    conn.close()
    wal = Path(f"{db}-wal")
    return Figures(
        size=size,
        db_mb=db.stat().st_size / 1e6,
        mix_s=mix_s,
        command_s=t1 - t0,
        worst_ms=during[-1] if during else 0.0,
        p99_ms=during[int(0.99 * (len(during) - 1))] if during else 0.0,
        worst_mix_ms=mix[-1] if mix else 0.0,
        worst_before_ms=before[-1] if before else 0.0,
        p99_before_ms=before[int(0.99 * (len(before) - 1))] if before else 0.0,
        posts=len(timings),
        failed=sum(1 for *_, status in timings if status != 303),
        stored=int(stored),
        wal_mb=wal.stat().st_size / 1e6 if wal.exists() else 0.0,
    )


def report(results: list[Figures]) -> bool:
    def row(label: str, values: list[str], ratio: str = "", verdict: str = "") -> None:
        print(f"{label:<42}" + "".join(f"{v:>16}" for v in values) + f"{ratio:>10}  {verdict}")

    first, last = results[0], results[-1]
    ok_close = all(r.mix_s < GOAL_CLOSE_S for r in results)
    ok_worst = all(r.worst_ms < GOAL_WORST_MS for r in results)
    ok_failed = all(r.failed == 0 and r.stored == r.posts for r in results)
    print()
    row("citizen responses in the database", [f"{r.size:,}" for r in results],
        f"{last.size / first.size:.0f}x")  # fmt: skip
    row("database file (MB)", [f"{r.db_mb:,.0f}" for r in results],
        f"{last.db_mb / first.db_mb:.1f}x")  # fmt: skip
    row("close: the mix transaction + destroy (s)", [f"{r.mix_s:.3f}" for r in results],
        f"{last.mix_s / first.mix_s:.2f}x", f"goal < {GOAL_CLOSE_S:g} s: "
        + ("PASS" if ok_close else "FAIL"))  # fmt: skip
    row("`waves close` command, start to exit (s)", [f"{r.command_s:.2f}" for r in results],
        f"{last.command_s / first.command_s:.2f}x")  # fmt: skip
    row("worst citizen POST during the close (ms)", [f"{r.worst_ms:.0f}" for r in results],
        f"{last.worst_ms / max(first.worst_ms, 1e-9):.2f}x",
        f"goal < {GOAL_WORST_MS:g} ms: " + ("PASS" if ok_worst else "FAIL"))  # fmt: skip
    row("worst citizen POST during the mix itself (ms)", [f"{r.worst_mix_ms:.0f}"
        for r in results])  # fmt: skip
    row("p99 citizen POST during the close (ms)", [f"{r.p99_ms:.0f}" for r in results],
        f"{last.p99_ms / max(first.p99_ms, 1e-9):.2f}x")  # fmt: skip
    row("citizen POSTs / failed / rows stored", [f"{r.posts}/{r.failed}/{r.stored}"
        for r in results], "", "goal 0 failed, all stored: "
        + ("PASS" if ok_failed else "FAIL"))  # fmt: skip
    row("same load, 1.5 s before the close: worst (ms)",
        [f"{r.worst_before_ms:.0f}" for r in results])  # fmt: skip
    row("same load, 1.5 s before the close: p99 (ms)",
        [f"{r.p99_before_ms:.0f}" for r in results])  # fmt: skip
    row("WAL after the run (MB)", [f"{r.wal_mb:.1f}" for r in results])
    return ok_close and ok_worst and ok_failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 2_000_000])
    parser.add_argument("--staff", type=int, default=50)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        folder = Path(tempfile.mkdtemp(prefix=f"close-{size}-"))
        try:
            print(f"{size:,} citizen responses, {args.staff}-person staff wave:", flush=True)
            results.append(run_size(size, args.staff, args.clients, folder))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if report(results) else 1


if __name__ == "__main__":
    sys.exit(main())

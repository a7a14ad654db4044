"""Soak: N minutes of mixed traffic against one real ``survey-service serve`` (issue 13).

    .venv/bin/python benchmarks/soak.py                # 10 minutes
    .venv/bin/python benchmarks/soak.py --minutes 5    # shorter
    .venv/bin/python benchmarks/soak.py --database postgresql://postgres@127.0.0.1/soak
    .venv/bin/python benchmarks/soak.py --minutes 3 --prefill 200000  # as a long soak ends

Traffic, all at once, on a fresh database:
- citizens on the web (``--citizens`` clients, each: open the form, send it, 303);
- an enrolled front-desk kiosk, sending forms one after another;
- a clerk typing in numbered paper questionnaires;
- an analyst opening the dashboard, the report page of the closed demo waves and a closed
  wave's CSV every few seconds, and once a minute an administrator's API client reading the
  answered wave's first page of 1,000 responses (``/api/v1/.../responses.json``); with
  ``--live-csv`` the administrator downloads the answered wave's whole CSV instead, a request
  whose work grows with the wave all along (35,000 responses a minute on a fast machine: 0.6 s
  in the second minute, 4.9 s in the tenth), so that the rate cannot be steady;
- staff: every minute a new staff wave is opened, 10 staff answer it with their codes and it
  is closed with ``waves close`` (which mixes the sealed answers).

Printed per minute: completed journeys per channel, errors, the server's resident memory
(VmRSS) and CPU, the journeys per second of that CPU (less sensitive than the rate itself to
other programs' load on a shared machine), the seconds the live wave's request took, and on
PostgreSQL its server processes' CPU, on SQLite the size of the WAL file.
Beside it, a probe process times a fixed loop of pure Python once a second, in CPU time: the
machine's own speed that minute (a shared 2-core virtual machine's CPU second is not always the
same work: its neighbours share the caches and the core). Printed: the probe's median (ms)
each minute, and at the end its correlation with the journeys per minute (negative when the
rate moved with the machine rather than with the app). It corrects nothing: a loop of integer
arithmetic is not the server's work, and scaling the rate by it overcorrects.
Goal (README "Benchmarks"): after the first minute (warm-up) memory grows less than 10 %,
there is no error, and the journeys per minute stay within 10 % of their median. Exit status
0 when the goal is met.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import re
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from close import staff_journey  # noqa: E402 (a benchmark beside this one)
from journey_lib import ANSWERS, free_port  # noqa: E402

EXE = Path(sys.executable).with_name("survey-service")
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
LINK = re.compile(r"https?://[^/\s]+(/kiosk/enrol/[A-Za-z0-9_-]+)")
WAVE, PASSWORD = "soak-cs", "soak password long enough"
JOURNEYS = ("web", "kiosk", "paper")  # the journeys whose rate must stay steady
#: The probe: CPU time of a fixed loop, once a second, one line each (milliseconds).
PROBE = """
import sys, time
def work():
    x = 0
    for i in range(200_000):
        x = (x * 31 + i) % 1000003
    return x
while True:
    began = time.process_time()
    work()
    print(f"{(time.process_time() - began) * 1000:.3f}", flush=True)
    time.sleep(1.0)
"""


class Probe:
    """The probe process and the samples it printed (each minute's, taken with :meth:`take`)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", PROBE], stdout=subprocess.PIPE,
                                     text=True)
        self.samples: list[float] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.samples.append(float(line))

    def take(self) -> float:
        """The median of the samples since the last call (ms)."""
        taken, self.samples = self.samples, []
        return statistics.median(taken) if taken else float("nan")

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


class Tally:
    def __init__(self) -> None:
        self.done: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()  # wall seconds spent in each kind of request
        self.errors: list[str] = []

    def error(self, what: str) -> None:
        self.errors.append(what)
        if len(self.errors) <= 5:
            print(f"  error: {what}", flush=True)


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(EXE), *args], env=env, input=stdin, capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"survey-service {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # gone meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Backends:
    """CPU seconds of PostgreSQL's processes serving the soak's database (each connection's
    own, summed; those of connections closed meanwhile are lost, e.g. the CLI's)."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.seen: dict[int, float] = {}

    async def cpu(self) -> float:
        if self.url is None:
            return 0.0
        import asyncpg

        conn = await asyncpg.connect(self.url)
        try:
            pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname ="
                                    " current_database() AND pid <> pg_backend_pid()")
        finally:
            await conn.close()
        for (pid,) in pids:
            self.seen[pid] = max(self.seen.get(pid, 0.0), cpu_seconds(pid))
        return sum(self.seen.values())


async def citizen(base: str, tally: Tally, stop: asyncio.Event, kind: str = "web",
                  link: str | None = None) -> None:
    """Journeys of the citizen form (a browser, or an enrolled kiosk when ``link``)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        if link is not None:
            page = await client.get(link)
            await client.post(link, data={"_csrf_token": CSRF.findall(page.text)[0]})
        while not stop.is_set():
            try:
                page = await client.get("/s/citizen-satisfaction?org=elena")
                fields = {**dict(HIDDEN.findall(page.text)), **ANSWERS, "_step": "5",
                          "_action": "next"}
                r = await client.post("/s/citizen-satisfaction", data=fields,
                                      follow_redirects=False)
            except httpx.HTTPError as exc:
                tally.error(f"{kind}: {exc!r}")
                continue
            if r.status_code == 303:
                tally.done[kind] += 1
            else:
                tally.error(f"{kind}: {r.status_code}")


async def sign_in(client: httpx.AsyncClient, name: str) -> None:
    page = await client.get("/admin/login")
    r = await client.post("/admin/login", data={"_csrf_token": CSRF.findall(page.text)[0],
                                                "name": name, "password": PASSWORD},
                          follow_redirects=False)
    if r.status_code != 303:
        raise SystemExit(f"{name} could not sign in: {r.status_code}")


async def clerk(base: str, tally: Tally, stop: asyncio.Event) -> None:
    """Paper questionnaires typed in, one after another."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        await sign_in(client, "clerk")
        path, n = "/admin/paper/elena/citizen-satisfaction", 0
        while not stop.is_set():
            n += 1
            try:
                start = await client.get(path)
                page = await client.post(path, data={
                    "_csrf_token": CSRF.findall(start.text)[0], "number": f"P-{n}"})
                action = re.search(r'<form id="survey" method="post" action="([^"]+)"',
                                   page.text)
                if action is None:
                    tally.error(f"paper: {page.status_code}")
                    continue
                fields = {**dict(HIDDEN.findall(page.text)), **ANSWERS, "_step": "5",
                          "_action": "next"}
                r = await client.post(action.group(1).replace("&amp;", "&"), data=fields,
                                      follow_redirects=False)
            except httpx.HTTPError as exc:
                tally.error(f"paper: {exc!r}")
                continue
            if r.status_code == 303:
                tally.done["paper"] += 1
            else:
                tally.error(f"paper: {r.status_code}")


#: What the analyst reads every few seconds: the closed demo waves never change, so their
#: work per request stays the same minute after minute (a report page, kept once computed,
#: and a closed wave's export).
BASELINE, FOLLOW_UP = (f"demo-citizen-satisfaction-{p}" for p in ("baseline", "follow-up"))
REPORT = (f"/admin/orgs/elena/reports/citizen-satisfaction?baseline={BASELINE}"
          f"&follow_up={FOLLOW_UP}")
CLOSED_CSV = f"/admin/orgs/elena/exports/{BASELINE}/responses.csv"


async def fetch(client: httpx.AsyncClient, tally: Tally, kind: str, url: str) -> None:
    began = time.monotonic()
    try:
        r = await client.get(url)
    except httpx.HTTPError as exc:
        tally.error(f"{kind}: {exc!r}")
        return
    finally:
        tally.seconds[kind] += time.monotonic() - began
    if r.status_code == 200:
        tally.done[kind] += 1
    else:
        tally.error(f"{kind}: {r.status_code}")


async def analyst(base: str, tally: Tally, stop: asyncio.Event, every: float, key: str,
                  live_csv: bool) -> None:
    """An analyst, every few seconds: the dashboard, the closed waves' report page and a
    closed wave's CSV; once a minute, the wave being answered: the first page of its responses
    through the API, or (``live_csv``) its whole CSV, which grows all along."""
    async with httpx.AsyncClient(base_url=base, timeout=120) as ana, \
            httpx.AsyncClient(base_url=base, timeout=120,
                              headers={"authorization": f"Bearer {key}"}) as api, \
            httpx.AsyncClient(base_url=base, timeout=120) as root:
        await sign_in(ana, "ana")
        if live_csv:
            await sign_in(root, "root")
        live_client, live_url = (root, f"/admin/exports/{WAVE}/responses.csv") if live_csv else (
            api, f"/api/v1/waves/{WAVE}/responses.json?per_page=1000")
        live_due = 0.0
        while not stop.is_set():
            for kind, url in (("dashboard", "/admin"), ("report", REPORT),
                              ("export", CLOSED_CSV)):
                await fetch(ana, tally, kind, url)
            if time.monotonic() >= live_due:
                live_due = time.monotonic() + 60
                await fetch(live_client, tally, "live export", live_url)
            await asyncio.sleep(every)


async def staff(base: str, env: dict[str, str], tally: Tally, stop: asyncio.Event,
                folder: Path) -> None:
    """Every minute a staff wave: opened, answered by 10 with their codes, closed (mixed)."""
    n = 0
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while not stop.is_set():
            n += 1
            started, wave = time.monotonic(), f"soak-staff-{n}"
            try:
                await asyncio.to_thread(cli, env, "waves", "open", "staff-survey", "--id", wave,
                                        "--org", "elena")
                await asyncio.to_thread(
                    cli, env, "tokens", "issue", wave, "--org", "elena", "--unit", "finance",
                    "--count", "10", "--out", str(folder / wave))
                codes = await asyncio.to_thread(read_codes, folder / wave)
                for i, code in enumerate(codes):
                    await staff_journey(client, code, i)
                    tally.done["staff"] += 1
                await asyncio.to_thread(cli, env, "waves", "close", wave)
                tally.done["staff waves"] += 1
            except (SystemExit, httpx.HTTPError) as exc:
                tally.error(f"staff: {exc}")
            rest = 60 - (time.monotonic() - started)
            try:
                await asyncio.wait_for(stop.wait(), max(rest, 0))
            except TimeoutError:
                pass


def read_codes(folder: Path) -> list[str]:
    codes = []
    for path in folder.glob("*.csv"):
        with open(path, encoding="utf-8-sig") as f:
            codes += [row["code"] for row in csv.DictReader(f)]
    return codes


def prefill(env: dict[str, str], count: int, folder: Path) -> None:
    """``count`` responses in the answered wave before the soak starts, as of today (where a
    long soak would be): Elena's answers of the demo's baseline wave over and over, through
    ``export`` and ``import``."""
    from survey_service.surveys.waves import today_in_sofia

    baseline, fill = folder / "baseline.csv", folder / "prefill.csv"
    cli(env, "export", BASELINE, "--out", str(baseline))
    with open(baseline, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        head = next(reader)
        org = head.index("organisation")
        rows = [r for r in reader if r[org] == "elena"]
    key, wave, day = (head.index(c) for c in ("response_id", "wave", "day"))
    with open(fill, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(head)
        for i in range(count):
            row = list(rows[i % len(rows)])
            row[key], row[wave], row[day] = secrets.token_hex(16), WAVE, str(today_in_sofia())
            out.writerow(row)
    cli(env, "import", WAVE, str(fill))
    # the import's work done now, not during the first minutes (it would count as the
    # server's CPU)
    asyncio.run(settle(env["SURVEY_DATABASE_URL"]))


async def settle(url: str) -> None:
    """The prefill's work done before measuring: SQLite's WAL copied into the database (the
    store's checkpointer would do it during the first measured requests), PostgreSQL's table
    vacuumed and analysed (as autovacuum would after so many inserts)."""
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(url)
    try:
        await pg.execute("VACUUM ANALYZE responses")
    finally:
        await pg.close()


def start(args: argparse.Namespace, folder: Path) -> tuple[dict[str, str], str, str, str,
                                                           subprocess.Popen[bytes]]:
    """A fresh database with the citizen wave, three accounts (and the administrator's API
    key) and a kiosk link; the server."""
    env = {**os.environ, "SURVEY_SECRET_KEY": secrets.token_urlsafe(32),
           "SURVEY_DATABASE_URL": args.database or f"sqlite:///{folder / 'soak.sqlite3'}",
           "SURVEY_FORMS_DIR": str(ROOT / "forms"),
           # every citizen comes from 127.0.0.1: the limit per client is checked, never
           # reached (100,000 per 10 minutes was, on a fast machine, in the tenth minute)
           "SURVEY_SUBMIT_LIMIT": "100000", "SURVEY_SUBMIT_WINDOW_SECONDS": "10"}
    cli(env, "db", "migrate")
    cli(env, "demo")  # closed waves for the analyst to read
    cli(env, "waves", "open", "citizen-satisfaction", "--id", WAVE, "--org", "elena")
    if args.prefill:
        prefill(env, args.prefill, folder)
    for name, role in (("root", "admin"), ("ana", "analyst"), ("clerk", "clerk")):
        cli(env, "users", "add", name, "--role", role, "--org", "elena", "--password-stdin",
            stdin=PASSWORD + "\n")
    link = LINK.findall(cli(env, "kiosk", "enrol", "--org", "elena", "--label", "soak"))[0]
    key = cli(env, "users", "key", "root").strip()
    port = free_port()
    server = subprocess.Popen([str(EXE), "serve", "--port", str(port), "--workers", "1"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    return env, base, link, key, server


async def soak(args: argparse.Namespace, folder: Path) -> bool:
    env, base, link, key, server = await asyncio.to_thread(start, args, folder)
    try:
        tally, stop = Tally(), asyncio.Event()
        tasks = [asyncio.create_task(citizen(base, tally, stop)) for _ in range(args.citizens)]
        tasks += [asyncio.create_task(citizen(base, tally, stop, "kiosk", link)),
                  asyncio.create_task(clerk(base, tally, stop)),
                  asyncio.create_task(analyst(base, tally, stop, args.analyst_every,
                                                      key, args.live_csv)),
                  asyncio.create_task(staff(base, env, tally, stop, folder))]
        minutes: list[tuple[Counter[str], int, float, float]] = []
        backends = Backends(args.database)
        probe = Probe()
        before, cpu, db = Counter(tally.done), cpu_seconds(server.pid), await backends.cpu()
        spent = Counter(tally.seconds)
        wal = folder / "soak.sqlite3-wal"
        print(f"minute  {'web':>6} {'kiosk':>6} {'paper':>6} {'staff':>6} {'dash':>5}"
              f" {'report':>6} {'csv':>5} {'live':>4} {'errors':>6} {'RSS MB':>7}"
              f" {'CPU s':>6} {'j/CPUs':>6} {'probe':>6} {'live s':>6}"
              + (f" {'PG CPU s':>8}" if args.database else f" {'WAL MB':>6}"),
              flush=True)
        for minute in range(1, args.minutes + 1):
            await asyncio.sleep(60)
            now, cpu_now, db_now = Counter(tally.done), cpu_seconds(server.pid), \
                await backends.cpu()
            delta, rss, speed = now - before, rss_kb(server.pid), probe.take()
            minutes.append((delta, rss, cpu_now - cpu, speed))
            done = sum(delta[k] for k in JOURNEYS)
            print(f"{minute:>6}  {delta['web']:>6} {delta['kiosk']:>6} {delta['paper']:>6}"
                  f" {delta['staff']:>6} {delta['dashboard']:>5} {delta['report']:>6}"
                  f" {delta['export']:>5} {delta['live export']:>4}"
                  f" {len(tally.errors):>6} {rss / 1024:>7.1f} {cpu_now - cpu:>6.1f}"
                  f" {done / max(cpu_now - cpu, 1e-9):>6.0f} {speed:>6.2f}"
                  f" {tally.seconds['live export'] - spent['live export']:>6.1f}"
                  + (f" {db_now - db:>8.1f}" if args.database
                     else f" {wal.stat().st_size / 2**20 if wal.exists() else 0:>6.1f}"),
                  flush=True)
            before, cpu, db, spent = now, cpu_now, db_now, Counter(tally.seconds)
        stop.set()
        probe.stop()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 300)
    finally:
        server.terminate()
        server.wait(30)
    return verdict(minutes, tally)


def spread_of(values: list[float]) -> tuple[float, float]:
    """The median of ``values`` and their largest distance from it, as a share of it."""
    median = statistics.median(values)
    return median, (max(abs(v - median) / median for v in values) if median else 1.0)


def verdict(minutes: list[tuple[Counter[str], int, float, float]], tally: Tally) -> bool:
    steady = minutes[1:] or minutes
    journeys = [float(sum(d[k] for k in JOURNEYS)) for d, *_ in steady]
    median, spread = spread_of(journeys)
    # on a shared machine the server's CPU share moves the rate: journeys per CPU second too
    cpu_median, cpu_spread = spread_of([j / max(c, 1e-9)
                                        for j, (_, _, c, _) in zip(journeys, steady, strict=True)])
    print(f"journeys per server CPU second: median {cpu_median:.0f}, spread ±{cpu_spread:.1%}")
    probes = [p for *_, p in steady]
    _, probe_spread = spread_of(probes)
    r = statistics.correlation(journeys, probes) if len(set(probes)) > 1 else float("nan")
    print(f"the probe (the machine's speed): median {statistics.median(probes):.2f} ms, spread "
          f"±{probe_spread:.1%}; its correlation with the journeys per minute r = {r:+.2f}")
    growth = (steady[-1][1] - steady[0][1]) / steady[0][1]
    print(f"after warm-up: journeys/min median {median:.0f} (spread ±{spread:.1%}), memory "
          f"{steady[0][1] / 1024:.1f} → {steady[-1][1] / 1024:.1f} MB ({growth:+.1%}), "
          f"{len(tally.errors)} errors, {tally.done['staff waves']} staff waves closed")
    met = spread <= 0.10 and growth < 0.10 and not tally.errors
    print("goal met" if met else "goal NOT met: memory growth < 10 %, no error, "
          "throughput within 10 %")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--citizens", type=int, default=4, help="concurrent web respondents")
    parser.add_argument("--analyst-every", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument("--database", default=None,
                        help="a PostgreSQL URL of an empty database (default: a new SQLite file)")
    parser.add_argument("--live-csv", action="store_true",
                        help="once a minute the answered wave's whole CSV (grows all along)"
                        " instead of the first page of its responses through the API")
    parser.add_argument("--prefill", type=int, default=0, metavar="N",
                        help="start with N responses in the answered wave (as after a long soak)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        return 0 if asyncio.run(soak(args, Path(tmp))) else 1


if __name__ == "__main__":
    sys.exit(main())

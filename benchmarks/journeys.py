"""Respondents' journeys per second: the real server on SQLite against a no-database ceiling.

Starts ``survey-service serve`` on a fresh SQLite file (with an open wave) and, side by side,
``benchmarks/ceiling.py`` (the same app, same uvicorn options, on a store that discards
submissions). Each is driven in turn, never both at once, by ``wrk`` with
``benchmarks/journey.lua``: GET form, POST every answer with a unique submission key, GET
thank-you. A journey counts only when its POST got the 303 sent after the response is
committed. Prints journeys/s, latency p50/p99 (per request, all three kinds together, as wrk
measures them), peak server RSS, the ratio to the ceiling, and the rows stored against the
303s counted (none may be lost). Exits 1 if a goal is missed.

    .venv/bin/python benchmarks/journeys.py [--duration 10] [--connections 32]

Needs Debian's ``wrk`` (``apt-get install wrk``, or ``bash scripts/test-deps.sh``).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LUA = HERE / "journey.lua"
CEILING = HERE / "ceiling.py"
SURVEY = "citizen-satisfaction"
ORG = "elena"
WAVE = "bench"
FORM_PATH = f"/s/{SURVEY}?org={ORG}"
POST_PATH = f"/s/{SURVEY}"
THANKS_PATH = f"/s/{SURVEY}/thanks?org={ORG}&lang=bg"
LAST_STEP = 5  # index of the survey's last section: posting it validates every section

# Goals of the issue, for this 2-core machine.
GOAL_JOURNEYS = 1000.0
GOAL_RATIO = 0.60
GOAL_P99_MS = 100.0
GOAL_RSS_MB = 200.0

#: Every answer of the shipped citizen survey (a desk visit, so the desk page is shown too).
ANSWERS: dict[str, str] = {
    "contact_when": "today",
    "service": "local_taxes", "respondent_type": "citizen", "channel": "desk",
    "matter_finished": "finished",
    "info_easy_to_find": "4", "forms_clear": "5", "time_reasonable": "3",
    "staff_knowledgeable": "5", "staff_explained": "4", "staff_courteous": "5",
    "treated_fairly": "1", "got_what_needed": "4", "deadline_met": "4",
    "documents_correct": "2", "visit_count": "2",
    "wait_minutes": "up_to_20", "desks_count": "1", "desk_easy_to_find": "5",
    "waiting_acceptable": "3", "premises_accessible": "4",
    "overall_satisfaction": "4", "effort": "6", "recommend": "9",
    "age_band": "age_45_64",
    "comments": "Бързо и любезно обслужване, благодаря! Quick and polite service, thank you.",
}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------- servers
@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    hwm_kb: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                status, _, _ = request(self.port, "GET", FORM_PATH)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError(f"{self.name} did not answer within {timeout:.0f} s:\n{self.tail()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user + system) so far of the server's main thread (the event loop) and
        of all its threads together (the others are aiosqlite's connection threads)."""
        main = total = 0.0
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            try:
                stat = (task / "stat").read_text()
            except OSError:  # the thread has just ended
                continue
            fields = stat.rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime
            total += seconds
            if task.name == str(self.pid):
                main = seconds
        return main, total

    def peak_rss_kb(self) -> int:
        """VmHWM: the peak resident set size of the server process."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                self.hwm_kb = max(self.hwm_kb, int(line.split()[1]))
        return self.hwm_kb

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.peak_rss_kb()
        except OSError:
            pass
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def machine_busy_seconds() -> float:
    """CPU time all CPUs of the machine have spent busy so far (``/proc/stat``)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def request(port: int, method: str, path: str, body: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read().decode(errors="replace")
        hdrs: dict[str, str] = {}
        for name, value in resp.getheaders():
            key = name.lower()
            hdrs[key] = f"{hdrs[key]}\n{value}" if key in hdrs else value
        return resp.status, hdrs, data
    finally:
        conn.close()


# ---------------------------------------------------------------------------- journeys
def csrf_pair(port: int) -> str:
    """GET the form once; return the token, checking the cookie and hidden field agree."""
    status, headers, page = request(port, "GET", FORM_PATH)
    if status != 200:
        raise BenchError(f"GET {FORM_PATH} answered {status}")
    fields = dict(HIDDEN.findall(page))
    cookie = re.search(r"csrftoken=([^;\s]+)", headers.get("set-cookie", ""))
    if cookie is None or fields.get("_csrf_token") != cookie.group(1):
        raise BenchError("the form did not set a csrftoken cookie matching its _csrf_token")
    expected = {"_step": "0", "_org": ORG, "_lang": "bg"}
    if any(fields.get(k) != v for k, v in expected.items()) or "_key" not in fields:
        raise BenchError(f"unexpected hidden fields on the form: {fields}")
    return cookie.group(1)


def answers_body(token: str) -> str:
    """The urlencoded POST body without ``_key`` (the Lua script appends a unique one)."""
    meta = {"_csrf_token": token, "_step": str(LAST_STEP), "_lang": "bg", "_org": ORG,
            "_action": "next"}
    return urlencode(meta | ANSWERS)


def preflight(port: int, token: str, nonce: str) -> None:
    """One journey by hand, so that a wrong body fails loudly instead of as 0 journeys/s."""
    body = answers_body(token) + "&_key=" + f"{nonce}-preflight-{secrets.token_hex(4)}"
    status, headers, page = request(port, "POST", POST_PATH, body, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={token}"})
    if status != 303 or headers.get("location") != THANKS_PATH:
        errors = re.findall(r'<a href="#[^"]+">([^<]+)</a>', page)
        title = re.search(r"<title>([^<]*)</title>", page)
        raise BenchError(f"the POST answered {status} (location {headers.get('location')}), not"
                         f" 303 to {THANKS_PATH}: {errors or (title and title.group(1))}")
    status, _, _ = request(port, "GET", THANKS_PATH, headers={"Cookie": f"csrftoken={token}"})
    if status != 200:
        raise BenchError(f"GET {THANKS_PATH} answered {status}")


@dataclass
class Run:
    values: dict[str, float] = field(default_factory=dict)
    other_codes: str = "-"
    server_cpu: float = 0.0  # CPU seconds of the server (all threads) during the run
    loop_cpu: float = 0.0  # CPU seconds of the server's event-loop thread during the run
    wrk_cpu: float = 0.0  # CPU seconds of wrk during the run
    busy_cpu: float = 0.0  # CPU seconds of the whole machine during the run

    @property
    def others_cpu(self) -> float:
        """CPU seconds of everything else on the machine (other processes) during the run."""
        return max(0.0, self.busy_cpu - self.server_cpu - self.wrk_cpu)
    output: str = ""

    @property
    def seconds(self) -> float:
        return self.values["duration_us"] / 1e6

    @property
    def journeys(self) -> int:
        return int(self.values["status_303"])

    @property
    def journeys_per_s(self) -> float:
        return self.journeys / self.seconds

    def ms(self, name: str) -> float:
        return self.values[name] / 1000

    @property
    def errors(self) -> int:
        socket_errors = sum(int(v) for k, v in self.values.items() if k.startswith("errors_")
                            and k != "errors_status")
        return int(self.values["status_other"]) + socket_errors


def run_wrk(server: Server, token: str, nonce: str, seconds: float, connections: int,
            threads: int) -> Run:
    env = os.environ | {
        "JOURNEY_FORM": FORM_PATH, "JOURNEY_POST": POST_PATH, "JOURNEY_THANKS": THANKS_PATH,
        "JOURNEY_BODY": answers_body(token), "JOURNEY_COOKIE": f"csrftoken={token}",
        "JOURNEY_NONCE": nonce,
    }
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s",
           "--latency", "-s", str(LUA), server.base + "/"]
    cpu0, busy0 = server.cpu_seconds(), machine_busy_seconds()
    usage0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    usage1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1, busy1 = server.cpu_seconds(), machine_busy_seconds()
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    run = Run(output=done.stdout, server_cpu=cpu1[1] - cpu0[1], loop_cpu=cpu1[0] - cpu0[0],
              wrk_cpu=(usage1.ru_utime + usage1.ru_stime) - (usage0.ru_utime + usage0.ru_stime),
              busy_cpu=busy1 - busy0)
    for line in done.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "JOURNEY":
            if parts[1] == "other_codes":
                run.other_codes = parts[2]
            else:
                run.values[parts[1]] = float(parts[2])
    if "status_303" not in run.values:
        raise BenchError(f"wrk printed no results:\n{done.stdout}\n{done.stderr}")
    return run


@dataclass
class Measured:
    server: Server
    run: Run
    warm_303: int
    warm_posted: int
    rss_mb: float = 0.0


def measure(server: Server, nonce: str, args: argparse.Namespace) -> Measured:
    try:
        token = csrf_pair(server.port)
        preflight(server.port, token, nonce)
    except BenchError as exc:
        raise BenchError(f"{server.name}: {exc}\n--- {server.log}:\n{server.tail()}") from exc
    warm = Run(values={"status_303": 0, "posted": 0})
    if args.warmup > 0:
        warm = run_wrk(server, token, nonce + "w", args.warmup, args.connections, args.threads)
    run = run_wrk(server, token, nonce + "m", args.duration, args.connections, args.threads)
    if args.verbose:
        print(f"--- wrk against {server.name}\n{run.output}")
    return Measured(server, run, warm.journeys, int(warm.values["posted"]),
                    server.peak_rss_kb() / 1024)


def count_rows(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT COUNT(*), COUNT(DISTINCT submission_key) FROM responses"
                            " WHERE wave_id = ?", (WAVE,)).fetchone()
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if check != "ok":
        raise BenchError(f"the database failed its integrity check: {check}")
    return int(rows[0]), int(rows[1])


# ---------------------------------------------------------------------------- report
def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(app: Measured, ceiling: Measured, rows: int, distinct: int, args: argparse.Namespace,
           ) -> bool:
    a, c = app.run, ceiling.run
    ratio = a.journeys_per_s / c.journeys_per_s if c.journeys_per_s else 0.0
    # every 303 the app sent (preflight, warm-up, measured run) must be a stored row
    acknowledged = 1 + app.warm_303 + a.journeys
    sent = 1 + app.warm_posted + int(a.values["posted"])  # upper bound: POSTs wrk wrote
    lost = max(0, acknowledged - rows)
    checks = {
        "journeys": a.journeys_per_s >= GOAL_JOURNEYS,
        "ratio": ratio >= GOAL_RATIO,
        "p99": a.ms("latency_p99_us") < GOAL_P99_MS,
        "rss": app.rss_mb < GOAL_RSS_MB,
        "rows": lost == 0 and rows == distinct and rows <= sent,
        "errors": a.errors == 0 and c.errors == 0,
    }
    w = (26, 16, 16, 12, 6)

    def line(label: str, app_v: str, ceil_v: str, goal: str = "", ok: bool | None = None
             ) -> None:
        cells = [label, app_v, ceil_v, goal, "" if ok is None else verdict(ok)]
        print("  ".join(cell.ljust(n) for cell, n in zip(cells, w, strict=True)).rstrip())

    print()
    print(f"journeys: GET form + POST all answers + GET thank-you; {args.connections}"
          f" connections, {args.threads} wrk thread(s), {args.duration:g} s"
          f" (after {args.warmup:g} s warm-up); {os.cpu_count()} CPUs")
    line("", "app (SQLite)", "ceiling (no DB)", "goal", None)
    line("journeys/s (303s/s)", f"{a.journeys_per_s:,.0f}", f"{c.journeys_per_s:,.0f}",
         f">= {GOAL_JOURNEYS:,.0f}", checks["journeys"])
    line("ratio to ceiling", f"{ratio:.0%}", "100%", f">= {GOAL_RATIO:.0%}", checks["ratio"])
    line("requests/s", f"{a.values['requests'] / a.seconds:,.0f}",
         f"{c.values['requests'] / c.seconds:,.0f}")
    line("latency p50 (ms, per req)", f"{a.ms('latency_p50_us'):.1f}",
         f"{c.ms('latency_p50_us'):.1f}")
    line("latency p90 (ms, per req)", f"{a.ms('latency_p90_us'):.1f}",
         f"{c.ms('latency_p90_us'):.1f}")
    line("latency p99 (ms, per req)", f"{a.ms('latency_p99_us'):.1f}",
         f"{c.ms('latency_p99_us'):.1f}", f"< {GOAL_P99_MS:.0f}", checks["p99"])
    line("latency max (ms)", f"{a.ms('latency_max_us'):.1f}", f"{c.ms('latency_max_us'):.1f}")
    line("peak server RSS (MB)", f"{app.rss_mb:.1f}", f"{ceiling.rss_mb:.1f}",
         f"< {GOAL_RSS_MB:.0f}", checks["rss"])
    line("server CPU (% of a core)", f"{100 * a.server_cpu / a.seconds:.0f}",
         f"{100 * c.server_cpu / c.seconds:.0f}")
    line("  of which event loop", f"{100 * a.loop_cpu / a.seconds:.0f}",
         f"{100 * c.loop_cpu / c.seconds:.0f}")
    line("wrk CPU (% of a core)", f"{100 * a.wrk_cpu / a.seconds:.0f}",
         f"{100 * c.wrk_cpu / c.seconds:.0f}")
    line("other processes CPU (%)", f"{100 * a.others_cpu / a.seconds:.0f}",
         f"{100 * c.others_cpu / c.seconds:.0f}")
    line("errors (non-200/303, I/O)", f"{a.errors}" + (f" [{a.other_codes}]" if a.errors else ""),
         f"{c.errors}" + (f" [{c.other_codes}]" if c.errors else ""), "0", checks["errors"])
    line("rows stored / 303s", f"{rows:,} / {acknowledged:,}", "-", "none lost",
         checks["rows"])
    print(f"  rows: {rows:,} stored ({distinct:,} distinct keys) after stopping the server with"
          f" {args.stop.upper()}; {acknowledged:,} POSTs answered 303 (1 preflight +"
          f" {app.warm_303:,} warm-up + {a.journeys:,} measured); {sent:,} POSTs sent;"
          f" lost {lost}; {rows - acknowledged:,} extra (POSTs cut off when wrk stopped).")
    print("  latency is wrk's per-request distribution over the three requests of a journey.")
    busiest = max(a.others_cpu / a.seconds, c.others_cpu / c.seconds)
    if busiest > 0.2:
        print(f"  warning: other processes used up to {busiest:.0%} of a CPU during the runs;"
              " the figures are lower than on a quiet machine.")
    ok = all(checks.values())
    print(f"result: {verdict(ok)}")
    return ok


# ---------------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1,
                        help="wrk threads (1 leaves the other core to the server)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds (0: none)")
    parser.add_argument("--stop", choices=["term", "kill"], default="term",
                        help="stop the app before counting rows with SIGTERM (graceful) or"
                        " SIGKILL (proves every 303 was committed before it was sent)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--verbose", action="store_true", help="print wrk's own output")
    args = parser.parse_args()
    if args.threads > args.connections:
        parser.error("--threads must not exceed --connections")

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
    db = tmp / "bench.sqlite3"
    env = os.environ | {
        "SURVEY_DATABASE_URL": f"sqlite:///{db}",
        "SURVEY_SECRET_KEY": secrets.token_urlsafe(32),
        "SURVEY_FORMS_DIR": str(ROOT / "forms"),
        "SURVEY_ACCESS_LOG": "0",
        # every journey comes from 127.0.0.1: the limit per client is checked, never reached
        "SURVEY_SUBMIT_LIMIT": "100000",
        "SURVEY_SUBMIT_WINDOW_SECONDS": "10",
        "PYTHONUNBUFFERED": "1",
    }
    nonce = secrets.token_hex(4)
    app_port, ceiling_port = free_port(), free_port()
    app = Server("app", [cli, "serve", "--host", "127.0.0.1", "--port", str(app_port)],
                 env, app_port, tmp / "app.log")
    ceiling = Server("ceiling", [sys.executable, str(CEILING), "--host", "127.0.0.1",
                                 "--port", str(ceiling_port), "--survey", SURVEY,
                                 "--wave", WAVE], env, ceiling_port, tmp / "ceiling.log")
    try:
        opened = subprocess.run([cli, "waves", "open", SURVEY, "--id", WAVE], env=env, cwd=ROOT,
                                capture_output=True, text=True)
        if opened.returncode != 0:
            raise BenchError(f"could not open the wave:\n{opened.stdout}{opened.stderr}")
        app.start()
        ceiling.start()
        app.wait_ready()
        ceiling.wait_ready()
        print(f"app     pid {app.pid}: {app.base} on {db}")
        print(f"ceiling pid {ceiling.pid}: {ceiling.base} (no database)")
        # one after the other, so that they never compete for the CPUs
        app_m = measure(app, nonce, args)
        print(f"app:     {app_m.run.journeys_per_s:,.0f} journeys/s")
        ceiling_m = measure(ceiling, nonce, args)
        print(f"ceiling: {ceiling_m.run.journeys_per_s:,.0f} journeys/s")
        app.stop(signal.SIGKILL if args.stop == "kill" else signal.SIGTERM)
        ceiling.stop()
        rows, distinct = count_rows(db)
        return 0 if report(app_m, ceiling_m, rows, distinct, args) else 1
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        args.keep = True  # keep the servers' logs and the database for a look
        return 2
    finally:
        for server in (app, ceiling):
            server.stop(signal.SIGKILL)
        if args.keep:
            print(f"kept {tmp} (database and server logs)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

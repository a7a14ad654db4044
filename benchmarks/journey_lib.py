"""Servers, wrk runs and journeys for ``benchmarks/journeys.py`` (see there)."""

from __future__ import annotations

import argparse
import http.client
import os
import re
import resource
import secrets
import signal
import sqlite3
import subprocess
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

    def pids(self) -> list[int]:
        """The server's process and its children (uvicorn's workers), recursively."""
        found, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time (user + system) so far of the server's main thread (the event loop; of the
        first process) and of all threads of all its processes together."""
        main = total = 0.0
        for pid in self.pids():
            try:
                tasks = list(Path(f"/proc/{pid}/task").iterdir())
            except OSError:
                continue
            for task in tasks:
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
        """VmHWM: the peak resident set size of the server's processes, added up."""
        kb = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        kb += int(line.split()[1])
            except OSError:
                continue
        self.hwm_kb = max(self.hwm_kb, kb)
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
    """The urlencoded POST body without ``_step`` and ``_key`` (the Lua script appends them:
    every page of a full journey posts every answer, as the form carries the earlier ones)."""
    meta = {"_csrf_token": token, "_lang": "bg", "_org": ORG,
            "_action": "next"}
    return urlencode(meta | ANSWERS)


def preflight(port: int, token: str, nonce: str, steps: list[int]) -> None:
    """One journey by hand, so that a wrong body fails loudly instead of as 0 journeys/s."""
    key = "&_key=" + f"{nonce}-preflight-{secrets.token_hex(4)}"
    posting = {"Content-Type": "application/x-www-form-urlencoded",
               "Cookie": f"csrftoken={token}"}
    for step in steps[:-1]:  # each page but the last shows the next one
        body = answers_body(token) + f"&_step={step}" + key
        status, _, page = request(port, "POST", POST_PATH, body, posting)
        if status != 200 or f'name="_step" value="{step + 1}"' not in page:
            raise BenchError(f"the POST of page {step} answered {status}, not the next page")
    body = answers_body(token) + f"&_step={steps[-1]}" + key
    status, headers, page = request(port, "POST", POST_PATH, body, posting)
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
            threads: int, steps: list[int]) -> Run:
    env = os.environ | {
        "JOURNEY_STEPS": ",".join(map(str, steps)),
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


def measure(server: Server, nonce: str, args: argparse.Namespace,
            steps: list[int] | None = None) -> Measured:
    steps = steps or [LAST_STEP]
    try:
        token = csrf_pair(server.port)
        preflight(server.port, token, nonce, steps)
    except BenchError as exc:
        raise BenchError(f"{server.name}: {exc}\n--- {server.log}:\n{server.tail()}") from exc
    warm = Run(values={"status_303": 0, "posted": 0})
    if args.warmup > 0:
        warm = run_wrk(server, token, nonce + "w", args.warmup, args.connections, args.threads,
                       steps)
    run = run_wrk(server, token, nonce + "m", args.duration, args.connections, args.threads,
                  steps)
    if args.verbose:
        print(f"--- wrk against {server.name}\n{run.output}")
    return Measured(server, run, warm.journeys, int(warm.values["posted"]),
                    server.peak_rss_kb() / 1024)


def count_rows(url: str) -> tuple[int, int]:
    """Rows of the benchmark's wave and their distinct keys, in a SQLite file (checked) or a
    PostgreSQL database."""
    sql = ("SELECT COUNT(*), COUNT(DISTINCT submission_key) FROM responses"
           f" WHERE wave_id = '{WAVE}'")
    if url.startswith("postgresql"):
        import asyncio

        import asyncpg

        async def pg() -> tuple[int, int]:
            conn = await asyncpg.connect(url)
            try:
                row = await conn.fetchrow(sql)
            finally:
                await conn.close()
            assert row is not None
            return int(row[0]), int(row[1])

        return asyncio.run(pg())
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        rows = conn.execute(sql).fetchone()
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    finally:
        conn.close()
    if check != "ok":
        raise BenchError(f"the database failed its integrity check: {check}")
    return int(rows[0]), int(rows[1])

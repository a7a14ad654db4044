"""Instructions the server process executes per request of a citizen's short journey: a
deterministic measure of the request path, unlike requests/s on a shared machine.

The real server (``benchmarks/ceiling.py``: the app on a store that discards submissions; or
``survey-service serve`` on a fresh SQLite file) runs under valgrind's callgrind with
instrumentation off while it starts. After a warm-up, instrumentation is switched on and the
counters zeroed, then the requests of each kind are sent one after the other over one kept-alive
connection, as wrk sends them (``Cookie: csrftoken=...``, no ``Accept-Encoding`` unless
``--gzip``), and the counters are dumped after each kind:

    GET form  ->  POST every answer (303)  ->  GET thank-you

Everything the server process executes is counted: uvicorn's protocol, the event loop, the
app, the database driver; the client is another process. Prints instructions per request of
each kind and per journey (``--annotate N``: also the N functions with the most instructions of
their own, per kind).

    .venv/bin/python benchmarks/instructions.py [--server ceiling|sqlite] [--requests 200]
        [--gzip] [--annotate 15]

Needs Debian's ``valgrind``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from journey_lib import (
    CEILING,
    FORM_PATH,
    LAST_STEP,
    POST_PATH,
    ROOT,
    SURVEY,
    THANKS_PATH,
    WAVE,
    BenchError,
    answers_body,
    csrf_pair,
    free_port,
)

KINDS = ("GET form", "POST answers", "GET thank-you")
#: Runs a script (argv[2:]) under cProfile counting the CPU time of the event loop's thread
#: (not the time a coroutine waits), stats written to argv[1] when the server stops.
PROFILE = """
import cProfile, runpy, sys, time
out, sys.argv = sys.argv[1], sys.argv[2:]
profile = cProfile.Profile(time.thread_time)
profile.enable()
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
finally:
    profile.disable()
    profile.dump_stats(out)
"""


class Client:
    """One kept-alive connection, sending the journey's three requests as wrk does."""

    def __init__(self, port: int, token: str, gzip: bool) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.cookie = f"csrftoken={token}"
        self.body = answers_body(token) + f"&_step={LAST_STEP}"
        self.extra = {"Accept-Encoding": "gzip"} if gzip else {}
        self.nonce = secrets.token_hex(4)
        self.sent = 0

    def _send(self, method: str, path: str, expect: int, body: str | None = None) -> None:
        headers = {"Cookie": self.cookie, **self.extra}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body.encode() if body else None, headers=headers)
        resp = self.conn.getresponse()
        resp.read()
        if resp.status != expect:
            raise BenchError(f"{method} {path} answered {resp.status}, not {expect}")

    def request(self, kind: str) -> None:
        if kind == KINDS[0]:
            self._send("GET", FORM_PATH, 200)
        elif kind == KINDS[1]:
            self.sent += 1
            key = f"{self.nonce}-instr-{self.sent:08d}"
            self._send("POST", POST_PATH, 303, f"{self.body}&_key={key}")
        else:
            self._send("GET", THANKS_PATH, 200)

    def journeys(self, count: int) -> None:
        for _ in range(count):
            for kind in KINDS:
                self.request(kind)


def control(pid: int, *args: str) -> None:
    done = subprocess.run(["callgrind_control", *args, str(pid)], capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise BenchError(f"callgrind_control {' '.join(args)} failed:\n{done.stdout}"
                         f"{done.stderr}")


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"the server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", FORM_PATH)
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise BenchError(f"the server did not answer within {timeout:.0f} s:\n{log.read_text()}")


def dumped(out: Path, before: set[Path]) -> Path:
    """The dump file callgrind wrote since ``before`` was listed (it appears a moment later)."""
    for _ in range(600):
        new = sorted(set(out.parent.glob(out.name + "*")) - before)
        if new and "totals:" in new[-1].read_text(errors="replace"):
            return new[-1]
        time.sleep(0.1)
    raise BenchError(f"no callgrind dump appeared beside {out}")


def totals(dump: Path) -> int:
    match = re.search(r"^(?:totals|summary): (\d+)", dump.read_text(errors="replace"), re.M)
    if match is None:
        raise BenchError(f"no totals in {dump}")
    return int(match.group(1))


def annotate(dump: Path, lines: int) -> str:
    done = subprocess.run(["callgrind_annotate", "--threshold=100", str(dump)],
                          capture_output=True, text=True)
    rows = [r for r in done.stdout.splitlines() if re.match(r"^\s*[\d,]+ \(", r)]
    return "\n".join(rows[1:lines + 1])  # the first row is the program's total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", choices=["ceiling", "sqlite"], default="ceiling")
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind")
    parser.add_argument("--warmup", type=int, default=30, help="journeys before counting")
    parser.add_argument("--gzip", action="store_true", help="send Accept-Encoding: gzip")
    parser.add_argument("--annotate", type=int, default=0, metavar="N")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--cprofile", type=Path, metavar="FILE",
                        help="instead of callgrind: run the server under cProfile (CPU time of"
                        " its thread), send --requests journeys, write the stats to FILE")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        print("error: valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="survey-instr-"))
    port = free_port()
    env = os.environ | {
        "SURVEY_SECRET_KEY": secrets.token_urlsafe(32), "SURVEY_FORMS_DIR": str(ROOT / "forms"),
        "SURVEY_ACCESS_LOG": "0", "SURVEY_SUBMIT_LIMIT": "100000",
        "SURVEY_SUBMIT_WINDOW_SECONDS": "10", "PYTHONHASHSEED": "0",
        "SURVEY_DATABASE_URL": f"sqlite:///{tmp / 'instr.sqlite3'}",
    }
    bindir = Path(sys.executable).parent
    if args.server == "ceiling":
        cmd = [sys.executable, str(CEILING), "--host", "127.0.0.1", "--port", str(port),
               "--survey", SURVEY, "--wave", WAVE]
    else:
        cli = str(bindir / "survey-service")
        subprocess.run([cli, "waves", "open", SURVEY, "--id", WAVE], env=env, cwd=ROOT,
                       check=True, capture_output=True)
        cmd = [cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    out = tmp / "callgrind.out"
    log = tmp / "server.log"
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                f"--callgrind-out-file={out}", "--trace-children=no"]
    if args.cprofile:
        valgrind = [sys.executable, "-c", PROFILE, str(args.cprofile.resolve())]
        cmd = cmd[1:] if cmd[0] == sys.executable else cmd
    proc = subprocess.Popen(valgrind + cmd, env=env, cwd=ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_ready(proc, port, log, 600)
        client = Client(port, csrf_pair(port), args.gzip)
        client.journeys(args.warmup)
        if args.cprofile:
            client.journeys(args.requests)
            return 0
        control(proc.pid, "-i", "on")
        client.journeys(3)  # the code paths translated again with instrumentation
        control(proc.pid, "-z")
        per: dict[str, int] = {}
        for kind in KINDS:
            before = set(tmp.glob(out.name + "*"))
            for _ in range(args.requests):
                client.request(kind)
            control(proc.pid, "-d")
            dump = dumped(out, before)
            per[kind] = totals(dump) // args.requests
            if args.annotate:
                print(f"--- {kind}: functions with the most instructions of their own"
                      f" ({args.requests} requests)\n{annotate(dump, args.annotate)}")
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        args.keep = True
        return 2
    finally:
        # SIGINT: uvicorn raises it again once stopped, which cProfile survives (not SIGTERM)
        proc.send_signal(signal.SIGINT if args.cprofile else signal.SIGTERM)
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    what = "ceiling (no database)" if args.server == "ceiling" else "serve, SQLite"
    print(f"instructions per request of the server process, {what},"
          f" {'gzip' if args.gzip else 'no gzip'}, {args.requests} of each:")
    for kind in KINDS:
        print(f"  {kind:<16}{per[kind]:>14,}")
    print(f"  {'journey':<16}{sum(per.values()):>14,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

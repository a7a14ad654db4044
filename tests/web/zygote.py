"""A process that imports the service once and then forks the operator's commands on demand,
so that a test can kill and restart ``survey-service serve`` (or ``waves close``) many times
without paying Python's start-up each time (seconds on a loaded 2-core machine).

Each child is a real, separate process running ``survey-service ARGS`` exactly as the console
script does (same click group, same code path), with its own environment; a test kills it with
SIGKILL like any server. The zygote itself holds no thread, event loop or connection when it
forks.

Protocol (one JSON line each way, on stdin/stdout):

- ``{"run": [args...], "env": {...}, "log": "path"}`` -> ``{"pid": N}``
- ``{"wait": N}`` -> ``{"exit": code}`` (negative: killed by that signal)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any


def _child(args: list[str], env: dict[str, str], log: str) -> None:
    """In the forked child: become ``survey-service ARGS``; never returns."""
    code = 1
    try:
        os.setpgid(0, 0)  # its own group: a kill reaches the server's workers too
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.environ.clear()
        os.environ.update(env)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from survey_service.cli import cli

        try:
            cli.main(args, prog_name="survey-service", standalone_mode=True)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        else:
            code = 0
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    import uvicorn  # noqa: F401 (what every command imports, once, before any fork)

    import survey_service.app
    import survey_service.cli  # noqa: F401

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        if "run" in request:
            pid = os.fork()
            if pid == 0:
                _child(request["run"], request["env"], request["log"])
            try:  # also here: the group exists before the test may kill it
                os.setpgid(pid, pid)
            except OSError:
                pass
            answer: dict[str, Any] = {"pid": pid}
        else:
            _, status = os.waitpid(int(request["wait"]), 0)
            answer = {"exit": os.waitstatus_to_exitcode(status)}
        print(json.dumps(answer), flush=True)


class Zygote:
    """The test's side: start the zygote once, then :meth:`run` commands and :meth:`wait`."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.web.zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
            text=True,
        )
        assert self._read() == {"ready": True}

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the zygote process died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return self._read()

    def run(self, args: list[str], env: dict[str, str], log: Path) -> int:
        """Fork ``survey-service ARGS`` with this environment; its output goes to ``log``."""
        return int(self._ask({"run": args, "env": env, "log": str(log)})["pid"])

    def wait(self, pid: int) -> int:
        """Reap the child: its exit code, or minus the signal that killed it."""
        return int(self._ask({"wait": pid})["exit"])

    def kill(self, pid: int) -> int:
        """SIGKILL the child and its process group (uvicorn's workers), then reap it."""
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.wait(pid)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Zygote:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


if __name__ == "__main__":
    main()

"""Real ``serve`` processes for the tests of several processes on one database: their
environment, the CLI commands run before them, and the processes themselves (each on a free
port with its own log; ready on entry, stopped on exit whatever happened)."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from click.testing import CliRunner

from survey_service.cli import cli
from tests.conftest import FORMS, SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(database: str, **settings: str) -> dict[str, str]:
    """The processes' environment: this one without its ``SURVEY_`` settings, then the
    database, the key, the shipped forms, a pool of 4 and ``settings`` (``SURVEY_`` names)."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("SURVEY_")},
            "SURVEY_DATABASE_URL": database, "SURVEY_SECRET_KEY": SECRET,
            "SURVEY_FORMS_DIR": str(FORMS), "SURVEY_DB_POOL_SIZE": "4", **settings}


async def command(env: dict[str, str], *args: str) -> str:
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


def wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Several processes start at once on a machine that may be busy: up to 4 minutes."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"port {port} never ready:\n{log.read_text()}")


@dataclass
class Servers:
    ports: list[int]
    logs: list[Path]

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def texts(self) -> list[str]:
        """What each process printed (read after it stopped)."""
        return [log.read_text(errors="replace") for log in self.logs]


@contextlib.asynccontextmanager
async def serving(env: dict[str, str], folder: Path, workers: Sequence[int]
                  ) -> AsyncIterator[Servers]:
    """One ``serve`` process per entry of ``workers`` (its number of workers), each logging
    to ``folder/serve-PORT.log``; every one ready on entry, all stopped on exit (terminated,
    killed after 30 s)."""
    ports = [free_port() for _ in workers]
    procs: list[tuple[subprocess.Popen[bytes], Path]] = []
    try:
        for port, count in zip(ports, workers, strict=True):
            log = folder / f"serve-{port}.log"
            with log.open("wb") as out:
                procs.append((subprocess.Popen(
                    [sys.executable, "-m", "survey_service.cli", "serve", "--port", str(port),
                     "--workers", str(count)],
                    env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                ), log))
        for port, (proc, log) in zip(ports, procs, strict=True):
            await asyncio.to_thread(wait_ready, port, proc, log)
        yield Servers(ports=ports, logs=[log for _, log in procs])
    finally:
        for proc, _ in procs:
            proc.terminate()
        for proc, _ in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def citizen_and_staff_waves(env: dict[str, str], folder: Path, codes: int) -> list[str]:
    """Open a citizen wave ``cs`` and a staff wave ``staff`` of Elena, and issue ``codes``
    staff codes of its finance unit: the codes."""
    await command(env, "waves", "open", "citizen-satisfaction", "--id", "cs", "--org", "elena")
    await command(env, "waves", "open", "staff-survey", "--id", "staff", "--org", "elena")
    await command(env, "tokens", "issue", "staff", "--org", "elena", "--unit", "finance",
                  "--count", str(codes), "--out", str(folder / "slips"))
    [sheet] = (folder / "slips").glob("*.csv")
    with sheet.open(encoding="utf-8-sig") as f:
        return [row["code"] for row in csv.DictReader(f)]

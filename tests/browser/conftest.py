"""Browser fixtures: one real server (and one kiosk server with short timers) and one Debian
Chromium per run, a fresh context per test that records every request it makes.

They are package-scoped, so they end with the last browser test: Playwright's synchronous API
leaves its event loop marked as running while it is open, which the asyncio tests of the other
packages could not share.

Chromium is Debian's (``/usr/bin/chromium``), driven by Playwright's Python package; no browser
is ever downloaded. ``scripts/test-deps.sh`` installs it, Java and the npm tools (axe-core,
vnu-jar); the ``browser_tools`` fixture runs it when something is missing.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.conftest import FORMS, ROOT, SECRET, SURVEY

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NODE_MODULES = ROOT / "node_modules"
AXE_JS = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
OUTPUT = ROOT / "test-output"
SCREENSHOTS = OUTPUT / "screenshots"
HTML_OUT = OUTPUT / "html"
# short timers for the kiosk tests; the settings accept no idle time under 10 s
KIOSK_IDLE_SECONDS = 10
KIOSK_RESTART_SECONDS = 3


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (apt: chromium)")
    if shutil.which("java") is None:
        missing.append("java (apt: default-jre-headless)")
    if not AXE_JS.exists() or not VNU_JAR.exists():
        missing.append("node_modules/axe-core and vnu-jar (npm ci)")
    return missing


@pytest.fixture(scope="session")
def browser_tools() -> None:
    """Chromium, Java and the npm tools. When one is missing, scripts/test-deps.sh runs: it
    installs the npm tools as anyone and the apt packages as root. Only system packages that a
    user who is not root cannot install make the browser tests skip."""
    missing = _missing()
    if missing:
        subprocess.run(["bash", str(ROOT / "scripts" / "test-deps.sh")], check=True)
        missing = _missing()
    if not missing:
        return
    if os.geteuid() != 0 and all("apt:" in m for m in missing):
        pytest.skip(
            f"browser tests need {', '.join(missing)}, which only root can install: "
            "run `sudo bash scripts/test-deps.sh`"
        )
    pytest.fail(f"scripts/test-deps.sh ran but these are still missing: {', '.join(missing)}")


# ------------------------------------------------------------------------------------- servers
@dataclass
class Server:
    """A running ``survey-service serve`` and the database it writes."""

    url: str
    db: Path
    process: subprocess.Popen[bytes]
    codes: dict[str, list[str]] = field(default_factory=dict)  # single-use codes, by wave id
    env: dict[str, str] = field(default_factory=dict)  # of its commands

    def enrolment_link(self, org: str = "elena") -> str:
        """The path of a new kiosk's one-time enrolment link (``survey-service kiosk enrol``)."""
        done = subprocess.run([_cli(), "kiosk", "enrol", "--org", org], env=self.env,
                              check=True, capture_output=True, text=True)
        found = re.search(r"https?://[^/\s]+(/kiosk/enrol/[A-Za-z0-9_-]+)", done.stdout)
        assert found, done.stdout
        return found.group(1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli() -> str:
    return str(Path(sys.executable).with_name("survey-service"))


def _serve(
    tmp: Path,
    waves: list[list[str]],
    tokens: Sequence[Sequence[str]] = (),
    users: Sequence[Sequence[str]] = (),
    commands: Sequence[Sequence[str]] = (),
    before: Sequence[Sequence[str]] = (),
    workers: int | None = None,
    **settings: str,
) -> Iterator[Server]:
    """Open ``waves`` and issue ``tokens`` (wave, organisation, unit, count) with the CLI, then
    serve; ``settings`` are SURVEY_* variables by lower-case name."""
    port = _free_port()
    db = tmp / "db.sqlite3"
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": f"sqlite:///{db}",
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_FORMS_DIR": str(FORMS),
        "SURVEY_SUBMIT_LIMIT": "100000",  # every page test answers from 127.0.0.1
        **{f"SURVEY_{k.upper()}": v for k, v in settings.items()},
    }
    for args in before:  # other commands first (the demo's closed waves for report pages)
        subprocess.run([_cli(), *args], env=env, check=True, capture_output=True)
    for args in waves:
        subprocess.run([_cli(), "waves", *args], env=env, check=True, capture_output=True)
    for args in users:  # accounts of the administration pages, all with USER_PASSWORD
        subprocess.run([_cli(), "users", "add", *args, "--password-stdin"], env=env, check=True,
                       capture_output=True, input=USER_PASSWORD.encode() + b"\n")
    for args in commands:  # any other command, e.g. publishing a wave's results
        subprocess.run([_cli(), *args], env=env, check=True, capture_output=True)
    codes: dict[str, list[str]] = {}
    for wave, org, unit, count in tokens:
        out = tmp / f"codes-{wave}"
        subprocess.run(
            [
                _cli(),
                "tokens",
                "issue",
                wave,
                "--org",
                org,
                "--unit",
                unit,
                "--count",
                count,
                "--out",
                str(out),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        for sheet in out.glob("*.csv"):
            with open(sheet, encoding="utf-8-sig", newline="") as f:
                codes.setdefault(wave, []).extend(row["code"] for row in csv.DictReader(f))
    log = open(tmp / "server.log", "wb")  # closed in the finally below
    process = subprocess.Popen(
        [_cli(), "serve", "--port", str(port),
         *(["--workers", str(workers)] if workers else [])],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    "server did not start: " + (tmp / "server.log").read_text(errors="replace")
                )
            time.sleep(0.1)
        server = Server(url, db, process, codes, env)
        server.codes["kiosklink"] = [server.enrolment_link().rsplit("/", 1)[1]]
        yield server
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


#: The password of the accounts the browser tests sign in with.
USER_PASSWORD = "browser-test-password"


@pytest.fixture(scope="package")
def server(browser_tools: None) -> Iterator[Server]:
    """The respondents' site: a citizen wave open for Elena and a closed one for Lyaskovets; a
    staff wave, a training wave and a staff wave that asks for a panel code, with single-use
    codes (``server.codes["staff"]``, ...)."""
    with tempfile.TemporaryDirectory(prefix="browser-") as tmp:
        yield from _serve(
            Path(tmp),
            [
                ["open", SURVEY, "--id", "browser", "--org", "elena"],
                ["open", SURVEY, "--id", "browser-closed", "--org", "lyaskovets"],
                ["close", "browser-closed"],
                ["open", "staff-survey", "--id", "staff", "--org", "elena"],
                ["open", "training-evaluation", "--id", "training", "--org", "elena"],
                ["open", "staff-survey", "--id", "staffpanel", "--org", "lyaskovets"],
                ["set", "staffpanel", "--panel"],
            ],
            [
                ["staff", "elena", "finance", "4"],
                ["training", "elena", "course", "4"],
                ["staffpanel", "lyaskovets", "management", "2"],
            ],
            [["root", "--role", "admin"], ["cleo", "--role", "clerk", "--org", "elena"],
             ["ana", "--role", "analyst", "--org", "elena"]],
            commands=[["results", "publish", "browser-closed"],
                      ["results", "publish", f"demo-{SURVEY}-baseline"],
                      ["results", "publish", f"demo-{SURVEY}-follow-up"]],
            before=[["demo", "--survey", SURVEY, "--responses", "40", "--seed", "3"],
                    # plans the closed waves' disclosure once (pages then answer in time)
                    ["report", SURVEY, "--baseline", f"demo-{SURVEY}-baseline",
                     "--follow-up", f"demo-{SURVEY}-follow-up", "--format", "csv"],
                    # ... and the group plans of the questions the report pages break down by
                    ["report", SURVEY, "--baseline", f"demo-{SURVEY}-baseline",
                     "--follow-up", f"demo-{SURVEY}-follow-up", "--by", "channel",
                     "--format", "csv"],
                    ["report", SURVEY, "--trend", f"demo-{SURVEY}-baseline",
                     f"demo-{SURVEY}-follow-up", "--by", "question:respondent_type", "--org",
                     "elena", "--format", "csv"],
                    ["report", SURVEY, "--baseline", f"demo-{SURVEY}-baseline", "--follow-up",
                     f"demo-{SURVEY}-follow-up", "--by", "question:age_band", "--org",
                     "lyaskovets", "--channel", "desk", "--format", "csv"]],
        )


@pytest.fixture(scope="package")
def kiosk_server(browser_tools: None) -> Iterator[Server]:
    """A server whose kiosk timers are short, so the kiosk tests take seconds."""
    with tempfile.TemporaryDirectory(prefix="browser-kiosk-") as tmp:
        yield from _serve(
            Path(tmp),
            [["open", SURVEY, "--id", "browser"]],
            kiosk_idle_seconds=str(KIOSK_IDLE_SECONDS),
            kiosk_restart_seconds=str(KIOSK_RESTART_SECONDS),
        )


# ------------------------------------------------------------------------------------- browser
@pytest.fixture(scope="package")
def playwright(browser_tools: None) -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    b = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield b
    b.close()


@dataclass
class Session:
    """What a test drives: a page in a fresh context, and every URL the context requested."""

    page: Page
    context: BrowserContext
    server: Server
    requested: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.server.url

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def enrol_as_kiosk(self) -> None:
        """Make this browser context an enrolled kiosk, as at a front desk: open a one-time
        link from ``kiosk enrol`` and press its button (which opens the survey's form)."""
        self.goto(self.server.enrolment_link())
        with self.page.expect_navigation():
            self.page.locator("main form button[type=submit]").click()

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requested if not u.startswith(self.base + "/")]


class Sessions:
    """Opens browser contexts on a server; checks, at the end of the test, that none of them
    asked for anything outside the server's origin."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser, self.server = browser, server
        self.opened: list[Session] = []

    def open(self, **options: Any) -> Session:
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = self.browser.new_context(**options)
        context.set_default_timeout(10_000)
        session = Session(context.new_page(), context, self.server)
        context.on("request", lambda r: session.requested.append(r.url))
        self.opened.append(session)
        return session

    def close(self) -> None:
        for s in self.opened:
            s.context.close()
        foreign = [u for s in self.opened for u in s.foreign_requests()]
        assert foreign == [], f"requests left the server's origin: {foreign}"


@pytest.fixture
def sessions(browser: Browser, server: Server) -> Iterator[Sessions]:
    s = Sessions(browser, server)
    yield s
    s.close()


@pytest.fixture
def kiosk_sessions(browser: Browser, kiosk_server: Server) -> Iterator[Sessions]:
    s = Sessions(browser, kiosk_server)
    yield s
    s.close()


@pytest.fixture
def session(sessions: Sessions) -> Session:
    """A page with JavaScript, 1280 × 800."""
    return sessions.open()


@pytest.fixture(scope="session")
def axe_source(browser_tools: None) -> str:
    return AXE_JS.read_text()


@pytest.fixture(scope="session")
def output() -> Path:
    for d in (SCREENSHOTS, HTML_OUT):
        d.mkdir(parents=True, exist_ok=True)
    return OUTPUT

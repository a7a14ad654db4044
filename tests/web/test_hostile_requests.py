"""Requests a client gets wrong, on purpose or not: odd bytes in paths and query strings, bad
percent-encoding, huge headers, odd methods, malformed bodies, a connection dropped mid-body.

Each answers 4xx (or an ordinary page), never 5xx, and writes at most one log line and never a
traceback: anyone could otherwise fill the disk (issue 8: ``GET /static/%00`` answered 500 with
a 3 KB traceback). The first tests go through the HTTP app; the last one through a real
``survey-service serve``, for what only the HTTP server sees (raw bytes, request lines)."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from survey_service.web.errors import loggable
from tests.conftest import FORMS, SECRET, SURVEY, seed_wave, settings_for

Client = AsyncTestClient[Litestar]
FORM_BODY = {"content-type": "application/x-www-form-urlencoded"}

#: (method, url, request options) of requests a client gets wrong.
ODD_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/static/%00", {}),
    ("GET", "/static/site.css%00", {}),
    ("GET", "/static/" + "a" * 5000, {}),
    ("GET", "/static/%ff%fe", {}),
    ("GET", "/static/..%2f..%2fapp.py", {}),
    ("GET", "/static/site.000000000000.css", {}),
    ("GET", "/static/%", {}),
    ("GET", "/s/%00", {}),
    ("GET", "/s/%ff%fe", {}),
    ("GET", f"/s/{SURVEY}?org=%00&lang=%ff&kiosk=%00&channel=%ff", {}),
    ("GET", f"/s/{SURVEY}?org=elena&org=lyaskovets&lang=en&lang=bg", {}),
    ("GET", f"/s/{SURVEY}/thanks?org=" + "e" * 8000, {}),
    ("GET", f"/s/{SURVEY}/paper?org=%00", {}),
    ("GET", "/?lang=%zz%", {}),
    ("GET", "/%", {}),
    ("GET", "/privacy?lang=en&org=%ff&staff=%00", {}),
    ("GET", "/t/%00%ff", {}),
    ("GET", "/t/" + "A" * 5000, {}),
    ("GET", "/api/%00", {}),
    ("PROPFIND", "/", {}),
    ("BREW", f"/s/{SURVEY}", {}),
    ("TRACE", "/", {}),
    ("DELETE", "/static/site.css", {}),
    ("PUT", "/staff", {}),
    ("GET", "/", {"headers": {"x-big": "a" * 100_000}}),
    ("GET", "/", {"headers": {f"x-{i}": "a" for i in range(2000)}}),
    ("GET", "/", {"headers": {"cookie": "csrftoken=%ff%00; a=" + "b" * 10_000}}),
    ("GET", f"/s/{SURVEY}?org=elena", {"headers": {"accept-encoding": "gzip;q=abc, \x7f"}}),
    ("POST", f"/s/{SURVEY}", {"content": b"%ff%fe=%00&_lang=%zz", "headers": FORM_BODY}),
    ("POST", f"/s/{SURVEY}", {"content": b"\xff\xfe\x00=\x00", "headers": FORM_BODY}),
    (
        "POST",
        f"/s/{SURVEY}",
        {"content": b"--x\r\nbad", "headers": {"content-type": "multipart/form-data; boundary=x"}},
    ),
    (
        "POST",
        f"/s/{SURVEY}",
        {"content": b"a=b", "headers": {"content-type": "multipart/form-data"}},
    ),
    ("POST", f"/s/{SURVEY}", {"content": b"{", "headers": {"content-type": "application/json"}}),
    ("POST", "/staff", {"content": b"%ff=%0&code=%00", "headers": FORM_BODY}),
    ("POST", "/t", {"content": b"_token=%00&_step=-1", "headers": FORM_BODY}),
]


@pytest.fixture
def log_lines(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record the app writes at INFO or above (the test client's own are left out)."""
    caplog.set_level(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return caplog


def _app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith("httpx")]


@pytest.mark.parametrize(
    ("method", "url", "options"),
    ODD_REQUESTS,
    ids=[f"{m} {u[:40]} {sorted(o.get('headers', {}))[:1]}" for m, u, o in ODD_REQUESTS],
)
async def test_odd_requests_get_4xx_and_at_most_one_log_line(
    client: Client,
    log_lines: pytest.LogCaptureFixture,
    method: str,
    url: str,
    options: dict[str, Any],
) -> None:
    response = await client.request(method, url, **options)
    records = _app_records(log_lines)
    assert response.status_code < 500, response.text[:300]
    assert not any(r.exc_info for r in records)
    assert "Traceback" not in log_lines.text
    assert len(records) <= 1, [r.getMessage()[:200] for r in records]


async def test_static_nul_byte_is_a_404_page_without_traceback(
    client: Client, log_lines: pytest.LogCaptureFixture
) -> None:
    """The request of the issue, in full."""
    response = await client.get("/static/%00")
    assert response.status_code == 404
    assert "Page not found" in response.text or "Страницата не е намерена" in response.text
    assert "Traceback" not in log_lines.text and _app_records(log_lines) == []


async def test_a_body_cut_short_by_a_dropped_connection_writes_no_traceback(
    app: Litestar, log_lines: pytest.LogCaptureFixture
) -> None:
    """A phone that loses its signal mid-upload: Litestar raises a 500 "client disconnected
    prematurely"; it is the client's doing, so no traceback and no error status."""
    sent: list[dict[str, Any]] = []
    events = iter(
        [
            {"type": "http.request", "body": b"_lang=en&service=", "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    async def receive() -> dict[str, Any]:
        return next(events)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": f"/s/{SURVEY}",
        "raw_path": f"/s/{SURVEY}".encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"1000"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    async with AsyncTestClient(app=app):  # lifespan: the store is open
        await app(scope, receive, send)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    assert "Traceback" not in log_lines.text and _app_records(log_lines) == []


def test_a_path_in_a_log_is_one_line_without_codes() -> None:
    assert loggable("/t/ABCD-EFGH-JKMN-PQ") == "/t/…" and loggable("/t/thanks") == "/t/thanks"
    assert loggable("/s/\nforged\r\x00\x1b\u2028") == "/s/\\nforged\\r\\x00\\x1b\\u2028"
    assert loggable("/анкета") == "/анкета"
    assert loggable("/" + "a" * 5000) == "/" + "a" * 199 + "…"


@pytest.mark.parametrize(
    "path",
    ["/s/%0a2026-11-27 INFO forged line", "/%0d%0a%00%1b[31m", "/static/" + "a" * 5000],
)
async def test_the_access_log_writes_one_short_line_whatever_the_path(
    db_path: Path, path: str
) -> None:
    """With ``SURVEY_ACCESS_LOG=1``: a path can neither forge a log line nor fill the disk."""
    settings = settings_for(db_path, access_log=True)
    await seed_wave(settings)
    app = create_app(settings)  # (configures logging: attach the capture after it)
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(handler.format(record))  # type: ignore[method-assign]
    access = logging.getLogger("survey_service.access")
    access.addHandler(handler)
    try:
        async with AsyncTestClient(app=app) as client:
            response = await client.get(path)
    finally:
        access.removeHandler(handler)
    assert response.status_code == 404
    [line] = lines
    assert "\n" not in line and "\r" not in line and "\x00" not in line and "\x1b" not in line
    assert line.startswith("GET /") and line.endswith(" 404") and len(line) < 220, line


# ------------------------------------------------------------------ through the real HTTP server
#: (name, raw bytes sent): what never reaches the app as a request, or reaches it oddly.
RAW_PROBES = [
    ("NUL byte in the path", b"GET /static/\x00 HTTP/1.1\r\nHost: x\r\n"),
    ("8-bit path", b"GET /s/\xff\xfe HTTP/1.1\r\nHost: x\r\n"),
    ("8-bit query", b"GET /?lang=\xff HTTP/1.1\r\nHost: x\r\n"),
    ("percent NUL", b"GET /static/%00 HTTP/1.1\r\nHost: x\r\n"),
    ("100 KB URL", b"GET /?" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n"),
    ("100 KB header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 100_000 + b"\r\n"),
    ("control byte in method", b"G\x01T / HTTP/1.1\r\nHost: x\r\n"),
    ("unknown method", b"BREW / HTTP/1.1\r\nHost: x\r\n"),
    ("CONNECT", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n"),
    ("TLS on a plain port", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"x" * 100),
    ("8-bit header values", b"GET / HTTP/1.1\r\nHost: x\r\nCookie: csrftoken=\xff\r\n"),
    (
        "WebSocket upgrade",
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
    ),
    (
        "bad chunk size",
        b"POST /s/citizen-satisfaction HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nzz\r\nab\r\n0\r\n",
    ),
    (
        "body shorter than announced",
        b"POST /s/citizen-satisfaction HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\na=b",
    ),
    ("negative Content-Length", b"POST /staff HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _send_raw(port: int, data: bytes) -> bytes:
    """Send ``data`` (a request without its final blank line is completed), read what comes
    back for up to 2 s, and close: a body shorter than announced ends as a dropped client."""
    if b"\r\n\r\n" not in data:
        data += b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(data)
        out = b""
        try:
            while chunk := conn.recv(65536):
                out += chunk
        except TimeoutError:
            pass
    return out


@pytest.mark.slow
async def test_raw_requests_to_the_real_server_log_one_line_at_most(
    settings: Settings, db_path: Path, tmp_path: Path
) -> None:
    await seed_wave(settings)
    port = _free_port()
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        "SURVEY_DATABASE_URL": f"sqlite:///{db_path}",
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_FORMS_DIR": str(FORMS),
    }
    exe = Path(sys.executable).with_name("survey-service")
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [str(exe), "serve", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.1)
        problems = []
        for name, data in RAW_PROBES:
            before = log_path.stat().st_size
            answer = _send_raw(port, data)
            time.sleep(0.2)  # let the server finish writing about it
            new = log_path.read_bytes()[before:].decode(errors="replace")
            status = answer.split(b" ", 2)[1:2]
            if status and status[0].startswith(b"5"):
                problems.append(f"{name}: answered {answer[:40]!r}")
            if "Traceback" in new or new.count("\n") > 1:
                problems.append(f"{name}: logged {new[:300]!r}")
            if "127.0.0.1:" in new:
                problems.append(f"{name}: logged the client's address {new[:300]!r}")
        assert problems == [], "\n".join(problems)
    finally:
        server.terminate()
        server.wait(20)

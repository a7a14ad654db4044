"""Limits (issue 13), each answered with a clear 4xx: the body's size, the number of fields, a
text's length, and slow clients (headers and body that take too long), against a real
``survey-service serve`` through raw sockets. (Submission and sign-in rates: test_abuse.py and
test_admin_auth.py.)"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
import pytest

from survey_service.settings import Settings
from survey_service.web.flow import MAX_FIELDS
from tests.conftest import FULL_ANSWERS, SURVEY, hidden_fields, seed_wave
from tests.web.test_load_and_durability import _free_port, _start_server

pytestmark = pytest.mark.slow
HEADERS_DEADLINE, BODY_DEADLINE = 1, 2


def _connect(port: int) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", port), timeout=10)
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


def _read_all(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    while chunk := conn.recv(65536):
        out += chunk
    return out


def _trickle(port: int, first: bytes, drip: bytes, every: float) -> tuple[bytes, float]:
    """Send ``first``, then ``drip`` a byte at a time, ``every`` seconds apart, until the
    server answers and closes; what it answered and after how long."""
    started = time.monotonic()
    with _connect(port) as conn:
        conn.sendall(first)
        conn.settimeout(every)
        answer = b""
        for byte in drip:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    break
                continue
            answer += chunk
            if not chunk:
                break
        conn.settimeout(10)
        try:
            answer += _read_all(conn)
        except OSError:
            pass
    return answer, time.monotonic() - started


def _post(port: int, body: bytes, cookie: str) -> bytes:
    """POST a body; a server that answers before it has read it all (413 by the announced
    length) may reset the connection, so the body goes in pieces while nothing came back."""
    with _connect(port) as conn:
        conn.sendall(
            b"POST /s/" + SURVEY.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nCookie: " + cookie.encode()
            + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
        )
        conn.settimeout(0.3)
        for at in range(0, len(body), 16384):
            try:
                first = conn.recv(65536)
            except TimeoutError:
                conn.sendall(body[at:at + 16384])
                continue
            conn.settimeout(10)
            return first + _read_all(conn)
        conn.settimeout(10)
        return _read_all(conn)


def test_limits_of_a_real_server(settings: Settings, db_path: Path) -> None:
    import asyncio

    asyncio.run(seed_wave(settings))
    port = _free_port()
    server = _start_server(db_path, port, {
        "SURVEY_HEADER_TIMEOUT_SECONDS": str(HEADERS_DEADLINE),
        "SURVEY_BODY_TIMEOUT_SECONDS": str(BODY_DEADLINE),
    })
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            page = client.get(f"/s/{SURVEY}?org=elena")
            cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
            fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "5"}
        form = httpx.QueryParams(fields)

        # a body over SURVEY_MAX_BODY_BYTES (256 KB): 413 and the page saying what to do
        big = _post(port, str(form.set("comments", "я" * 200_000)).encode(), cookie)
        assert big.startswith(b"HTTP/1.1 413"), big[:300]
        assert "Отговорите Ви са твърде дълги".encode() in big
        # too many fields, in a body of an ordinary size: 413 too
        many = str(form) + "&" + "&".join(f"x{i}=1" for i in range(MAX_FIELDS))
        answer = _post(port, many.encode(), cookie)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:300]
        assert "Отговорите Ви са твърде дълги".encode() in answer
        # a text longer than its question allows: 400, the page with the field's error
        # and what was typed kept
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            client.cookies.update(dict(c.split("=", 1) for c in cookie.split("; ")))
            long = client.post(f"/s/{SURVEY}", data={**fields, "comments": "ж" * 1001})
        assert long.status_code == 400, long.text[long.text.find("<main"):][:1500]
        assert "ж" * 1001 in long.text, long.text[long.text.find("<main"):][:1500]
        assert 'id="comments-error"' in long.text

        # a client that connects and says nothing, or sends its headers a byte at a time
        with _connect(port) as conn:
            started = time.monotonic()
            silent = _read_all(conn)
            waited = time.monotonic() - started
        assert silent.startswith(b"HTTP/1.1 408") and "твърде бавно".encode() in silent
        assert HEADERS_DEADLINE - 0.2 < waited < HEADERS_DEADLINE + 3, waited
        answer, waited = _trickle(port, b"GET / HTTP/1.1\r\nHost: x\r\n",
                                  b"X-Slow: " + b"a" * 200, 0.2)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert waited < HEADERS_DEADLINE + 3, waited

        # a body a byte at a time: 408 once its deadline has passed
        head = (b"POST /s/" + SURVEY.encode() + b" HTTP/1.1\r\nHost: x\r\nCookie: "
                + cookie.encode() + b"\r\nContent-Type: application/x-www-form-urlencoded"
                b"\r\nContent-Length: 5000\r\n\r\n")
        answer, waited = _trickle(port, head, str(form).encode()[:400], 0.2)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert BODY_DEADLINE - 0.2 < waited < BODY_DEADLINE + 3, waited

        # a slow client within both deadlines is served as usual
        body = str(form.set("_key", "slow-but-fine-0000000")).encode()
        with _connect(port) as conn:
            conn.sendall(head.replace(b"5000", str(len(body)).encode())[:30])
            time.sleep(0.4)
            conn.sendall(head.replace(b"5000", str(len(body)).encode())[30:] + body[:50])
            time.sleep(0.8)
            conn.sendall(body[50:])
            answer = conn.recv(65536)
        assert answer.startswith(b"HTTP/1.1 303"), answer[:300]
        # and the server still serves everyone else
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert b"Traceback" not in err, err[-3000:]

"""The staff "send again" page (``errors/resend.html``), in Bulgarian and in English, in
Chromium: what a member of staff sees when the database goes away as they send a page (their
code cannot be checked, so the form cannot be shown again; everything typed is kept).

A server of its own on a PostgreSQL database of its own, which is taken away for real while the
page is sent (connections refused and the open ones ended), then given back: axe-core (WCAG
2.0/2.1 A and AA), ``lang``, the title and one ``h1``, reflow at 320 px, a visible focus on
every stop the keyboard reaches, the Nu Html Checker; then "Send again" pressed with the
keyboard sends the kept page, and the next one opens.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import pytest

from tests.browser.checks import axe_violations, horizontal_overflow, tab_cycle, unfocused_png
from tests.browser.conftest import HTML_OUT, SCREENSHOTS, VNU_JAR, Server, Sessions, _serve
from tests.browser.pages import FIRST, fill
from tests.contract.pg import ADMIN_URL, unreachable, with_database

pytestmark = pytest.mark.browser

HEADING = {"bg": "Услугата е временно недостъпна", "en": "The service is unavailable for a moment"}
SEND_AGAIN = {"bg": "Изпрати отново", "en": "Send again"}


def _admin(sql: str) -> None:
    """One statement on the test server, from a thread of its own (Playwright's synchronous
    API keeps an event loop running in this one)."""

    async def run() -> None:
        conn = await asyncpg.connect(ADMIN_URL, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="module")
def pg_server(browser_tools: None) -> Iterator[tuple[Server, str]]:
    """A server on a fresh PostgreSQL database of its own, with a staff wave and its codes."""
    with ThreadPoolExecutor(1) as pool:
        reason = pool.submit(unreachable).result()
    if reason:
        pytest.skip(reason)
    name = f"reliability_resend_{secrets.token_hex(4)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="browser-resend-") as tmp:
            for server in _serve(Path(tmp), [["open", "staff-survey", "--id", "staff",
                                              "--org", "elena"]],
                                 [["staff", "elena", "finance", "4"]], workers=1,
                                 database_url=with_database(ADMIN_URL, name)):
                yield server, name
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_away(name: str) -> None:
    """New connections refused, the server's open ones ended."""
    _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    _admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


def database_back(name: str) -> None:
    _admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


@pytest.fixture
def resend_sessions(browser: object, pg_server: tuple[Server, str]) -> Iterator[Sessions]:
    s = Sessions(browser, pg_server[0])  # type: ignore[arg-type]
    yield s
    s.close()


@pytest.mark.parametrize("lang", ["bg", "en"])
def test_the_send_again_page_is_accessible_and_works_by_keyboard(
    resend_sessions: Sessions, pg_server: tuple[Server, str], axe_source: str, output: Path,
    lang: str,
) -> None:
    server, name = pg_server
    session = resend_sessions.open()
    page = session.page
    code = server.codes["staff"][0 if lang == "bg" else 1]
    assert session.goto(f"/t/{code}?lang={lang}").status == 200
    fill(page, FIRST)
    typed = page.evaluate("""() => Object.fromEntries(
        [...new FormData(document.querySelector('main form[method=post]'))])""")
    database_away(name)
    try:
        with page.expect_navigation() as sent:
            page.evaluate(
                "document.querySelector('main form .buttons button[type=submit]').click()")
        response = sent.value
        assert response is not None, "no response"
        log = (server.db.parent / "server.log").read_text(errors="replace")
        assert response.status == 503, log[-3000:]
        html = response.text()
        problems: dict[str, object] = {}
        if violations := axe_violations(page, axe_source):
            problems["axe"] = violations
        if page.evaluate("document.documentElement.lang") != lang:
            problems["lang"] = page.evaluate("document.documentElement.lang")
        if page.title() != HEADING[lang] and not page.title().startswith(HEADING[lang]):
            problems["title"] = page.title()
        if page.locator("h1").all_inner_texts() != [HEADING[lang]]:
            problems["h1"] = page.locator("h1").all_inner_texts()
        kept = dict(page.evaluate("""() => [...document.querySelectorAll(
            'main form input[type=hidden]')].map(e => [e.name, e.value])"""))
        if {k: v for k, v in typed.items() if k != "_action"} != {
                k: v for k, v in kept.items() if k != "_action"}:
            problems["kept"] = {"typed": typed, "kept": kept}
        page.screenshot(path=SCREENSHOTS / f"staff-resend-{lang}-1280.png", full_page=True)
        page.set_viewport_size({"width": 320, "height": 640})
        if horizontal_overflow(page) > 0:
            problems["scrolls sideways at 320 px"] = horizontal_overflow(page)
        page.screenshot(path=SCREENSHOTS / f"staff-resend-{lang}-320.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        stops = tab_cycle(page)
        unfocused = [unfocused_png(page, stop) for stop in stops]
        for stop, before in zip(stops, unfocused, strict=True):
            if not stop["inViewport"] or stop["focused_png"] == before:
                problems.setdefault("focus", []).append(f"{stop['tag']} {stop['text']!r}")
        if SEND_AGAIN[lang] not in [s["text"].strip() for s in stops]:
            problems["keyboard"] = [s["text"] for s in stops]
        assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)
    finally:
        database_back(name)

    # the Nu Html Checker, on the page as sent
    path = HTML_OUT / f"staff-resend-{lang}.html"
    path.write_text(html, encoding="utf-8")
    run = subprocess.run(["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json",
                          str(path)], capture_output=True, text=True, timeout=300)
    errors = [f"{m.get('lastLine', '?')}: {m['message']}"
              for m in json.loads(run.stderr or '{"messages": []}')["messages"]
              if m["type"] != "info"]
    assert errors == [], "\n".join(errors)

    # the database is back: "Send again", by keyboard, sends the kept page; the next one opens
    button = page.get_by_role("button", name=SEND_AGAIN[lang])
    button.focus()
    for _ in range(50):  # the server's pool reconnects at its next use
        with page.expect_navigation() as again:
            page.keyboard.press("Enter")
        if again.value is not None and again.value.status != 503:
            break
        button = page.get_by_role("button", name=SEND_AGAIN[lang])
        button.focus()
        page.wait_for_timeout(200)
    assert again.value is not None and again.value.status == 200, again.value
    assert re.search(r"/t(\?|$)", page.url) or "/t/" in page.url, page.url
    assert page.locator("main form[method=post]").count() == 1  # the staff form's next page
    assert page.locator("h1").count() == 1 and HEADING[lang] not in page.title()

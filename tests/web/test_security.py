"""Web security regressions (issue 13; SECURITY.md §4): the route table walked for SQL
injection, path traversal and open redirects in every path and query parameter; the
Content-Security-Policy of every page; the cookies' flags; and stored XSS from respondents
and clerks to the analysts' pages and downloads."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from tests.conftest import FULL_ANSWERS, SECRET, hidden_fields, seed_wave, settings_for
from tests.web.admin_helpers import (  # noqa: F401 (a fixture)
    Client,
    add_accounts,
    csrf,
    quick_argon2,
    sign_in,
)
from tests.web.test_admin_pages import type_in
from tests.web.test_staff import open_staff_wave

P_SQL = ["' OR '1'='1", "1' AND 1=1--", "') OR 1=1--", "1; DROP TABLE responses--",
         "'||(SELECT sqlite_version())||'", "' AND randomblob(500000000)--", '" OR ""="',
         "%27", "\\'"]
P_PATH = ["../", "..%2f", "%2e%2e%2f", "..%5c", "....//", "/etc/passwd", "C:\\Windows\\win.ini",
          "%00", "forms/../../pyproject.toml", "../../../../../../etc/passwd",
          "..%2f..%2f..%2fpyproject.toml", "site.css/../../../pyproject.toml"]
P_URL = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
         "java\tscript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example",
         "/\\evil.example", "https:evil.example", "https://evil.example",
         "https://ok.host@evil.example", "%2F%2Fevil.example", "/%09/evil.example",
         "/admin//evil.example", "/admin/../\\evil.example", "/admin\\@evil.example"]
P_XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>",
         "</textarea><script>alert(1)</script>", '" autofocus onfocus=alert(1) x="',
         "<iframe srcdoc=\"<script>alert(1)</script>\">", "{{7*7}}", "\u2028\u2029",
         "&lt;script&gt;"]
#: Values for the path parameters of the route table (a real one each: the pages open).
PATH_VALUES = {"survey_id": "citizen-satisfaction", "org": "elena", "wave_id": "cs-baseline",
               "code": "ABCD-EFGH-JKMN", "token": "x" * 20, "name": "site.css"}
#: What a request's handler takes that is not a query parameter.
NOT_QUERY = {"self", "request", "site", "limits", "scope", "data", "state", "headers"}
#: Lines of files on the server a traversal could reveal.
SECRETS = ["root:x:0:0", "[project]", "[fonts]", 'id = "citizen-satisfaction"']


def routes(app: Litestar) -> Iterator[tuple[str, str, list[str], list[str]]]:
    """(method, path template, its path parameters, its query parameters) of every route."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            path_names = list(route.path_parameters)
            query = [p for p in handler.parsed_fn_signature.parameters
                     if p not in NOT_QUERY and p not in path_names]
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                yield method, route.path, path_names, query


def fill(template: str, **values: str) -> str:
    return re.sub(r"\{(\w+):\w+\}",
                  lambda m: values.get(m.group(1), quote(PATH_VALUES.get(m.group(1), "x"),
                                                         safe="")), template)


def snapshot(db: Path) -> list[tuple[object, ...]]:
    """The schema and the number of rows of every table: what an injection would change."""
    with sqlite3.connect(db) as conn:
        tables = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        counts = [(n, conn.execute(f'SELECT COUNT(*) FROM "{n}"').fetchone()[0])
                  for t, n, _ in tables if t == "table" and n != "sessions"]
    conn.close()
    return tables + counts


@pytest.fixture
async def app(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Litestar:
    monkeypatch.setenv("SURVEY_SECRET_KEY", SECRET)
    await seed_wave(settings, organisations=["elena", "lyaskovets"])
    await open_staff_wave(settings)
    await add_accounts(settings)
    return create_app(settings)


@pytest.fixture
async def admin(app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=app) as client:
        assert (await sign_in(client, "root")).status_code == 303
        yield client


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


async def test_injection_and_traversal_through_every_parameter(
    app: Litestar, admin: Client, db_path: Path
) -> None:
    """P-SQL and P-PATH in every path and query parameter of every route, as an administrator
    (who reaches the most code): never a 5xx, no file's content, no change in the database."""
    before = snapshot(db_path)
    token = await csrf(admin)
    problems = []
    for method, template, path_names, query in routes(app):
        if template == "/admin/logout":
            continue
        cases = [(fill(template, **{n: quote(p, safe="")}), {}) for n in path_names
                 for p in P_SQL + P_PATH]
        cases += [(fill(template), {q: p}) for q in query for p in P_SQL + P_PATH]
        for url, params in cases:
            data = {"_csrf_token": token} if method == "POST" else None
            r = await admin.request(method, url, params=params, data=data,
                                    follow_redirects=False)
            if r.status_code >= 500 or _leaks(r.text):
                problems.append(f"{method} {url} {params}: {r.status_code} {_leaks(r.text)}")
    assert problems == []
    assert snapshot(db_path) == before


async def test_no_redirect_leaves_the_site(
    app: Litestar, admin: Client, settings: Settings
) -> None:
    """P-URL in every query parameter (``next`` of the sign-in, ``lang`` of the language
    switch, ...), signed in and not: every redirect stays on this site."""
    problems = []
    async with AsyncTestClient(app=create_app(settings)) as anonymous:  # (an app each)
        for client in (admin, anonymous):
            for method, template, _, query in routes(app):
                if method != "GET":
                    continue
                for q in query:
                    for payload in P_URL:
                        r = await client.get(fill(template), params={q: payload},
                                             follow_redirects=False)
                        where = r.headers.get("location", "")
                        if r.status_code >= 500 or not _same_site(where):
                            problems.append(f"{template}?{q}={payload!r}: {r.status_code} {where}")
        # the sign-in form itself, with the next page in its body
        token = await csrf(anonymous)
        for payload in P_URL:
            r = await anonymous.post("/admin/login", follow_redirects=False, data={
                "_csrf_token": token, "name": "root", "password": "a long enough password",
                "next": payload})
            if r.status_code != 303 or not r.headers["location"].startswith("/admin"):
                problems.append(f"sign-in next={payload!r}: {r.headers.get('location')}")
            anonymous.cookies.clear()
            token = await csrf(anonymous)
    assert problems == []


def _same_site(location: str) -> bool:
    if not location:
        return True
    parts = urlsplit(location.replace("\\", "/").replace("\t", ""))
    return (not parts.scheme and not parts.netloc and location.startswith("/")
            and not location.startswith(("//", "/\\")))


CSP_NEEDS = ["default-src 'self'", "object-src 'none'", "base-uri 'none'",
             "frame-ancestors 'none'"]


async def test_every_page_has_a_strict_csp_and_no_inline_script_or_style(
    app: Litestar, admin: Client
) -> None:
    """Every GET of the route table, as an administrator: the CSP allows no inline script or
    style (``unsafe-inline``), and no page needs it (no inline script, handler or style)."""
    checked = []
    for method, template, _, _ in routes(app):
        if method != "GET":
            continue
        url = fill(template)
        r = await admin.get(url, follow_redirects=False)
        assert r.status_code < 500, url
        csp = r.headers.get("content-security-policy", "")
        assert all(part in csp for part in CSP_NEEDS), (url, csp)
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (url, csp)
        assert r.headers.get("x-content-type-options") == "nosniff", url
        if r.headers.get("content-type", "").startswith("text/html"):
            html = r.text
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
            assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", html, re.I), url
            assert not re.search(r"<style|\sstyle\s*=", html, re.I), url
            checked.append(url)
    assert len(checked) >= 15, checked
    schema = [t for m, t, _, _ in routes(app) if m == "GET" and t.startswith("/schema")]
    assert "/schema/openapi.json" in schema and "/schema/{path:str}" in schema, schema
    assert (await admin.get("/schema/openapi.json")).json()["openapi"].startswith("3.")
    assert "\nopenapi: 3." in (await admin.get("/schema/openapi.yaml")).text
    for viewer in ("swagger", "redoc", "elements", "rapidoc", "scalar"):  # no inline script
        assert (await admin.get(f"/schema/{viewer}")).status_code == 404, viewer


@pytest.mark.parametrize("public_url", ["http://127.0.0.1:8000", "https://anketa.elena.bg"])
async def test_cookie_flags(db_path: Path, public_url: str) -> None:
    settings = settings_for(db_path, public_url=public_url)
    await seed_wave(settings)
    await add_accounts(settings)
    base = "https://testserver.local" if public_url.startswith("https") else "http://testserver.local"
    async with AsyncTestClient(app=create_app(settings), base_url=base) as client:
        form = await client.get("/s/citizen-satisfaction?org=elena")
        signed = await sign_in(client, "root")
    cookies = form.headers.get_list("set-cookie") + signed.headers.get_list("set-cookie")
    names = {c.split("=", 1)[0] for c in cookies}
    assert {"csrftoken"} <= names and len(names) >= 2, cookies
    for cookie in cookies:
        flags = [f.strip().lower() for f in cookie.split(";")[1:]]
        assert "httponly" in flags, cookie
        assert any(f in ("samesite=lax", "samesite=strict") for f in flags), cookie
        assert ("secure" in flags) == public_url.startswith("https://"), cookie
        assert any(f.startswith("path=/") for f in flags), cookie


async def test_stored_xss_reaches_no_analyst_page_or_download(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P-XSS in every free-text answer of citizens and in clerks' double entries (whose
    differences an administrator reads), then every page of the administration and the CSV:
    the markup is escaped (or absent), formulas in a download are neutralised."""
    monkeypatch.setenv("SURVEY_SECRET_KEY", SECRET)
    settings = settings_for(db_path, paper_double_entry=True)
    await seed_wave(settings, organisations=["elena"])
    await add_accounts(settings)
    from survey_service.services.users import add_user
    from survey_service.storage import opened
    from tests.web.admin_helpers import PASSWORD

    async with opened(settings.database_url) as store:
        await add_user(settings, store, "cora", "clerk", ["elena"], PASSWORD, "test")
    app = create_app(settings)
    async with AsyncTestClient(app=app) as client:
        for payload in [*P_XSS, '=HYPERLINK("http://x")', "@SUM(A1)", "+1+1", "-1+1"]:
            page = await client.get("/s/citizen-satisfaction?org=elena")
            fields = {**hidden_fields(page.text), **FULL_ANSWERS, "comments": payload,
                      "_step": "5", "_action": "next"}
            r = await client.post("/s/citizen-satisfaction", data=fields, follow_redirects=False)
            assert r.status_code == 303, r.text[:300]
        for n, payload in enumerate(P_XSS):
            await sign_in(client, "cleo")
            await type_in(client, f"X-{n}", comments=payload)
            await sign_in(client, "cora")
            await type_in(client, f"X-{n}", comments=payload + "!")  # they differ
        assert (await sign_in(client, "root")).status_code == 303
        pages = [fill(t) for m, t, _, _ in routes(app) if m == "GET" and t.startswith("/admin")
                 and t != "/admin/login" and not t.endswith(".csv")]  # (downloads: below)
        problems = []
        for url in [*pages, "/admin/double-entry?lang=en"]:
            r = await client.get(url, follow_redirects=False)
            text = r.text
            for payload in P_XSS[:6]:
                if payload in text:
                    problems.append(f"{url}: {payload}")
            if "<script>alert" in text or re.search(r"<img[^>]*onerror", text):
                problems.append(f"{url}: live markup")
        listed = await client.get("/admin/double-entry")
        main = listed.text[listed.text.find("<main"):]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in main, main[:3000]  # shown, escaped
        export = await client.get("/admin/exports/cs-baseline/responses.csv")
        assert export.status_code == 200, export.text[:300]
        assert export.headers["content-type"].startswith("text/csv")
        assert export.headers["content-disposition"].startswith("attachment")
        for formula in ["=HYPERLINK", "@SUM", "+1+1", "-1+1"]:
            assert re.search(rf"(^|[,;])\"?'{re.escape(formula)}", export.text, re.M), formula
            assert not re.search(rf"(^|[,;])\"?{re.escape(formula)}", export.text, re.M), formula
    assert problems == []

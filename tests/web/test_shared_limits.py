"""Issue 12: the limits per client hold across processes. Four ``serve`` processes on four
ports share one database (SQLite, then PostgreSQL); one client moves between them at every
request. The submission limit, the staff wrong-code limit, the sign-in limit and the API's
limits per key and per client are each reached once for all four, a valid staff code still
gets in, and no database file holds the client's address."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from survey_service.surveys.tokens import new_code
from tests.conftest import FULL_ANSWERS, hidden_fields
from tests.contract.pg import fresh_database
from tests.web.servers import citizen_and_staff_waves, command, serve_env, serving

pytestmark = pytest.mark.slow

CITIZEN = "citizen-satisfaction"
LAST_STEP = "5"
SUBMIT_LIMIT = 3
API_KEY_LIMIT, API_CLIENT_LIMIT = 3, 6
PROCESSES = 4
PASSWORD = "the rightful password 1"
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
ADDRESS = "127.0.0.1"  # every request of the test comes from here


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'db' / 'survey.sqlite3'}"
        return
    with fresh_database() as url:
        yield url


def submit(client: httpx.Client, base: str, post: str) -> int:
    page = client.get(f"{base}/s/{CITIZEN}?org=elena")
    assert page.status_code == 200
    fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": LAST_STEP, "_action": "next"}
    return client.post(f"{post}/s/{CITIZEN}", data=fields).status_code


def sign_in(client: httpx.Client, base: str, password: str) -> int:
    page = client.get(f"{base}/admin/login")
    token = CSRF.search(page.text)
    assert token, page.text[:300]
    return client.post(f"{base}/admin/login", follow_redirects=False, data={
        "_csrf_token": token.group(1), "name": "ana", "password": password}).status_code


def database_files(database: str, tmp_path: Path) -> tuple[list[Path], list[Path]]:
    """Every file of the database (searched for the address as text), and those holding the
    app's own tables (searched for its 4 bytes too: PostgreSQL's catalog caches hold any
    4-byte value)."""
    if database.startswith("sqlite"):
        found = [p for p in (tmp_path / "db").iterdir() if p.is_file()]
        assert any(p.name.endswith(".limits") for p in found), found
        return found, found
    import asyncpg

    async def where() -> tuple[str, str, list[str]]:
        conn = await asyncpg.connect(database)
        try:
            await conn.execute("CHECKPOINT")  # every page on disk
            data = await conn.fetchval("SHOW data_directory")
            oid = await conn.fetchval(
                "SELECT oid FROM pg_database WHERE datname = current_database()")
            keys = await conn.fetch("SELECT key FROM client_limits")
            # keyed hashes only (and "*", the key of the count over every client)
            assert keys and all(len(r[0]) == 16 or r[0] == b"*" for r in keys)
            own = await conn.fetch(
                "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'pg_toast')"
                " AND c.relkind IN ('r', 'i', 't') AND pg_relation_filepath(c.oid) IS NOT NULL")
            return data, f"base/{oid}", [r[0] for r in own]
        finally:
            await conn.close()

    data, folder, own = asyncio.run(where())
    every = [p for p in (Path(data) / folder).rglob("*") if p.is_file()]
    mine = [p for p in every if any(p.name.startswith(Path(o).name) for o in own)]
    return every, mine


async def test_four_processes_enforce_each_limit_once(database: str, tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    env = serve_env(database, SURVEY_SUBMIT_LIMIT=str(SUBMIT_LIMIT),
                    SURVEY_API_KEY_LIMIT=str(API_KEY_LIMIT),
                    SURVEY_API_CLIENT_LIMIT=str(API_CLIENT_LIMIT),
                    SURVEY_API_WINDOW_SECONDS="3600")
    [valid] = await citizen_and_staff_waves(env, tmp_path, 1)
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "survey_service.cli", "users", "add", "ana",
                         "--role", "analyst", "--org", "elena", "--password-stdin"],
        input=f"{PASSWORD}\n".encode(), env=env, capture_output=True)
    assert result.returncode == 0, result
    api_key = (await command(env, "users", "key", "ana")).split()[0]  # then a note

    async with serving(env, tmp_path, [1] * PROCESSES) as servers:
        bases = servers.bases

        def client_work() -> None:
            with httpx.Client(timeout=30) as client:
                # submissions: 3 for the four processes together, wherever they are sent
                sent = [submit(client, bases[n % 4], bases[(n + 1) % 4]) for n in range(6)]
                assert sent == [303] * SUBMIT_LIMIT + [429] * (6 - SUBMIT_LIMIT)
                # wrong staff codes: the 20th is refused as too many, whichever process
                wrong = [client.get(f"{bases[n % 4]}/t/{new_code()}").status_code
                         for n in range(22)]
                assert wrong == [400] * 19 + [429] * 3
                # ... and a valid code still gets in, on every process
                assert client.get(f"{bases[1]}/t/{valid}").status_code == 200
                # sign-in: 5 wrong passwords for one account across the processes, and then
                # even the right one waits (the attacker cannot go on elsewhere)
                failed = [sign_in(client, bases[n % 4], "wrong password") for n in range(5)]
                assert failed == [400] * 5
                assert sign_in(client, bases[2], PASSWORD) == 429
                assert sign_in(client, bases[3], PASSWORD) == 429
                # the API: 3 requests for the key on the four processes together, then 429
                # with Retry-After; the address's 6th request (a bad key) is its last
                key = {"Authorization": f"Bearer {api_key}"}
                api = [client.get(f"{bases[n % 4]}/api/v1/surveys", headers=key)
                       for n in range(API_KEY_LIMIT + 2)]
                assert [r.status_code for r in api] == [200] * API_KEY_LIMIT + [429] * 2
                assert int(api[-1].headers["retry-after"]) > 0
                assert api[-1].json()["detail"].startswith("too many requests with this API")
                bad = {"Authorization": "Bearer not-a-key"}
                unknown = [client.get(f"{bases[n % 4]}/api/v1/surveys", headers=bad)
                           for n in range(3)]
                assert [r.status_code for r in unknown] == [401, 429, 429]
                assert unknown[-1].json()["detail"].startswith("too many requests from this")

        await asyncio.to_thread(client_work)
    logs = servers.texts()
    assert not any("Traceback" in text for text in logs), logs
    # the address is in no file of the database, as text or as its 4 bytes
    every, mine = await asyncio.to_thread(database_files, database, tmp_path)
    assert every and mine
    for path in every:
        assert ADDRESS.encode() not in path.read_bytes(), path
    for path in mine:
        assert socket.inet_aton(ADDRESS) not in path.read_bytes(), path

"""Serving kept report pages fast (issue #11: < 300 ms p95 under concurrent readers): a page
over closed waves is rendered and gzipped once per reader and address, then served as the
same bytes without rendering; each session still gets its own CSRF token and menu; and an
unchanged session is not written back to the database on every page."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.cli import cli
from survey_service.rendering.pages import Renderer
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.web.admin import access
from tests.web.admin_helpers import CSRF, Client, add_accounts, sign_in

CITIZEN = "citizen-satisfaction"
PAGE = (f"/admin/reports/{CITIZEN}?baseline=demo-{CITIZEN}-baseline"
        f"&follow_up=demo-{CITIZEN}-follow-up&lang=en")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("kept-bytes")
    forms = folder / "forms"
    shutil.copytree(Path(__file__).parents[2] / "forms", forms)
    settings = Settings.from_env({}, database_url=f"sqlite:///{folder / 'db.sqlite3'}",
                                 forms_dir=str(forms), secret_key="k" * 40,
                                 wave_refresh_seconds=0.0)
    env = {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_FORMS_DIR": str(forms),
           "SURVEY_SECRET_KEY": settings.secret_key}
    result = CliRunner().invoke(cli, ["demo", "--survey", CITIZEN, "--responses", "40",
                                      "--seed", "3"], env=env)
    assert result.exit_code == 0, result.output
    asyncio.run(add_accounts(settings))
    return settings


@pytest.fixture
async def root(demo: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(demo)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        yield client


async def test_a_kept_page_is_the_same_bytes_without_rendering(
        root: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    await root.get(PAGE)  # computed (and kept in the database)
    kept = await root.get(PAGE)  # read back: rendered once more, then kept as bytes
    assert kept.status_code == 200 and "kept: the waves are closed" in kept.text
    renders: list[str] = []
    real = Renderer.render

    def counted(self: Renderer, lang: str, template: str, **context: Any) -> str:
        renders.append(template)
        return real(self, lang, template, **context)

    monkeypatch.setattr(Renderer, "render", counted)
    again = await root.get(PAGE, headers={"accept-encoding": "gzip"})
    assert renders == []  # served from memory
    assert again.content == kept.content
    assert again.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in again.headers["vary"].lower()
    assert again.headers["cache-control"] == "no-store"
    plain = await root.get(PAGE, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == kept.content
    refused = await root.get(PAGE, headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    assert renders == []
    # another page (the other language) is rendered until it is kept, then served as bytes
    other = PAGE.replace("lang=en", "lang=bg")
    await root.get(other)
    await root.get(other)
    assert "admin/report.html" in renders
    renders.clear()
    bg = await root.get(other)
    assert renders == [] and 'lang="bg"' in bg.text and bg.content != kept.content


async def test_each_session_gets_its_own_token_on_a_kept_page(demo: Settings) -> None:
    async with AsyncTestClient(app=create_app(demo)) as one, \
            AsyncTestClient(app=create_app(demo)) as two:
        for client in (one, two):
            assert (await sign_in(client, "root")).status_code == 303
        for _ in range(3):
            for client in (one, two):
                page = await client.get(PAGE)
                found = CSRF.search(page.text)
                assert found and found.group(1) == client.cookies.get("csrftoken")
        token = CSRF.search((await one.get(PAGE)).text)
        assert token
        out = await one.post("/admin/logout", data={"_csrf_token": token.group(1)},
                             follow_redirects=False)
        assert out.status_code == 303
        assert (await one.get(PAGE, follow_redirects=False)).status_code == 303  # signed out
        assert (await two.get(PAGE)).status_code == 200


async def _expiry(settings: Settings) -> list[float]:
    async with opened(settings.database_url) as store:
        conn = store._r  # type: ignore[attr-defined]
        async with conn.execute("SELECT expires FROM sessions ORDER BY expires") as cur:
            return [float(r[0]) for r in await cur.fetchall()]


async def test_an_unchanged_session_is_written_back_once_a_minute(
        demo: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    async with opened(demo.database_url) as store:
        await store.session_delete(None)
    real = time.time
    async with AsyncTestClient(app=create_app(demo)) as client:
        assert (await sign_in(client, "ana")).status_code == 303
        assert (await client.get("/admin")).status_code == 200
        first = await _expiry(demo)
        assert len(first) == 1
        monkeypatch.setattr(time, "time", lambda: real() + 30)
        assert (await client.get("/admin")).status_code == 200
        assert await _expiry(demo) == first  # not written again
        monkeypatch.setattr(time, "time", lambda: real() + access.RENEW_SECONDS + 5)
        assert (await client.get("/admin")).status_code == 200
        renewed = await _expiry(demo)
        assert renewed[0] > first[0] + access.RENEW_SECONDS  # the idle limit moved on
        # a changed session (another language) is written at once
        monkeypatch.setattr(time, "time", lambda: real() + access.RENEW_SECONDS + 10)
        assert (await client.get("/admin?lang=en")).status_code == 200
        async with opened(demo.database_url) as store:
            conn = store._r  # type: ignore[attr-defined]
            async with conn.execute("SELECT data FROM sessions") as cur:
                rows = await cur.fetchall()
        assert len(rows) == 1 and b'"en"' in bytes(rows[0][0])

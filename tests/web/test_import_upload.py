"""The import upload on the dashboard (admins): "check only" first, the bad cells listed in
the page and nothing stored, then the clean file imported once; CSRF and roles."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.exports import CsvOptions, export_wave
from survey_service.storage import opened
from tests.web.admin_helpers import add_accounts, csrf, quick_argon2, sign_in  # noqa: F401
from tests.web.exports_data import WAVE, mini_settings, mini_wave


# Litestar's CSRF middleware, refusing the upload without a token, leaves the uploaded file's
# spooled temporary file to the garbage collector (a ResourceWarning, not ours to close).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_an_admin_checks_then_imports_a_file_and_sees_the_bad_cells(
        tmp_path: Path) -> None:
    settings = mini_settings(tmp_path)
    await mini_wave(settings)
    await mini_wave(settings, "mini-empty", [])
    async with opened(settings.database_url) as store:
        exported = io.BytesIO()
        await export_wave(settings, store, WAVE, "csv", None, CsvOptions(), stream=exported)
    good = exported.getvalue().replace(WAVE.encode(), b"mini-empty")
    bad = good.replace(b"desk", b"window", 1)
    await add_accounts(settings)
    url = "/admin/waves/mini-empty/import"
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "ana")).status_code == 303
        assert (await client.get(url)).status_code == 403  # analysts do not import
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        page = await client.get(f"{url}?lang=en")
        assert page.status_code == 200 and 'name="dry_run" value="1" checked' in page.text
        token = await csrf(client, url)

        async def upload(data: bytes, dry_run: bool, name: str = "old.csv") -> object:
            fields = {"_csrf_token": token, **({"dry_run": "1"} if dry_run else {})}
            return await client.post(f"{url}?lang=en", data=fields,
                                     files={"file": (name, data, "text/csv")})

        refused = await upload(bad, dry_run=False)
        assert refused.status_code == 400
        assert "cells of old.csv are not valid: nothing was imported" in refused.text
        assert "<td>window</td>" in refused.text and "<td>visit</td>" in refused.text
        checked = await upload(good, dry_run=True)
        assert checked.status_code == 200 and "3 rows would be imported" in checked.text
        async with opened(settings.database_url) as store:
            assert await store.count_responses("mini-empty") == 0
        done = await upload(good, dry_run=False)
        assert done.status_code == 200 and "3 of its 3 rows were stored" in done.text
        again = await upload(good, dry_run=False)
        assert "0 of its 3 rows were stored" in again.text
        assert (await upload(b"x", dry_run=True, name="notes.txt")).status_code == 400
        no_token = await client.post(url, data={"dry_run": "1"},
                                     files={"file": ("old.csv", good, "text/csv")})
        assert no_token.status_code == 403
        bg = await client.get(f"{url}?lang=bg")
        assert "Внасяне на анкетни карти във вълна mini-empty" in bg.text
    async with opened(settings.database_url) as store:
        assert await store.count_responses("mini-empty") == 3
        found = [e.detail for e in await store.audit_entries() if e.action == "import"]
    assert len(found) == 4 and '"refused":1' in found[0]

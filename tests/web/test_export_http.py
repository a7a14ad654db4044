"""The streamed CSV download, behind the administration's sign-in: a whole wave for admins,
one organisation's responses for its analysts."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services import exports
from survey_service.services.exports import CsvOptions, export_wave
from survey_service.storage import opened
from survey_service.web import admin
from survey_service.web.admin.exports import FILES, ExportController, content_disposition
from tests.web.admin_helpers import add_accounts, sign_in
from tests.web.exports_data import WAVE, mini_settings, mini_wave


def test_content_disposition_gives_an_ascii_name_and_the_exact_one() -> None:
    assert content_disposition("анкета_w_2026-11-27.csv") == (
        'attachment; filename="_______w_2026-11-27.csv"; '
        "filename*=UTF-8''%D0%B0%D0%BD%D0%BA%D0%B5%D1%82%D0%B0_w_2026-11-27.csv")


async def test_the_wide_csv_streams_over_http_with_its_file_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = mini_settings(tmp_path)
    await mini_wave(settings)
    async with opened(settings.database_url) as store:
        expected = io.BytesIO()
        await export_wave(settings, store, WAVE, "csv", None, CsvOptions(delimiter=";"),
                          stream=expected)
    await add_accounts(settings)
    url = f"/admin/exports/{WAVE}/responses.csv?delimiter=;"
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get(url, follow_redirects=False)).status_code == 303  # sign in
        assert (await sign_in(client, "ana")).status_code == 303
        assert (await client.get(url)).status_code == 403  # an analyst: whole waves are admins'
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        response = await client.get(url)
        assert response.status_code == 200 and response.content == expected.getvalue()
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith(
            'attachment; filename="mini_mini-2026_20')
        assert response.headers["cache-control"] == "no-store"
        statuses = [(await client.get(url)).status_code for url in (
            "/admin/exports/nope/responses.csv",
            f"/admin/exports/{WAVE}/responses.csv?delimiter=x",
            f"/admin/exports/{WAVE}/responses.csv?labels=de")]
        assert statuses == [404, 400, 400]


def test_the_export_controller_is_mounted_behind_the_administration_guard() -> None:
    assert ExportController in admin.route_handlers


@pytest.mark.parametrize("batch", [1, 500])
async def test_an_analyst_downloads_only_the_responses_of_an_organisation_granted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int) -> None:
    monkeypatch.setattr(exports, "BATCH", batch)  # batches with none of its responses too
    settings = mini_settings(tmp_path)
    await mini_wave(settings)
    async with opened(settings.database_url) as store:
        whole = io.BytesIO()
        await export_wave(settings, store, WAVE, "csv", None, CsvOptions(), stream=whole)
    header, *rows = whole.getvalue().split(b"\r\n")[:-1]
    elena = [r for r in rows if b",elena," in r]
    assert len(elena) == 2 and len(rows) == 3
    await add_accounts(settings)
    url = f"/admin/orgs/elena/exports/{WAVE}/responses.csv"
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get(url, follow_redirects=False)).status_code == 303  # sign in
        assert (await sign_in(client, "ana")).status_code == 303
        response = await client.get(url)
        assert response.status_code == 200
        assert response.content == b"\r\n".join([header, *elena, b""])
        assert response.headers["content-disposition"].startswith(
            'attachment; filename="mini_mini-2026_elena_20')
        other = f"/admin/orgs/lyaskovets/exports/{WAVE}/responses.csv"
        assert (await client.get(other)).status_code == 403  # not granted
        page = await client.get(f"/admin/orgs/elena/waves/{WAVE}?lang=en")
        assert f'href="{url}"' in page.text
        assert "Download this organisation's responses (CSV)" in page.text
        page = await client.get(f"/admin/orgs/elena/waves/{WAVE}?lang=bg")
        assert "Изтегляне на отговорите за тази организация (CSV)" in page.text
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        assert (await client.get("/admin/orgs/nowhere/exports/"
                                 f"{WAVE}/responses.csv")).status_code == 404
        response = await client.get(other)
        assert response.status_code == 200 and len(response.content.split(b"\r\n")) == 3
    async with opened(settings.database_url) as store:
        found = [(e.actor, e.detail) for e in await store.audit_entries()
                 if e.action == "export"]
    assert ("ana", '{"format":"csv","organisation":"elena","wave":"mini-2026"}') in found


async def test_the_wave_page_offers_every_format_and_each_downloads(
        tmp_path: Path) -> None:
    settings = mini_settings(tmp_path)
    await mini_wave(settings)
    await add_accounts(settings)
    async with opened(settings.database_url) as store:
        export = await exports.prepare_export(settings, store, WAVE, "elena")
        long_elena = b"".join([c async for c in exports.long_csv(
            store, export, CsvOptions(labels="en"))])
        codebook = exports.codebook_csv(export, CsvOptions())
    base = f"/admin/orgs/elena/exports/{WAVE}"
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "ana")).status_code == 303
        page = await client.get(f"/admin/orgs/elena/waves/{WAVE}?lang=en")
        for name in FILES:
            assert f'href="{base}/{name}"' in page.text, name
        assert "Stata file with labels (.dta)" in page.text
        assert "/admin/exports/" not in page.text  # the whole wave: admins only
        bg = await client.get(f"/admin/orgs/elena/waves/{WAVE}?lang=bg")
        assert "Файл за SPSS с етикети (.sav)" in bg.text
        await client.get(f"/admin/orgs/elena/waves/{WAVE}?lang=en")  # the session's language
        frames = {}
        for name, read in (("responses.xlsx", pd.read_excel), ("responses.sav", pd.read_spss),
                           ("responses.dta", pd.read_stata)):
            response = await client.get(f"{base}/{name}")
            assert response.status_code == 200, (name, response.text[:200])
            assert response.headers["content-disposition"].endswith(name.split(".")[1])
            path = tmp_path / name
            path.write_bytes(response.content)
            frames[name] = read(path)
        assert all(len(f) == 2 for f in frames.values())
        assert set(frames["responses.sav"]["organisation"]) == {"elena"}
        assert "At the desk" in set(frames["responses.sav"]["visit"])  # labels in English
        assert (await client.get(f"{base}/long.csv")).content == long_elena
        assert (await client.get(f"{base}/codebook.csv")).content == codebook
        assert (await client.get(f"{base}/nothing.csv")).status_code == 404
        other = f"/admin/orgs/lyaskovets/exports/{WAVE}/responses.sav"
        assert (await client.get(other)).status_code == 403
        assert (await client.get(f"/admin/exports/{WAVE}/responses.sav")).status_code == 403
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        page = await client.get(f"/admin/orgs/elena/waves/{WAVE}?lang=en")
        assert f'href="/admin/exports/{WAVE}/responses.dta"' in page.text
        whole = await client.get(f"/admin/exports/{WAVE}/responses.dta")
        path = tmp_path / "whole.dta"
        path.write_bytes(whole.content)
        assert len(pd.read_stata(path)) == 3
    async with opened(settings.database_url) as store:
        found = {(e.actor, e.detail) for e in await store.audit_entries()
                 if e.action == "export"}
    assert ("ana", '{"format":"sav","organisation":"elena","wave":"mini-2026"}') in found
    assert ("root", '{"format":"dta","wave":"mini-2026"}') in found

"""The streamed CSV download (mounted here as the lead will, behind the admin prefix)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.exports import CsvOptions, export_wave
from survey_service.storage import opened
from survey_service.web import admin
from survey_service.web.admin.exports import ExportController, content_disposition
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
    monkeypatch.setattr(admin, "route_handlers", [ExportController])
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get(f"/admin/exports/{WAVE}/responses.csv?delimiter=;")
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


def test_the_export_controller_is_not_mounted_without_its_guard() -> None:
    assert ExportController not in admin.route_handlers

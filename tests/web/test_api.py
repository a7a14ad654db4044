"""The read-only JSON API (``/api/v1``): API keys, organisations kept apart, exports equal to
the CLI's and audited, figures through the disclosure plan, JSON refusals, the OpenAPI
document."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pandas as pd
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.reports.disclosure import WavePlan
from survey_service.services.exports import CsvOptions, export_wave, prepare_export, wide_csv
from survey_service.services.levels import wave_levels
from survey_service.services.reports import compute_report
from survey_service.services.waves import find_wave
from survey_service.storage import opened
from tests.conftest import SURVEY
from tests.web.api_data import (
    BASELINE,
    FOLLOW_UP,
    LYASKOVETS_ONLY,
    STAFF_OPEN,
    ApiData,
    build,
)

Client = AsyncTestClient[Litestar]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> ApiData:
    return build(tmp_path_factory.mktemp("api"))


@pytest.fixture
async def client(data: ApiData) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(data.settings)) as c:
        yield c


async def test_keys_refused_and_roles(client: Client, data: ApiData) -> None:
    for headers in ({}, {"Authorization": "Bearer ssk_nope"}, {"Authorization": "Basic x"},
                    {"Authorization": "Bearer"}, data.auth("gone")):
        response = await client.get("/api/v1/waves", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert set(response.json()) == {"status_code", "detail"}
    clerk = await client.get("/api/v1/waves", headers=data.auth("cleo"))
    assert clerk.status_code == 403 and clerk.json()["status_code"] == 403
    assert (await client.get("/api/v1/waves", headers=data.auth("root"))).status_code == 200


async def test_an_analyst_of_elena_reads_only_elena(client: Client, data: ApiData) -> None:
    ana = data.auth("ana")
    waves = (await client.get("/api/v1/waves", headers=ana)).json()
    assert {w["id"] for w in waves} == {BASELINE, FOLLOW_UP, STAFF_OPEN}
    assert {o["organisation"] for w in waves for o in w["organisations"]} == {"elena"}
    root = (await client.get(f"/api/v1/waves/{BASELINE}", headers=data.auth("root"))).json()
    assert {o["organisation"]: o["total"] for o in root["organisations"]} == data.counts
    assert data.counts["elena"] > 20 and data.counts["lyaskovets"] > 20
    surveys = (await client.get("/api/v1/surveys", headers=ana)).json()
    assert LYASKOVETS_ONLY not in [w for s in surveys for w in s["waves"]]
    assert (await client.get(f"/api/v1/waves/{LYASKOVETS_ONLY}", headers=ana)).status_code == 404
    for path in (f"/api/v1/waves/{LYASKOVETS_ONLY}/responses.csv",
                 f"/api/v1/waves/{LYASKOVETS_ONLY}/indicators"):
        assert (await client.get(path, headers=ana)).status_code == 404, path
    for path in (f"/api/v1/waves/{BASELINE}/responses.csv?org=lyaskovets",
                 f"/api/v1/waves/{BASELINE}/responses.sav?org=lyaskovets",
                 f"/api/v1/waves/{BASELINE}/responses.json?org=lyaskovets",
                 f"/api/v1/waves/{BASELINE}/indicators?org=lyaskovets",
                 f"/api/v1/comparisons?baseline={BASELINE}&follow_up={FOLLOW_UP}"
                 "&org=lyaskovets"):
        response = await client.get(path, headers=ana)
        assert response.status_code == 403, path
        assert "lyaskovets" in response.json()["detail"]
    lyu = await client.get(f"/api/v1/waves/{LYASKOVETS_ONLY}", headers=data.auth("lyu"))
    assert lyu.status_code == 200


async def _cli_csv(data: ApiData, org: str | None) -> bytes:
    async with opened(data.settings.database_url) as store:
        export = await prepare_export(data.settings, store, BASELINE, org)
        return b"".join([c async for c in wide_csv(store, export, CsvOptions(delimiter=";"))])


async def test_exports_are_the_cli_s_and_audited(client: Client, data: ApiData) -> None:
    url = f"/api/v1/waves/{BASELINE}/responses.csv?delimiter=;"
    whole = await client.get(url, headers=data.auth("root"))
    assert whole.status_code == 200 and whole.content == await _cli_csv(data, None)
    assert whole.headers["content-type"] == "text/csv; charset=utf-8"
    assert whole.headers["content-disposition"].startswith(
        f'attachment; filename="{SURVEY}_{BASELINE}_20')
    elena = await client.get(url, headers=data.auth("ana"))  # the only organisation granted
    assert elena.content == await _cli_csv(data, "elena")
    assert elena.content.count(b";elena;") == data.counts["elena"]
    assert b"lyaskovets" not in elena.content
    async with opened(data.settings.database_url) as store:
        codebook = io.BytesIO()
        await export_wave(data.settings, store, BASELINE, "codebook", None, CsvOptions(),
                          stream=codebook)
        entries = [(e.actor, msgspec.json.decode(e.detail)) for e in await store.audit_entries()
                   if e.action == "export"]
    response = await client.get(f"/api/v1/waves/{BASELINE}/codebook.csv",
                                headers=data.auth("ana"))
    assert response.content == codebook.getvalue()
    assert ("ana", {"wave": BASELINE, "format": "csv", "via": "api",
                    "organisation": "elena"}) in entries
    assert ("root", {"wave": BASELINE, "format": "csv", "via": "api"}) in entries


async def test_xlsx_sav_and_dta_read_back_with_cyrillic_labels(
        client: Client, data: ApiData, tmp_path: Path) -> None:
    ana = data.auth("ana")
    frames = {}
    for ext, read in (("xlsx", pd.read_excel), ("sav", pd.read_spss), ("dta", pd.read_stata)):
        response = await client.get(f"/api/v1/waves/{BASELINE}/responses.{ext}?org=elena",
                                    headers=ana)
        assert response.status_code == 200, (ext, response.text[:200])
        assert response.headers["content-disposition"].endswith(f".{ext}")
        path = tmp_path / f"file.{ext}"
        path.write_bytes(response.content)
        frames[ext] = read(path)
    assert all(len(f) == data.counts["elena"] for f in frames.values())
    assert set(frames["sav"]["organisation"]) == {"elena"}
    cyrillic = re.compile("[а-яА-Я]")
    for ext in ("sav", "dta"):  # value labels in Bulgarian
        assert any(cyrillic.search(str(v)) for v in frames[ext].iloc[:, 8:].stack()), ext
    assert not list(Path(tmp_path).glob("survey-export-*"))


async def test_a_staff_wave_is_not_exported_before_it_closes(client: Client, data: ApiData
                                                             ) -> None:
    for ext in ("csv", "sav", "json"):
        response = await client.get(f"/api/v1/waves/{STAFF_OPEN}/responses.{ext}",
                                    headers=data.auth("ana"))
        assert response.status_code == 409, ext
        assert "not closed" in response.json()["detail"]


async def test_json_pages_cover_the_wave_once(client: Client, data: ApiData) -> None:
    rows: list[list[Any]] = []
    url: str | None = f"/api/v1/waves/{BASELINE}/responses.json?per_page=7"
    while url is not None:
        page = (await client.get(url, headers=data.auth("root"))).json()
        assert len(page["rows"]) <= 7
        rows += page["rows"]
        url = page["next"]
    total = sum(data.counts.values())
    assert len(rows) == total and len({r[0] for r in rows}) == total
    csv_rows = (await _cli_csv(data, None)).decode("utf-8-sig").split("\r\n")[1:-1]
    assert [r[0] for r in rows] == [line.split(";")[0] for line in csv_rows]
    assert page["columns"][:4] == ["response_id", "wave", "form_version", "organisation"]


async def test_indicators_follow_the_disclosure_plan(client: Client, data: ApiData,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"/api/v1/waves/{BASELINE}/indicators?lang=en&org=elena"
    found = (await client.get(url, headers=data.auth("ana"))).json()
    async with opened(data.settings.database_url) as store:
        wave = await find_wave(store, BASELINE)
        levels = await wave_levels(data.settings, store, SURVEY, [wave], "follow-up", "elena",
                                   "en")
    assert isinstance(levels, dict)
    shown = {i["id"]: i["value"] for i in found["indicators"] if i["value"] is not None}
    assert shown and all(levels[k].value == v for k, v in shown.items())
    monkeypatch.setattr(WavePlan, "is_hidden", lambda self, key, cell: True)
    hidden = (await client.get(url, headers=data.auth("ana"))).json()["indicators"]
    assert all(i["value"] is None and "not shown" in i["reason"] for i in hidden)


async def test_the_comparison_is_the_report(client: Client, data: ApiData) -> None:
    url = (f"/api/v1/comparisons?baseline={BASELINE}&follow_up={FOLLOW_UP}&lang=en"
           "&items=false")
    found = await client.get(url, headers=data.auth("root"))
    assert found.status_code == 200, found.text[:300]
    async with opened(data.settings.database_url) as store:
        report = await compute_report(data.settings, store, SURVEY, BASELINE, FOLLOW_UP, None,
                                      "en", False)
    assert found.json() == msgspec.json.decode(msgspec.json.encode(report))
    mine = await client.get(url, headers=data.auth("ana"))
    assert mine.json()["organisation"] == "elena"
    same = await client.get(f"/api/v1/comparisons?baseline={BASELINE}&follow_up={BASELINE}",
                            headers=data.auth("root"))
    assert same.status_code == 400 and "both" in same.json()["detail"]


@pytest.mark.parametrize("query", [
    "responses.json?per_page=0", "responses.json?page=abc", "responses.json?per_page=5000",
    "indicators?lang=de", "responses.csv?delimiter=x", "responses.csv?labels=fr",
    "responses.csv?org=nowhere", "responses.sav?org=" + "x" * 300,
])
async def test_malformed_requests_get_a_json_4xx(client: Client, data: ApiData, query: str
                                                 ) -> None:
    response = await client.get(f"/api/v1/waves/{BASELINE}/{query}", headers=data.auth("root"))
    assert 400 <= response.status_code < 500, (query, response.status_code)
    body = response.json()
    assert body["status_code"] == response.status_code and body["detail"]


async def test_the_openapi_document_describes_every_route(client: Client) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    assert document["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    operations = [op for path in document["paths"].values() for op in path.values()]
    assert all(path.startswith("/api/v1/") for path in document["paths"])
    assert len(operations) == 11
    for op in operations:
        assert op["operationId"] and op["security"] == [{"apiKey": []}]
        assert {"200", "400", "401", "403", "404"} <= set(op["responses"]), op["operationId"]

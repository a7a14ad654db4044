"""The report pages through the HTTP app: the same figures (and the same hidden ones) as
``survey-service report``, one-wave pages that follow the wave's disclosure plan, who may see
what, pages over closed waves kept in the database, downloads, and clear refusals."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.cli import cli
from survey_service.reports.disclosure import ALL, org_label
from survey_service.services.disclosure import disclosure_for, full_matrix
from survey_service.services.report_pages import forget
from survey_service.services.waves import find_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.surveys.loader import indicator_items
from tests.web.admin_helpers import Client, add_accounts, sign_in
from tests.web.disclosure_scenario import AFTER, BEFORE, STAFF, build

CITIZEN = "citizen-satisfaction"
BASE, FOLLOW = f"demo-{CITIZEN}-baseline", f"demo-{CITIZEN}-follow-up"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo's citizen waves (closed), with the test accounts."""
    folder = tmp_path_factory.mktemp("report-pages")
    forms = folder / "forms"
    shutil.copytree(Path(__file__).parents[2] / "forms", forms)
    settings = Settings.from_env({}, database_url=f"sqlite:///{folder / 'db.sqlite3'}",
                                 forms_dir=str(forms), secret_key="s" * 40,
                                 wave_refresh_seconds=0.0)
    result = CliRunner().invoke(cli, ["demo", "--survey", CITIZEN, "--responses", "60",
                                      "--seed", "5"], env=env_of(settings))
    assert result.exit_code == 0, result.output
    asyncio.run(add_accounts(settings))
    return settings


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings, _ = build(tmp_path_factory.mktemp("report-disclosure"))
    asyncio.run(add_accounts(settings))
    return settings


def env_of(settings: Settings) -> dict[str, str]:
    return {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_FORMS_DIR": settings.forms_dir,
            "SURVEY_SECRET_KEY": settings.secret_key}


def _cli_report(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["report", *args], env=env_of(settings))
    return result.exit_code, result.output


async def cli_report(settings: Settings, *args: str) -> tuple[int, str]:
    """``survey-service report`` (in a thread: it runs its own event loop)."""
    return await asyncio.to_thread(_cli_report, settings, *args)


@pytest.fixture
async def root(demo: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(demo)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        yield client


def url(survey: str = CITIZEN, at: str | None = None, fmt: str | None = None,
        **query: str) -> str:
    """A report page (``at``: an organisation's own page, else the administrators')."""
    path = f"/admin/orgs/{at}/reports/{survey}" if at else f"/admin/reports/{survey}"
    if fmt:
        path += f"/report.{fmt}"
    return path + (f"?{urlencode(query)}" if query else "")


async def test_the_page_and_its_downloads_give_the_cli_report(root: Client, demo: Settings
                                                              ) -> None:
    waves = {"baseline": BASE, "follow_up": FOLLOW}
    page = await root.get(url(**waves, lang="bg"))
    assert page.status_code == 200, page.text[:500]
    code, out = await cli_report(demo, CITIZEN, "--baseline", BASE, "--follow-up", FOLLOW,
                           "--format", "json")
    assert code == 0, out
    expected = json.loads(out)
    got = (await root.get(url(fmt="json", **waves, lang="bg"))).json()
    assert got["rows"] == expected["rows"] and got["not_comparable"] == expected[
        "not_comparable"]
    code, csv_out = await cli_report(demo, CITIZEN, "--baseline", BASE, "--follow-up", FOLLOW,
                               "--format", "csv")
    download = await root.get(url(fmt="csv", **waves))
    assert download.content.startswith("\ufeff".encode())  # a BOM for Excel, as the CLI's
    same = [t.lstrip("\ufeff").replace("\r\n", "\n") for t in (download.text, csv_out)]
    assert same[0] == same[1]
    assert "attachment" in download.headers["content-disposition"]
    for row in expected["rows"]:  # every figure on the page, in Bulgarian notation
        if row.get("follow_up") is not None:
            assert f"{row['follow_up']:.1f}".replace(".", ",") in page.text, row["id"]
        if row.get("n_baseline") is not None:
            assert f"{row['n_baseline']} / {row['n_follow_up']}" in page.text
    assert "Очаквани резултати" in page.text and "<svg" in page.text


async def test_one_wave_page_with_its_charts(root: Client) -> None:
    page = await root.get(url(wave=BASE, org="elena", lang="en"))
    assert page.status_code == 200
    assert page.text.count('role="img"') >= 3
    for chart in re.findall(r'<figure class="chart".*?</figure>', page.text, re.S):
        assert "<title" in chart and "<desc" in chart and "<table" in chart
    rows = (await root.get(url(fmt="json", wave=BASE, org="elena"))).json()["rows"]
    shown = [r for r in rows if r.get("value") is not None]
    assert shown and all(r["n"] >= 10 for r in shown)


async def test_pages_over_closed_waves_are_kept(root: Client, demo: Settings) -> None:
    query = {"baseline": BASE, "follow_up": FOLLOW, "org": "lyaskovets", "lang": "en"}
    first = await root.get(url(**query))
    assert first.status_code == 200 and "kept: the waves are closed" not in first.text
    again = await root.get(url(**query))
    assert "kept: the waves are closed" in again.text
    async with opened(demo.database_url) as store:
        assert await forget(store, BASE) >= 1
    assert "kept: the waves are closed" not in (await root.get(url(**query))).text


async def test_bad_choices_are_refused_with_a_message(root: Client) -> None:
    cases = [({"wave": "nope"}, 404, "unknown wave"),
             ({"baseline": BASE}, 400, "both a baseline and a follow-up"),
             ({"baseline": BASE, "follow_up": BASE}, 400, "both the baseline and the follow-up"),
             ({"baseline": BASE, "follow_up": FOLLOW, "by": "age"}, 400, "cannot break down"),
             ({"wave": BASE, "by": "channel"}, 400, "compares a baseline"),
             ({"wave": BASE, "org": "atlantis"}, 404, "atlantis")]
    for query, status, text in cases:
        page = await root.get(url(lang="en", **query))
        assert page.status_code == status, (query, page.status_code)
        assert text in page.text, query
    assert (await root.get(url(survey="nope"))).status_code == 404
    assert (await root.get(url(fmt="csv", wave="nope"))).status_code == 404


async def test_analysts_see_only_their_organisation(demo: Settings) -> None:
    async with AsyncTestClient(app=create_app(demo)) as client:
        assert (await sign_in(client, "ana")).status_code == 303
        own = await client.get(url(at="elena", wave=BASE, lang="en"))
        assert own.status_code == 200 and "Organisation: <strong>elena" in own.text
        assert 'name="org"' not in own.text  # no organisation to choose
        assert (await client.get(url(at="lyaskovets", wave=BASE))).status_code == 403
        assert (await client.get(url(wave=BASE))).status_code == 403
        assert (await client.get(url(at="lyaskovets", fmt="json", wave=BASE))
                ).status_code == 403
        # the org of the path wins over one in the query
        asked = await client.get(f"/admin/orgs/elena/reports/{CITIZEN}/report.json"
                                 f"?wave={BASE}&org=lyaskovets")
        assert asked.json()["organisation"] == "elena"


async def _scenario_client(settings: Settings) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        yield client


async def test_small_groups_are_hidden_exactly_as_in_the_cli_report(scenario: Settings
                                                                    ) -> None:
    compared: set[tuple[str | None, str | None]] = set()
    hidden_cells = 0
    async for client in _scenario_client(scenario):
        for org in (None, "elena", "lyaskovets"):
            # the breakdowns are the CLI's group table (each group's CI, change and test)
            for by in (None, "organisation", "unit", "question:took_training"):
                args = [STAFF, "--baseline", BEFORE, "--follow-up", AFTER, "--format", "json",
                        "--lang", "en"]
                args += ["--org", org] if org else []
                args += ["--by", by] if by else []
                code, out = await cli_report(scenario, *args)
                query = {"baseline": BEFORE, "follow_up": AFTER, "lang": "en"}
                query |= {"org": org} if org else {}
                query |= {"by": by} if by else {}
                page = await client.get(url(STAFF, fmt="json", **query))
                if code != 0:  # refused by the CLI: refused by the page, for the same reason
                    assert page.status_code in (400, 409), (org, by)
                    assert out.split(": ", 1)[-1].strip()[:40] in page.text
                    continue
                assert page.status_code == 200, (org, by, page.text[:300])
                expected = json.loads(out)
                assert page.json() == expected, (org, by)
                compared.add((org, by))
                if by is None:
                    continue
                # the page itself: every hidden cell of the CLI's table says so, and only those
                html = (await client.get(url(STAFF, **query))).text
                notes = [v["note"] for row in expected["rows"] for v in row["waves"]
                         if "would reveal" in v.get("note", "")]
                assert html.count("would reveal a group") == len(notes), (org, by)
                hidden_cells += len(notes)
                shown = [v for row in expected["rows"] for v in row["waves"] if "value" in v]
                for v in shown:
                    assert f">{v['value']:.1f}<".replace("-", "−") in html, (org, by, v)
    assert {(o, b) for o in ("elena", "lyaskovets")
            for b in ("organisation", "unit", "question:took_training")} <= compared
    assert hidden_cells > 0  # the scenario's small units are hidden on the page too


async def test_a_one_wave_page_shows_only_what_the_plan_shows(scenario: Settings) -> None:
    async with opened(scenario.database_url) as store:
        wave = await find_wave(store, BEFORE)
        disclosure = await disclosure_for(scenario, store, wave)
        m = await full_matrix(store, wave)
    async for client in _scenario_client(scenario):
        for org in ("elena", "lyaskovets"):
            page = await client.get(url(STAFF, fmt="json", wave=BEFORE, org=org))
            assert page.status_code == 200
            hidden_some = False
            for row in page.json()["rows"]:
                label = org_label(org) if org else ALL
                if row["section"] == "indicator":
                    hidden = disclosure.indicator_hidden(
                        m, row["id"], indicator_items(m.survey, row["id"]), label=label)
                else:
                    hidden = disclosure.item_hidden(m, row["id"], label)
                hidden_some |= hidden
                if hidden:
                    assert "value" not in row and "n" not in row, (org, row)
                elif "value" in row:
                    assert row["n"] >= 10
            html = await client.get(url(STAFF, wave=BEFORE, org=org, lang="en"))
            assert html.status_code == 200
            assert hidden_some == ("would reveal a group" in html.text)


@pytest.mark.skipif(shutil.which("pdftotext") is None or not Path("/usr/bin/chromium").exists(),
                    reason="needs poppler-utils (pdftotext) and Debian's Chromium")
async def test_the_pdf_has_the_bulgarian_headline_figures(root: Client, tmp_path: Path
                                                          ) -> None:
    waves = {"baseline": BASE, "follow_up": FOLLOW, "lang": "bg"}
    pdf = await root.get(url(fmt="pdf", **waves))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(tmp_path / "r.pdf")], capture_output=True,
                           text=True, check=True).stdout
    assert "Очаквани резултати" in text
    rows: list[dict[str, Any]] = (await root.get(url(fmt="json", **waves))).json()["rows"]
    headline = [r for r in rows if r["section"] == "expected" and r.get("follow_up") is not None]
    assert headline
    for row in headline:
        assert f"{row['follow_up']:.1f}".replace(".", ",") in text, row["id"]
    assert all(" yes " in line for line in fonts.splitlines()[2:] if line.strip())  # embedded

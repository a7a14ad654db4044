"""The public results page through the HTTP app: nothing before an admin publishes a wave,
never an open (staff) wave, small groups hidden, and the CSV and JSON downloads holding the
page's figures (which are the two-wave report's)."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.cli import cli
from survey_service.reports.rows import Report
from survey_service.services.errors import Refused
from survey_service.services.publish import public_results, publish_wave
from survey_service.services.reports import compute_report
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.publications import Publication
from survey_service.surveys.waves import now
from survey_service.web.respondents.results_text import number
from tests.conftest import SECRET, SURVEY, settings_for
from tests.web.admin_helpers import (
    add_accounts,
    post,
    quick_argon2,  # noqa: F401 (fixture)
    sign_in,
)
from tests.web.trend_data import BASELINE, FOLLOW, add_annual

PAGE = f"/results/{SURVEY}"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Two demo waves (40 answers per municipality) and a small annual round for Elena, the
    disclosure plans already kept (copied for each test)."""
    db = tmp_path_factory.mktemp("public") / "db.sqlite3"
    settings = settings_for(db)

    async def make() -> None:
        from survey_service.services.demo import create_demo_waves

        async with opened(settings.database_url) as store:
            await create_demo_waves(settings, store, SURVEY, 40, 5)
        await add_annual(settings, "annual-small", 4, organisations=["elena"])
        async with opened(settings.database_url) as store:
            for wave in (BASELINE, FOLLOW, "annual-small"):
                await store.publish(Publication(wave_id=wave, published_at=now(), actor="t"))
            await public_results(settings, store, SURVEY, "en")  # keeps the plans
            for wave in (BASELINE, FOLLOW, "annual-small"):
                await store.unpublish(wave)

    asyncio.run(make())
    yield db


@pytest.fixture
def settings(prepared: Path, tmp_path: Path) -> Settings:
    db = tmp_path / "db.sqlite3"
    shutil.copy(prepared, db)
    return settings_for(db)


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(app=create_app(settings)) as c:
        yield c


async def _publish(settings: Settings, *waves: str) -> None:
    async with opened(settings.database_url) as store:
        for wave in waves:
            await publish_wave(store, wave, "test")


async def test_nothing_is_shown_before_a_wave_is_published(
        client: AsyncTestClient[Litestar], settings: Settings) -> None:
    for path in (PAGE, f"{PAGE}/results.csv", f"{PAGE}/results.json", "/results/no-such"):
        assert (await client.get(path)).status_code == 404, path
    index = await client.get("/results?lang=en")
    assert index.status_code == 200 and "No results are published yet" in index.text
    await _publish(settings, BASELINE)
    assert (await client.get(PAGE)).status_code == 200
    assert (await client.get("/results/staff-survey")).status_code == 404  # none of its own


async def test_an_open_wave_is_never_shown_even_if_marked_published(
        client: AsyncTestClient[Litestar], settings: Settings) -> None:
    async with opened(settings.database_url) as store:
        staff = await open_wave(settings, store, "staff-survey", "staff-open", "baseline", [],
                                None, None)
        citizen = await open_wave(settings, store, SURVEY, "citizen-open", "annual", [],
                                  None, None)
        for wave in (staff, citizen):
            with pytest.raises(Refused, match="not closed"):
                await publish_wave(store, wave.id, "test")
            # even a row written behind the service's back shows nothing
            await store.publish(Publication(wave_id=wave.id, published_at=now(), actor="x"))
    assert (await client.get("/results/staff-survey")).status_code == 404
    assert (await client.get(PAGE)).status_code == 404  # only an open citizen wave: nothing
    await _publish(settings, BASELINE)
    page = await client.get(PAGE)
    assert "citizen-open" not in page.text and "staff-open" not in page.text
    data = (await client.get(f"{PAGE}/results.json")).json()
    assert [w["id"] for w in data["waves"]] == [BASELINE]


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


async def test_csv_and_json_hold_the_page_figures_which_are_the_reports(
        client: AsyncTestClient[Litestar], settings: Settings) -> None:
    await _publish(settings, BASELINE, FOLLOW)
    page = (await client.get(f"{PAGE}?lang=en")).text
    data = (await client.get(f"{PAGE}/results.json?lang=en")).json()
    rows = _csv((await client.get(f"{PAGE}/results.csv?lang=en")).text)
    assert [m["id"] for m in data["municipalities"]] == ["elena", "lyaskovets"]
    assert "Elena Municipality" in page and "Lyaskovets Municipality" in page
    assert len(rows) == sum(len(m["trend"]["rows"]) * 2 for m in data["municipalities"])
    by_key = {(r["organisation"], r["indicator"], r["wave"]): r for r in rows}
    async with opened(settings.database_url) as store:
        for m in data["municipalities"]:
            report = await compute_report(settings, store, SURVEY, BASELINE, FOLLOW, m["id"],
                                          "en", False)
            assert isinstance(report, Report)
            indicators = {r.id: r for r in report.rows if r.section == "indicator"}
            for row in m["trend"]["rows"]:
                first, second = row["waves"]
                line = by_key[(m["id"], row["id"], FOLLOW)]
                expected = indicators[row["id"]]
                change = row["from_first"][0]
                if expected.follow_up is None:  # the report hides both waves' figures ...
                    assert change.get("change") is None  # ... the trend the change and
                    assert None in (first.get("value"), second.get("value"))  # a wave's
                else:
                    assert (first.get("value"), second.get("value")) == (
                        expected.baseline, expected.follow_up)
                    assert change["change"] == pytest.approx(expected.change, abs=1e-12)
                    assert change.get("p") == expected.p
                if second.get("value") is None:
                    assert line["value"] == "" and line["n"] == ""
                    continue
                assert float(line["value"]) == second["value"]
                assert int(line["n"]) == second["n"]
                assert float(line["from_first_p"]) == change["p"]
                assert number(second["value"], "en") in page
    hidden = [(m["id"], r["id"]) for m in data["municipalities"] for r in m["trend"]["rows"]
              if any("value" not in w for w in r["waves"])]
    assert hidden, "the demo has indicators the disclosure plans hide"


async def test_small_groups_are_hidden_in_every_wave(
        client: AsyncTestClient[Litestar], settings: Settings) -> None:
    await _publish(settings, BASELINE, FOLLOW, "annual-small")  # 4 answers from Elena
    data = (await client.get(f"{PAGE}/results.json?lang=en")).json()
    elena = next(m for m in data["municipalities"] if m["id"] == "elena")
    assert elena["trend"]["waves"] == [BASELINE, FOLLOW, "annual-small"]
    for row in elena["trend"]["rows"]:
        small = row["waves"][2]
        assert "value" not in small and "n" not in small and "ci_low" not in small
        assert "change" not in row["from_first"][1] and "change" not in row["from_previous"][1]
    lyaskovets = next(m for m in data["municipalities"] if m["id"] == "lyaskovets")
    assert lyaskovets["trend"]["waves"] == [BASELINE, FOLLOW]  # the round did not cover it
    rows = _csv((await client.get(f"{PAGE}/results.csv")).text)
    small_rows = [r for r in rows if r["wave"] == "annual-small"]
    assert small_rows and all(r["value"] == r["n"] == r["from_first_change"] == ""
                              for r in small_rows)
    page = (await client.get(PAGE)).text
    assert "n = 4<" not in page and "по-малко от 10 отговора" in page  # the threshold is said
    # plain Bulgarian: rounds by name, decimal commas, and a chart slot beside each table
    assert "Базово измерване" in page and "Последващо измерване" in page
    assert "95% ДИ" in page and re.search(r">\d+,\d<", page)
    assert page.count('class="result-chart"') == 2
    charts = page.count('<figure class="chart"')
    assert charts >= 2 and page.count("<table") == 2 + charts  # each chart has its own table


def _chart_tables(page: str, org: str) -> dict[str, list[list[str]]]:
    """The charts of a municipality: caption -> the rows of the table beside the chart."""
    found = {}
    for figure in re.findall(rf'<figure class="chart" id="{org}-[^"]*-figure">(.*?)</figure>',
                             page, re.S):
        assert "<title" in figure and "<desc" in figure and "<text" in figure
        caption = html.unescape(re.search(r"<caption[^>]*>(.*?)</caption>", figure).group(1))
        body = figure.split("<tbody>", 1)[1]
        found[caption] = [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>",
                                                                 row)]
                          for row in re.findall(r"<tr>(.*?)</tr>", body)]
    return found


@pytest.mark.parametrize("waves", [(BASELINE, FOLLOW), (BASELINE, FOLLOW, "annual-small")],
                         ids=["before-after", "trend"])
async def test_each_municipality_has_charts_with_the_page_figures(
        client: AsyncTestClient[Litestar], settings: Settings, waves: tuple[str, ...]) -> None:
    """The before/after and the trend view: a chart per headline indicator, each with the
    table of its numbers (the page's figures; hidden ones drawn as not shown)."""
    await _publish(settings, *waves)
    for lang in ("en", "bg"):
        page = (await client.get(f"{PAGE}?lang={lang}")).text
        data = (await client.get(f"{PAGE}/results.json?lang={lang}")).json()
        for m in data["municipalities"]:
            tables = _chart_tables(page, m["id"])
            headline = [r for r in m["trend"]["rows"] if r["id"] in data["headline"]]
            assert headline and all(r["label"] in tables for r in headline)
            for row in headline:
                lines = tables[row["label"]]
                assert len(lines) == len(m["trend"]["waves"]) == len(row["waves"])
                for line, v in zip(lines, row["waves"], strict=True):
                    if "value" not in v:  # hidden in the table and in the chart
                        assert line[1:] == ["–", "–", "–", "–"], (m["id"], row["id"])
                        continue
                    assert line[1] == number(v["value"], lang), (m["id"], row["id"])
                    assert line[2] == number(v["ci_low"], lang) and line[4] == str(v["n"])
            assert any(c.startswith(m["name"]) for c in tables)  # the profile of 0-100 ones
        if len(waves) == 3:  # Elena's small round: drawn as not shown, never with a figure
            elena = _chart_tables(page, "elena")
            mine = next(m for m in data["municipalities"] if m["id"] == "elena")
            labels = [r["label"] for r in mine["trend"]["rows"] if r["id"] in data["headline"]]
            assert all(elena[label][2][1:] == ["–", "–", "–", "–"] for label in labels)


async def test_an_admin_publishes_and_unpublishes_from_the_wave_page(
        client: AsyncTestClient[Litestar], settings: Settings) -> None:
    await add_accounts(settings)
    wave_page = f"/admin/orgs/elena/waves/{BASELINE}"
    await sign_in(client, "ana")  # an analyst sees the state, not the button
    shown = await client.get(wave_page)
    assert "not published" in shown.text or "не са публикувани" in shown.text
    assert "/publish" not in shown.text
    refused = await post(client, f"/admin/waves/{BASELINE}/publish", {"org": "elena"},
                         wave_page)
    assert refused.status_code in (401, 403)
    await sign_in(client, "root")
    done = await post(client, f"/admin/waves/{BASELINE}/publish", {"org": "elena"}, wave_page)
    assert done.status_code == 303 and done.headers["location"] == wave_page
    assert (await client.get(PAGE)).status_code == 200
    assert f"/admin/waves/{BASELINE}/unpublish" in (await client.get(wave_page)).text
    await post(client, f"/admin/waves/{BASELINE}/unpublish", {"org": "elena"}, wave_page)
    assert (await client.get(PAGE)).status_code == 404
    missing = await post(client, "/admin/waves/no-such/publish", {}, wave_page)
    assert missing.status_code == 404


def test_the_cli_publishes_lists_and_unpublishes(settings: Settings) -> None:
    env = {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_SECRET_KEY": SECRET,
           "SURVEY_FORMS_DIR": settings.forms_dir}
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, list(args), env=env)
        assert "Traceback" not in result.output
        return result.exit_code, result.output

    assert run("results", "published") == (0, "no wave is published\n")
    code, out = run("results", "publish", BASELINE)
    assert code == 0 and "public results page" in out
    code, out = run("results", "published")
    assert BASELINE in out and "cli:" in out
    code, out = run("results", "publish", "no-such")
    assert code == 1 and "unknown wave 'no-such'" in out and out.count("\n") == 1
    assert run("results", "unpublish", BASELINE)[0] == 0
    code, out = run("results", "unpublish", BASELINE)
    assert code == 1 and "not published" in out and out.count("\n") == 1
    code, out = run("results", "--format", "json")  # the project report is still there
    assert code == 0 and json.loads(out)

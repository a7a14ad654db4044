"""The report pages' trend over N waves and breakdowns by any single-choice question, through
the HTTP app: the same figures (and the same hidden cells) as ``survey-service report --trend``
and ``report --by question:ID``, charts each with its table, who may see what, pages kept under
keys that tell the options apart, and clear refusals of bad choices."""

from __future__ import annotations

import asyncio
import html
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
from survey_service.settings import Settings
from tests.web.admin_helpers import Client, add_accounts, sign_in
from tests.web.test_report_pages import cli_report, env_of
from tests.web.trend_data import BASELINE, FOLLOW, add_annual

CITIZEN = "citizen-satisfaction"
ANNUAL = "annual-2027"
WAVES = [BASELINE, FOLLOW, ANNUAL]


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo's citizen baseline and follow-up and one annual round, all closed."""
    folder = tmp_path_factory.mktemp("report-trend")
    forms = folder / "forms"
    shutil.copytree(Path(__file__).parents[2] / "forms", forms)
    settings = Settings.from_env({}, database_url=f"sqlite:///{folder / 'db.sqlite3'}",
                                 forms_dir=str(forms), secret_key="s" * 40,
                                 wave_refresh_seconds=0.0)
    result = CliRunner().invoke(cli, ["demo", "--survey", CITIZEN, "--responses", "60",
                                      "--seed", "5"], env=env_of(settings))
    assert result.exit_code == 0, result.output
    asyncio.run(add_annual(settings, ANNUAL, 60))
    asyncio.run(add_accounts(settings))
    return settings


async def _client(settings: Settings, user: str = "root") -> AsyncIterator[Client]:
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, user)).status_code == 303
        yield client


@pytest.fixture
async def root(three: Settings) -> AsyncIterator[Client]:
    async for client in _client(three):
        yield client


def url(survey: str = CITIZEN, at: str | None = None, fmt: str | None = None,
        **query: Any) -> str:
    """A report page (``at``: an organisation's own page); list values repeat the parameter."""
    path = f"/admin/orgs/{at}/reports/{survey}" if at else f"/admin/reports/{survey}"
    if fmt:
        path += f"/report.{fmt}"
    return path + (f"?{urlencode(query, doseq=True)}" if query else "")


def trend_query(waves: list[str] = WAVES, **extra: str) -> dict[str, Any]:
    return {"trend": waves, **extra}


def _hidden_notes(rows: list[dict[str, Any]]) -> int:
    return sum("would reveal" in v.get("note", "") for r in rows for v in r["waves"])


def _figures(rows: list[dict[str, Any]]) -> list[float]:
    return [v["value"] for r in rows for v in r["waves"] if "value" in v]


def _shown(value: float, lang: str) -> str:
    text = f"{value:.1f}".replace("-", "−")
    return f">{text.replace('.', ',') if lang == 'bg' else text}<"


def _charts_have_tables(html: str) -> int:
    charts = re.findall(r'<figure class="chart".*?</figure>', html, re.S)
    for chart in charts:
        assert "<title" in chart and "<desc" in chart and "<table" in chart
        assert "<text" in chart  # text stays text
    return len(charts)


async def test_a_trend_page_gives_the_cli_trend(root: Client, three: Settings) -> None:
    for org, lang in (("elena", "bg"), ("lyaskovets", "en")):
        args = ["--trend", *WAVES, "--org", org, "--lang", lang]
        code, out = await cli_report(three, CITIZEN, *args, "--format", "json")
        assert code == 0, out
        expected = json.loads(out)
        query = trend_query(org=org, lang=lang)
        got = await root.get(url(fmt="json", **query))
        assert got.status_code == 200 and got.json() == expected, org
        code, csv_out = await cli_report(three, CITIZEN, *args, "--format", "csv")
        download = await root.get(url(fmt="csv", **query))
        same = [t.lstrip("\ufeff").replace("\r\n", "\n") for t in (download.text, csv_out)]
        assert same[0] == same[1]
        page = await root.get(url(**query))
        assert page.status_code == 200
        assert _charts_have_tables(page.text) >= len(expected["rows"])
        for value in _figures(expected["rows"]):
            assert _shown(value, lang) in page.text, (org, value)
        assert page.text.count("would reveal a group" if lang == "en" else
                               "би разкрила група") == _hidden_notes(expected["rows"])
        for row in expected["rows"]:  # both changes, with their CI and test, are shown
            last = row["from_previous"][-1]
            if last.get("change") is not None:
                assert _shown(last["change"], lang).rstrip("<") in page.text


async def test_a_trend_over_all_organisations_is_the_cli_s_or_refused_as_it(
        root: Client, three: Settings) -> None:
    code, out = await cli_report(three, CITIZEN, "--trend", *WAVES, "--format", "json",
                                 "--lang", "en")
    page = await root.get(url(fmt="json", **trend_query(lang="en")))
    if code != 0:
        assert page.status_code in (400, 409)
        assert out.split(": ", 1)[-1].strip()[:40] in page.text
    else:
        assert page.status_code == 200 and page.json() == json.loads(out)


BREAKDOWNS = [  # (CLI arguments, page query)
    (["--trend", *WAVES, "--by", "question:respondent_type", "--org", "elena"],
     trend_query(by="question:respondent_type", org="elena")),
    (["--trend", *WAVES, "--by", "organisation", "--org", "lyaskovets"],
     trend_query(by="organisation", org="lyaskovets")),
    (["--trend", *WAVES, "--by", "question:age_band", "--org", "elena", "--channel", "desk"],
     trend_query(by="question:age_band", org="elena", channel="desk")),
    (["--baseline", BASELINE, "--follow-up", FOLLOW, "--by", "question:age_band", "--org",
      "elena"], {"baseline": BASELINE, "follow_up": FOLLOW, "by": "question:age_band",
                 "org": "elena"}),
    (["--baseline", BASELINE, "--follow-up", FOLLOW, "--by", "question:respondent_type",
      "--org", "lyaskovets", "--channel", "desk"],
     {"baseline": BASELINE, "follow_up": FOLLOW, "by": "question:respondent_type",
      "org": "lyaskovets", "channel": "desk"}),
]


@pytest.mark.parametrize(("args", "query"), BREAKDOWNS,
                         ids=["trend-question", "trend-org", "trend-question-channel",
                              "two-question", "two-question-channel"])
async def test_a_breakdown_by_a_question_gives_the_cli_s_groups(
        root: Client, three: Settings, args: list[str], query: dict[str, Any]) -> None:
    code, out = await cli_report(three, CITIZEN, *args, "--format", "json", "--lang", "en")
    assert code == 0, out
    expected = json.loads(out)
    got = await root.get(url(fmt="json", lang="en", **query))
    assert got.status_code == 200 and got.json() == expected
    code, csv_out = await cli_report(three, CITIZEN, *args, "--format", "csv", "--lang", "en")
    download = await root.get(url(fmt="csv", lang="en", **query))
    same = [t.lstrip("\ufeff").replace("\r\n", "\n") for t in (download.text, csv_out)]
    assert same[0] == same[1]
    page = await root.get(url(lang="en", **query))
    assert page.status_code == 200
    assert expected["question_label"] in html.unescape(page.text)
    assert _charts_have_tables(page.text) == len(expected["indicators"])
    # hidden exactly where the CLI hides: each hidden cell says why, every shown one is there
    assert page.text.count("would reveal a group") == _hidden_notes(expected["rows"])
    for value in _figures(expected["rows"]):
        assert _shown(value, "en") in page.text, value


async def test_small_groups_of_a_question_are_hidden_on_the_page(root: Client,
                                                                  three: Settings) -> None:
    """Somewhere in these breakdowns (60 answers per wave split by age band and channel) a
    group is too small: the page hides it as the CLI does."""
    args = ["--trend", *WAVES, "--by", "question:age_band", "--org", "elena", "--channel",
            "desk", "--format", "json", "--lang", "en"]
    code, out = await cli_report(three, CITIZEN, *args)
    assert code == 0, out
    rows = json.loads(out)["rows"]
    small = [v for r in rows for v in r["waves"] if "value" not in v and v.get("note")]
    assert small, "the scenario should have a small group"
    page = await root.get(url(lang="en", **trend_query(by="question:age_band", org="elena",
                                                       channel="desk")))
    for v in small:
        assert v["note"] in html.unescape(page.text)


async def test_the_form_offers_trends_and_questions_in_both_languages(root: Client) -> None:
    for lang, words in (("en", ("trend over several waves", "Broken down by")),
                        ("bg", ("развитие в няколко вълни", "Разбивка"))):
        page = await root.get(url(lang=lang))
        assert page.status_code == 200
        text = page.text
        for w in words:
            assert w.lower() in text.lower(), (lang, w)
        for wave in WAVES:
            assert f'name="trend" value="{wave}"' in text
        assert 'value="question:respondent_type"' in text
        assert 'value="question:age_band"' in text
        assert 'value="question:comments"' not in text  # not a single-choice question
        assert 'name="channel"' in text
        for control in re.findall(r'<(?:select|input)[^>]*id="(f-[^"]+)"', text):
            assert f'for="{control}"' in text, (lang, control)  # every control labelled


async def test_trend_pages_are_kept_under_their_own_options(root: Client) -> None:
    compare = {"baseline": BASELINE, "follow_up": FOLLOW, "org": "elena", "lang": "en"}
    trend = trend_query([BASELINE, FOLLOW], org="elena", lang="en")
    by = trend_query([BASELINE, FOLLOW], org="elena", lang="en", by="question:age_band")
    channel = {**by, "channel": "desk"}
    first = [await root.get(url(**q)) for q in (compare, trend, by, channel)]
    again = [await root.get(url(**q)) for q in (compare, trend, by, channel)]
    for a, b in zip(first, again, strict=True):
        assert a.status_code == b.status_code == 200
        assert "kept: the waves are closed" in b.text
    assert "Expected results" in again[0].text and "Trend over 2 waves" not in again[0].text
    assert "Trend over 2 waves" in again[1].text
    assert "Only: elena" in again[2].text and "Only: elena, desk" in again[3].text
    jsons = [(await root.get(url(fmt="json", **q))).json() for q in (by, channel)]
    assert jsons[0]["channel"] is None and jsons[1]["channel"] == "desk"


async def test_analysts_reach_only_their_own_trends_and_breakdowns(three: Settings) -> None:
    own = trend_query(by="question:respondent_type", lang="en")
    async for client in _client(three, "ana"):
        ok = await client.get(url(at="elena", **own))
        assert ok.status_code == 200 and "Organisation: <strong>elena" in ok.text
        assert (await client.get(url(at="elena", fmt="json", **own))).json()[
            "organisation"] == "elena"
        for at in ("lyaskovets", None):
            for fmt in (None, "json", "csv"):
                refused = await client.get(url(at=at, fmt=fmt, **own))
                assert refused.status_code in (403, 404), (at, fmt)
                assert "respondent_type" not in refused.text
        # an organisation asked in the query does not widen the analyst's own page
        asked = await client.get(url(at="elena", fmt="json", **trend_query(org="lyaskovets")))
        assert asked.json()["organisation"] == "elena"
        assert (await client.get(url(at="atlantis", **own))).status_code in (403, 404)


BAD = [
    (trend_query([BASELINE]), 400, "a trend covers from 2 to 12 waves"),
    (trend_query([BASELINE, BASELINE]), 400, "given twice"),
    (trend_query([BASELINE] * 13), 400, "a trend covers from 2 to 12 waves"),
    (trend_query([BASELINE, "nope"]), 404, "unknown wave"),
    (trend_query(baseline=BASELINE, follow_up=FOLLOW), 400, "not several of these"),
    (trend_query(by="question:nope", org="elena"), 409, "no single-choice question 'nope'"),
    (trend_query(by="question:comments", org="elena"), 409, "no single-choice question"),
    (trend_query(by="question:", org="elena"), 400, "cannot break down by"),
    (trend_query(by="age", org="elena"), 400, "cannot break down by 'age'"),
    (trend_query(by="unit", channel="desk", org="elena"), 400, "filters only a breakdown"),
    (trend_query(by="question:age_band", channel="fax", org="elena"), 409,
     "'fax' is not a contact channel"),
    ({"wave": BASELINE, "by": "question:age_band"}, 400, "compares a baseline"),
    ({"baseline": BASELINE, "follow_up": FOLLOW, "by": "question:service"}, 409,
     "--by service"),
]


@pytest.mark.parametrize(("query", "status", "message"), BAD,
                         ids=[f"bad-{i}" for i in range(len(BAD))])
async def test_bad_choices_are_refused_with_a_clear_message(
        root: Client, query: dict[str, Any], status: int, message: str) -> None:
    page = await root.get(url(lang="en", **query))
    text = html.unescape(page.text)
    assert page.status_code == status, (page.status_code, text[-600:])
    assert message in text and "Traceback" not in text
    assert "The report cannot be shown" in text  # the page with its form, not a 500
    download = await root.get(url(fmt="json", lang="en", **query))
    assert download.status_code == status and message in download.text


@pytest.mark.skipif(shutil.which("pdftotext") is None or not Path("/usr/bin/chromium").exists(),
                    reason="needs poppler-utils (pdftotext) and Debian's Chromium")
async def test_the_trend_pdf_has_the_bulgarian_figures(root: Client, tmp_path: Path) -> None:
    query = trend_query(org="elena", lang="bg")
    pdf = await root.get(url(fmt="pdf", **query))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    (tmp_path / "t.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "t.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "Развитие в 3 вълни" in text
    rows = (await root.get(url(fmt="json", **query))).json()["rows"]
    for value in _figures(rows)[:5]:
        assert f"{value:.1f}".replace(".", ",").replace("-", "−") in text

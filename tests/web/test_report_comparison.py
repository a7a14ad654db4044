"""Issue 19 §4: a comparison group declared in forms/expected-results.toml (an organisation
outside the project, surveyed in waves of its own with the same questionnaire) is shown in
`survey-service report` as context beside the change, in every format and both languages:
the difference of the project's change and the comparison group's (difference-in-
differences), never as an effect; nothing when none is declared."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from pathlib import Path

import numpy as np
import pytest

from survey_service.demo import BASELINE, FOLLOW_UP, Scenario, generate
from survey_service.indicators.did import difference_in_differences
from survey_service.reports.data import wave_matrix
from survey_service.reports.mix import respondent_outcome
from survey_service.storage import open_store
from survey_service.surveys.loader import decode_survey
from tests.conftest import SURVEY
from tests.web.test_cli import run

COMPARISON_ORG = '''
[[organisations]]
id = "demo-comparison"
name = { bg = "Демонстрационна община за сравнение", en = "Demonstration comparison municipality" }
address = { bg = "само за демонстрация", en = "demonstration only" }
email = "comparison@example.org"
'''
COMPARISON = '''
[[comparisons]]
survey = "citizen-satisfaction"
organisations = ["demo-comparison"]
text = { bg = "община извън проекта, анкетирана със същия въпросник", \
en = "a municipality outside the project, surveyed with the same questionnaire" }
'''
WAVES = [  # id, phase, organisation, start
    ("cs-base", "baseline", "elena", "2026-03-02"),
    ("cmp-base", "baseline", "demo-comparison", "2026-03-02"),
    ("cs-follow", "follow-up", "elena", "2026-10-05"),
    ("cmp-follow", "follow-up", "demo-comparison", "2026-10-05"),
]
# the comparison municipality improves too, by less than the project's
COMPARISON_FOLLOW = Scenario(shifts={k: v / 3 for k, v in FOLLOW_UP.shifts.items()},
                             service_weights=FOLLOW_UP.service_weights, modes=FOLLOW_UP.modes)


def _answer(env: dict[str, str], wave_id: str, org: str, scenario: Scenario, seed: int,
            start: str) -> None:
    async def work() -> None:
        store = open_store(env["SURVEY_DATABASE_URL"])
        await store.open()
        try:
            wave = next(w for w in await store.waves() if w.id == wave_id)
            definition = await store.form_version(wave.version)
            assert definition is not None
            day = dt.date.fromisoformat(start)
            for chunk in generate(decode_survey(definition), 240, scenario,
                                  np.random.default_rng(seed), wave_id=wave_id,
                                  version=wave.version, organisations=[org],
                                  days=[day + dt.timedelta(days=i) for i in range(8)]):
                await store.import_responses(chunk)
        finally:
            await store.close()

    asyncio.run(work())


def _open_and_answer(env: dict[str, str]) -> None:
    for seed, (wave_id, phase, org, start) in enumerate(WAVES):
        code, out = run(env, "waves", "open", SURVEY, "--id", wave_id, "--phase", phase,
                        "--org", org, "--starts", start, "--ends", f"{start} 18:00", "--yes")
        assert code == 0, out
        scenario = {"cs-base": BASELINE, "cmp-base": BASELINE, "cs-follow": FOLLOW_UP,
                    "cmp-follow": COMPARISON_FOLLOW}[wave_id]
        _answer(env, wave_id, org, scenario, seed + 1, start)


def _declare(forms_dir: Path, comparison: bool = True) -> None:
    with (forms_dir / "organisations.toml").open("a", encoding="utf-8") as f:
        f.write(COMPARISON_ORG)
    if comparison:
        with (forms_dir / "expected-results.toml").open("a", encoding="utf-8") as f:
            f.write(COMPARISON)


def _report(env: dict[str, str], *extra: str) -> tuple[int, str]:
    return run(env, "report", SURVEY, "--baseline", "cs-base", "--follow-up", "cs-follow",
               "--no-items", *extra)


def _by_hand(env: dict[str, str], kind: str, items: list[str]) -> tuple[float, float]:
    """The DiD of an indicator from the four waves as stored (pure functions, not the report
    path), to check the report carries the same figure."""
    async def work() -> list:
        store = open_store(env["SURVEY_DATABASE_URL"])
        await store.open()
        try:
            out = []
            for wave_id, *_ in WAVES:
                wave = next(w for w in await store.waves() if w.id == wave_id)
                definition = await store.form_version(wave.version)
                assert definition is not None
                data = await store.wave_codes(wave_id, None, groups=True)
                out.append(wave_matrix(wave, decode_survey(definition), data))
            return out
        finally:
            await store.close()

    a, ca, b, cb = asyncio.run(work())
    values = [respondent_outcome(m, kind, items) for m in (a, b, ca, cb)]
    y = np.concatenate([v[0] for v in values if v is not None])
    sizes = [v[0].size for v in values if v is not None]
    days = np.concatenate([m.days for m in (a, b, ca, cb)])
    scale = 100.0 if kind == "percent_positive" else 1.0
    result = difference_in_differences(y, np.repeat([0, 1, 0, 1], sizes).astype(bool),
                                       np.repeat([0, 0, 1, 1], sizes).astype(bool), days,
                                       scale=scale)
    assert not isinstance(result, Exception) and hasattr(result, "did")
    return result.did, result.p  # type: ignore[union-attr]


def test_comparison_group_in_every_format_and_language(
    env: dict[str, str], forms_dir: Path
) -> None:
    _declare(forms_dir)
    assert run(env, "forms", "check")[0] == 0
    _open_and_answer(env)
    code, out = _report(env, "--format", "json", "--lang", "en")
    assert code == 0, out
    report = json.loads(out)
    context = report["comparison"]
    assert context["organisations"] == ["demo-comparison"]
    assert (context["baseline"], context["follow_up"]) == ("cmp-base", "cmp-follow")
    assert "Demonstration comparison municipality" in context["text"]
    assert "not a causal effect" in context["caveat"]
    rows = {r["id"]: r for r in report["rows"] if r["section"] == "comparison"}
    assert {"csqi", "csat"} <= set(rows)
    indicators = {r["id"]: r for r in report["rows"] if r["section"] == "indicator"}
    for name in ("csqi", "csat"):
        row = rows[name]
        assert row["ci_low"] < row["change"] < row["ci_high"] and 0 <= row["p"] <= 1
        assert 0 < row["n_baseline"] <= 240 and 0 < row["n_follow_up"] <= 240
        assert "project change" in row["note"] and "clustered by fieldwork day" in row["note"]
        assert indicators[name]["change"] is not None
    did, p = _by_hand(env, "index", _items(env, "csqi"))
    assert rows["csqi"]["change"] == pytest.approx(did, abs=1e-9)
    assert rows["csqi"]["p"] == pytest.approx(p, abs=1e-12)
    # one of the project's organisations (here the only one): the same difference
    code, out = _report(env, "--format", "json", "--lang", "en", "--org", "elena")
    assert code == 0, out
    one = {r["id"]: r for r in json.loads(out)["rows"] if r["section"] == "comparison"}
    assert one["csqi"]["change"] == pytest.approx(did, abs=1e-9)
    # table, both languages: titled as context, never as an effect
    code, en = _report(env, "--lang", "en")
    assert code == 0, en
    section = en.split("Context, not an effect: the change against a comparison group")[1]
    assert "Comparison group: Demonstration comparison municipality" in section
    assert "(waves cmp-base, cmp-follow)" in section and "not a causal effect" in section
    assert "DiD, OLS" in section and "DiD, linear probability" in section
    code, bg = _report(env, "--lang", "bg")
    assert code == 0, bg
    assert "Контекст, а не ефект" in bg and "Демонстрационна община за сравнение" in bg
    assert "а не причинно-следствен ефект" in bg
    # CSV: the same rows, section "comparison"
    code, out = _report(env, "--format", "csv", "--lang", "en")
    assert code == 0
    lines = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    csqi = next(r for r in lines if r["section"] == "comparison" and r["id"] == "csqi")
    assert float(csqi["change"]) == pytest.approx(did, abs=1e-9)
    first = next(r for r in lines if r["section"] == "comparison")
    assert "not a causal effect" in first["note"]  # said once, on the section's first row
    # the comparison municipality's own report has no comparison section
    code, out = run(env, "report", SURVEY, "--baseline", "cmp-base", "--follow-up",
                    "cmp-follow", "--no-items", "--format", "json")
    assert code == 0 and json.loads(out)["comparison"] is None


def _items(env: dict[str, str], indicator: str) -> list[str]:
    from survey_service.surveys.loader import indicator_items, load_catalog

    survey = load_catalog(Path(env["SURVEY_FORMS_DIR"])).surveys[SURVEY].survey
    return indicator_items(survey, indicator)


def test_nothing_is_shown_without_a_declared_comparison_group(
    env: dict[str, str], forms_dir: Path
) -> None:
    _declare(forms_dir, comparison=False)
    _open_and_answer(env)
    code, out = _report(env, "--format", "json", "--lang", "en")
    assert code == 0, out
    report = json.loads(out)
    assert report["comparison"] is None
    assert all(r["section"] != "comparison" for r in report["rows"])
    code, en = _report(env, "--lang", "en")
    assert code == 0 and "comparison group" not in en and "DiD" not in en


def test_forms_check_refuses_an_unknown_comparison_organisation(
    env: dict[str, str], forms_dir: Path
) -> None:
    with (forms_dir / "expected-results.toml").open("a", encoding="utf-8") as f:
        f.write(COMPARISON)
    code, out = run(env, "forms", "check")
    assert code != 0
    assert "comparison group of 'citizen-satisfaction': unknown organisation " \
        "'demo-comparison'" in out and "Traceback" not in out


def test_the_comparison_group_is_surveyed_in_waves_of_its_own(
    env: dict[str, str], forms_dir: Path
) -> None:
    """Its answers never count as the project's: a wave may not mix it with the project's
    organisations, and the project report never takes its waves for the project's."""
    _declare(forms_dir)
    times = ["--starts", "2026-03-02", "--ends", "2026-03-02 18:00"]
    code, out = run(env, "waves", "open", SURVEY, "--id", "mixed", "--org", "elena", "--org",
                    "demo-comparison", *times)
    assert code != 0 and "demo-comparison is the comparison group of 'citizen-satisfaction'" \
        in out and "Traceback" not in out
    code, out = run(env, "waves", "open", SURVEY, "--id", "everyone", *times)
    assert code != 0 and "name the organisations of the wave (--org)" in out
    _open_and_answer(env)  # cmp-base sorts before cs-base and starts at the same time
    code, out = run(env, "results", "--format", "json", "--lang", "en")
    assert code == 0, out
    waves = {r["waves"] for r in json.loads(out)["rows"]
             if r["survey"] == SURVEY and r["waves"]}
    assert waves and all("cmp-" not in w for w in waves), waves
    assert any("cs-base" in w and "cs-follow" in w for w in waves), waves


BENCHMARK = '''
[[benchmarks]]
survey = "citizen-satisfaction"
indicator = "csat"
baseline = 61.0
follow_up = 64.5
source = { bg = "демонстрационна стойност, не е реално проучване", \
en = "a demonstration figure, not a real survey" }
'''


def test_an_external_benchmark_beside_the_change(env: dict[str, str], forms_dir: Path) -> None:
    """A figure per wave entered in the files with its source: the report's change less the
    benchmark's, the CI shifted (the benchmark taken as exact), no test; alone, without a
    comparison group."""
    _declare(forms_dir, comparison=False)
    with (forms_dir / "expected-results.toml").open("a", encoding="utf-8") as f:
        f.write(BENCHMARK)
    assert run(env, "forms", "check")[0] == 0
    _open_and_answer(env)
    code, out = _report(env, "--format", "json", "--lang", "en")
    assert code == 0, out
    report = json.loads(out)
    assert report["comparison"]["benchmarks"] == ["a demonstration figure, not a real survey"]
    assert "organisations" not in report["comparison"]
    [row] = [r for r in report["rows"] if r["section"] == "comparison"]
    csat = next(r for r in report["rows"] if r["section"] == "indicator" and r["id"] == "csat")
    assert (row["id"], row["baseline"], row["follow_up"]) == ("csat", 61.0, 64.5)
    assert row["change"] == pytest.approx(csat["change"] - 3.5, abs=1e-12)
    assert row["ci_low"] == pytest.approx(csat["ci_low"] - 3.5, abs=1e-12)
    assert row["ci_high"] == pytest.approx(csat["ci_high"] - 3.5, abs=1e-12)
    assert "p" not in row and "not a causal effect" in row["note"]
    code, en = _report(env, "--lang", "en")
    assert "Benchmark: a demonstration figure, not a real survey" in en and "Comparison group" \
        not in en
    code, bg = _report(env, "--lang", "bg")
    assert "Еталон за сравнение: демонстрационна стойност" in bg and "DiD, еталон" in bg
    bad = BENCHMARK.replace('indicator = "csat"', 'indicator = "nps"')
    text = (forms_dir / "expected-results.toml").read_text(encoding="utf-8")
    (forms_dir / "expected-results.toml").write_text(text.replace(BENCHMARK, bad), "utf-8")
    code, out = run(env, "forms", "check")
    assert code != 0 and "benchmark of 'citizen-satisfaction' / 'nps'" in out


async def test_the_report_page_shows_the_comparison_as_context(
    env: dict[str, str], forms_dir: Path
) -> None:
    """The admin report page gives the section the CLI gives: titled as context, the group
    and its waves, the caveat, and the same difference-in-differences, in both languages."""
    from urllib.parse import urlencode

    from litestar.testing import AsyncTestClient

    from survey_service.app import create_app
    from survey_service.settings import Settings
    from tests.web.admin_helpers import add_accounts, sign_in

    _declare(forms_dir)
    await asyncio.to_thread(_open_and_answer, env)
    settings = Settings.from_env(env, wave_refresh_seconds=0.0)
    await add_accounts(settings)
    code, out = await asyncio.to_thread(_report, env, "--format", "json", "--lang", "en")
    assert code == 0, out
    did = next(r for r in json.loads(out)["rows"]
               if r["section"] == "comparison" and r["id"] == "csqi")["change"]
    async with AsyncTestClient(app=create_app(settings)) as client:
        await sign_in(client, "root")
        pages = {}
        for lang in ("en", "bg"):
            query = urlencode({"baseline": "cs-base", "follow_up": "cs-follow", "lang": lang})
            page = await client.get(f"/admin/reports/{SURVEY}?{query}")
            assert page.status_code == 200, page.text
            pages[lang] = page.text
    en = pages["en"].split('id="s-comparison"')[1].split("</table>")[0]
    assert "Context, not an effect" in en and "Demonstration comparison municipality" in en
    assert "(waves cmp-base, cmp-follow)" in en and "not a causal effect" in en
    assert f"{did:.1f}" in en
    bg = pages["bg"].split('id="s-comparison"')[1]
    assert "Контекст, а не ефект" in bg and "Демонстрационна община за сравнение" in bg

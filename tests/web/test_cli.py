"""The operator's commands, through the CLI, and what the running app makes of them."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

import survey_service.registry as registry_module
from survey_service.app import create_app
from survey_service.cli import cli
from tests.conftest import SURVEY, settings_for


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_open_list_close(env: dict[str, str]) -> None:
    code, out = run(env, "waves", "open", SURVEY, "--id", "cs-base", "--org", "elena",
                    "--starts", "2020-01-01", "--ends", "2099-12-31 18:00")
    assert code == 0, out
    assert "opened wave cs-base" in out and "(open)" in out
    code, out = run(env, "waves", "list", "--json")
    assert code == 0
    [wave] = json.loads(out)
    assert wave["id"] == "cs-base" and wave["state"] == "open"
    assert wave["organisations"] == ["elena"] and wave["responses"] == 0
    assert wave["starts"] == "2020-01-01 00:00" and wave["ends"] == "2099-12-31 18:00"
    code, out = run(env, "waves", "list")
    assert code == 0 and re.search(r"cs-base\s+citizen-satisfaction\s+baseline\s+open", out)
    code, out = run(env, "waves", "close", "cs-base")
    assert code == 0 and "closed wave cs-base" in out
    code, out = run(env, "waves", "close", "cs-base")
    assert code != 0 and "already closed" in out
    assert json.loads(run(env, "waves", "list", "--json")[1])[0]["state"] == "closed"


def test_refusals(env: dict[str, str]) -> None:
    assert run(env, "waves", "open", "no-such-survey")[0] != 0
    code, out = run(env, "waves", "open", SURVEY, "--org", "sofia")
    assert code != 0 and "unknown organisation 'sofia'" in out
    code, out = run(env, "waves", "open", SURVEY, "--starts", "tomorrow")
    assert code != 0 and "not a date" in out
    code, out = run(env, "waves", "open", SURVEY, "--starts", "2030-01-02", "--ends", "2030-01-01")
    assert code != 0 and "end must come after the start" in out
    assert run(env, "waves", "open", SURVEY, "--id", "a")[0] == 0
    code, out = run(env, "waves", "open", SURVEY, "--id", "b")
    assert code != 0 and "wave 'a'" in out and "close it first" in out
    code, out = run(env, "waves", "open", SURVEY, "--id", "Bad Id!")
    assert code != 0
    assert run(env, "waves", "close", "nope")[0] != 0
    assert run(env, "db", "migrate") == (0, run(env, "db", "migrate")[1])


def test_scheduled_wave_opens_by_itself(
    env: dict[str, str], forms_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody runs a command at the start time: the running app serves the form from then on."""
    later = dt.date.today() + dt.timedelta(days=2)
    code, out = run(env, "waves", "open", SURVEY, "--id", "later", "--starts", later.isoformat())
    assert code == 0 and "(scheduled)" in out
    settings = settings_for(tmp_path / "db.sqlite3", forms_dir=str(forms_dir))
    with TestClient(app=create_app(settings)) as client:
        before = client.get(f"/s/{SURVEY}?org=elena&lang=en")
        assert "This survey opens on" in before.text and 'id="survey"' not in before.text
        after_start = dt.datetime.combine(later, dt.time(12), tzinfo=dt.UTC)
        monkeypatch.setattr(registry_module, "now", lambda: after_start)
        opened = client.get(f"/s/{SURVEY}?org=elena&lang=en")
        assert opened.status_code == 200 and 'id="survey"' in opened.text


def test_a_changed_file_is_a_new_version_and_the_open_wave_keeps_its_own(
    env: dict[str, str], forms_dir: Path, tmp_path: Path
) -> None:
    assert run(env, "waves", "open", SURVEY, "--id", "first", "--org", "elena")[0] == 0
    path = forms_dir / f"{SURVEY}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "Вашето обръщение към общината", "Вашето последно обръщение към общината"),
        encoding="utf-8")
    assert run(env, "waves", "open", SURVEY, "--id", "second", "--org", "lyaskovets")[0] == 0
    waves = {w["id"]: w for w in json.loads(run(env, "waves", "list", "--json")[1])}
    assert waves["first"]["version"] != waves["second"]["version"]
    settings = settings_for(tmp_path / "db.sqlite3", forms_dir=str(forms_dir))
    with TestClient(app=create_app(settings)) as client:
        elena = client.get(f"/s/{SURVEY}?org=elena")
        lyaskovets = client.get(f"/s/{SURVEY}?org=lyaskovets")
    assert "<h1>Вашето обръщение към общината</h1>" in elena.text  # frozen when it opened
    assert "<h1>Вашето последно обръщение към общината</h1>" in lyaskovets.text


def test_demo_then_report_in_every_format(env: dict[str, str]) -> None:
    code, out = run(env, "demo", "--responses", "150", "--seed", "3")
    assert code == 0, out
    assert run(env, "demo")[1].count("exists already") == 10  # idempotent, every survey
    args = ["report", SURVEY, "--baseline", f"demo-{SURVEY}-baseline",
            "--follow-up", f"demo-{SURVEY}-follow-up"]
    code, table = run(env, *args)
    assert code == 0 and "Очаквани резултати" in table and "Индекс" in table
    code, table_en = run(env, *args, "--lang", "en", "--org", "elena")
    assert code == 0 and "Expected results" in table_en
    code, out = run(env, *args, "--format", "json", "--no-items")
    data = json.loads(out)
    assert {r["section"] for r in data["rows"]} == {"expected", "indicator", "adjusted"}
    assert data["baseline"] == f"demo-{SURVEY}-baseline"
    code, out = run(env, *args, "--format", "csv")
    assert code == 0 and out.startswith("\ufeffsection,id,label,baseline,baseline_ci_low")
    code, out = run(env, "report", SURVEY, "--baseline", "nope", "--follow-up", "x")
    assert code != 0 and "unknown wave 'nope'" in out


def test_no_report_from_an_open_staff_wave(env: dict[str, str]) -> None:
    assert run(env, "waves", "open", "staff-survey", "--id", "s1", "--org", "elena")[0] == 0
    assert run(env, "waves", "open", "staff-survey", "--id", "s2", "--org", "lyaskovets",
               "--phase", "follow-up")[0] == 0
    code, out = run(env, "report", "staff-survey", "--baseline", "s1", "--follow-up", "s2")
    assert code != 0 and "still open" in out


def _answer(env: dict[str, str], wave_id: str, seed: int) -> None:
    """Synthetic answers to a wave, on its own frozen form version."""
    import asyncio

    import numpy as np

    from survey_service.demo import BASELINE, generate
    from survey_service.storage import open_store
    from survey_service.surveys.loader import decode_survey

    async def work() -> None:
        store = open_store(env["SURVEY_DATABASE_URL"])
        await store.open()
        try:
            wave = next(w for w in await store.waves() if w.id == wave_id)
            definition = await store.form_version(wave.version)
            assert definition is not None
            for chunk in generate(decode_survey(definition), 200, BASELINE,
                                  np.random.default_rng(seed), wave_id=wave_id,
                                  version=wave.version, organisations=["elena"],
                                  days=[dt.date(2026, 3, 2)]):
                await store.import_responses(chunk)
        finally:
            await store.close()

    asyncio.run(work())


def test_waves_open_shows_what_changed_and_asks_before_breaking_comparability(
    env: dict[str, str], forms_dir: Path
) -> None:
    """Issue 17: an item reworded to its opposite under the same id is caught when the next
    wave opens, not after people have answered; the report then refuses to compare it."""
    past = ["--org", "elena", "--starts", "2026-03-02", "--ends", "2026-04-30 18:00"]
    assert run(env, "waves", "open", SURVEY, "--id", "cs-base", *past)[0] == 0
    _answer(env, "cs-base", 1)
    path = forms_dir / f"{SURVEY}.toml"
    text = path.read_text(encoding="utf-8")
    edits = [
        ('en = "Staff were polite."', 'en = "Staff were rude."'),
        ('en = "I was treated fairly, like everyone else." }',  # a typo fixed, declared editorial
         'en = "I was treated fairly, like everybody else." }, '
         'corrects = { en = "I was treated fairly, like everyone else." }'),
        ('{ code = "other",', '{ code = "waste", label = { bg = "Отпадъци", '
                              'en = "Waste collection" } },\n  { code = "other",'),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old  # the shipped wording this test edits
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    assert run(env, "forms", "check")[0] == 0
    later = ["--phase", "annual", "--org", "elena", "--starts", "2027-03-01",
             "--ends", "2027-04-30 18:00"]
    code, out = run(env, "waves", "open", SURVEY, "--id", "cs-annual", *later)
    assert code != 0, out
    assert "changes since wave cs-base:" in out
    assert "reworded: staff_courteous" in out
    assert "options changed: service (options added: waste)" in out
    assert "editorial changes declared (still comparable): treated_fairly" in out
    assert "not comparable with wave cs-base: service, staff_courteous" in out
    assert "--yes" in out and "Traceback" not in out
    assert [w["id"] for w in json.loads(run(env, "waves", "list", "--json")[1])] == ["cs-base"]
    code, out = run(env, "waves", "open", SURVEY, "--id", "cs-annual", *later, "--yes")
    assert code == 0 and "opened wave cs-annual" in out and "reworded: staff_courteous" in out
    _answer(env, "cs-annual", 2)
    code, out = run(env, "report", SURVEY, "--baseline", "cs-base", "--follow-up", "cs-annual",
                    "--lang", "en")
    assert code == 0, out
    not_comparable = out.split("Not comparable:")[1]
    assert "staff_courteous: the question was reworded" in not_comparable
    assert "baseline: Staff were polite." in not_comparable
    assert "follow-up: Staff were rude." in not_comparable
    assert "treated_fairly, as asked in the follow-up: I was treated fairly, like everybody " \
        "else." in out
    # the next wave on the same version: nothing to say, nothing to confirm
    code, out = run(env, "waves", "open", SURVEY, "--id", "cs-next", "--phase", "annual",
                    "--org", "elena", "--starts", "2028-03-01", "--ends", "2028-04-30 18:00")
    assert code == 0 and "changes since" not in out and "not comparable with wave cs-base" in out

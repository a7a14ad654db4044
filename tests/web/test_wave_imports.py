"""Import of existing data: validated like a web submission, all or nothing, every bad cell
reported; the wide export imports back unchanged."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.services.errors import Refused
from survey_service.services.exports import CsvOptions, export_wave
from survey_service.services.imports import BadCell, ImportRefused, import_file
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.surveys.waves import parse_local
from tests.conftest import SECRET
from tests.web.exports_data import WAVE, mini_settings, mini_wave

COPY = "mini-copy"


@pytest.fixture
async def mini(tmp_path: Path) -> Settings:
    settings = mini_settings(tmp_path)
    await mini_wave(settings)
    async with opened(settings.database_url) as store:
        await open_wave(settings, store, "mini", COPY, "follow-up", [],
                        parse_local("2026-04-01"), parse_local("2026-04-30"))
    return settings


async def _export(settings: Settings, wave: str, fmt: str = "csv", path: Path | None = None,
                  options: CsvOptions | None = None) -> bytes:
    async with opened(settings.database_url) as store:
        if path is not None:
            await export_wave(settings, store, wave, fmt, path, options or CsvOptions())
            return path.read_bytes()
        out = io.BytesIO()
        await export_wave(settings, store, wave, fmt, None, options or CsvOptions(), stream=out)
        return out.getvalue()


async def _import(settings: Settings, path: Path, dry_run: bool = False, wave: str = COPY
                  ) -> int:
    async with opened(settings.database_url) as store:
        result = await import_file(settings, store, wave, path, dry_run)
        return result.stored


async def _count(settings: Settings, wave: str = COPY) -> int:
    async with opened(settings.database_url) as store:
        return await store.count_responses(wave)


def _rows(data: bytes) -> list[list[str]]:
    """The rows without the response id and the wave (which an import does not keep)."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return [rows[0][2:], *sorted(r[2:] for r in rows[1:])]


async def test_the_wide_csv_export_imports_back_unchanged(mini: Settings, tmp_path: Path) -> None:
    exported = await _export(mini, WAVE)
    path = tmp_path / "in.csv"
    path.write_bytes(exported)
    assert await _import(mini, path, dry_run=True) == 0 and await _count(mini) == 0
    assert await _import(mini, path) == 3
    assert _rows(await _export(mini, COPY)) == _rows(exported)
    assert await _import(mini, path) == 0  # the same file again stores nothing twice
    assert await _count(mini) == 3


async def test_xlsx_and_labels_import_too(mini: Settings, tmp_path: Path) -> None:
    await _export(mini, WAVE, "xlsx", tmp_path / "in.xlsx")
    assert await _import(mini, tmp_path / "in.xlsx") == 3
    assert _rows(await _export(mini, COPY)) == _rows(await _export(mini, WAVE))
    labelled = tmp_path / "labels.csv"
    labelled.write_bytes(await _export(mini, WAVE, options=CsvOptions(labels="bg",
                                                                      delimiter=";")))
    async with opened(mini.database_url) as store:
        await open_wave(mini, store, "mini", "mini-third", "follow-up", [],
                        parse_local("2026-05-01"), parse_local("2026-05-30"))
    assert await _import(mini, labelled, wave="mini-third") == 3
    assert _rows(await _export(mini, "mini-third")) == _rows(await _export(mini, WAVE))


GOOD = {"organisation": "elena", "entry_channel": "paper", "language": "bg",
        "day": "2026-04-02", "visit": "desk", "topics__tax": "1", "topics__permit": "0",
        "waited_long": "2", "staff_polite": "3", "recommend": "7", "change": "-2",
        "visited_on": "01.04.2026", "comment": "Добре"}

BAD_CELLS = [
    ("visit", "phone", "not one of the codes or labels of this question"),
    ("visit", "", "required, but empty"),
    ("waited_long", "4", "not one of the codes or labels of this question"),
    ("staff_polite", "да-да", "not one of the codes or labels of this question"),
    ("recommend", "11", "not one of the codes or labels of this question"),
    ("change", "2.5", "not a whole number"),
    ("change", "11", "outside -10..10"),
    ("visited_on", "31.02.2026", "not a date (YYYY-MM-DD or DD.MM.YYYY)"),
    ("comment", "я" * 201, "longer than 200 characters (201)"),
    ("topics__tax", "yes", "must be 1 (chosen), 0 or empty"),
    ("organisation", "sofia", "not an organisation of this wave"),
    ("entry_channel", "fax", "not one of web, kiosk, paper"),
    ("language", "de", "not bg or en"),
    ("day", "2026-13-01", "not a date (YYYY-MM-DD)"),
    ("day", "2999-01-01", "in the future"),
    ("form_version", "0000000000000000", "another form version (this wave's is {v})"),
    ("response_id", "bad id!", "not an id (letters, digits, . _ -; at most 64)"),
]


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows([[r.get(c, "") for c in columns] for r in rows])
    return path


async def _refusal(settings: Settings, path: Path) -> list[tuple[int, str, str, str]]:
    """Every bad cell: row, column, value and why (in English, as the CLI says it)."""
    with pytest.raises(ImportRefused) as caught:
        await _import(settings, path)
    assert await _count(settings) == 0  # nothing stored
    return [_cell(p) for p in caught.value.problems]


def _cell(problem: BadCell) -> tuple[int, str, str, str]:
    return problem.row, problem.column, problem.value, problem.why


@pytest.mark.parametrize(("column", "value", "why"), BAD_CELLS,
                         ids=[f"{c}={v[:12]!r}" for c, v, _ in BAD_CELLS])
async def test_each_kind_of_bad_cell_is_refused_with_row_column_value_and_why(
        mini: Settings, tmp_path: Path, column: str, value: str, why: str) -> None:
    async with opened(mini.database_url) as store:
        version = next(w.version for w in await store.waves() if w.id == COPY)
    path = _write(tmp_path / "bad.csv", [GOOD, {**GOOD, column: value}, GOOD])
    problems = await _refusal(mini, path)
    assert problems == [(3, column, value, why.format(v=version))]


async def test_an_answer_to_a_question_not_shown_is_refused(mini: Settings,
                                                            tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", [{**GOOD, "visit": "online"}])
    assert await _refusal(mini, path) == [
        (2, "waited_long", "2", "not asked: shown only when visit is one of desk")]


async def test_every_bad_cell_of_every_row_is_reported_and_the_header_too(
        mini: Settings, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", [
        {**GOOD, "visit": "x", "change": "many", "shoe_size": "42"},
        GOOD, {**GOOD, "response_id": "r1"}, {**GOOD, "response_id": "r1"}])
    problems = await _refusal(mini, path)
    assert [(p[0], p[1]) for p in problems] == [
        (1, "shoe_size"), (2, "visit"), (2, "change"), (5, "response_id")]
    duplicated = tmp_path / "twice.csv"
    duplicated.write_text("visit,visit,organisation,day\r\ndesk,desk,elena,2026-04-02\r\n")
    assert [p[3] for p in await _refusal(mini, duplicated)] == ["this column is there twice"]


async def test_staff_waves_take_imports_only_when_closed_and_check_units(
        mini: Settings, tmp_path: Path) -> None:
    async with opened(mini.database_url) as store:
        await open_wave(mini, store, "staff-survey", "staff-open", "baseline", [], None, None)
    path = _write(tmp_path / "staff.csv", [{"organisation": "elena", "unit": "nowhere",
                                            "role_expectations_clear": "4"}])
    with pytest.raises(Refused, match="is open"):
        await _import(mini, path, wave="staff-open")
    async with opened(mini.database_url) as store:
        await open_wave(mini, store, "staff-survey", "staff-old", "baseline", [],
                        parse_local("2025-01-01"), parse_local("2025-02-01"))
    with pytest.raises(ImportRefused) as caught:
        await _import(mini, path, wave="staff-old")
    assert (2, "unit", "nowhere", "not a unit of this organisation in this wave"
            ) in map(_cell, caught.value.problems)


def test_cli_import_lists_bad_cells_and_exits_1(mini: Settings, tmp_path: Path) -> None:
    env = {"SURVEY_DATABASE_URL": mini.database_url, "SURVEY_SECRET_KEY": SECRET,
           "SURVEY_FORMS_DIR": mini.forms_dir}
    bad = _write(tmp_path / "bad.csv", [{**GOOD, "change": "lots"}])
    result = CliRunner().invoke(cli, ["import", COPY, str(bad)], env=env)
    assert result.exit_code == 1
    assert "2    change  lots   not a whole number" in result.output
    assert result.output.endswith("Error: 1 bad cells in 1 rows: nothing was imported\n")
    good = _write(tmp_path / "good.csv", [GOOD, {**GOOD, "visit": "online",
                                                 "waited_long": ""}])
    result = CliRunner().invoke(cli, ["import", COPY, str(good), "--dry-run"], env=env)
    assert result.output == "2 rows are valid; nothing stored (--dry-run)\n"
    result = CliRunner().invoke(cli, ["import", COPY, str(good)], env=env)
    assert result.output == f"imported 2 responses into {COPY}\n"
    assert asyncio.run(_count(mini)) == 2
    result = CliRunner().invoke(cli, ["import", COPY, str(tmp_path / "x.ods")], env=env)
    assert result.exit_code == 1 and "only .csv and .xlsx" in result.output


async def _audit(settings: Settings) -> list[tuple[str, str, dict[str, object]]]:
    async with opened(settings.database_url) as store:
        return [(e.actor, e.action, msgspec.json.decode(e.detail))
                for e in await store.audit_entries()]


def test_cli_imports_are_written_to_the_audit_log_and_refusals_are_not(
        mini: Settings, tmp_path: Path) -> None:
    env = {"SURVEY_DATABASE_URL": mini.database_url, "SURVEY_SECRET_KEY": SECRET,
           "SURVEY_FORMS_DIR": mini.forms_dir}
    before = len(asyncio.run(_audit(mini)))
    bad = _write(tmp_path / "bad.csv", [{**GOOD, "change": "lots"}])
    assert CliRunner().invoke(cli, ["import", COPY, str(bad)], env=env).exit_code == 1
    assert len(asyncio.run(_audit(mini))) == before
    good = _write(tmp_path / "good.csv", [GOOD, {**GOOD, "visit": "online", "waited_long": ""}])
    assert CliRunner().invoke(cli, ["import", COPY, str(good), "--dry-run"],
                              env=env).exit_code == 0
    assert CliRunner().invoke(cli, ["import", COPY, str(good)], env=env).exit_code == 0
    entries = asyncio.run(_audit(mini))[before:]
    assert all(actor.startswith("cli") for actor, _, _ in entries)
    assert [(a, d) for _, a, d in entries] == [
        ("import", {"wave": COPY, "rows": 2, "stored": 0, "dry_run": True}),
        ("import", {"wave": COPY, "rows": 2, "stored": 2, "dry_run": False}),
    ]

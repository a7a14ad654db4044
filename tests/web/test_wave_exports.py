"""Exports of a wave: exact bytes of each CSV, every format read back by pandas with its
Cyrillic labels, formulas neutralised, staff thresholds, versions within a wave."""

from __future__ import annotations

import asyncio
import csv
import io
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.services.errors import Refused
from survey_service.services.exports import CsvOptions, export_wave, hidden_units
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.base import NewResponse
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import decode_survey, encode_survey, survey_version
from survey_service.surveys.model import Question, Text
from survey_service.surveys.waves import parse_local
from tests.conftest import SECRET
from tests.web.exports_data import WAVE, mini_settings, mini_wave

pd = pytest.importorskip("pandas")


@pytest.fixture
async def mini(tmp_path: Path) -> Settings:
    settings = mini_settings(tmp_path)
    await mini_wave(settings)
    return settings


async def _bytes(settings: Settings, fmt: str, options: CsvOptions | None = None,
                 wave: str = WAVE) -> bytes:
    async with opened(settings.database_url) as store:
        out = io.BytesIO()
        await export_wave(settings, store, wave, fmt, None, options or CsvOptions(), stream=out)
        return out.getvalue()


async def _file(settings: Settings, fmt: str, path: Path, labels: str | None = None) -> Path:
    async with opened(settings.database_url) as store:
        await export_wave(settings, store, WAVE, fmt, path, CsvOptions(labels=labels))
    return path


async def _version(settings: Settings) -> str:
    async with opened(settings.database_url) as store:
        return next(w.version for w in await store.waves() if w.id == WAVE)


HEAD = ("response_id,wave,form_version,organisation,entry_channel,language,day,visit,"
        "topics__tax,topics__permit,waited_long,staff_polite,staff_clear,recommend,change,"
        "visited_on,comment\r\n")


async def test_wide_csv_exact_bytes(mini: Settings) -> None:
    v = await _version(mini)
    expected = (
        "\ufeff" + HEAD
        + f"a1000000000000000000000000000000,mini-2026,{v},elena,web,bg,2026-03-02,desk,1,1,1,"
        '3,9,10,-5,2026-03-01,"\'=HYPERLINK(""http://x"";""Кликни"")"\r\n'
        f"b2000000000000000000000000000000,mini-2026,{v},lyaskovets,paper,en,2026-03-03,"
        'online,,,,2,,0,3,,"Ред 1\nред 2, ""цитат"""\r\n'
        f"c3000000000000000000000000000000,mini-2026,{v},elena,kiosk,bg,2026-03-04,desk,0,1,9,"
        ",,,,,'@SUM(A1)\r\n"
    )
    assert (await _bytes(mini, "csv")).decode() == expected


async def test_wide_csv_with_english_labels_and_semicolons_exact_bytes(mini: Settings) -> None:
    v = await _version(mini)
    expected = (
        HEAD.replace(",", ";")
        + f"a1000000000000000000000000000000;mini-2026;{v};elena;web;bg;2026-03-02;At the desk;"
        "1;1;No;Yes;Don't know;10;-5;2026-03-01;\"'=HYPERLINK(\"\"http://x\"\";\"\"Кликни\"\")\""
        "\r\n"
        f"b2000000000000000000000000000000;mini-2026;{v};lyaskovets;paper;en;2026-03-03;Online;"
        ";;;Somewhat;;0;3;;\"Ред 1\nред 2, \"\"цитат\"\"\"\r\n"
        f"c3000000000000000000000000000000;mini-2026;{v};elena;kiosk;bg;2026-03-04;At the desk;"
        "0;1;Don't know;;;;;;'@SUM(A1)\r\n"
    )
    options = CsvOptions(delimiter=";", labels="en", bom=False)
    assert (await _bytes(mini, "csv", options)).decode() == expected


async def test_long_and_codebook_exact_bytes(mini: Settings) -> None:
    long = (await _bytes(mini, "long")).decode().split("\r\n")
    assert long[:4] == [
        "\ufeffresponse_id,question,code,label",
        "a1000000000000000000000000000000,visit,desk,На гише",
        "a1000000000000000000000000000000,topics,tax,Данъци",
        "a1000000000000000000000000000000,topics,permit,Разрешения",
    ]
    assert long[6:8] == ["a1000000000000000000000000000000,staff_clear,9,Не знам",
                         "a1000000000000000000000000000000,recommend,10,Напълно"]
    assert long[-2] == "c3000000000000000000000000000000,comment,'@SUM(A1),"
    assert len(long) == 21  # header, 19 answers (a multi-choice answer per option), ""
    v = await _version(mini)
    book = (await _bytes(mini, "codebook")).decode().split("\r\n")
    assert book[0] == (
        "\ufeffcolumn,question,text_bg,text_en,kind,codes,labels_bg,labels_en,dimension,"
        "reverse,dont_know,form_versions,spss_name,stata_name,numeric_codes")
    assert book[1] == (
        "visit,visit,Как се обърнахте към нас?,How did you contact us?,single,desk; online,"
        f"desk=На гише; online=По интернет,desk=At the desk; online=Online,,0,,{v},visit,"
        "visit,1=desk; 2=online")
    assert book[4] == (
        "waited_long,waited_long,Чакахме дълго.,We waited long.,likert,1; 2; 3; 9,"
        "1=Не; 2=Донякъде; 3=Да; 9=Не знам,1=No; 2=Somewhat; 3=Yes; 9=Don't know,service,1,9,"
        f"{v},waited_long,waited_long,")
    assert book[7] == (f"recommend,recommend,Бихте ли ни препоръчали?,Would you recommend us?,"
                       "nps,0..10,0=Изобщо не; 10=Напълно,0=Not at all; 10=Certainly,,0,,"
                       f"{v},recommend,recommend,")
    assert len(book) == 12


async def test_csv_reads_back_in_pandas(mini: Settings) -> None:
    frame = pd.read_csv(io.BytesIO(await _bytes(mini, "csv")), encoding="utf-8-sig",
                        dtype={"response_id": str})
    assert list(frame["visit"]) == ["desk", "online", "desk"]
    assert list(frame["change"].fillna(0)) == [-5, 3, 0]  # a negative number stays a number
    assert frame["topics__tax"].isna().tolist() == [False, True, False]  # unanswered: empty
    assert frame.loc[1, "comment"] == "Ред 1\nред 2, \"цитат\""
    labels = pd.read_csv(io.BytesIO(await _bytes(mini, "csv", CsvOptions(labels="bg"))),
                         encoding="utf-8-sig")
    assert list(labels["waited_long"].fillna("")) == ["Не", "", "Не знам"]


async def test_xlsx_reads_back_with_its_codebook_and_inert_formulas(
        mini: Settings, tmp_path: Path) -> None:
    path = await _file(mini, "xlsx", tmp_path / "x.xlsx", labels="bg")
    sheets = pd.read_excel(path, sheet_name=None)
    data, book = sheets["responses"], sheets["codebook"]
    assert list(data["visit"]) == ["На гише", "По интернет", "На гише"]
    assert list(data["change"].fillna(0)) == [-5, 3, 0]
    assert data.loc[0, "comment"] == "'=HYPERLINK(\"http://x\";\"Кликни\")"
    assert list(book["column"])[:3] == ["visit", "topics__tax", "topics__permit"]
    import openpyxl

    sheet = openpyxl.load_workbook(path)["responses"]
    cells = {sheet.cell(1, j).value: sheet.cell(2, j) for j in range(1, sheet.max_column + 1)}
    assert cells["comment"].data_type == "s"  # a string, never a formula
    assert cells["change"].data_type == "n" and cells["change"].value == -5


async def test_spss_file_has_bulgarian_labels_and_dont_know_as_user_missing(
        mini: Settings, tmp_path: Path) -> None:
    import pyreadstat

    path = await _file(mini, "sav", tmp_path / "x.sav", labels="bg")
    frame = pd.read_spss(path)  # value labels applied, user-missing as missing
    assert list(frame["visit"]) == ["На гише", "По интернет", "На гише"]
    assert list(frame["waited_long"].astype(object).where(frame["waited_long"].notna(), None)
                ) == ["Не", None, None]
    raw, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert list(raw["waited_long"].fillna(-1)) == [1, -1, 9]  # 9 kept, declared missing
    assert meta.missing_ranges["waited_long"] == [{"lo": 9.0, "hi": 9.0}]
    assert meta.column_names_to_labels["staff_polite"] == "Служителите бяха любезни."
    assert meta.variable_value_labels["waited_long"][9.0] == "Не знам"
    assert meta.variable_value_labels["topics__tax"] == {0.0: "не е избрано", 1.0: "Данъци"}
    assert raw.loc[0, "comment"] == "=HYPERLINK(\"http://x\";\"Кликни\")"  # as typed: no sheet


async def test_stata_file_has_labels_and_dont_know_as_extended_missing(
        mini: Settings, tmp_path: Path) -> None:
    import pyreadstat

    path = await _file(mini, "dta", tmp_path / "x.dta", labels="en")
    frame = pd.read_stata(path)
    assert list(frame["visit"]) == ["At the desk", "Online", "At the desk"]
    raw, meta = pyreadstat.read_dta(str(path), user_missing=True)
    assert list(raw["waited_long"].astype(object).fillna("")) == [1, "", "a"]
    assert meta.missing_user_values["waited_long"] == ["a"]
    assert meta.variable_value_labels["waited_long"]["a"] == "Don't know"
    assert meta.column_names_to_labels["change"] == "By how much did it change?"
    assert meta.variable_value_labels["staff_polite"][3.0] == "Yes"


def test_names_for_spss_and_stata_are_shortened_deterministically() -> None:
    from survey_service.exports.names import spss_name, stata_label, stata_name

    long = "x" * 40 + "__option"
    assert len(stata_name(long)) == 32 and stata_name(long) == stata_name(long)
    assert stata_name(long) != stata_name(long + "2")
    assert spss_name("all") == "v_all" and spss_name("9lives").startswith("v_")
    assert len(stata_label("я" * 100)) == 80


#: LibreOffice's CSV filter, with its options: separator, quote ("), UTF-8 (76), from line 1,
#: standard cells, default language; on import, quoted fields not forced to text, no special
#: numbers, and formulas *evaluated* (the riskiest setting: a neutralised cell must stay text);
#: on export, every text cell quoted, cells as shown, formulas as their values, every sheet.
LO_CSV = "Text - txt - csv (StarCalc)"
LO_IN = LO_CSV + ":{sep},34,76,1,,0,false,false,,,false,,true"
LO_OUT = "csv:" + LO_CSV + ":44,34,76,1,,0,true,true,true,false,false,-1"


def _soffice(source: Path, profile: Path, separator: str | None = None) -> dict[str, list[
        list[str]]]:
    """``source`` opened by LibreOffice headless (its own profile, so that runs in parallel do
    not clash) and saved as CSV: the cells of each sheet as LibreOffice shows them."""
    out = source.parent / f"lo-{source.stem}"
    command = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless",
               "--norestore", "--nolockcheck", "--convert-to", LO_OUT, "--outdir", str(out)]
    if separator is not None:
        command.append(f"--infilter={LO_IN.format(sep=ord(separator))}")
    subprocess.run([*command, str(source)], check=True, timeout=240, capture_output=True)
    sheets = {}
    for path in sorted(out.glob("*.csv")):  # one file per sheet: NAME-SHEET.csv
        name = path.stem.removeprefix(f"{source.stem}-")
        with path.open(encoding="utf-8", newline="") as f:
            sheets[name] = list(csv.reader(f))
    assert sheets, f"LibreOffice wrote nothing for {source}"
    return sheets


def _cells(book: Path, sheet: str) -> list[list[str]]:
    """A sheet of the exported workbook as text (as the CSV export writes the same cells)."""
    import openpyxl

    workbook = openpyxl.load_workbook(book, read_only=True)
    try:
        rows = [["" if v is None else str(v) for v in row]
                for row in workbook[sheet].iter_rows(values_only=True)]
    finally:
        workbook.close()
    return rows


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed: scripts/test-deps.sh")
async def test_libreoffice_opens_csv_and_xlsx_with_the_same_cells(
        mini: Settings, tmp_path: Path) -> None:
    """The CSV (`,` and `;`, UTF-8 with BOM) and the xlsx, opened by LibreOffice, show the
    same cells as the export wrote: Cyrillic labels, quoted newlines, codes, and the
    neutralised formulas as text, even with formula evaluation on."""
    profile = tmp_path / "lo-profile"
    comma = tmp_path / "comma.csv"
    comma.write_bytes(await _bytes(mini, "csv", CsvOptions(labels="bg")))
    semicolon = tmp_path / "semicolon.csv"
    semicolon.write_bytes(await _bytes(mini, "csv", CsvOptions(labels="bg", delimiter=";")))
    book = await _file(mini, "xlsx", tmp_path / "book.xlsx", labels="bg")
    with comma.open(encoding="utf-8-sig", newline="") as f:
        source = list(csv.reader(f))
    visit = source[0].index("visit")
    assert [r[visit] for r in source[1:]] == ["На гише", "По интернет", "На гише"]
    assert source[1][-1] == "'=HYPERLINK(\"http://x\";\"Кликни\")"
    assert source[2][-1] == "Ред 1\nред 2, \"цитат\""

    for path, separator in ((comma, ","), (semicolon, ";")):  # one sheet, named as the file
        opened_csv = await asyncio.to_thread(_soffice, path, profile, separator)
        assert list(opened_csv.values()) == [source]
    sheets = await asyncio.to_thread(_soffice, book, profile)
    assert sheets["responses"] == source
    codebook = _cells(book, "codebook")
    assert sheets["codebook"] == codebook
    assert "Как се обърнахте към нас?" in {row[2] for row in codebook}


async def test_versions_within_a_wave_keep_every_question(mini: Settings) -> None:
    async with opened(mini.database_url) as store:
        wave = next(w for w in await store.waves() if w.id == WAVE)
        definition = await store.form_version(wave.version)
        assert definition is not None
        first = decode_survey(definition)
        extra = Question(id="parking", kind="number", min=0, max=99,
                         text=Text("Места за паркиране", "Parking places"))
        section = msgspec.structs.replace(first.sections[0], questions=[
            *first.sections[0].questions, extra])
        second = msgspec.structs.replace(first, sections=[section, *first.sections[1:]])
        v2 = survey_version(second)
        await store.save_form_version("mini", v2, encode_survey(second))
        await store.import_responses([NewResponse(
            submission_key="v2-key", wave_id=WAVE, version=v2, organisation="elena",
            channel="web", lang="bg", day=parse_local("2026-03-05").date(),
            answers={"visit": "online", "parking": 7})])
    frame = pd.read_csv(io.BytesIO(await _bytes(mini, "csv")), encoding="utf-8-sig")
    assert "parking" in frame.columns and "comment" in frame.columns
    assert sorted(frame["parking"].dropna()) == [7]
    book = pd.read_csv(io.BytesIO(await _bytes(mini, "codebook")), encoding="utf-8-sig")
    versions = dict(zip(book["column"], book["form_versions"], strict=True))
    assert versions["parking"] == v2 and set(versions["visit"].split()) == {wave.version, v2}


def test_hidden_units_leave_no_small_group() -> None:
    counts = {("elena", "finance"): 30, ("elena", "legal"): 4, ("elena", "it"): 12,
              ("elena", "tax"): 25, ("lyaskovets", "a"): 10}
    assert hidden_units(counts, 10) == {("elena", "legal"), ("elena", "it")}
    assert hidden_units({("o", "a"): 12, ("o", "b"): 20}, 10) == set()
    assert hidden_units({("o", "a"): 3, ("o", "b"): 20}, 10) == {("o", "a"), ("o", "b")}


async def test_staff_exports_only_when_closed_without_free_text_or_small_units(
        tmp_path: Path) -> None:
    settings = mini_settings(tmp_path)
    from survey_service.services.waves import open_wave

    async with opened(settings.database_url) as store:
        wave = await open_wave(settings, store, "staff-survey", "staff-w", "baseline", [],
                               None, None)
        answers = {"role_expectations_clear": 4, "comments": "Иван от ФСО е груб"}
        survey = decode_survey(await store.form_version(wave.version) or b"")
        await store.import_responses([NewResponse(
            submission_key=f"s{n}", wave_id="staff-w", version=wave.version,
            organisation="elena", channel="web", lang="bg", day=None, answers=answers,
            codes=encode_codes(survey, answers),
            unit="finance" if n < 12 else "legal_hr") for n in range(15)])
        with pytest.raises(Refused, match="not closed"):
            await export_wave(settings, store, "staff-w", "csv", None, CsvOptions(),
                              stream=io.BytesIO())
        await store.update_wave(msgspec.structs.replace(
            wave, closed=parse_local("2026-01-01"), mixed=True))
    text = (await _bytes(settings, "csv", wave="staff-w")).decode()
    frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")))
    assert "comments" not in frame.columns and "Иван" not in text
    assert set(frame["unit"].dropna()) == set()  # 12 + 3: the 3 alone would be a small group
    assert (frame["day"].isna()).all()
    async with opened(settings.database_url) as store:
        await store.import_responses([NewResponse(
            submission_key=f"l{n}", wave_id="staff-w", version=wave.version,
            organisation="lyaskovets", channel="web", lang="bg", day=None, answers=answers,
            codes=encode_codes(survey, answers), unit=None) for n in range(3)])
        with pytest.raises(Refused, match="'lyaskovets' has only 3 responses"):
            await export_wave(settings, store, "staff-w", "csv", None, CsvOptions(),
                              stream=io.BytesIO())


async def test_staff_exports_hide_the_units_the_disclosure_plan_hides(tmp_path: Path) -> None:
    """Issue 14: a unit of 12 where 8 skipped every question has only 4 valid answers per
    figure. The plan hides its figures (and a complement); the export must not name it,
    although 12 responses are more than the smallest group: the old rule of the exports
    (units under min_group, pooled up to min_group) named it."""
    from survey_service.services.disclosure import wave_plan
    from survey_service.services.exports import plan_units, prepare_export
    from survey_service.services.waves import open_wave

    settings = mini_settings(tmp_path)
    units = {"finance": 30, "legal_hr": 12, "admin_services": 25}
    async with opened(settings.database_url) as store:
        wave = await open_wave(settings, store, "staff-survey", "staff-p", "baseline", [],
                               None, None)
        survey = decode_survey(await store.form_version(wave.version) or b"")
        rows = []
        for unit, n in units.items():
            for i in range(n):
                skipped = unit == "legal_hr" and i < 8
                answers: dict[str, object] = {} if skipped else {
                    item: 1 + (i + len(unit) + k) % 5 for k, item in enumerate((
                        "role_expectations_clear", "role_responsibilities_clear",
                        "role_description_matches"))}
                rows.append(NewResponse(
                    submission_key=f"{unit}-{i}", wave_id="staff-p", version=wave.version,
                    organisation="elena", channel="web", lang="bg", day=None,
                    answers=answers, codes=encode_codes(survey, answers),  # type: ignore[arg-type]
                    unit=unit))
        await store.import_responses(rows)
        wave = msgspec.structs.replace(wave, closed=parse_local("2026-01-01"), mixed=True)
        await store.update_wave(wave)
        plan = await wave_plan(settings, store, wave)
        by_plan = plan_units(plan)
        export = await prepare_export(settings, store, "staff-p")
    assert ("elena", "legal_hr") in by_plan and len(by_plan) >= 2  # with its complement
    assert hidden_units({("elena", u): n for u, n in units.items()}, 10) == set()  # old rule
    assert by_plan <= export.hidden_units
    text = (await _bytes(settings, "csv", wave="staff-p")).decode()
    frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")))
    shown = set(frame["unit"].dropna())
    assert shown == {u for u in units if ("elena", u) not in export.hidden_units}
    assert "legal_hr" not in shown


def test_cli_export_writes_an_honest_file_name_and_refuses_in_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    settings = mini_settings(tmp_path)
    asyncio.run(mini_wave(settings))
    env = {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_SECRET_KEY": SECRET,
           "SURVEY_FORMS_DIR": settings.forms_dir}
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["export", WAVE, "--format", "xlsx"], env=env)
    assert result.exit_code == 0, result.output
    made = list(tmp_path.glob("mini_mini-2026_20*.xlsx"))
    assert len(made) == 1 and made[0].name in result.output
    result = CliRunner().invoke(cli, ["export", WAVE, "--out", "-", "--excel-bg"], env=env)
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"\xef\xbb\xbfresponse_id;")
    result = CliRunner().invoke(cli, ["export", "nope"], env=env)
    assert result.exit_code == 1 and result.output == "Error: unknown wave 'nope'\n"
    result = CliRunner().invoke(cli, ["export", WAVE, "--format", "indicators"], env=env)
    assert result.exit_code == 1 and "--baseline" in result.output


async def test_an_export_abandoned_half_way_gives_its_reader_back(
        mini: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that goes away mid-download (the stream is closed early) frees the read
    connection, so later exports never wait for one (the pool has two)."""
    import asyncio

    from survey_service.services import exports

    monkeypatch.setattr(exports, "BATCH", 1)  # three batches of one response
    async with opened(mini.database_url) as store:
        export = await exports.prepare_export(mini, store, WAVE)
        for _ in range(5):
            chunks = exports.wide_csv(store, export, CsvOptions())
            await anext(chunks)  # the header
            await anext(chunks)  # the first batch: a reader is in use, the next one asked
            await chunks.aclose()
        async with asyncio.timeout(5):
            assert await store.count_responses(WAVE) == 3
            assert len([c async for c in exports.wide_csv(store, export, CsvOptions())]) == 4


async def _audit(settings: Settings) -> list[tuple[str, str, dict[str, object]]]:
    async with opened(settings.database_url) as store:
        return [(e.actor, e.action, msgspec.json.decode(e.detail))
                for e in await store.audit_entries()]


def test_cli_export_is_written_to_the_audit_log(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    settings = mini_settings(tmp_path)
    asyncio.run(mini_wave(settings))
    env = {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_SECRET_KEY": SECRET,
           "SURVEY_FORMS_DIR": settings.forms_dir}
    monkeypatch.chdir(tmp_path)
    before = len(asyncio.run(_audit(settings)))
    result = CliRunner().invoke(cli, ["export", WAVE, "--format", "long", "--out", "-"], env=env)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["export", "nope"], env=env)
    assert result.exit_code == 1
    entries = asyncio.run(_audit(settings))[before:]
    assert [(a, d) for _, a, d in entries] == [("export", {"wave": WAVE, "format": "long"})]
    assert entries[0][0].startswith("cli")

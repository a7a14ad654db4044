"""The import upload says why each cell (row, column, value, why) or file is refused in the
page's language: natural Bulgarian on the Bulgarian page, English on the English one. The
CLI keeps its English lines (``test_wave_imports``)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.surveys.waves import parse_local
from tests.web.admin_helpers import add_accounts, csrf, quick_argon2, sign_in  # noqa: F401
from tests.web.exports_data import mini_settings, mini_wave
from tests.web.test_wave_imports import BAD_CELLS, GOOD

COPY = "mini-copy"
#: The English reasons of ``BAD_CELLS`` as the Bulgarian page says them.
BULGARIAN = {
    "not one of the codes or labels of this question":
        "не е сред кодовете или етикетите на този въпрос",
    "required, but empty": "задължително е, а клетката е празна",
    "not a whole number": "не е цяло число",
    "outside -10..10": "извън границите от -10 до 10",
    "not a date (YYYY-MM-DD or DD.MM.YYYY)": "не е дата (ГГГГ-ММ-ДД или ДД.ММ.ГГГГ)",
    "longer than 200 characters (201)": "по-дълго от 200 знака (201)",
    "must be 1 (chosen), 0 or empty": "трябва да е 1 (избрано), 0 или празно",
    "not an organisation of this wave": "не е организация от тази вълна",
    "not one of web, kiosk, paper": "не е едно от web, kiosk, paper",
    "not bg or en": "не е bg или en",
    "not a date (YYYY-MM-DD)": "не е дата (ГГГГ-ММ-ДД)",
    "in the future": "датата е в бъдещето",
    "another form version (this wave's is {v})":
        "друга версия на анкетата (версията на тази вълна е {v})",
    "not an id (letters, digits, . _ -; at most 64)":
        "не е идентификатор (латински букви, цифри, . _ -; най-много 64 знака)",
}
ROW = re.compile(r"<tr><td>(\d+)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", re.S)
Cell = tuple[int, str, str, str]


@pytest.fixture
async def admin(tmp_path: Path) -> Settings:
    settings = mini_settings(tmp_path)
    await mini_wave(settings)
    async with opened(settings.database_url) as store:
        await open_wave(settings, store, "mini", COPY, "follow-up", [],
                        parse_local("2026-04-01"), parse_local("2026-04-30"))
        await open_wave(settings, store, "staff-survey", "staff-old", "baseline", [],
                        parse_local("2025-01-01"), parse_local("2025-02-01"))
        await open_wave(settings, store, "staff-survey", "staff-open", "baseline", [],
                        None, None)
    await add_accounts(settings)
    return settings


async def _upload(settings: Settings, data: bytes, wave: str = COPY, name: str = "old.csv"
                  ) -> dict[str, tuple[int, str]]:
    """The page of each language after uploading ``data`` ("check only"): status, text."""
    url = f"/admin/waves/{wave}/import"
    pages = {}
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await sign_in(client, "root")).status_code == 303
        for lang in ("bg", "en"):
            token = await csrf(client, f"{url}?lang={lang}")
            page = await client.post(f"{url}?lang={lang}",
                                     data={"_csrf_token": token, "dry_run": "1"},
                                     files={"file": (name, data, "text/csv")})
            pages[lang] = (page.status_code, page.text)
    return pages


def _cells(page: str) -> list[Cell]:
    return [(int(r), *(html.unescape(v) for v in rest)) for r, *rest in ROW.findall(page)]


def _csv(rows: list[dict[str, str]]) -> bytes:
    columns = list(dict.fromkeys(k for r in rows for k in r))
    lines = [columns, *[[r.get(c, "") for c in columns] for r in rows]]
    return "".join(",".join(_quote(v) for v in line) + "\r\n" for line in lines).encode()


def _quote(value: str) -> str:
    return f'"{value}"' if any(c in value for c in ',"\n') else value


def _shown(value: str) -> str:
    """A value as the page's table shows it (long ones cut)."""
    return value if len(value) <= 65 else value[:57] + "..."


async def _refused(settings: Settings, data: bytes, wave: str = COPY) -> dict[str, list[Cell]]:
    pages = await _upload(settings, data, wave)
    assert {status for status, _ in pages.values()} == {400}
    assert "нищо не е внесено" in pages["bg"][1] and "nothing was imported" in pages["en"][1]
    return {lang: _cells(text) for lang, (_, text) in pages.items()}


async def _version(settings: Settings) -> str:
    async with opened(settings.database_url) as store:
        return next(w.version for w in await store.waves() if w.id == COPY)


@pytest.mark.parametrize(("column", "value", "why"), BAD_CELLS,
                         ids=[f"{c}={v[:12]!r}" for c, v, _ in BAD_CELLS])
async def test_each_kind_of_bad_cell_is_explained_in_bulgarian_and_english(
        admin: Settings, column: str, value: str, why: str) -> None:
    version = await _version(admin)
    cells = await _refused(admin, _csv([GOOD, {**GOOD, column: value}, GOOD]))
    shown = _shown(value)
    assert cells["en"] == [(3, column, shown, why.format(v=version))]
    assert cells["bg"] == [(3, column, shown, BULGARIAN[why].format(v=version))]


HEADER_AND_ROWS = [
    ("twice", b"visit,visit,organisation,day\r\ndesk,desk,elena,2026-04-02\r\n", COPY,
     (1, "visit", "visit"), "this column is there twice", "тази колона се среща два пъти"),
    ("unknown column", _csv([{**GOOD, "shoe_size": "42"}]), COPY,
     (1, "shoe_size", "shoe_size"), "not a question of this wave's form version",
     "не е въпрос от версията на анкетата в тази вълна"),
    ("unit in a citizen wave", _csv([{**GOOD, "unit": "desk"}]), COPY, (1, "unit", "unit"),
     "citizen waves have no units", "вълните за граждани нямат звена"),
    ("no question", b"organisation,day\r\nelena,2026-04-02\r\n", COPY, (1, "", ""),
     "no column is a question of this wave", "нито една колона не е въпрос от тази вълна"),
    ("not shown", _csv([{**GOOD, "visit": "online"}]), COPY, (2, "waited_long", "2"),
     "not asked: shown only when visit is one of desk",
     "въпросът не е зададен: показва се само когато отговорът на visit е сред desk"),
    ("same response_id", _csv([{**GOOD, "response_id": "r1"}, {**GOOD, "response_id": "r1"}]),
     COPY, (3, "response_id", "r1"), "the same response_id is on an earlier row",
     "същият response_id вече е на по-горен ред"),
    ("staff unit", _csv([{"organisation": "elena", "unit": "nowhere",
                          "role_expectations_clear": "4"}]), "staff-old",
     (2, "unit", "nowhere"), "not a unit of this organisation in this wave",
     "не е звено на тази организация в тази вълна"),
    ("staff free text", _csv([{"organisation": "elena", "comments": "x"}]), "staff-old",
     (1, "comments", "comments"),
     "not a question of this wave's form version (staff imports take no free text)",
     "не е въпрос от версията на анкетата в тази вълна (в анкетите на служителите не се "
     "внася свободен текст)"),
]


@pytest.mark.parametrize(("data", "wave", "cell", "en", "bg"),
                         [case[1:] for case in HEADER_AND_ROWS],
                         ids=[case[0] for case in HEADER_AND_ROWS])
async def test_header_condition_id_and_staff_problems_are_explained_in_both_languages(
        admin: Settings, data: bytes, wave: str, cell: tuple[int, str, str], en: str,
        bg: str) -> None:
    cells = await _refused(admin, data, wave)
    assert (*cell, en) in cells["en"] and (*cell, bg) in cells["bg"]
    assert len(cells["en"]) == len(cells["bg"])


async def test_a_staff_day_is_explained_in_both_languages(admin: Settings) -> None:
    structure_unit = await _a_unit(admin)
    cells = await _refused(admin, _csv([{"organisation": "elena", "unit": structure_unit,
                                         "day": "2025-01-10",
                                         "role_expectations_clear": "4"}]), "staff-old")
    assert (2, "day", "2025-01-10", "staff responses carry no day") in cells["en"]
    assert (2, "day", "2025-01-10", "отговорите на служителите не съдържат дата") in cells["bg"]
    assert not [c for c in cells["en"] if c[1] == "unit"]


async def _a_unit(settings: Settings) -> str:
    """A unit of Elena's structure in the closed staff wave."""
    from survey_service.services.catalog import wave_structures
    from survey_service.services.waves import find_wave

    async with opened(settings.database_url) as store:
        structures = await wave_structures(store, await find_wave(store, "staff-old"))
    units = [u.id for u in structures["elena"].units]
    assert units
    return units[0]


UNREADABLE = [
    ("not UTF-8", "old.csv", "visit,day\r\nдеск,2026".encode("cp1251"),
     "old.csv is not UTF-8 text (byte 11): save it as 'CSV UTF-8'",
     "файлът old.csv не е текст в UTF-8 (байт 11): запишете го като „CSV UTF-8“"),
    ("empty", "old.csv", b"\xef\xbb\xbf", "old.csv is empty", "файлът old.csv е празен"),
    ("not a workbook", "old.xlsx", b"PK not really a zip",
     "old.xlsx is not an xlsx workbook (File is not a zip file)",
     "файлът old.xlsx не е работна книга xlsx (File is not a zip file)"),
]


@pytest.mark.parametrize(("name", "data", "en", "bg"), [c[1:] for c in UNREADABLE],
                         ids=[c[0] for c in UNREADABLE])
async def test_a_file_that_is_not_a_table_is_explained_in_both_languages_by_its_name(
        admin: Settings, name: str, data: bytes, en: str, bg: str) -> None:
    pages = await _upload(admin, data, name=name)
    assert {status for status, _ in pages.values()} == {409}
    assert en in html.unescape(pages["en"][1]) and bg in html.unescape(pages["bg"][1])
    assert "survey-import-" not in pages["en"][1]  # never the server's temporary path


async def test_an_open_staff_wave_is_explained_in_both_languages(admin: Settings) -> None:
    data = _csv([{"organisation": "elena", "role_expectations_clear": "4"}])
    pages = await _upload(admin, data, wave="staff-open")
    assert {status for status, _ in pages.values()} == {409}
    assert ("wave 'staff-open' is open: staff answers come in sealed, one code each; import "
            "into it once it is closed") in html.unescape(pages["en"][1])
    assert ("вълната „staff-open“ е отворена: отговорите на служителите постъпват запечатани, "
            "по един код на човек; внасяйте в нея, след като бъде затворена"
            ) in html.unescape(pages["bg"][1])


def test_every_reason_of_the_bad_cells_has_its_bulgarian_text() -> None:
    assert {why for _, _, why in BAD_CELLS} <= set(BULGARIAN)

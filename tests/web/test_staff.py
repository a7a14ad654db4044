"""Staff surveys: invitation codes, sealed answers, mixing at close, and the attacker who holds
the database files."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import sqlite3  # only where a test plays an attacker who reads the files
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient
from scipy import stats

from survey_service.app import create_app
from survey_service.cli import cli
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import open_store, opened
from survey_service.surveys.tokens import (
    ALPHABET,
    CodeProblem,
    code_hash,
    format_code,
    new_code,
    normalise,
)
from tests.conftest import FORMS, SECRET, hidden_fields

Client = AsyncTestClient[Litestar]
STAFF = "staff-survey"


def staff_answers(html: str, comment: str = "") -> dict[str, str]:
    """Answer every question on a staff survey page: 4 for statements, first options."""
    fields: dict[str, str] = {}
    for name in dict.fromkeys(
        re.findall(r'<input type="radio" id="[^"]+" name="([a-z_0-9]+)"', html)
    ):
        values = re.findall(rf'name="{name}" value="([^"]+)"', html)
        fields[name] = "4" if "4" in values else values[0]
    if 'name="comments"' in html:
        fields["comments"] = comment
    return fields


async def open_staff_wave(settings: Settings, wave_id: str = "staff-2026", **kw: Any) -> None:
    store = open_store(settings.database_url)
    await store.open()
    try:
        await open_wave(
            settings,
            store,
            STAFF,
            wave_id,
            kw.pop("phase", "baseline"),
            kw.pop("organisations", ["elena"]),
            None,
            None,
            "before-2026",
        )
    finally:
        await store.close()


async def issue(
    settings: Settings, n: int, wave_id: str = "staff-2026", unit: str = "admin_services"
) -> list[str]:
    codes = [new_code() for _ in range(n)]
    store = open_store(settings.database_url)
    await store.open()
    try:
        await store.add_tokens(
            wave_id, "elena", unit, [code_hash(c.replace("-", ""), SECRET) for c in codes]
        )
    finally:
        await store.close()
    return codes


async def answer_all(client: Client, code: str, comment: str = "") -> httpx.Response:
    page = await client.get(f"/t/{code}")
    assert page.status_code == 200, page.text
    for _ in range(10):
        fields = {
            **hidden_fields(page.text),
            **staff_answers(page.text, comment),
            "_action": "next",
        }
        page = await client.post("/t", data=fields, follow_redirects=False)
        if page.status_code != 200:
            return page
    raise AssertionError("the staff survey never ended")


async def last_page_fields(client: Client, code: str) -> dict[str, str]:
    """Answer every page but the last; return what the last page would send."""
    page = await client.get(f"/t/{code}")
    for _ in range(10):
        fields = {**hidden_fields(page.text), **staff_answers(page.text), "_action": "next"}
        if "Изпратете" in page.text or "Send answers" in page.text:
            return fields
        page = await client.post("/t", data=fields)
    raise AssertionError("the staff survey never reached its last page")


@pytest.fixture
async def staff_app(settings: Settings) -> Litestar:
    await open_staff_wave(settings)
    return create_app(settings)


@pytest.fixture
async def staff_client(staff_app: Litestar) -> Any:
    async with AsyncTestClient(app=staff_app) as c:
        yield c


def pending_files(db: Path) -> list[Path]:
    """The per-wave files of sealed answers (and their journals) beside the database."""
    folder = Path(str(db) + ".pending")
    return sorted(folder.iterdir()) if folder.exists() else []


def db_counts(db: Path) -> dict[str, int]:
    """Rows per table; "pending" counts the sealed answers in the per-wave files (and checks
    that each is marked in the main database)."""
    sealed = 0
    for path in pending_files(db):
        if path.suffix == ".sqlite3":
            with sqlite3.connect(path) as conn:
                sealed += conn.execute("SELECT COUNT(*) FROM sealed").fetchone()[0]
            conn.close()
    with sqlite3.connect(db) as conn:
        counts = {
            t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("responses", "tokens", "pending_marks")
        } | {"used": conn.execute("SELECT COUNT(*) FROM tokens WHERE used = 1").fetchone()[0]}
    conn.close()
    assert counts.pop("pending_marks") == sealed
    return counts | {"pending": sealed}


# ---------------------------------------------------------------------------- the codes
def test_codes_are_random_typeable_and_catch_typos() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:200]:
        assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}", code)
        assert not set(code) & set("ILOU")
        canonical = code.replace("-", "")
        assert normalise(code.lower()) == canonical
        assert normalise(" " + code.replace("-", " ") + " ") == canonical
        # every single mistyped symbol is caught
        for i in range(len(canonical)):
            for wrong in ALPHABET:
                if wrong != canonical[i]:
                    typo = canonical[:i] + wrong + canonical[i + 1 :]
                    assert normalise(typo) is CodeProblem.TYPO
    assert normalise("ABCD") is CodeProblem.MALFORMED
    assert normalise("ABCD-EFGH-JKMN-P!") is CodeProblem.MALFORMED
    # O and I/L are read as 0 and 1 (Crockford)
    code = next(c for c in codes if "0" in c or "1" in c).replace("-", "")
    assert normalise(code.replace("0", "O").replace("1", "l")) == code
    assert 13 * 5 >= 64  # 65 bits of randomness


async def test_issue_writes_csv_and_slips_and_stores_only_hashes(
    settings: Settings, db_path: Path, tmp_path: Path
) -> None:
    await open_staff_wave(settings)
    env = {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_FORMS_DIR": str(FORMS),
        "SURVEY_PUBLIC_URL": "https://anketa.elena.bg",
    }
    out = tmp_path / "slips"
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        [
            "tokens",
            "issue",
            "staff-2026",
            "--org",
            "elena",
            "--unit",
            "finance",
            "--count",
            "10",  # the unit's head count: no more codes than people
            "--out",
            str(out),
        ],
        env=env,
    )
    assert result.exit_code == 0, result.output
    [csv_path] = out.glob("*.csv")
    [html_path] = out.glob("*.html")
    with open(csv_path, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10
    assert all(normalise(r["code"]) not in (CodeProblem.TYPO, CodeProblem.MALFORMED) for r in rows)
    assert rows[0]["url"] == f"https://anketa.elena.bg/t/{rows[0]['code']}"
    slips = html_path.read_text(encoding="utf-8")
    assert slips.count("<svg") == 10 and rows[5]["code"] in slips
    assert "https://anketa.elena.bg/staff" in slips
    data = db_path.read_bytes() + (
        Path(str(db_path) + "-wal").read_bytes() if Path(str(db_path) + "-wal").exists() else b""
    )
    for r in rows:
        assert r["code"].encode() not in data and r["code"].replace("-", "").encode() not in data
    assert db_counts(db_path)["tokens"] == 10
    bad = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        [
            "tokens",
            "issue",
            "staff-2026",
            "--org",
            "elena",
            "--unit",
            "nowhere",
            "--count",
            "1",
            "--out",
            str(out),
        ],
        env=env,
    )
    assert bad.exit_code != 0 and "unknown unit 'nowhere'" in bad.output


# ---------------------------------------------------------------------------- entering
async def test_refusals_are_the_same_except_for_typos(
    staff_client: Client, settings: Settings
) -> None:
    [good, used] = await issue(settings, 2)
    response = await answer_all(staff_client, used)
    assert response.status_code == 303
    never_issued = new_code()
    canonical = good.replace("-", "")
    typo_char = ALPHABET[(ALPHABET.index(canonical[3]) + 1) % 32]
    typo = canonical[:3] + typo_char + canonical[4:]

    async def typed(code: str) -> httpx.Response:
        page = await staff_client.get("/staff")
        return await staff_client.post(
            "/staff", data={**hidden_fields(page.text), "code": code, "_action": "start"}
        )

    refusals = [await typed(c) for c in (never_issued, used)]
    refusals.append(await staff_client.get(f"/t/{used}"))
    texts = {
        re.search(r'<p id="code-error"[^>]*>(.*?)</p>', r.text, re.S).group(1)  # type: ignore[union-attr]
        for r in refusals
    }
    assert len(texts) == 1 and all(r.status_code == 400 for r in refusals)
    assert "cannot be used" in next(iter(texts)) or "не може" in next(iter(texts))
    typo_page = await typed(typo)
    assert typo_page.status_code == 400 and "<title>Грешка: " in typo_page.text
    assert (
        re.search(r'<p id="code-error"[^>]*>(.*?)</p>', typo_page.text, re.S).group(1) not in texts
    )  # type: ignore[union-attr]
    assert f'value="{typo}"' in typo_page.text  # what was typed is kept
    ok = await typed(good.lower().replace("-", " "))
    assert ok.status_code == 200 and 'name="_token"' in ok.text


async def test_expired_and_wrong_wave_codes_get_the_same_refusal(settings: Settings) -> None:
    await open_staff_wave(settings, "staff-old")
    [old] = await issue(settings, 1, "staff-old")
    store = open_store(settings.database_url)
    await store.open()
    import msgspec

    from survey_service.surveys.waves import now

    wave = next(w for w in await store.waves() if w.id == "staff-old")
    await store.update_wave(msgspec.structs.replace(wave, closed=now()))
    await store.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(f"/t/{old}")
        assert page.status_code == 400 and 'id="code-error"' in page.text
        assert 'name="_token"' not in page.text


async def test_a_staff_journey_seals_the_answers_until_close(
    staff_client: Client, settings: Settings, db_path: Path
) -> None:
    [code] = await issue(settings, 1)
    response = await answer_all(staff_client, code, comment="Всичко е наред.")
    assert response.status_code == 303 and response.headers["location"].startswith("/t/thanks")
    thanks = await staff_client.get(response.headers["location"])
    assert thanks.status_code == 200
    assert db_counts(db_path) == {"responses": 0, "pending": 1, "tokens": 1, "used": 1}
    # answers of an open staff wave are not readable anywhere
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        assert (await store.wave_codes("staff-2026")).organisations == []
    finally:
        await store.close()


async def test_twenty_parallel_submissions_with_one_code_give_one_response(
    staff_client: Client, settings: Settings, db_path: Path
) -> None:
    [code] = await issue(settings, 1)
    fields = await last_page_fields(staff_client, code)  # then send the last page 20 times
    results = await asyncio.gather(
        *(staff_client.post("/t", data=fields, follow_redirects=False) for _ in range(20))
    )
    assert sorted(r.status_code for r in results) == [303] + [400] * 19
    assert db_counts(db_path)["pending"] == 1
    # and the same race straight at the store
    [other] = await issue(settings, 1)
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        outcomes = await asyncio.gather(
            *(
                store.submit_sealed(code_hash(other.replace("-", ""), SECRET), "staff-2026", b"x")
                for _ in range(20)
            )
        )
    finally:
        await store.close()
    assert sorted(outcomes) == [False] * 19 + [True]


# ---------------------------------------------------------------------------- after the wave
def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "SURVEY_DATABASE_URL": settings.database_url,
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_FORMS_DIR": str(FORMS),
    }


async def run_cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=cli_env(settings))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


async def test_status_rates_settings_lock_and_close_mixes(
    staff_client: Client, settings: Settings, db_path: Path
) -> None:
    codes = await issue(settings, 11)
    await issue(settings, 3, unit="finance")
    code, out = await run_cli(settings, "waves", "set", "staff-2026", "--min-group", "12")
    assert code == 0, out
    for c in codes[:6]:
        assert (await answer_all(staff_client, c)).status_code == 303
    code, out = await run_cli(settings, "waves", "status", "staff-2026", "--json")
    assert code == 0, out
    status = json.loads(out)
    units = {u["unit"]: u for u in status["units"]}
    assert units["admin_services"] == {
        "organisation": "elena",
        "unit": "admin_services",
        "head_count": 14,
        "issued": 11,
        "used": 6,
        "response_rate": 100 * 6 / 14,  # full precision (42.857...), never rounded (#11)
    }
    assert units["finance"]["used"] == 0 and units["finance"]["head_count"] == 10
    assert status["total"]["response_rate"] == 100 * 6 / 24
    code, out = await run_cli(settings, "waves", "status", "staff-2026")  # the table rounds
    assert code == 0 and "42.9" in out and "42.857" not in out, out
    code, out = await run_cli(settings, "waves", "set", "staff-2026", "--min-group", "5")
    assert code != 0 and "can no longer change" in out
    code, out = await run_cli(settings, "waves", "close", "staff-2026")
    assert code == 0 and "mixed the answers of staff-2026" in out, out
    counts = db_counts(db_path)
    assert counts["responses"] == 6 and counts["pending"] == 0
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        rows = await store.responses("staff-2026")
    finally:
        await store.close()
    assert {(r.organisation, r.unit, r.day) for r in rows} == {("elena", "admin_services", None)}


async def test_server_mixes_a_wave_that_closes_by_its_end_date(
    settings: Settings, db_path: Path
) -> None:
    import datetime as dt

    import msgspec

    from survey_service.surveys.waves import now

    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await answer_all(client, code)).status_code == 303
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    wave = (await store.waves())[0]
    await store.update_wave(msgspec.structs.replace(wave, ends=now() - dt.timedelta(seconds=1)))
    await store.close()
    async with AsyncTestClient(app=create_app(settings)):
        for _ in range(100):
            if db_counts(db_path)["responses"] == 1:
                break
            await asyncio.sleep(0.05)
    counts = db_counts(db_path)
    assert counts["responses"] == 1 and counts["pending"] == 0


# ---------------------------------------------------------------------------- the attacker
def _snapshot(db: Path) -> dict[str, bytes]:
    """Copies of every file of the database: main file, WAL, journals, per-wave pending files."""
    paths = [db, *(Path(str(db) + s) for s in ("-wal", "-journal", "-shm")), *pending_files(db)]
    return {p.name: p.read_bytes() for p in paths if p.exists()}


def _files(db: Path) -> bytes:
    return b"".join(_snapshot(db).values())


def _sealed_rows(snapshot: dict[str, bytes], folder: Path) -> dict[bytes, bytes]:
    """What the attacker reads from a copy of the pending files: row id -> sealed blob."""
    rows: dict[bytes, bytes] = {}
    for name, data in snapshot.items():
        if name.endswith(".sqlite3") and name != "survey.sqlite3":
            copy = folder / name
            copy.write_bytes(data)
            with sqlite3.connect(copy) as conn:
                rows.update((bytes(a), bytes(b)) for a, b in conn.execute("SELECT * FROM sealed"))
            conn.close()
            copy.unlink()
    return rows


async def _citizen_table(settings: Settings, n: int) -> None:
    """``n`` citizen responses around the staff wave (a municipality's database)."""
    import datetime as dt

    from survey_service.storage.base import NewResponse
    from tests.conftest import seed_wave

    await seed_wave(settings, "cs-around")
    async with opened(settings.database_url) as store:
        version = next(w.version for w in await store.waves() if w.id == "cs-around")
        await store.import_responses(
            [
                NewResponse(submission_key=f"c{i}", wave_id="cs-around", version=version,
                            organisation="elena", channel="web", lang="bg",
                            day=dt.date(2026, 11, 1), answers={"comments": "x" * (i % 200)})
                for i in range(n)
            ]
        )


async def test_an_attacker_with_the_database_files_cannot_link_answers_to_codes(
    settings: Settings, db_path: Path, tmp_path: Path
) -> None:
    """30 staff answer one at a time (as if over several days), in a database that already
    holds 3,000 citizen answers. The attacker copies every file of the database (WAL, journals
    and the wave's pending file included) after every single submission and again after the
    close, knows who got which code and exactly when each person submitted, but not the key.

    Each person writes a comment of a different length (the later, the longer), so any length
    that survived sealing would give the order away: before the padding, the length attack
    below linked 30 of 30. Now: while the wave is open no copy holds a readable answer and
    every sealed blob has the same length; after the close nothing of the sealed rows is left,
    and neither the lengths nor the positions of the answers in the files say more about the
    order of submission than chance."""
    import random

    n = 30
    await _citizen_table(settings, 3_000)
    await open_staff_wave(settings)
    codes = await issue(settings, n)
    markers = [f"marker-{i:02d}-{'q' * (7 * i)}" for i in range(n)]
    snapshots: list[dict[str, bytes]] = []
    async with AsyncTestClient(app=create_app(settings)) as client:
        for code, marker in zip(codes, markers, strict=True):
            assert (await answer_all(client, code, comment=marker)).status_code == 303
            snapshots.append(_snapshot(db_path))
    for snapshot in snapshots:
        data = b"".join(snapshot.values())
        for marker, code in zip(markers, codes, strict=True):
            assert marker.encode() not in data  # sealed while the wave is open
            assert code.replace("-", "").encode() not in data
    # what each submission added, as the attacker sees it in consecutive copies
    arrivals: list[tuple[bytes, bytes]] = []
    seen: dict[bytes, bytes] = {}
    for snapshot in snapshots:
        rows = _sealed_rows(snapshot, tmp_path)
        [(row_id, blob)] = [(k, v) for k, v in rows.items() if k not in seen]
        arrivals.append((row_id, blob))
        seen = rows
    assert len({len(blob) for _, blob in arrivals}) == 1  # every sealed blob the same length
    with sqlite3.connect(db_path) as conn:
        token_columns = [r[1] for r in conn.execute("PRAGMA table_info(tokens)")]
    conn.close()
    assert token_columns == ["hash", "wave_id", "organisation", "unit", "used"]  # no time

    code, out = await run_cli(settings, "waves", "close", "staff-2026")
    assert code == 0, out
    assert pending_files(db_path) == []  # the wave's sealed store is gone
    final = _files(db_path)
    for row_id, blob in arrivals:  # nothing of the sealed rows or their marks is left
        assert row_id not in final
        assert all(blob[i : i + 32] not in final for i in range(0, len(blob) - 32, 256))

    # the length attack: pair arrivals and responses by the rank of their sizes (ties broken
    # at random, the attacker having nothing better) and count the correct pairs. At chance
    # this is the number of fixed points of a random permutation: mean 1, and the mean over
    # 200 tie-breaks has a standard deviation of 0.07, so a mean above 1.5 is far beyond
    # chance (a surviving length gives 30).
    with sqlite3.connect(db_path) as conn:
        stored = [bytes(r[0]) for r in conn.execute(
            "SELECT answers FROM responses WHERE wave_id = 'staff-2026'")]
    conn.close()
    owner = [next(i for i, m in enumerate(markers) if m.encode() in a) for a in stored]
    hits = []
    for seed in range(200):
        rng = random.Random(seed)
        by_arrival = sorted(range(n), key=lambda i: (len(arrivals[i][1]), rng.random()))
        by_response = sorted(range(n), key=lambda r: (len(stored[r]), rng.random()))
        hits.append(sum(owner[r] == i for i, r in zip(by_arrival, by_response, strict=True)))
    assert np.mean(hits) <= 1.5, np.mean(hits)

    # the position attack: where each answer lies in the files after the close
    positions = [final.find(m.encode()) for m in markers]
    assert all(p >= 0 for p in positions) and len(set(positions)) == n
    ranks = np.argsort(np.argsort(positions))
    true_order = np.arange(n)
    rho = stats.spearmanr(ranks, true_order).statistic
    assert abs(rho) < 0.6, rho  # |rho| >= 0.6 has p < 0.001 for 30 random ranks
    hits_at = max(int((ranks == true_order).sum()), int((ranks == true_order[::-1]).sum()))
    assert hits_at <= 5, hits_at  # a random order matches at 6+ places with p < 0.001
    with sqlite3.connect(db_path) as conn:
        days = {r[0] for r in conn.execute("SELECT day FROM responses WHERE unit IS NOT NULL")}
        columns = [r[1] for r in conn.execute("PRAGMA table_info(responses)")]
        marks = conn.execute("SELECT COUNT(*) FROM pending_marks").fetchone()[0]
        stat_tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'"
        ).fetchall()
    conn.close()
    assert marks == 0 and stat_tables == []  # no marks left, no statistics tables
    assert days == {None}
    assert not {"token", "token_hash", "created", "submitted_at", "ip"} & set(columns)


async def test_logs_never_hold_a_code(settings: Settings, db_path: Path, tmp_path: Path) -> None:
    from tests.web.test_load_and_durability import _free_port, _start_server

    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    port = _free_port()
    server = _start_server(db_path, port, {"SURVEY_ACCESS_LOG": "1"})
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            page = client.get(f"/t/{code}")
            assert page.status_code == 200
            entry = client.get("/staff")
            client.post(
                "/staff", data={**hidden_fields(entry.text), "code": code.replace("-", "").lower()}
            )
            client.get(f"/t/{format_code(new_code().replace('-', ''))}")
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    log = out.decode() + err.decode()
    assert "GET /t/…" in log and "POST /staff" in log
    canonical = code.replace("-", "")
    for form in (code, canonical, canonical.lower(), code[:9]):
        assert form not in log
    assert "127.0.0.1" not in log.replace(f"127.0.0.1:{port}", "")


async def test_shipped_staff_and_training_forms_work_in_both_languages(
    settings: Settings, db_path: Path
) -> None:
    await open_staff_wave(settings)
    [bg_code, en_code] = await issue(settings, 2)
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        await open_wave(
            settings,
            store,
            "training-evaluation",
            "training-2026-03-12",
            "training",
            ["elena"],
            None,
            None,
        )
        training_code = new_code()
        await store.add_tokens(
            "training-2026-03-12",
            "elena",
            "participants",
            [code_hash(training_code.replace("-", ""), SECRET)],
        )
    finally:
        await store.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        english = await client.get(f"/t/{en_code}?lang=en")
        assert '<html lang="en">' in english.text and 'name="_token"' in english.text
        assert (await answer_all(client, bg_code)).status_code == 303
        page = await client.get(f"/t/{training_code}")
        assert '<html lang="bg">' in page.text
        assert (await answer_all(client, training_code)).status_code == 303
    assert db_counts(db_path)["pending"] == 2


async def test_a_lost_slip_is_revoked_and_replaced_without_a_link(
    staff_client: Client, settings: Settings, db_path: Path
) -> None:
    [lost] = await issue(settings, 1)
    code, out = await run_cli(settings, "tokens", "revoke", lost.lower())
    assert code == 0 and "revoked" in out
    assert (await run_cli(settings, "tokens", "revoke", lost))[0] != 0  # already unusable
    page = await staff_client.get(f"/t/{lost}")
    assert page.status_code == 400 and 'id="code-error"' in page.text
    [replacement] = await issue(settings, 1)
    assert (await answer_all(staff_client, replacement)).status_code == 303
    with sqlite3.connect(db_path) as conn:  # an administrator with the file, as an attacker
        columns = [r[1] for r in conn.execute("PRAGMA table_info(tokens)")]
        rows = conn.execute("SELECT unit, used FROM tokens").fetchall()
    assert columns == ["hash", "wave_id", "organisation", "unit", "used"]  # nothing links them
    assert sorted(rows) == [("admin_services", 1), ("admin_services", 1)]


# ---------------------------------------------------------------------------- panel
def test_panel_codes_are_normalised_and_hashed_slowly_with_the_key() -> None:
    from survey_service.surveys.tokens import normalise_panel, panel_hash

    assert normalise_panel("ма 07-ло") == "МА07ЛО"
    assert normalise_panel("abc") is None and normalise_panel("x" * 41) is None
    h = panel_hash("МА07ЛО", SECRET, STAFF)
    assert h == panel_hash("МА07ЛО", SECRET, STAFF) and len(h) == 16
    assert h != panel_hash("МА07ЛО", SECRET + "x", STAFF)
    assert h != panel_hash("МА07ЛО", SECRET, "other-survey")


async def _panel_journey(client: Client, code: str, panel: str, engagement: str) -> None:
    page = await client.get(f"/t/{code}")
    assert "panel-form" in page.text
    page = await client.post("/staff/panel", data={**hidden_fields(page.text), "panel": panel,
                                                   "_action": "next"})
    assert page.status_code == 200 and 'name="_panel"' in page.text
    for _ in range(10):
        answers = staff_answers(page.text)
        answers.update({k: engagement for k in answers if k.startswith("eng_")})
        fields = {**hidden_fields(page.text), **answers, "_action": "next"}
        page = await client.post("/t", data=fields, follow_redirects=False)
        if page.status_code == 303:
            return
    raise AssertionError("no end")


async def test_panel_pairs_the_same_people_across_waves(settings: Settings,
                                                         db_path: Path) -> None:
    await open_staff_wave(settings, "before", phase="baseline")
    assert (await run_cli(settings, "waves", "set", "before", "--panel"))[0] == 0
    people = [f"ПАНЕЛ{i:02d}КОД" for i in range(12)]
    codes = await issue(settings, 13, "before")
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(f"/t/{codes[12]}")
        bad = await client.post("/staff/panel", data={**hidden_fields(page.text),
                                                      "panel": "ab", "_action": "next"})
        assert bad.status_code == 400 and 'id="panel-error"' in bad.text
        assert 'value="ab"' in bad.text
        for i, (code, person) in enumerate(zip(codes, people, strict=False)):
            await _panel_journey(client, code, person, "2" if i % 2 else "3")
    assert (await run_cli(settings, "waves", "set", "before", "--no-panel"))[0] != 0  # locked
    assert (await run_cli(settings, "waves", "close", "before"))[0] == 0
    await open_staff_wave(settings, "after", phase="follow-up")
    assert (await run_cli(settings, "waves", "set", "after", "--panel"))[0] == 0
    codes = await issue(settings, 12, "after")
    async with AsyncTestClient(app=create_app(settings)) as client:
        for i, (code, person) in enumerate(zip(codes, reversed(people), strict=True)):
            await _panel_journey(client, code, person, "5" if i % 3 else "4")
    assert (await run_cli(settings, "waves", "close", "after"))[0] == 0
    data = _files(db_path)
    assert not any(p.encode() in data for p in people)  # never stored in clear
    code, out = await run_cli(settings, "report", STAFF, "--baseline", "before", "--follow-up",
                              "after", "--format", "json", "--no-items")
    assert code == 0, out
    panel = [r for r in json.loads(out)["rows"] if r["section"] == "panel"]
    eei = next(r for r in panel if r["id"] == "eei")
    assert eei["n_baseline"] == 12 and eei["test"] == "paired_t" and eei["change"] > 0


async def test_staff_pages_link_to_the_staff_privacy_notice(staff_client: Client) -> None:
    entry = await staff_client.get("/staff?lang=en")
    assert "/privacy?lang=en&amp;staff=1" in entry.text
    notice = await staff_client.get("/privacy?lang=en&staff=1")
    assert "Staff surveys" in notice.text and "shuffled" in notice.text
    citizen = await staff_client.get("/privacy?lang=en")
    assert "Staff surveys" not in citizen.text


async def test_answers_sent_after_the_close_are_refused_not_lost(
    staff_client: Client, settings: Settings, db_path: Path
) -> None:
    [code] = await issue(settings, 1)
    fields = await last_page_fields(staff_client, code)
    # the wave closes (and is mixed) while this person is on the last page
    assert (await run_cli(settings, "waves", "close", "staff-2026"))[0] == 0
    late = await staff_client.post("/t", data=fields, follow_redirects=False)
    assert late.status_code == 400
    counts = db_counts(db_path)
    assert counts["pending"] == 0 and counts["used"] == 0
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:  # even straight at the store, a mixed wave takes nothing more
        assert not await store.submit_sealed(code_hash(code.replace("-", ""), SECRET),
                                             "staff-2026", b"x")
    finally:
        await store.close()


async def test_odd_step_numbers_on_staff_pages_get_400(
    staff_client: Client, settings: Settings
) -> None:
    [code] = await issue(settings, 1)
    page = await staff_client.get(f"/t/{code}")
    response = await staff_client.post("/t", data={**hidden_fields(page.text), "_step": "²"})
    assert response.status_code == 400


async def test_closing_with_another_key_says_so_and_loses_nothing(
    staff_client: Client, settings: Settings, db_path: Path
) -> None:
    [code] = await issue(settings, 1)
    assert (await answer_all(staff_client, code)).status_code == 303
    env = {**cli_env(settings), "SURVEY_SECRET_KEY": "another-key-" + "y" * 32}
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["waves", "close", "staff-2026"],
                                     env=env)
    # refused before anything changes: the key's fingerprint is not the database's
    assert result.exit_code == 1 and "cannot be checked or unsealed" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert db_counts(db_path)["pending"] == 1
    code_, _ = await run_cli(settings, "waves", "close", "staff-2026")  # the right key
    assert code_ == 0 and (db_counts(db_path))["responses"] == 1


async def test_a_flood_of_wrong_codes_does_not_lock_out_valid_ones(
    staff_client: Client, settings: Settings, staff_app: Litestar
) -> None:
    limiter = staff_app.state.site.attempts
    for i in range(limiter.overall):
        await limiter.failed(f"10.0.{i // 250}.{i % 250}")
    wrong = await staff_client.get(f"/t/{new_code()}")
    assert wrong.status_code == 429
    [code] = await issue(settings, 1)
    assert (await staff_client.get(f"/t/{code}")).status_code == 200


async def test_issuing_codes_into_an_unwritable_folder_stores_none(
    settings: Settings, db_path: Path
) -> None:
    await open_staff_wave(settings)
    code, out = await run_cli(settings, "tokens", "issue", "staff-2026", "--org", "elena",
                              "--unit", "finance", "--count", "3", "--out", "/proc/nope")
    assert code == 1 and "cannot write the codes" in out
    assert db_counts(db_path)["tokens"] == 0


async def test_a_report_over_all_organisations_is_refused_when_one_is_small(
    settings: Settings, db_path: Path
) -> None:
    """Elena has 11 answers, Lyaskovets 3: everyone minus Elena would give Lyaskovets."""
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        await open_wave(settings, store, STAFF, "both", "baseline", [], None, None,
                        "before-2026")
        tokens = {org: [new_code() for _ in range(n)] for org, n in (("elena", 11),
                                                                     ("lyaskovets", 3))}
        for org, codes in tokens.items():
            await store.add_tokens("both", org, "finance",
                                   [code_hash(c.replace("-", ""), SECRET) for c in codes])
    finally:
        await store.close()
    async with AsyncTestClient(app=create_app(settings)) as client:
        for codes in tokens.values():
            for c in codes:
                assert (await answer_all(client, c)).status_code == 303
    assert (await run_cli(settings, "waves", "close", "both"))[0] == 0
    await open_staff_wave(settings, "later", phase="follow-up", organisations=[])
    assert (await run_cli(settings, "waves", "close", "later"))[0] == 0  # no answers
    args = ["report", STAFF, "--baseline", "both", "--follow-up", "later", "--format", "json"]
    code, out = await run_cli(settings, *args)
    assert code == 1 and "organisation 'lyaskovets' has only 3" in out
    code, out = await run_cli(settings, *args, "--org", "elena", "--no-items")
    assert code == 0 and json.loads(out)["organisation"] == "elena"


async def test_training_panel_codes_pair_across_the_course_surveys(
    settings: Settings, db_path: Path
) -> None:
    """A participant's panel code typed into the course evaluation is hashed with the training
    scope's salt, so the knowledge check and the transfer survey months later pair with it."""
    from survey_service.surveys.tokens import panel_hash

    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        await open_wave(settings, store, "training-evaluation", "course-1", "baseline",
                        ["elena"], None, None)
        code = new_code()
        await store.add_tokens("course-1", "elena", "participants",
                               [code_hash(code.replace("-", ""), SECRET)])
    finally:
        await store.close()
    assert (await run_cli(settings, "waves", "set", "course-1", "--panel"))[0] == 0
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(f"/t/{code}")
        page = await client.post("/staff/panel", data={**hidden_fields(page.text),
                                                       "panel": "КУРС01ЛИЦЕ", "_action": "next"})
        assert page.status_code == 200 and 'name="_panel"' in page.text
        for _ in range(10):
            fields = {**hidden_fields(page.text), **staff_answers(page.text), "_action": "next"}
            page = await client.post("/t", data=fields, follow_redirects=False)
            if page.status_code == 303:
                break
        assert page.status_code == 303
    assert (await run_cli(settings, "waves", "close", "course-1"))[0] == 0
    store = open_store(f"sqlite:///{db_path}")
    await store.open()
    try:
        [stored] = (await store.wave_codes("course-1", groups=True)).panels
    finally:
        await store.close()
    assert stored == panel_hash("КУРС01ЛИЦЕ", SECRET, "training")
    assert stored != panel_hash("КУРС01ЛИЦЕ", SECRET, "training-evaluation")

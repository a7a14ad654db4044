"""Exports and imports of big waves, each against a floor measured in the same run.

A survey of 25 questions (20 likert items with "don't know", two single choices, a
multi-choice of 3 options, an nps and a number: 27 item columns) gets a wave of ``--rows``
responses (default 1,000,000) and one of ``--small`` (default 100,000), stored through the
real storage (``import_responses``).

* wide CSV through HTTP: a real uvicorn server process serves the real app and a streaming
  client (httpx) reads the API's ``/api/v1/waves/WAVE/responses.csv`` to the end with an
  admin's API key (the key checked, the export audited, as for any client). Floor: Python's
  ``csv.writer`` writing the same rows from a plain ``sqlite3`` cursor over the same table
  (answers decoded with msgspec) to a file. Goals: >= 50 % of the floor's rows/s, server peak
  RSS growth < 100 MB (VmHWM reset before the request), the small wave in under 2 s.
* xlsx and SPSS .sav of the small wave (in process, through ``services.exports``): rows/s.
* import of the small wave's wide CSV into an empty wave (``services.imports``: parse,
  validate like a web submission, one transaction). Floor: ``csv.reader`` and plain batched
  ``executemany`` of the same rows (answers as JSON, no validation) into a table of the same
  shape. Goal: >= 30 % of the floor's rows/s.

    .venv/bin/python benchmarks/exports.py [--rows 1000000] [--small 100000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import msgspec
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from survey_service.exports.columns import plan_columns  # noqa: E402
from survey_service.services.exports import (  # noqa: E402
    CsvOptions,
    export_wave,
    prepare_export,
    write_stats_file,
    write_xlsx,
)
from survey_service.services.imports import import_file  # noqa: E402
from survey_service.services.users import add_user, new_key  # noqa: E402
from survey_service.services.waves import open_wave  # noqa: E402
from survey_service.settings import Settings  # noqa: E402
from survey_service.storage import opened  # noqa: E402
from survey_service.storage.base import NewResponse  # noqa: E402
from survey_service.surveys.loader import decode_survey  # noqa: E402
from survey_service.surveys.waves import parse_local  # noqa: E402

SURVEY = "bench-export"
BIG, SMALL, EMPTY = "bench-big", "bench-small", "bench-import"
LIKERT = [f"q{i:02d}" for i in range(1, 21)]
CHUNK = 50_000
SECRET = "benchmark-secret-" + "x" * 32
FORMAT_VERSION = 1


def _t(bg: str, en: str) -> str:
    return f'{{ bg = "{bg}", en = "{en}" }}'


def survey_toml() -> str:
    opts = ", ".join(f'{{ code = "{c}", label = {_t(c.upper() + " бг", c)} }}'
                     for c in ("desk", "phone", "online"))
    lines = [f'id = "{SURVEY}"', 'kind = "citizen"', "minutes = 5",
             f"title = {_t('Тест на износа', 'Export benchmark')}",
             f"intro = {_t('Двадесет и пет въпроса.', 'Twenty-five questions.')}",
             "[scales.agree]", "labels = [",
             *(f"  {_t(b, e)}," for b, e in [("Не", "No"), ("По-скоро не", "Rather no"),
                                               ("Нито", "Neither"), ("По-скоро да", "Rather yes"),
                                               ("Да", "Yes")]),
             "]", f"dont_know = {_t('Не знам', 'Do not know')}",
             "[[sections]]", 'id = "all"', f"title = {_t('Въпроси', 'Questions')}"]
    for q in LIKERT:
        lines += ["[[sections.questions]]", f'id = "{q}"', 'kind = "likert"', 'scale = "agree"',
                  "dont_know = true", f"text = {_t('Твърдение ' + q, 'Statement ' + q)}"]
    for q in ("visit", "age"):
        lines += ["[[sections.questions]]", f'id = "{q}"', 'kind = "single"',
                  f"text = {_t('Избор ' + q, 'Choice ' + q)}", f"options = [{opts}]"]
    lines += ["[[sections.questions]]", 'id = "topics"', 'kind = "multi"',
              f"text = {_t('Теми', 'Topics')}", f"options = [{opts}]",
              "[[sections.questions]]", 'id = "recommend"', 'kind = "nps"',
              f"text = {_t('Препоръка', 'Recommend')}",
              "[[sections.questions]]", 'id = "visits"', 'kind = "number"', "min = 0",
              "max = 99", f"text = {_t('Посещения', 'Visits')}"]
    return "\n".join(lines) + "\n"


def settings_for(work: Path) -> Settings:
    forms = work / "forms"
    if not forms.exists():
        shutil.copytree(ROOT / "forms", forms)
        (forms / f"{SURVEY}.toml").write_text(survey_toml(), encoding="utf-8")
    return Settings.from_env({}, database_url=f"sqlite:///{work / 'db.sqlite3'}",
                             forms_dir=str(forms), secret_key=SECRET, wave_refresh_seconds=0.0)


def answers(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    codes = rng.integers(1, 6, size=(n, 20))
    codes[rng.random((n, 20)) < 0.04] = 9
    codes[rng.random((n, 20)) < 0.03] = 0
    options = np.array(["desk", "phone", "online"])
    visit = options[rng.integers(0, 3, n)]
    age = options[rng.integers(0, 3, n)]
    topics = rng.random((n, 3)) < 0.4
    nps = rng.integers(0, 11, n)
    visits = rng.integers(0, 100, n)
    out = []
    for i in range(n):
        a: dict[str, Any] = {q: int(c) for q, c in zip(LIKERT, codes[i], strict=True) if c}
        a.update(visit=str(visit[i]), age=str(age[i]), recommend=int(nps[i]),
                 visits=int(visits[i]))
        chosen = [str(o) for o, t in zip(options, topics[i], strict=True) if t]
        if chosen:
            a["topics"] = chosen
        out.append(a)
    return out


async def build(settings: Settings, big: int, small: int) -> None:
    rng = np.random.default_rng(2026)
    async with opened(settings.database_url) as store:
        for wave_id, n in ((BIG, big), (SMALL, small)):
            wave = await open_wave(settings, store, SURVEY, wave_id, "baseline", [],
                                   parse_local("2026-01-01"), parse_local("2026-02-01"))
            day = dt.date(2026, 1, 15)
            for start in range(0, n, CHUNK):
                batch = answers(rng, min(CHUNK, n - start))
                await store.import_responses([NewResponse(
                    submission_key=f"{wave_id}-{start + i}", wave_id=wave_id,
                    version=wave.version, organisation="elena" if i % 3 else "lyaskovets",
                    channel="web", lang="bg", day=day, answers=a)
                    for i, a in enumerate(batch)])
                print(f"  {wave_id}: {start + len(batch):,}/{n:,}", flush=True)


# --------------------------------------------------------------------------- the floors
def floor_csv(db: Path, wave_id: str, columns: list[Any], out: Path, fast: bool = False
              ) -> tuple[int, float]:
    """csv.writer over a plain sqlite3 cursor: the same rows as the wide export, the answers
    decoded with the standard library's json (the issue's floor: plain Python) or, ``fast``,
    with msgspec (the decoder the service itself uses: a stricter floor)."""
    decode = msgspec.json.Decoder(dict[str, Any]).decode if fast else json.loads
    plan = [(c.item, c.option) for c in columns]
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    rows = 0
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(["response_id", "wave", "form_version", "organisation",
                         "entry_channel", "language", "day", *(c.name for c in columns)])
        cursor = conn.execute(
            "SELECT id, wave_id, version, organisation, channel, lang, day, answers"
            " FROM responses WHERE wave_id = ? ORDER BY id", (wave_id,))
        for rid, wave, version, org, channel, lang, day, blob in cursor:
            a = decode(blob)
            row = [rid.hex(), wave, version, org, channel, lang, day]
            for item, option in plan:
                v = a.get(item)
                row.append(v if option is None or v is None else int(option in v))
            writer.writerow(row)
            rows += 1
    conn.close()
    return rows, time.perf_counter() - start


def floor_import(path: Path, work: Path) -> tuple[int, float]:
    """csv.reader and batched executemany of the rows into a table shaped like responses."""
    db = work / "floor-import.sqlite3"
    db.unlink(missing_ok=True)
    encode = msgspec.json.encode
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE responses (id BLOB PRIMARY KEY, submission_key TEXT UNIQUE,"
                 " wave_id TEXT, version TEXT, organisation TEXT, channel TEXT, lang TEXT,"
                 " day TEXT, answers BLOB) WITHOUT ROWID")
    rows = 0
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        batch: list[tuple[Any, ...]] = []
        for row in reader:
            a = {k: v for k, v in zip(header[7:], row[7:], strict=True) if v}
            batch.append((os.urandom(16), f"k{rows}", row[1], row[2], row[3], row[4], row[5],
                          row[6], encode(a)))
            rows += 1
            if len(batch) == 10_000:
                conn.executemany("INSERT INTO responses VALUES (?,?,?,?,?,?,?,?,?)", batch)
                batch = []
        conn.executemany("INSERT INTO responses VALUES (?,?,?,?,?,?,?,?,?)", batch)
    conn.commit()
    conn.close()
    return rows, time.perf_counter() - start


# ---------------------------------------------------------------------- through HTTP
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for {pid}")


def http_export(port: int, pid: int, wave_id: str, out: Path, gzip: bool = False,
                key: str = "") -> tuple[int, float, float]:
    """Rows, seconds and the server's peak RSS growth (MB) for one streamed download
    (plain, or gzip-compressed by the app's compression as a browser would ask)."""
    import httpx

    before = rss_kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM (the peak) to now
    start = time.perf_counter()
    lines = 0
    url = f"http://127.0.0.1:{port}/api/v1/waves/{wave_id}/responses.csv"
    headers = {"Accept-Encoding": "gzip" if gzip else "identity",
               "Authorization": f"Bearer {key}"}
    with httpx.stream("GET", url, timeout=600, headers=headers) as response, \
            out.open("wb") as f:
        response.raise_for_status()
        for chunk in response.iter_bytes(1 << 16):
            lines += chunk.count(b"\n")  # no answer of this data holds a newline
            f.write(chunk)
    seconds = time.perf_counter() - start
    return lines - 1, seconds, (rss_kb(pid, "VmHWM") - before) / 1024


async def api_key(settings: Settings) -> str:
    """A new API key of the benchmark's admin (made on the first run)."""
    async with opened(settings.database_url) as store:
        if await store.user("bench") is None:
            await add_user(settings, store, "bench", "admin", [], "bench password long", "bench")
        return await new_key(store, "bench", "bench")


def serve(settings: Settings, work: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "SURVEY_DATABASE_URL": settings.database_url,
           "SURVEY_FORMS_DIR": settings.forms_dir, "SURVEY_SECRET_KEY": SECRET,
           "PYTHONPATH": str(ROOT)}
    log = (work / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "survey_service.app:create_app",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(work / 'server.log').read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc, port
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


# --------------------------------------------------------------------------- in process
async def in_process(settings: Settings, work: Path) -> dict[str, tuple[int, float]]:
    out: dict[str, tuple[int, float]] = {}
    async with opened(settings.database_url) as store:
        export = await prepare_export(settings, store, SMALL)
        for fmt in ("xlsx", "sav"):
            path = work / f"small.{fmt}"
            start = time.perf_counter()
            if fmt == "xlsx":
                rows = await write_xlsx(store, export, path, None)
            else:
                rows = await write_stats_file(store, export, path, "sav", "bg")
            out[fmt] = (rows, time.perf_counter() - start)
        csv_path = work / "small.csv"
        await export_wave(settings, store, SMALL, "csv", csv_path, CsvOptions())
        target = f"{EMPTY}-{int(time.time())}"  # a new empty wave on every run
        await open_wave(settings, store, SURVEY, target, "baseline", [],
                        parse_local("2026-01-01"), parse_local("2026-02-01"))
        start = time.perf_counter()
        result = await import_file(settings, store, target, csv_path)
        out["import"] = (result.stored, time.perf_counter() - start)
    return out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, default=None, help="keep and reuse the data here")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-exports-"))
    work.mkdir(parents=True, exist_ok=True)
    stamp = work / f"built-{FORMAT_VERSION}-{args.rows}-{args.small}"
    settings = settings_for(work)
    db = work / "db.sqlite3"
    try:
        if not stamp.exists():
            for old in work.glob("db.sqlite3*"):
                old.unlink()
            print(f"building {args.rows:,} + {args.small:,} responses in {work} ...")
            asyncio.run(build(settings, args.rows, args.small))
            stamp.touch()
        versions = [(v, decode_survey(d)) for v, d in sqlite3.connect(db).execute(
            "SELECT version, definition FROM form_versions WHERE survey_id = ?", (SURVEY,))]
        columns = plan_columns(versions[:1], free_text=True)
        results: dict[str, Any] = {}
        key = asyncio.run(api_key(settings))
        proc, port = serve(settings, work)
        try:
            http_export(port, proc.pid, SMALL, work / "warm.csv", key=key)  # warm up
            results["http_small"] = http_export(port, proc.pid, SMALL, work / "small-http.csv",
                                                key=key)
            results["http_gzip"] = http_export(port, proc.pid, SMALL, work / "small-gz.csv",
                                               gzip=True, key=key)
            results["http_big"] = http_export(port, proc.pid, BIG, work / "big-http.csv",
                                              key=key)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        results["floor_big"] = floor_csv(db, BIG, columns, work / "big-floor.csv")
        results["floor_fast"] = floor_csv(db, BIG, columns, work / "big-floor.csv", fast=True)
        results.update(asyncio.run(in_process(settings, work)))
        results["floor_import"] = floor_import(work / "small.csv", work)
        report(results, args)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    def rate(rows: int, seconds: float) -> float:
        return rows / seconds if seconds else float("inf")

    rows, secs, grow = r["http_big"]
    frows, fsecs = r["floor_big"]
    ratio = rate(rows, secs) / rate(frows, fsecs)
    srows, ssecs, sgrow = r["http_small"]
    print(f"\nwide CSV through HTTP, {rows:,} responses x 27 item columns:")
    print(f"  service  {rate(rows, secs):>10,.0f} rows/s  ({secs:.2f} s), server peak RSS "
          f"growth {grow:.1f} MB")
    print(f"  floor    {rate(frows, fsecs):>10,.0f} rows/s  ({fsecs:.2f} s)  csv.writer over "
          "a sqlite3 cursor")
    print(f"  ratio    {ratio:.0%} of the floor (goal >= 50 %): {verdict(ratio >= 0.5)}")
    qrows, qsecs = r["floor_fast"]
    print(f"  stricter floor with msgspec decoding: {rate(qrows, qsecs):,.0f} rows/s "
          f"({qsecs:.2f} s); the service makes {rate(rows, secs) / rate(qrows, qsecs):.0%}")
    print(f"  memory   {grow:.1f} MB (goal < 100 MB): {verdict(grow < 100)}")
    print(f"  {srows:,} responses in {ssecs:.2f} s (goal < 2 s for 100,000; growth "
          f"{sgrow:.1f} MB): {verdict(ssecs < 2.0 * srows / 100_000)}")
    grows, gsecs, ggrow = r["http_gzip"]
    print(f"  gzip-compressed (as a browser asks): {grows:,} responses in {gsecs:.2f} s "
          f"({rate(grows, gsecs):,.0f} rows/s, growth {ggrow:.1f} MB)")
    for fmt in ("xlsx", "sav"):
        n, s = r[fmt]
        print(f"{fmt:<5} {n:,} responses: {rate(n, s):,.0f} rows/s ({s:.2f} s)")
    n, s = r["import"]
    fn, fs = r["floor_import"]
    ratio = rate(n, s) / rate(fn, fs)
    print(f"import {n:,} responses: {rate(n, s):,.0f} rows/s ({s:.2f} s); floor "
          f"{rate(fn, fs):,.0f} rows/s ({fs:.2f} s): {ratio:.0%} (goal >= 30 %): "
          f"{verdict(ratio >= 0.3)}")


if __name__ == "__main__":
    main()

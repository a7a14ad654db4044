"""Does a request cost more as the answered wave grows? (issue 13, the soak's steady rate)

    .venv/bin/python benchmarks/wave_growth.py [--sizes 0,100000,200000] [--requests 300]
        [--database postgresql://postgres@127.0.0.1/postgres]

For each size, on a fresh database (a new SQLite file, or a new PostgreSQL database made
beside the one ``--database`` names and dropped afterwards): the demo's closed waves, the
soak's citizen wave prefilled with that many responses through the store's batch path (a
copy of one real submission under new keys, all of today), then the real app in-process
(ASGI, no network) serves the soak's requests one kind at a time. Printed per kind: this
process's CPU milliseconds per request (every thread: SQLite works on aiosqlite's threads;
the client's share is the same at every size), side by side for every size, and the ratio of
the largest size to the empty wave. Flat ratios (≈ 1.0) mean the server's cost per journey
does not grow with the wave; the live CSV (once a minute in the soak) necessarily does.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import pstats
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
from journey_lib import ANSWERS, FORM_PATH, HIDDEN, POST_PATH, THANKS_PATH  # noqa: E402
from soak import CLOSED_CSV, CSRF, PASSWORD, REPORT, WAVE, settle  # noqa: E402

from survey_service.app import create_app  # noqa: E402
from survey_service.settings import Settings  # noqa: E402
from survey_service.storage import open_store  # noqa: E402
from survey_service.storage.base import NewResponse, Store  # noqa: E402

SECRET = secrets.token_urlsafe(32)
CLK_TCK = os.sysconf("SC_CLK_TCK")
BATCH = 10_000
ROUNDS = 3


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    subprocess.run([sys.executable, "-m", "survey_service.cli", *args], env=env, input=stdin,
                   check=True, capture_output=True, text=True)


@asynccontextmanager
async def database(base: str | None, folder: Path, size: int) -> AsyncIterator[str]:
    """A fresh database's URL: a new SQLite file, or a PostgreSQL database made and dropped."""
    if base is None:
        yield f"sqlite:///{folder / f'growth-{size}-{secrets.token_hex(3)}.sqlite3'}"
        return
    import asyncpg

    name = f"wave_growth_{size}_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(base)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield base.rsplit("/", 1)[0] + "/" + name
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def prefill(store: Store, model: NewResponse, size: int) -> None:
    """``size`` copies of ``model`` under new submission keys, in batches."""
    for start in range(0, size, BATCH):
        tag = secrets.token_hex(4)
        await store.import_responses([
            NewResponse(**{**{f: getattr(model, f) for f in model.__struct_fields__},
                           "submission_key": f"prefill-{tag}-{i}"})
            for i in range(min(BATCH, size - start))
        ])


async def signed_in(client: httpx.AsyncClient, name: str) -> None:
    page = await client.get("/admin/login")
    r = await client.post("/admin/login", data={"_csrf_token": CSRF.findall(page.text)[0],
                                                "name": name, "password": PASSWORD})
    assert r.status_code == 303, (name, r.status_code)


def proc_cpu(pid: int) -> float:
    """CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


async def backends_cpu(url: str) -> float:
    """CPU seconds of the PostgreSQL server processes serving the database of ``url`` (0 for
    SQLite, whose work is done inside this process)."""
    if not url.startswith("postgres"):
        return 0.0
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        pids = await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname ="
                                " current_database() AND pid <> pg_backend_pid()")
    finally:
        await conn.close()
    return sum(proc_cpu(r[0]) for r in pids)


async def cost(url: str, n: int, one: Callable[[int], Awaitable[None]], profile: bool = False
               ) -> tuple[float, float]:
    """CPU milliseconds per call of ``one``: of this process (every thread), and of the
    database's server processes (PostgreSQL), each the least of ``ROUNDS`` rounds of ``n``
    calls (other sessions' load on a shared machine only ever adds); with ``profile``,
    cProfile's top functions of the event loop's thread in the last round printed too."""
    await one(-1)  # warm: caches and first-use work are not what is measured
    best = (float("inf"), float("inf"))
    for round_ in range(ROUNDS):
        profiler = cProfile.Profile(time.thread_time) if profile else None
        db = await backends_cpu(url)
        cpu = time.process_time()
        if profiler:
            profiler.enable()
        for i in range(n):
            await one(round_ * n + i)
        if profiler:
            profiler.disable()
        spent = (time.process_time() - cpu) * 1e3 / n
        db = (await backends_cpu(url) - db) * 1e3 / n
        best = (min(best[0], spent), min(best[1], db))
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    return best


async def measure(url: str, size: int, requests: int, profile: str | None = None
                  ) -> dict[str, tuple[float, float]]:
    settings = Settings.from_env({**os.environ, "SURVEY_DATABASE_URL": url,
                                  "SURVEY_SECRET_KEY": SECRET,
                                  "SURVEY_FORMS_DIR": str(ROOT / "forms"),
                                  "SURVEY_SUBMIT_LIMIT": "100000",
                                  "SURVEY_SUBMIT_WINDOW_SECONDS": "10"})
    store = open_store(url)
    app = create_app(settings, store=store)
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    base = "http://127.0.0.1"
    async with app.lifespan(), \
            httpx.AsyncClient(transport=transport, base_url=base) as citizen, \
            httpx.AsyncClient(transport=transport, base_url=base) as ana, \
            httpx.AsyncClient(transport=transport, base_url=base) as root:
        hidden = dict(HIDDEN.findall((await citizen.get(FORM_PATH)).text))
        nonce = secrets.token_hex(8)

        async def post(i: int) -> None:
            body = urlencode({**hidden, **ANSWERS, "_step": "5", "_action": "next",
                              "_key": f"{nonce}-{i + 2}"})
            r = await citizen.post(POST_PATH, content=body, headers={
                "content-type": "application/x-www-form-urlencoded"})
            assert r.status_code == 303, (r.status_code, r.text[:300])

        seen: list[NewResponse] = []
        submit = store.submit

        async def kept(response: NewResponse) -> None:
            seen.append(response)
            await submit(response)

        store.submit = kept  # type: ignore[method-assign]
        await post(-2)  # one real submission: the model of the prefilled ones
        store.submit = submit  # type: ignore[method-assign]
        started = time.perf_counter()
        await prefill(store, seen[0], size)
        filled = time.perf_counter() - started
        await settle(url)
        await signed_in(ana, "ana")
        await signed_in(root, "root")

        def get(client: httpx.AsyncClient, path: str) -> Callable[[int], Awaitable[None]]:
            async def one(_: int) -> None:
                r = await client.get(path)
                assert r.status_code == 200, (path, r.status_code)
            return one

        few = max(requests // 10, 2)
        kinds: dict[str, tuple[int, Callable[[int], Awaitable[None]]]] = {
            "form GET": (requests, get(citizen, FORM_PATH)),
            "POST": (requests, post),
            "thank-you": (requests, get(citizen, THANKS_PATH)),
            "dashboard": (few, get(ana, "/admin")),
            "report": (few, get(ana, REPORT)),
            "closed CSV": (few, get(ana, CLOSED_CSV)),
            "live CSV": (1, get(root, f"/admin/exports/{WAVE}/responses.csv")),
        }
        costs = {kind: await cost(url, n, one, kind == profile)
                 for kind, (n, one) in kinds.items()}
        print(f"  {size:>7,} responses (prefilled in {filled:.0f} s): "
              + ", ".join(f"{k} {v:.2f}+{db:.2f}" for k, (v, db) in costs.items()), flush=True)
        return costs


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,100000,200000")
    parser.add_argument("--requests", type=int, default=200,
                        help="per round of a citizen request kind (a tenth for the analyst's)")
    parser.add_argument("--database", default=None,
                        help="a PostgreSQL URL: fresh databases are made beside it")
    parser.add_argument("--profile", metavar="KIND", default=None,
                        help="cProfile this request kind (e.g. 'live CSV') at every size")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="wave-growth-") as tmp:
        for size in sizes:
            async with database(args.database, Path(tmp), size) as url:
                env = {**os.environ, "SURVEY_DATABASE_URL": url, "SURVEY_SECRET_KEY": SECRET,
                       "SURVEY_FORMS_DIR": str(ROOT / "forms")}
                await asyncio.to_thread(cli, env, "db", "migrate")
                await asyncio.to_thread(cli, env, "demo")
                await asyncio.to_thread(cli, env, "waves", "open", "citizen-satisfaction",
                                        "--id", WAVE, "--org", "elena")
                for name, role in (("root", "admin"), ("ana", "analyst")):
                    await asyncio.to_thread(cli, env, "users", "add", name, "--role", role,
                                            "--org", "elena", "--password-stdin",
                                            stdin=PASSWORD + "\n")
                results[size] = await measure(url, size, args.requests, args.profile)
    kinds = list(results[sizes[0]])
    tables = [("this process, client included", 0)]
    if args.database:
        tables.append(("PostgreSQL's server processes", 1))
    for title, column in tables:
        print(f"\nCPU ms per request ({'SQLite' if args.database is None else 'PostgreSQL'}; "
              f"{title})")
        print(f"{'kind':<12}" + "".join(f"{s:>10,}" for s in sizes) + f"{'ratio':>8}")
        for kind in kinds:
            row = [results[s][kind][column] for s in sizes]
            ratio = row[-1] / row[0] if row[0] else float("nan")
            print(f"{kind:<12}" + "".join(f"{v:>10.2f}" for v in row) + f"{ratio:>8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))

"""Where a citizen's short journey (GET form, POST every answer, GET thank-you) spends its time
inside the app: the real app on a fresh SQLite file, driven in-process through ASGI (no
network, no server), first timed, then under pyinstrument.

    .venv/bin/pip install pyinstrument
    .venv/bin/python benchmarks/profile_journey.py [--journeys 1500] [--concurrency 16]
        [--html profile.html]

Prints in-process journeys/s (one core, client included) and pyinstrument's call tree of the
app's frames.
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
from pathlib import Path
from urllib.parse import urlencode

import httpx
from journey_lib import ANSWERS, FORM_PATH, HIDDEN, POST_PATH, ROOT, SURVEY, THANKS_PATH, WAVE

SECRET = secrets.token_urlsafe(32)


async def journeys(client: httpx.AsyncClient, n: int, nonce: str) -> None:
    page = await client.get(FORM_PATH)
    assert page.status_code == 200, page.status_code
    hidden = dict(HIDDEN.findall(page.text))
    for i in range(n):
        await client.get(FORM_PATH)
        body = urlencode({**hidden, **ANSWERS, "_step": "5", "_action": "next",
                          "_key": f"{nonce}-{i}-{secrets.token_hex(4)}"})
        sent = await client.post(POST_PATH, content=body, headers={
            "content-type": "application/x-www-form-urlencoded"})
        assert sent.status_code == 303, (sent.status_code, sent.text[:300])
        assert (await client.get(THANKS_PATH)).status_code == 200


async def run(app: object, total: int, concurrency: int) -> tuple[float, float]:
    """Journeys/s (wall) and the event-loop thread's CPU milliseconds per journey (what one
    process can do on one core, whatever else the machine runs)."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    clients = [httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")
               for _ in range(concurrency)]
    start, cpu = time.perf_counter(), time.thread_time()
    await asyncio.gather(*(journeys(c, total // concurrency, f"c{n}{secrets.token_hex(3)}")
                           for n, c in enumerate(clients)))
    elapsed, cpu = time.perf_counter() - start, time.thread_time() - cpu
    for c in clients:
        await c.aclose()
    done = total // concurrency * concurrency
    return done / elapsed, cpu * 1e3 / done


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML here")
    parser.add_argument("--repeat", type=int, default=1, help="timed runs before profiling")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="cProfile on the loop thread's CPU time instead, top N lines")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    sys.path.insert(0, str(ROOT))
    from survey_service.app import create_app
    from survey_service.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="survey-profile-"))
    env = {**os.environ, "SURVEY_DATABASE_URL": f"sqlite:///{tmp / 'p.sqlite3'}",
           "SURVEY_SECRET_KEY": SECRET,
           "SURVEY_FORMS_DIR": str(ROOT / "forms"), "SURVEY_SUBMIT_LIMIT": "100000",
           "SURVEY_SUBMIT_WINDOW_SECONDS": "10"}
    await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "survey_service.cli", "waves", "open", SURVEY,
                         "--id", WAVE], env=env, check=True, capture_output=True)
    settings = Settings.from_env(env)
    app = create_app(settings)
    async with app.lifespan():  # type: ignore[attr-defined]
        await run(app, 200, args.concurrency)  # warm up
        for _ in range(args.repeat):
            rate, cpu_ms = await run(app, args.journeys, args.concurrency)
            print(f"in-process: {rate:,.0f} journeys/s wall; {cpu_ms:.3f} ms of the loop"
                  " thread's CPU per journey (client included)")
        if args.cprofile:
            profile = cProfile.Profile(time.thread_time)  # the loop thread's CPU only
            profile.enable()
            await run(app, args.journeys, args.concurrency)
            profile.disable()
            stats = pstats.Stats(profile)
            stats.sort_stats("tottime").print_stats(args.cprofile)
            stats.sort_stats("cumulative").print_stats(r"survey_service|litestar", args.cprofile)
            return 0
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        await run(app, args.journeys, args.concurrency)
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False, timeline=False))
    if args.html:
        args.html.write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))

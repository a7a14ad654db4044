"""``survey-service serve``."""

from __future__ import annotations

import errno
import gc
import logging
import os
import socket
from typing import TYPE_CHECKING

import click

from ..services import catalog
from ..services.errors import Unavailable
from ..services.waves import open_pilot_waves
from ..settings import Settings
from ..storage import StoreUnreachable, redact_url
from ..storage.base import Store
from ..surveys.loader import CatalogError
from .base import catalog_summary, settings, with_store

if TYPE_CHECKING:
    from litestar import Litestar

#: The app factory each worker process calls.
FACTORY = "survey_service.cli.serve:worker_app"
LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"
#: Seconds a worker process may take to answer the parent's health ping before it is killed
#: and replaced. uvicorn's default (5 s) is shorter than a spawned worker's start (Python,
#: numpy, scipy, Litestar) on a busy 2-core machine: the parent then killed every new worker
#: before it could answer, for ever ("Child process died" in a loop; seen at load 7).
WORKER_HEALTHCHECK_SECONDS = 60


async def _freeze_startup_objects(app: Litestar) -> None:
    """Once the app has started (forms, templates, translations, the libraries' modules
    loaded): everything alive now lives as long as the process, so the cyclic garbage
    collector stops walking it (``gc.freeze``). A full collection then looks only at what
    requests made since, instead of every long-lived object: a pause of tens of
    milliseconds in the middle of some request, the 99th percentile's latency."""
    gc.collect()
    gc.freeze()


def served(app: Litestar) -> Litestar:
    """The app as ``serve`` runs it (not the tests, which make many apps in one process)."""
    app.on_startup.append(_freeze_startup_objects)
    return app


def worker_app() -> Litestar:
    """The app of one of several worker processes: the settings from the environment, and the
    same log lines as a single process (a spawned worker starts with logging unconfigured)."""
    from ..app import create_app
    from ..web.slow_clients import configure

    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    app = create_app()
    config = app.state.site.settings
    configure(config.header_timeout_seconds, config.body_timeout_seconds)
    return served(app)


def default_workers(config: Settings) -> int:
    """Processes to serve with when ``--workers`` is not given: one per CPU on PostgreSQL,
    which takes writes from every process at once; one on SQLite, where a second process
    waits on the file's write lock (``benchmarks/journeys.py``: README "Benchmarks")."""
    if config.database_url.strip().startswith("sqlite:"):
        return 1
    return max(1, os.cpu_count() or 1)


def check_port(host: str, port: int) -> None:
    """Refuse at once, in one line saying what to do, a port another program holds (or one
    this user may not open), before anything else starts."""
    other = port + 1 if port < 65_535 else 8000
    how = f"choose another with `survey-service serve --port {other}` or SURVEY_PORT={other}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise Unavailable(
            f"cannot listen on '{host}': {exc} (check SURVEY_HOST or --host)"
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                reason = "is already in use by another program (another survey-service?)"
            elif exc.errno == errno.EACCES:
                reason = "needs administrator rights (ports below 1024)"
            else:
                reason = f"cannot be opened ({exc.strerror})"
            raise Unavailable(f"port {port} on {host} {reason}: stop that program, or {how} "
                              f"(SURVEY_PORT={other} make serve)") from None


@click.command("serve")
@click.option("--host", default=None, help="Listen address (default: SURVEY_HOST).")
@click.option("--port", type=click.IntRange(1, 65_535), default=None,
              help="Port (default: SURVEY_PORT).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Server processes (default: the number of CPUs on PostgreSQL, 1 on SQLite).")
@click.option(
    "--demo-waves",
    is_flag=True,
    help="Open a pilot wave of every citizen survey that has no open wave.",
)
def serve(host: str | None, port: int | None, workers: int | None, demo_waves: bool) -> None:
    """Check the forms, migrate the database and serve the app."""
    import uvicorn

    from ..app import create_app
    from ..web.errors import OneLinePerUpgrade
    from ..web.slow_clients import configure

    config = settings()
    bind_host, bind_port = host or config.host, port or config.port
    check_port(bind_host, bind_port)
    try:
        catalog.load(config)
    except CatalogError as exc:
        raise Unavailable(f"refusing to start, {catalog_summary(exc)}") from exc

    async def prepare(store: Store) -> None:
        if demo_waves:
            for wave in await open_pilot_waves(config, store):
                click.echo(f"opened demo wave {wave.id}")

    try:
        with_store(config, prepare)  # opening the store applies the migrations
    except StoreUnreachable as exc:  # e.g. PostgreSQL still starting: the app waits for it
        click.echo(f"warning: {exc}; serving anyway: pages answer 503 and /readyz says why"
                   " until the database answers", err=True)
    processes = workers or default_workers(config)
    where = redact_url(config.database_url)
    plural = "es" if processes > 1 else ""
    click.echo(f"serving on http://{bind_host}:{bind_port}/ (database {where},"
               f" {processes} process{plural})")
    logging.getLogger("uvicorn.error").addFilter(OneLinePerUpgrade())
    options = {
        "host": bind_host,
        "port": bind_port,
        "access_log": False,  # the app logs requests itself, without addresses or codes
        "server_header": False,
        "ws": "none",  # no WebSocket routes: an upgrade is a plain request, logged once at most
        # deadlines for headers and body (uvicorn has none): web/slow_clients.py
        "http": configure(config.header_timeout_seconds, config.body_timeout_seconds),
        "proxy_headers": bool(config.forwarded_allow_ips),
        "forwarded_allow_ips": config.forwarded_allow_ips or None,
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
    }
    if processes == 1:
        uvicorn.run(served(create_app(config)), **options)  # type: ignore[arg-type]
        return
    # every worker builds its own app from the environment: give them this process's key
    # (made beside a SQLite file, or a random one for PostgreSQL without SURVEY_SECRET_KEY),
    # so that a form served by one process is accepted by another
    os.environ["SURVEY_SECRET_KEY"] = config.secret_key
    uvicorn.run(FACTORY, factory=True, workers=processes, **options)  # type: ignore[arg-type]

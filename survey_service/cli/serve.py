"""``survey-service serve``."""

from __future__ import annotations

import logging

import click

from ..services import catalog
from ..services.errors import Unavailable
from ..services.waves import open_pilot_waves
from ..storage import redact_url
from ..storage.base import Store
from ..surveys.loader import CatalogError
from .base import catalog_summary, settings, with_store


@click.command("serve")
@click.option("--host", default=None, help="Listen address (default: SURVEY_HOST).")
@click.option("--port", type=click.IntRange(1, 65_535), default=None,
              help="Port (default: SURVEY_PORT).")
@click.option(
    "--demo-waves",
    is_flag=True,
    help="Open a pilot wave of every citizen survey that has no open wave.",
)
def serve(host: str | None, port: int | None, demo_waves: bool) -> None:
    """Check the forms, migrate the database and serve the app."""
    import uvicorn

    from ..app import create_app
    from ..web.errors import OneLinePerUpgrade

    config = settings()
    try:
        catalog.load(config)
    except CatalogError as exc:
        raise Unavailable(f"refusing to start, {catalog_summary(exc)}") from exc

    async def prepare(store: Store) -> None:
        if demo_waves:
            for wave in await open_pilot_waves(config, store):
                click.echo(f"opened demo wave {wave.id}")

    with_store(config, prepare)  # opening the store applies the migrations
    app = create_app(config)
    bind_host, bind_port = host or config.host, port or config.port
    where = redact_url(config.database_url)
    click.echo(f"serving on http://{bind_host}:{bind_port}/ (database {where})")
    logging.getLogger("uvicorn.error").addFilter(OneLinePerUpgrade())
    uvicorn.run(
        app,
        host=bind_host,
        port=bind_port,
        access_log=False,  # the app logs requests itself, without addresses or codes
        server_header=False,
        ws="none",  # no WebSocket routes: an upgrade is a plain request, logged once at most
        proxy_headers=bool(config.forwarded_allow_ips),
        forwarded_allow_ips=config.forwarded_allow_ips or None,
    )

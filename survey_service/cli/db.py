"""``survey-service db migrate``."""

from __future__ import annotations

import click

from ..storage import redact_url
from ..storage.base import Store
from .base import settings, with_store


@click.group()
def db() -> None:
    """The database."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply pending numbered migrations (serve does this too)."""
    config = settings()

    async def work(store: Store) -> list[int]:
        return store.applied  # opening the store applied them

    applied = with_store(config, work)
    where = redact_url(config.database_url)
    if applied:
        numbers = ", ".join(f"{n:04d}" for n in applied)
        click.echo(f"applied migrations {numbers} ({where})")
    else:
        click.echo(f"database is up to date, no migration to apply ({where})")

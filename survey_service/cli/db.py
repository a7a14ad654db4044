"""``survey-service db migrate`` and ``db copy``."""

from __future__ import annotations

import asyncio
import sys

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


@db.command("copy")
@click.option("--from", "source", required=True, metavar="URL",
              help="The database to copy (sqlite:///path or postgresql://...).")
@click.option("--to", "target", required=True, metavar="URL",
              help="The database to copy into: new and empty, or one an earlier copy stopped.")
def db_copy(source: str, target: str) -> None:
    """Copy every wave, code, response, account, audit entry, paper entry, kiosk and plan into
    another database (SQLite to PostgreSQL or back), resuming a copy that stopped; verified by
    counts and checksums. Sealed answers of open staff waves are not copied: close those waves
    first. Login sessions are not copied: everybody signs in again on the copy."""
    from ..storage.copy import copy_database

    # on a terminal only: in a log, the bar's label would be a line before any error's
    with click.progressbar(length=1, label="copying", file=sys.stderr, show_pos=True,
                           hidden=not sys.stderr.isatty()) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        result = asyncio.run(copy_database(source, target, progress))
    counts = ", ".join(f"{n} {c:,}" for n, c in result.tables.items())
    click.echo(f"copied {result.copied:,} rows into {redact_url(target)}; both hold {counts};"
               f" checksums equal ({result.checksum[:16]})")
    click.echo("serve the copy with the same SURVEY_SECRET_KEY as the original (for SQLite,"
               " the key kept in <database>.key unless SURVEY_SECRET_KEY is set)")

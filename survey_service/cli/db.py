"""``survey-service db migrate|copy|backup|restore``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

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


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(file: Path) -> None:
    """Write a consistent copy of the database to FILE (a new file) while the server runs:
    SQLite's backup API, with the sealed answers of open staff waves; pg_dump on PostgreSQL.
    The secret key is not in it: keep the key apart from the backups."""
    from ..services import backup as service
    from ..services.audit import cli_actor

    made = asyncio.run(service.backup(settings(), file, cli_actor()))
    sealed = f", with {made.sealed:,} sealed staff answers of open waves" if made.sealed else ""
    click.echo(f"backed up into {made.file} ({made.size:,} bytes{sealed}); sha256 {made.sha256}")


@db.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace everything in a database that is not empty.")
def db_restore(file: Path, force: bool) -> None:
    """Put the backup FILE into the database (stop the server first), then migrate it to this
    version and verify its audit log. A database that is not empty is refused without
    --force. Everybody signs in again afterwards."""
    from ..services import backup as service
    from ..services.audit import cli_actor

    config = settings()
    done = asyncio.run(service.restore(config, file, cli_actor(), force))
    where = redact_url(config.database_url)
    migrated = (f"; applied migrations {', '.join(f'{n:04d}' for n in done.migrations)}"
                if done.migrations else "")
    sealed = f"; {done.sealed:,} sealed staff answers put back" if done.sealed else ""
    click.echo(f"restored {done.file} into {where}{migrated}{sealed}")
    click.echo(f"audit log intact: {done.audit_entries} entries; last hash {done.audit_head}")

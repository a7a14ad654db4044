"""``survey-service import WAVE FILE``."""

from __future__ import annotations

from pathlib import Path

import click

from ..services import audit
from ..services.imports import ImportRefused, ImportResult
from ..services.imports import import_file as run_import
from ..storage.base import Store
from .base import echo_table, one_line, settings, with_store

#: Bad cells listed on the terminal at most (the count says how many there are).
SHOWN = 200


@click.command("import")
@click.argument("wave_id")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and store nothing.")
def import_file(wave_id: str, file: Path, dry_run: bool) -> None:
    """Import questionnaires from FILE (.csv or .xlsx laid out like `export --format csv`):
    each row is checked like a web submission; every bad cell is listed and nothing is stored
    unless the whole file is clean."""
    config = settings()

    async def run(store: Store) -> ImportResult:
        result = await run_import(config, store, wave_id, file, dry_run)
        await audit.record(store, audit.cli_actor(), "import", {
            "wave": wave_id, "rows": result.rows, "stored": result.stored,
            "dry_run": result.dry_run})
        return result

    try:
        result = with_store(config, run)
    except ImportRefused as exc:
        rows = [[str(p.row), p.column, one_line(p.value)[:40], p.why]
                for p in exc.problems[:SHOWN]]
        echo_table(["row", "column", "value", "why"], rows)
        if len(exc.problems) > SHOWN:
            click.echo(f"... and {len(exc.problems) - SHOWN} more")
        raise
    if result.dry_run:
        click.echo(f"{result.rows} rows are valid; nothing stored (--dry-run)")
    else:
        skipped = result.rows - result.stored
        more = f" ({skipped} imported before, skipped)" if skipped else ""
        click.echo(f"imported {result.stored} responses into {wave_id}{more}")

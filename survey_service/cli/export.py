"""``survey-service export WAVE --format ...``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..services import audit
from ..services.exports import FORMATS, CsvOptions, Written, export_wave
from ..storage.base import Store
from .base import settings, with_store


@click.command("export")
@click.argument("wave_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True,
              help="csv: one row per response; long: one row per answer; codebook; "
                   "indicators: the report against --baseline; xlsx; sav (SPSS); dta (Stata).")
@click.option("--out", "out", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="File to write (default: SURVEY_WAVE_DATE.EXT here); '-' for standard "
                   "output (CSV formats).")
@click.option("--delimiter", type=click.Choice([",", ";"]), default=",", show_default=True)
@click.option("--labels", type=click.Choice(["bg", "en"]), default=None,
              help="Labels in this language instead of codes (codes by default); the "
                   "language of the labels in xlsx, sav and dta files.")
@click.option("--excel-bg", is_flag=True,
              help="For Excel in a Bulgarian locale: ';' and a decimal comma.")
@click.option("--no-bom", is_flag=True, help="Leave out the UTF-8 byte order mark.")
@click.option("--baseline", default=None, help="The earlier wave (--format indicators).")
def export(wave_id: str, fmt: str, out: Path | None, delimiter: str, labels: str | None,
           excel_bg: bool, no_bom: bool, baseline: str | None) -> None:
    """Export a wave: its responses (wide or long), codebook or indicators as CSV, or its
    responses as xlsx, SPSS or Stata with labels. Staff waves only once closed."""
    config = settings()
    options = CsvOptions(delimiter=";" if excel_bg else delimiter, bom=not no_bom,
                         labels=labels, decimal_comma=excel_bg)
    to_stdout = out is not None and str(out) == "-"
    stream = sys.stdout.buffer if to_stdout else None

    async def run(store: Store) -> Written:
        written = await export_wave(config, store, wave_id, fmt, None if to_stdout else out,
                                    options, baseline, stream)
        await audit.record(store, audit.cli_actor(), "export",
                           {"wave": wave_id, "format": fmt})
        return written

    written = with_store(config, run)
    if written.path is not None:
        rows = "" if written.rows is None else f"{written.rows} responses "
        click.echo(f"wrote {rows}to {written.path}", err=to_stdout)

"""``survey-service training WAVE...``: the pooled training report (issue #19 §5)."""

from __future__ import annotations

import click

from ..reports.training_render import training_table
from ..services.training import compute_training
from .base import echo_json, settings, with_store


@click.command("training")
@click.argument("wave_ids", nargs=-1, required=True)
@click.option("--pre", "pre", multiple=True,
              help="A wave of the same knowledge check taken before the course (repeatable).")
@click.option("--org", "organisation", default=None, help="Only this organisation.")
@click.option("--lang", type=click.Choice(["bg", "en"]), default="bg", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def training(wave_ids: tuple[str, ...], pre: tuple[str, ...], organisation: str | None,
             lang: str, fmt: str) -> None:
    """Figures of training events, per event and pooled: participants (attendance recorded,
    else codes issued), responses, response rate, every indicator with its 95 % CI, the
    knowledge score and the then-and-now self-rating; with --pre, the knowledge check before
    the course against after it (Welch t, and paired t on panel codes). Needs no baseline."""
    config = settings()
    report = with_store(config, lambda store: compute_training(
        config, store, list(wave_ids), pre=list(pre), organisation=organisation, lang=lang))
    if fmt == "json":
        echo_json(report)
    else:
        click.echo(training_table(report))

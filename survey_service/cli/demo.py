"""``survey-service demo``."""

from __future__ import annotations

import click

from ..services.demo import create_demo_waves
from .base import settings, with_store


@click.command("demo")
@click.option("--survey", "survey_id", default="citizen-satisfaction", show_default=True)
@click.option(
    "--responses",
    type=click.IntRange(1),
    default=300,
    show_default=True,
    help="Responses per organisation and wave.",
)
@click.option("--seed", type=int, default=2026, show_default=True)
def demo(survey_id: str, responses: int, seed: int) -> None:
    """Create closed baseline and follow-up demo waves with synthetic responses.

    The follow-up shows a real improvement in timeliness, access and effort and none in staff
    competence and courtesy; the baseline also has more local-tax visitors and paper forms, so
    the crude and the adjusted change differ. Does nothing if the demo waves exist already.
    """
    config = settings()

    def progress(wave_id: str, done: int, total: int) -> None:
        click.echo(f"\r{wave_id}: {done}/{total} responses", nl=done == total, err=True)

    made = with_store(
        config,
        lambda store: create_demo_waves(config, store, survey_id, responses, seed, progress),
    )
    for wave in made:
        if wave.existed:
            click.echo(f"demo wave {wave.id} exists already")
        else:
            click.echo(f"created demo wave {wave.id} with {wave.responses} responses")

"""``survey-service demo``."""

from __future__ import annotations

import click

from ..services.catalog import load
from ..services.demo import create_demo_waves
from ..services.demo_sealed import create_sealed_demo_waves
from ..storage.base import Store
from .base import settings, with_store


@click.command("demo")
@click.option("--survey", "survey_id", default=None,
              help="Only this survey (default: every survey in forms/).")
@click.option(
    "--responses",
    type=click.IntRange(1),
    default=300,
    show_default=True,
    help="Responses per organisation and wave of a citizen survey.",
)
@click.option("--seed", type=int, default=2026, show_default=True)
def demo(survey_id: str | None, responses: int, seed: int) -> None:
    """Create closed demo waves with synthetic responses: baseline and follow-up of each
    citizen and staff survey, and two events of each training evaluation.

    Citizen follow-ups show a real improvement in timeliness, access and effort and none in
    staff competence and courtesy. Staff and training answers go through the sealed path
    (codes issued, answers sealed, mixed at the close). Does nothing for the demo waves that
    exist already.
    """
    config = settings()
    catalog = load(config)
    surveys = [survey_id] if survey_id else list(catalog.surveys)

    def progress(wave_id: str, done: int, total: int) -> None:
        click.echo(f"\r{wave_id}: {done}/{total} responses", nl=done == total, err=True)

    async def work(store: Store) -> list[tuple[str, int, bool]]:
        made: list[tuple[str, int, bool]] = []
        for sid in surveys:
            loaded = catalog.surveys.get(sid)
            if loaded is not None and loaded.survey.kind in ("staff", "training"):
                made += [(w.id, w.responses, w.existed)
                         for w in await create_sealed_demo_waves(config, store, sid, seed)]
            else:
                made += [(w.id, w.responses, w.existed) for w in await create_demo_waves(
                    config, store, sid, responses, seed, progress)]
        return made

    for wave_id, count, existed in with_store(config, work):
        if existed:
            click.echo(f"demo wave {wave_id} exists already")
        else:
            click.echo(f"created demo wave {wave_id} with {count} responses")

"""``survey-service results publish|unpublish|published``: the public results page."""

from __future__ import annotations

import click

from ..services import audit
from ..services.publish import publish_wave, published_waves, unpublish_wave
from ..storage.base import Store
from .base import echo_table, settings, with_store


@click.command("publish")
@click.argument("wave_id")
def publish(wave_id: str) -> None:
    """Put a closed wave's results on the public results page."""
    config = settings()

    async def work(store: Store) -> None:
        await publish_wave(store, wave_id, audit.cli_actor())
        await audit.record(store, audit.cli_actor(), "results-publish", {"wave": wave_id})

    with_store(config, work)
    click.echo(f"wave {wave_id} is on the public results page")


@click.command("unpublish")
@click.argument("wave_id")
def unpublish(wave_id: str) -> None:
    """Take a wave's results off the public results page."""
    config = settings()

    async def work(store: Store) -> None:
        await unpublish_wave(store, wave_id)
        await audit.record(store, audit.cli_actor(), "results-unpublish", {"wave": wave_id})

    with_store(config, work)
    click.echo(f"wave {wave_id} is no longer on the public results page")


@click.command("published")
def published() -> None:
    """The waves on the public results page."""
    config = settings()
    found = with_store(config, lambda store: published_waves(store))
    if not found:
        click.echo("no wave is published")
        return
    echo_table(["wave", "survey", "published", "by"],
               [[w.id, w.survey_id, p.published_at.isoformat(timespec="seconds"), p.actor]
                for w, p in found])


def add_commands(group: click.Group) -> None:
    for command in (publish, unpublish, published):
        group.add_command(command)

"""``survey-service retention run|status``."""

from __future__ import annotations

import datetime as dt

import click

from ..services import retention as service
from ..services.audit import cli_actor
from ..surveys.waves import SOFIA
from .base import echo_table, settings, with_store


@click.group()
def retention() -> None:
    """Free-text answers and staff code lists deleted once their wave's period is over."""


def _day(value: object) -> str:
    return value.astimezone(SOFIA).strftime("%Y-%m-%d") if isinstance(value, dt.datetime) else "-"


@retention.command("run")
def retention_run() -> None:
    """Purge what is due now (the server does the same once a day): free-text answers taken out
    of the responses, code lists replaced by their counts per unit; coded answers and every
    figure stay. Each purge is written to the audit log."""
    config = settings()
    done = with_store(config, lambda store: service.run(config, store, cli_actor()))
    if not done:
        click.echo("nothing is due: no free-text answers or code lists were deleted")
    for due in done:
        what = "free-text answers" if due.what == "text" else "invitation codes"
        unit = "responses" if due.what == "text" else "codes"
        click.echo(f"wave {due.wave}: deleted the {what} ({due.removed:,} {unit}),"
                   f" {due.days} days after it closed")


@retention.command("status")
def retention_status() -> None:
    """When each closed wave's free-text answers and code list are (or were) deleted."""
    config = settings()
    plan = with_store(config, lambda store: service.schedule(config, store))
    if not plan:
        click.echo("no closed wave: nothing to delete yet")
        return
    echo_table(["wave", "what", "days", "due", "deleted"],
               [[d.wave, d.what, str(d.days), _day(d.due), _day(d.purged)] for d in plan])

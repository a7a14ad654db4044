"""``survey-service kiosk enrol|list|revoke``."""

from __future__ import annotations

import datetime as dt
import os

import click

from ..services import kiosks as service
from .base import echo_table, settings, with_store


@click.group()
def kiosk() -> None:
    """Front-desk kiosks: devices an administrator enrolled to take citizens' answers."""


@kiosk.command("enrol")
@click.option("--org", "organisation", required=True, help="Organisation id.")
@click.option("--survey", "survey_id", default=None,
              help="Citizen survey id (default: every citizen survey of the organisation).")
@click.option("--label", default=None, help='A name for the device, e.g. "Front desk 1".')
@click.option("--valid-hours", type=click.IntRange(1, service.MAX_HOURS), default=24,
              show_default=True, help="How long the one-time link works.")
def kiosk_enrol(
    organisation: str, survey_id: str | None, label: str | None, valid_hours: int
) -> None:
    """Print a one-time link; open it on the kiosk's browser to make that device a kiosk."""
    config = settings()
    made, link = with_store(
        config,
        lambda store: service.enrol(config, store, organisation, survey_id, label, valid_hours),
    )
    expires = made.link_expires.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    click.echo(f"kiosk '{made.label}' for {organisation}"
               f"{f' ({survey_id})' if survey_id else ''}: open this link once, on the device,"
               f" before {expires}:")
    click.echo(f"  {link}")
    if not os.environ.get("SURVEY_SECRET_KEY"):
        click.echo("warning: SURVEY_SECRET_KEY is not set; a server without it makes a new key"
                   " at each start, and its kiosks then need enrolling again", err=True)


@kiosk.command("list")
def kiosk_list() -> None:
    """Every kiosk: label, organisation, survey and state."""
    config = settings()
    found = with_store(config, service.kiosks)
    if not found:
        click.echo("no kiosks (enrol one with `survey-service kiosk enrol --org ORG`)")
        return
    at = dt.datetime.now(dt.UTC)
    echo_table(
        ["label", "organisation", "survey", "state"],
        [[k.label, k.organisation, k.survey_id or "(all citizen surveys)",
          service.state(k, at)] for k in found],
    )


@kiosk.command("revoke")
@click.argument("label")
def kiosk_revoke(label: str) -> None:
    """Revoke a kiosk (a lost or retired device): it gets the ordinary web form again."""
    config = settings()
    with_store(config, lambda store: service.revoke(store, label))
    click.echo(f"revoked kiosk '{' '.join(label.split())}'")

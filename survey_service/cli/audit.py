"""``survey-service audit verify|list``."""

from __future__ import annotations

import click

from ..services import audit as service
from .base import echo_table, settings, with_store


@click.group()
def audit() -> None:
    """The audit log (sign-ins, wave changes, codes, exports, imports, user changes)."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain: exit 1 naming the first entry changed or removed."""
    verdict = with_store(settings(), service.verify)
    if verdict.problem is not None:
        raise click.ClickException(verdict.problem)
    click.echo(f"audit log intact: {verdict.count} entries; last hash {verdict.head or '-'}")


@audit.command("list")
@click.option("--last", type=click.IntRange(1, 100_000), default=50, show_default=True)
def audit_list(last: int) -> None:
    """The latest entries, newest first."""
    entries = with_store(settings(), lambda store: store.audit_entries(limit=last))
    if not entries:
        click.echo("the audit log is empty")
        return
    echo_table(
        ["#", "at (UTC)", "actor", "action", "detail"],
        [[str(e.seq), e.at, e.actor, e.action, e.detail] for e in entries],
    )

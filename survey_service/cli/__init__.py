"""The operator's commands: ``survey-service forms|db|waves|tokens|kiosk|report|results|
disclosure|plan|export|import|demo|serve|users|audit|retention``.

Each command parses its arguments, calls the service layer and prints; the root group
(:class:`~survey_service.cli.base.OperatorGroup`) turns every expected error into one line on
stderr and exit status 1. The same group is offered to Litestar's own CLI as
``litestar survey ...`` through :class:`SurveyCLIPlugin`, which ``create_app`` registers.
"""

from __future__ import annotations

import logging

import click
from litestar.plugins import CLIPluginProtocol

from . import (
    audit,
    db,
    demo,
    disclosure,
    export,
    forms,
    imports,
    kiosk,
    plan,
    report,
    results,
    retention,
    serve,
    tokens,
    users,
    waves,
)
from .base import OperatorGroup


@click.group(cls=OperatorGroup)
@click.version_option(package_name="survey-service")
def cli() -> None:
    """Citizen and staff surveys with before/after service-quality indicators."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


for command in (
    forms.forms,
    db.db,
    waves.waves,
    tokens.tokens,
    kiosk.kiosk,
    report.report,
    results.results,
    disclosure.disclosure,
    plan.plan,
    demo.demo,
    export.export,
    imports.import_file,
    serve.serve,
    users.users,  # accounts (issue 10)
    audit.audit,
    retention.retention,  # issue 13
):
    cli.add_command(command)


class SurveyCLIPlugin(CLIPluginProtocol):
    """Adds the operator's commands to Litestar's CLI as ``litestar survey ...``."""

    def on_cli_init(self, litestar_cli: click.Group) -> None:
        litestar_cli.add_command(cli, name="survey")


def main() -> None:
    cli(prog_name="survey-service")


__all__ = ["SurveyCLIPlugin", "cli", "main"]

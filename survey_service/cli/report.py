"""``survey-service report``."""

from __future__ import annotations

import click

from ..reports.breakdown import Breakdown, breakdown_csv, breakdown_table
from ..reports.render import to_csv, to_json, to_table
from ..services.reports import BY, compute_report
from .base import echo_json, settings, with_store


@click.command("report")
@click.argument("survey_id")
@click.option("--baseline", required=True, help="Baseline wave id.")
@click.option("--follow-up", "follow_up", required=True, help="Follow-up wave id.")
@click.option("--org", "organisation", default=None, help="Only this organisation.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--lang", type=click.Choice(["bg", "en"]), default="bg", show_default=True)
@click.option(
    "--items/--no-items",
    default=True,
    show_default=True,
    help="Also compare every single item (exploratory).",
)
@click.option(
    "--by",
    type=click.Choice(BY),
    default=None,
    help="Show the indicators by group instead (small groups hidden).",
)
def report(
    survey_id: str,
    baseline: str,
    follow_up: str,
    organisation: str | None,
    fmt: str,
    lang: str,
    items: bool,
    by: str | None,
) -> None:
    """The expected-results table: each indicator at baseline and follow-up, the change with
    its 95 % CI, test, raw and adjusted p, effect size, n per wave and target status."""
    config = settings()
    result = with_store(
        config,
        lambda store: compute_report(
            config, store, survey_id, baseline, follow_up, organisation, lang, items, by
        ),
    )
    if isinstance(result, Breakdown):
        if fmt == "csv":
            click.echo(breakdown_csv(result), nl=False)
        elif fmt == "json":
            echo_json(result)
        else:
            click.echo(breakdown_table(result, lang))
    elif fmt == "csv":
        click.echo(to_csv(result), nl=False)
    elif fmt == "json":
        click.echo(to_json(result).decode())
    else:
        click.echo(to_table(result))

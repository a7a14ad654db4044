"""``survey-service results``: the project report of every expected result."""

from __future__ import annotations

import click

from ..i18n import translations
from ..reports.project import ALL, to_csv, to_json, to_table
from ..services.catalog import load
from ..services.results import compute_results
from .base import settings, with_store
from .publish import add_commands


@click.group("results", invoke_without_command=True)
@click.option("--org", "organisation", default=None, help="Only this organisation.")
@click.option("--lang", type=click.Choice(["bg", "en"]), default="bg", show_default=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
    show_default=True,
)
@click.option("--baseline", multiple=True, help="Use this baseline wave for its survey.")
@click.option("--follow-up", "follow_up", multiple=True,
              help="Use this follow-up wave for its survey.")
@click.option("--training", multiple=True,
              help="Use these training waves (repeat) instead of every training wave.")
@click.pass_context
def results(
    ctx: click.Context, organisation: str | None, lang: str, fmt: str, baseline: tuple[str, ...],
    follow_up: tuple[str, ...], training: tuple[str, ...],
) -> None:
    """Every expected result of the project across all surveys: status of each (met, not
    met, not significant, not computable and why), for all organisations and for each.

    `results publish WAVE` / `unpublish WAVE` put a closed wave on the public results page
    or take it off; `results published` lists what is on it."""
    if ctx.invoked_subcommand is not None:
        return
    config = settings()
    report = with_store(
        config,
        lambda store: compute_results(config, store, organisation, lang, baseline, follow_up,
                                      training),
    )
    if fmt == "csv":
        click.echo(to_csv(report), nl=False)
    elif fmt == "json":
        click.echo(to_json(report).decode())
    else:
        _ = translations(lang).gettext
        names = {ALL: _("all organisations together")}
        names |= {o.id: o.name.get(lang) for o in load(config).organisations.values()}
        click.echo(to_table(report, names))


add_commands(results)

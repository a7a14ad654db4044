"""``survey-service report``."""

from __future__ import annotations

import click

from ..reports.render import to_csv, to_json, to_table
from ..reports.rows import Report as ReportType
from ..services.errors import Invalid
from ..services.groups import compute_breakdown
from ..services.reports import BY, compute_report
from .base import settings, with_store
from .trend import print_groups, trend_report


@click.command("report")
@click.argument("survey_id")
@click.argument("waves", nargs=-1)
@click.option("--baseline", default=None, help="Baseline wave id.")
@click.option("--follow-up", "follow_up", default=None, help="Follow-up wave id.")
@click.option("--trend", is_flag=True,
              help="A trend over the WAVES given (in order: baseline, follow-up, the annual "
                   "rounds after it).")
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
    default=None,
    help=f"Show the indicators by group instead, each with its CI and change (small groups "
         f"hidden): {', '.join(BY)}, or question:ID for a single-choice question of the form.",
)
@click.option("--channel", default=None,
              help="With --by question:ID: only this contact channel (its answer code).")
def report(
    survey_id: str,
    waves: tuple[str, ...],
    baseline: str | None,
    follow_up: str | None,
    trend: bool,
    organisation: str | None,
    fmt: str,
    lang: str,
    items: bool,
    by: str | None,
    channel: str | None,
) -> None:
    """The expected-results table: each indicator at baseline and follow-up, the change with
    its 95 % CI, test, raw and adjusted p, effect size, n per wave and target status.

    With --trend WAVE WAVE..., each indicator per wave and its change from the first and the
    previous wave (with --by question:ID, per group of that question)."""
    config = settings()
    if trend or waves:
        if not trend:
            raise Invalid(f"unexpected argument '{waves[0]}': give the waves of a trend after "
                          "--trend")
        trend_report(survey_id, waves, baseline, follow_up, organisation, channel, fmt, lang,
                     by)
        return
    if baseline is None or follow_up is None:
        raise Invalid("give --baseline and --follow-up, or --trend and the waves")
    if by is not None or channel is not None:  # each group's CI, change and test
        print_groups(with_store(config, lambda store: compute_breakdown(
            config, store, survey_id, baseline, follow_up, by or "", organisation, channel,
            lang)), fmt)
        return
    result = with_store(
        config,
        lambda store: compute_report(
            config, store, survey_id, baseline, follow_up, organisation, lang, items
        ),
    )
    assert isinstance(result, ReportType)
    if fmt == "csv":
        click.echo(to_csv(result), nl=False)
    elif fmt == "json":
        click.echo(to_json(result).decode())
    else:
        click.echo(to_table(result))

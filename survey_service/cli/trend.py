"""``survey-service report SURVEY --trend WAVE WAVE...`` and ``report --by question:ID``."""

from __future__ import annotations

import click

from ..reports import groups_render, trend_render
from ..reports.group_plan import CHANNEL
from ..reports.groups import Groups
from ..services.errors import Invalid
from ..services.groups import GROUPINGS, QUESTION, compute_groups, compute_groups_by
from ..services.trend import compute_trend
from .base import settings, with_store

__all__ = ["QUESTION", "print_groups", "trend_report"]


def print_groups(groups: Groups, fmt: str) -> None:
    """A breakdown as a table, CSV or JSON."""
    if fmt == "csv":
        click.echo(groups_render.to_csv(groups), nl=False)
    elif fmt == "json":
        click.echo(groups_render.to_json(groups).decode())
    else:
        click.echo(groups_render.to_text(groups))


def trend_report(config_survey: str, waves: tuple[str, ...], baseline: str | None,
                 follow_up: str | None, organisation: str | None, channel: str | None,
                 fmt: str, lang: str, by: str | None) -> None:
    """Print the trend over ``waves`` (or, with ``by`` = ``question:ID``, the groups)."""
    config = settings()
    if baseline is not None or follow_up is not None:
        raise Invalid("a trend takes its waves in order after --trend, without --baseline "
                      "and --follow-up")
    if by is not None:
        if by.startswith(QUESTION):
            groups = with_store(config, lambda store: compute_groups(
                config, store, config_survey, waves, by[len(QUESTION):], organisation,
                channel, lang))
        elif channel is not None or by not in (*GROUPINGS, CHANNEL):
            raise Invalid(f"--channel filters only a breakdown by a question "
                          f"('{QUESTION}ID'); a trend breaks down by {', '.join(GROUPINGS)}, "
                          f"{CHANNEL} or a question, not by '{by or 'nothing'}'")
        else:
            groups = with_store(config, lambda store: compute_groups_by(
                config, store, config_survey, waves, by, organisation, lang))
        print_groups(groups, fmt)
        return
    if channel is not None:
        raise Invalid("--channel filters a breakdown by question (--by question:ID)")
    trend = with_store(config, lambda store: compute_trend(
        config, store, config_survey, waves, organisation, lang))
    if fmt == "csv":
        click.echo(trend_render.to_csv(trend), nl=False)
    elif fmt == "json":
        click.echo(trend_render.to_json(trend).decode())
    else:
        click.echo(trend_render.to_text(trend))

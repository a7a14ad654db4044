"""``survey-service disclosure audit``."""

from __future__ import annotations

import sys

import click

from ..services.audit_shown import Interval
from ..services.disclosure_audit import audit
from .base import echo_json, echo_table, settings, with_store


@click.group()
def disclosure() -> None:
    """Check that small groups stay hidden across everything the service publishes."""


@disclosure.command("audit")
@click.argument("wave_ids", nargs=-1, required=True, metavar="WAVE [WAVE ...]")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--exact", is_flag=True,
              help="Attack every cell of the breakdowns exactly (slow on large waves) instead "
                   "of proving most of them wide enough.")
def disclosure_audit(wave_ids: tuple[str, ...], as_json: bool, exact: bool) -> None:
    """Produce every report and breakdown of the waves (every option and order), attack them
    with linear programming knowing every published figure and count, and print the narrowest
    interval of each hidden cell; exit 1 if a small group's is narrower than
    SURVEY_PROTECTION_LEVEL. A width marked ">=" was proved by answers the attacker cannot
    rule out, without computing the narrowest interval (which holds it)."""
    config = settings()
    found, outputs = with_store(config, lambda store: audit(config, store, list(wave_ids), exact,
                                                            _progress))
    exposed = [i for i in found if i.exposed]
    if as_json:
        echo_json({"outputs": outputs, "protection_level": config.protection_level,
                   "intervals": found, "exposed": len(exposed)})
    else:
        _print(found, outputs, config.protection_level)
    if exposed:
        worst = min(exposed, key=lambda i: (i.width != i.width, i.width))  # nan: last
        found_ = ("no solution (the audit's model of the published figures is wrong)"
                  if worst.width != worst.width else f"{worst.low:.1f} to {worst.high:.1f}")
        raise click.ClickException(
            f"{len(exposed)} small-group figure(s) narrower than the protection level, e.g. "
            f"{worst.figure} of {worst.cell} in {worst.wave}: {found_}"
        )


def _progress(message: str) -> None:
    """What the audit is doing, on a terminal only (stdout stays the table or the JSON)."""
    if sys.stderr.isatty():
        click.echo(f"{message}...", err=True)


def _print(found: list[Interval], outputs: int, level: float) -> None:
    click.echo(f"{outputs} outputs read; protection level {level:g} points on 0-100 scales")
    header = ["wave", "figure", "cell", "n", "low", "high", "width", "needed", "small", "ok"]
    rows = [
        [i.wave, i.figure, i.cell, str(i.n), *_ends(i),
         f"{i.needed:.2f}", "yes" if i.sensitive else "no",
         "NO" if i.exposed else "yes"]
        for i in found
    ]
    if rows:
        echo_table(header, rows)
    else:
        click.echo("no hidden cell")


def _ends(i: Interval) -> list[str]:
    """Low, high and width; when not exact, the narrowest interval reaches at least as far."""
    if i.exact:
        return [f"{i.low:.2f}", f"{i.high:.2f}", f"{i.width:.2f}"]
    return [f"<={i.low:.2f}", f">={i.high:.2f}", f">={i.width:.2f}"]

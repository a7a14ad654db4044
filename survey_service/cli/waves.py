"""``survey-service waves open|close|set|status|list``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from ..services import audit, reports, retention
from ..services import waves as service
from ..services.distributions import plan_when_closed
from ..services.errors import Invalid
from ..services.groups import plan_breakdowns
from ..storage.base import Store
from ..surveys.waves import Wave, now, parse_local
from .base import cell, echo_json, echo_table, settings, with_store


@click.group()
def waves() -> None:
    """Open, close and list the waves of a survey."""


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_local(value)
    except ValueError as exc:
        raise Invalid(str(exc)) from exc


@waves.command("open")
@click.argument("survey")
@click.option("--id", "wave_id", help="Wave id (default: SURVEY-PHASE-YEAR).")
@click.option("--phase", type=click.Choice(service.PHASES), default="baseline", show_default=True)
@click.option(
    "--org",
    "organisations",
    multiple=True,
    help="Organisation id (repeat for several; default: all).",
)
@click.option("--starts", help="Opens by itself at this Europe/Sofia time (YYYY-MM-DD[ HH:MM]).")
@click.option("--ends", help="Closes by itself at this Europe/Sofia time (YYYY-MM-DD[ HH:MM]).")
@click.option(
    "--structure", help="Staff waves: structure id in organisations.toml (default: the newest)."
)
@click.option(
    "--yes", is_flag=True, help="Open even if items changed meaning since an earlier wave."
)
def waves_open(
    survey: str,
    wave_id: str | None,
    phase: str,
    organisations: tuple[str, ...],
    starts: str | None,
    ends: str | None,
    structure: str | None,
    yes: bool,
) -> None:
    """Open a wave of SURVEY, freezing its form version; say what changed since the survey's
    earlier waves, and ask for --yes before a change breaks comparability with one of them."""
    config = settings()
    start_at, end_at = _parse_time(starts), _parse_time(ends)

    async def work(store: Store) -> Wave:
        check = await service.version_changes(config, store, survey, start_at)
        for line in check.lines():
            click.echo(line)
        wave = await service.open_wave(
            config, store, survey, wave_id, phase, list(organisations), start_at, end_at,
            structure, yes=yes,
        )
        await audit.record(store, audit.cli_actor(), "wave-open", {  # audit log (issue 10)
            "wave": wave.id, "survey": survey, "phase": phase,
            "organisations": list(organisations), "starts": starts, "ends": ends})
        return wave

    wave = with_store(config, work)
    click.echo(
        f"opened wave {wave.id} of {wave.survey_id}, form version {wave.version}"
        f" ({wave.state(now())})"
    )


@waves.command("close")
@click.argument("wave_id")
@click.option("--breakdowns", is_flag=True,
              help="Also plan now the breakdowns by every question of the form, in the "
                   "form's order (slower; otherwise each is planned when first asked for, "
                   "and the order of those requests decides which breakdown hides more).")
def waves_close(wave_id: str, breakdowns: bool) -> None:
    """Close a wave now."""
    config = settings()

    async def work(store: Store) -> tuple[Wave, list[str], bool]:
        closed = await service.close_wave(config, store, wave_id)
        await audit.record(store, audit.cli_actor(), "wave-close", {"wave": wave_id})
        return closed

    async def plan(store: Store) -> bool:
        return await plan_when_closed(config, store, await service.find_wave(store, wave_id))

    wave, mixed, elsewhere = with_store(config, work)
    click.echo(f"closed wave {wave.id}")
    for other in mixed:
        click.echo(f"mixed the answers of {other}: results may now be shown")
    if elsewhere:
        click.echo(f"the answers of {wave.id} were mixed by the running server")
    # the disclosure plan every output follows, kept with the closed wave (issue #14): made
    # now, once, rather than by the first report that someone waits for
    click.echo(f"planning which small groups of {wave.id} every output hides ...")
    try:
        planned = with_store(config, plan)
    except Exception as exc:  # the wave is closed; its first output will plan it instead
        click.echo(f"warning: the disclosure plan of {wave.id} was not made now ({exc}); the"
                   " first output about it will make it", err=True)
        return
    if planned and breakdowns:
        click.echo(f"planning the breakdowns of {wave.id} by each question of the form ...")
        try:
            questions = with_store(config, lambda store: plan_breakdowns(
                config, store, wave, lambda w, q: click.echo(f"  {w} by {q} ...")))
        except Exception as exc:  # each is planned when first asked for instead
            click.echo(f"warning: the breakdowns of {wave.id} were not planned now ({exc});"
                       " each will be planned when first asked for", err=True)
        else:
            click.echo(f"planned the breakdowns of {wave.id} by {', '.join(questions)}")
    if planned:
        click.echo(f"planned which small groups of {wave.id} every output hides")
    else:
        click.echo(f"not planned now: the answers of {wave.id} are not mixed yet; its first"
                   " output will plan it")


@waves.command("status")
@click.argument("wave_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def waves_status(wave_id: str, as_json: bool) -> None:
    """Invitation codes issued and used, and the response rate per unit (live counts; answers
    of a staff wave stay sealed until it closes)."""
    config = settings()
    status = with_store(config, lambda store: reports.response_rates(store, wave_id))
    if as_json:
        echo_json(status)
        return
    click.echo(f"wave {status['wave']} ({status['state']})")
    header = ["organisation", "unit", "head_count", "issued", "used", "response_rate"]

    def shown(row: dict[str, Any], h: str) -> str:  # rounded here, on display only
        rate = row[h] if h == "response_rate" else None
        return f"{rate:.1f}" if rate is not None else cell(row[h])

    rows = [[shown(u, h) for h in header] for u in status["units"]]
    total = status["total"]
    rows.append(["total", "", *(shown(total, h) for h in header[2:])])
    echo_table(header, rows)


@waves.command("set")
@click.argument("wave_id")
@click.option(
    "--min-group",
    type=int,
    default=None,
    help=f"Smallest group figures may describe (5 to {service.MAX_MIN_GROUP:,}).",
)
@click.option(
    "--panel/--no-panel",
    default=None,
    help="Staff waves: let respondents give a self-made panel code (off by default).",
)
@click.option("--retention-text", type=int, default=None, metavar="DAYS",
              help="Days after the wave closes that its free-text answers are kept.")
@click.option("--retention-codes", type=int, default=None, metavar="DAYS",
              help="Days after the wave closes that its list of staff codes is kept.")
def waves_set(wave_id: str, min_group: int | None, panel: bool | None,
              retention_text: int | None, retention_codes: int | None) -> None:
    """Change a wave's anonymity settings (refused once the wave has a response) or its
    retention periods (at any time)."""
    config = settings()
    keep = retention_text is not None or retention_codes is not None

    async def work(store: Store) -> None:
        if min_group is not None or panel is not None or not keep:
            await service.set_wave(config, store, wave_id, min_group, panel)
        if keep:
            await retention.set_retention(store, wave_id, retention_text, retention_codes)
        await audit.record(store, audit.cli_actor(), "wave-set", {
            "wave": wave_id, "min_group": min_group, "panel": panel,
            "retention_text": retention_text, "retention_codes": retention_codes})

    with_store(config, work)
    if retention_text is not None:
        click.echo(f"wave {wave_id}: free-text answers kept {retention_text} days after it"
                   " closes")
    if retention_codes is not None:
        click.echo(f"wave {wave_id}: code list kept {retention_codes} days after it closes")
    if min_group is not None:
        click.echo(f"wave {wave_id}: smallest reported group is now {min_group}")
    if panel is not None:
        click.echo(f"wave {wave_id}: panel codes {'on' if panel else 'off'}")


@waves.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def waves_list(as_json: bool) -> None:
    """List every wave with its state and response count."""
    data = with_store(settings(), service.wave_summaries)
    if as_json:
        echo_json(data)
        return
    if not data:
        click.echo("no waves")
        return
    header = ["id", "survey", "phase", "state", "organisations", "starts", "ends", "responses"]
    rows = [[",".join(d[h]) if h == "organisations" else cell(d[h]) for h in header] for d in data]
    echo_table(header, rows)

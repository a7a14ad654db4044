"""``survey-service fieldwork add|import|show WAVE``: forms handed out, visitors counted and
training participants per day and organisation (issue #19 §1)."""

from __future__ import annotations

from pathlib import Path

import click

from ..services import audit
from ..services import fieldwork as service
from ..services.errors import Invalid
from .base import cell, echo_json, echo_table, settings, with_store


@click.group()
def fieldwork() -> None:
    """Fieldwork records of a wave: the response rates of the report come from them."""


@fieldwork.command("add")
@click.argument("wave_id")
@click.option("--org", "organisation", required=True, help="Organisation id.")
@click.option("--day", required=True, help="The day (YYYY-MM-DD or DD.MM.YYYY).")
@click.option("--handed-out", "handed_out", default=None,
              help="Paper forms handed out that day.")
@click.option("--visitors", default=None, help="Visitors counted that day.")
@click.option("--attended", default=None, help="Training events: participants that day.")
def fieldwork_add(wave_id: str, organisation: str, day: str, handed_out: str | None,
                  visitors: str | None, attended: str | None) -> None:
    """Record one day's counts (a count left out keeps what was recorded before)."""
    when = service.parse_day(day)
    forms = service.parse_count("--handed-out", handed_out)
    counted = service.parse_count("--visitors", visitors)
    present = service.parse_count("--attended", attended)
    config = settings()
    saved = with_store(config, lambda store: service.record(
        config, store, wave_id, organisation, when, handed_out=forms, visitors=counted,
        attended=present, actor=audit.cli_actor()))
    click.echo(f"recorded {wave_id} {organisation} {saved.day}: forms {cell(saved.handed_out)},"
               f" visitors {cell(saved.visitors)}, participants {cell(saved.attended)}")


@fieldwork.command("import")
@click.argument("wave_id")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--org", "organisation", default=None,
              help="Organisation id, when the file has no organisation column.")
def fieldwork_import(wave_id: str, file: Path, organisation: str | None) -> None:
    """Import a queue system's daily export (CSV: a date column and a visitors column, and
    optionally organisation and forms handed out); all or nothing."""
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(f"{file}: not UTF-8 text (save the export as CSV UTF-8)") from None
    except OSError as exc:
        raise Invalid(f"cannot read {file}: {exc.strerror or exc}") from None
    config = settings()
    days = with_store(config, lambda store: service.import_queue(
        config, store, wave_id, text, organisation, audit.cli_actor()))
    click.echo(f"imported {days} days into {wave_id}")


def _pct(value: object) -> str:
    return "-" if value is None else f"{float(value):.1f} %"  # type: ignore[arg-type]


@fieldwork.command("show")
@click.argument("wave_id")
@click.option("--org", "organisation", default=None, help="Only this organisation.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def fieldwork_show(wave_id: str, organisation: str | None, fmt: str) -> None:
    """The days recorded and the response rates (AAPOR RR1 paper, CON1, RR1 every mode)."""
    config = settings()
    found = with_store(config, lambda store: service.summary(store, wave_id, organisation))
    if fmt == "json":
        echo_json(found)
        return
    click.echo(f"{found.wave} ({found.survey}): {cell(found.starts)} – {cell(found.ends)}")
    if found.days:
        echo_table(["organisation", "day", "forms", "visitors", "participants", "source", "by"],
                   [[d.organisation, str(d.day), cell(d.handed_out), cell(d.visitors),
                     cell(d.attended), d.source, d.entered_by] for d in found.days])
    else:
        click.echo("no fieldwork recorded")
    echo_table(["organisation", "days", "forms", "paper back", "RR1 paper", "visitors",
                "CON1", "responses", "RR1 every mode"],
               [[t["organisation"] or "all", str(t["days"]), cell(t.get("handed_out")),
                 str(t["paper"]), _pct(t.get("rr_paper")), cell(t.get("visitors")),
                 _pct(t.get("contact_rate")), str(t["responses"]), _pct(t.get("rr_visitors"))]
                for t in found.totals])

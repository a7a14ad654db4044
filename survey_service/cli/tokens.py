"""``survey-service tokens issue|revoke``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click

from ..services import audit
from ..services import tokens as service
from ..storage.base import Store
from .base import settings, with_store

LOOPBACK = {"localhost", "::1", "0.0.0.0"}  # noqa: S104 (a name to warn about, not to bind)


@click.group()
def tokens() -> None:
    """Invitation codes for staff and training surveys."""


@tokens.command("issue")
@click.argument("wave_id")
@click.option("--org", "organisation", required=True, help="Organisation id.")
@click.option("--unit", required=True, help="Unit id (staff) or any label (training).")
@click.option("--count", type=int, required=True, help=f"1 to {service.MAX_CODES}.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the CSV and the printable slips.",
)
def tokens_issue(wave_id: str, organisation: str, unit: str, count: int, out_dir: Path) -> None:
    """Issue COUNT single-use codes for a unit: a CSV and an A4 sheet of slips to cut out.

    Only keyed hashes of the codes are stored; the two files are the only copies of the codes.
    Hand them out in sealed envelopes, then destroy the files.
    """
    config = settings()

    async def work(store: Store) -> tuple[Path, Path]:
        files = await service.issue_tokens(config, store, wave_id, organisation, unit, count,
                                           out_dir)
        await audit.record(store, audit.cli_actor(), "codes-issue", {  # audit log (issue 10)
            "wave": wave_id, "organisation": organisation, "unit": unit, "count": count})
        return files

    csv_file, slips = with_store(config, work)
    click.echo(f"issued {count} codes for {organisation}/{unit} in wave {wave_id}:")
    click.echo(f"  {csv_file}")
    click.echo(f"  {slips}  (print on A4, cut along the lines)")
    host = urlsplit(config.public_url).hostname or ""
    if host in LOOPBACK or host.startswith("127."):
        click.echo(
            f"warning: the slips point at {config.public_url}, which staff cannot open from "
            "their phones: set SURVEY_PUBLIC_URL to the public address and issue them again",
            err=True,
        )


@tokens.command("revoke")
@click.argument("code")
def tokens_revoke(code: str) -> None:
    """Make a code unusable (a lost slip); then issue a new one with `tokens issue`."""
    config = settings()

    async def work(store: Store) -> None:
        await service.revoke_token(config, store, code)
        await audit.record(store, audit.cli_actor(), "code-revoke", {})

    with_store(config, work)
    click.echo("revoked")

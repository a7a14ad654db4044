"""``survey-service forms check``."""

from __future__ import annotations

from pathlib import Path

import click

from ..surveys.loader import check_catalog
from .base import settings


@click.group()
def forms() -> None:
    """Survey files in the forms folder."""


@forms.command("check")
@click.option(
    "--dir",
    "forms_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Forms folder (default: SURVEY_FORMS_DIR or ./forms).",
)
def forms_check(forms_dir: Path | None) -> None:
    """Validate every survey file; exit non-zero naming file, question and problem."""
    folder = forms_dir or Path(settings().forms_dir)
    catalog, problems = check_catalog(folder)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    for loaded in catalog.surveys.values():
        n = sum(len(q.item_ids()) for q in loaded.survey.questions())
        click.echo(
            f"ok  {loaded.file}: {loaded.survey.id}, {len(loaded.survey.sections)} sections,"
            f" {n} items, version {loaded.version}"
        )
    click.echo(f"ok  organisations: {', '.join(catalog.organisations)}")
    if catalog.project_results:
        click.echo(f"ok  expected results: {', '.join(r.id for r in catalog.project_results)}")

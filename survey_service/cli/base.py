"""What every command shares: the settings, a store for the length of a command, tables, and
the one place where an expected operator error becomes one line on stderr and exit status 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import click
import msgspec

from ..keyfile import fingerprint, mismatch_message
from ..services.errors import Invalid, ServiceError, Unavailable
from ..settings import Settings
from ..storage import StoreError, open_store, redact_url
from ..storage.base import Store
from ..surveys.loader import CatalogError

T = TypeVar("T")


def one_line(text: str) -> str:
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


def catalog_summary(exc: CatalogError) -> str:
    """A CatalogError in one line: the first problem, and how to see the others."""
    if len(exc.problems) == 1 and exc.problems[0].message == "forms directory not found":
        return (
            f"no forms folder at '{exc.problems[0].file}': run the command in the project's "
            "folder, or set SURVEY_FORMS_DIR"
        )
    first = exc.problems[0] if exc.problems else "no surveys"
    more = len(exc.problems) - 1
    rest = f" (and {more} more: run `survey-service forms check`)" if more > 0 else ""
    return f"the forms have problems: {first}{rest}"


def operator_message(exc: BaseException) -> str | None:
    """The line an operator sees for an expected error, or ``None`` for a bug (which keeps
    its traceback)."""
    if isinstance(exc, ServiceError):
        return one_line(str(exc))
    if isinstance(exc, CatalogError):
        return one_line(catalog_summary(exc))
    if isinstance(exc, StoreError):
        return one_line(str(exc))
    if isinstance(exc, sqlite3.Error):
        return f"cannot use the database (SURVEY_DATABASE_URL): {one_line(str(exc))}"
    return None


class OperatorGroup(click.Group):
    """A command group whose commands' expected errors (service errors, problems in the
    survey files, bad settings, an unusable database) end as one line and exit status 1,
    never as a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ServiceError, CatalogError, StoreError, sqlite3.Error) as exc:
            message = operator_message(exc)
            raise click.ClickException(message or str(exc)) from None


def settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise Invalid(str(exc)) from exc


def with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``work`` on a store opened (and migrated) for this command, then close it."""

    async def run() -> T:
        try:
            store = open_store(settings.database_url, pool_size=settings.db_pool_size)
        except ValueError as exc:
            raise Invalid(str(exc)) from exc
        try:
            await store.open()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                await store.close()  # a half-open store's threads would keep the process alive
            if isinstance(exc, OSError):
                reason = exc.strerror or str(exc)
                raise Invalid(
                    f"cannot open the database {redact_url(settings.database_url)}: {reason}"
                ) from exc
            raise
        try:
            if not await store.check_key(fingerprint(settings.secret_key)):
                raise Unavailable(mismatch_message(settings.database_url))
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def echo_json(data: Any) -> None:
    click.echo(msgspec.json.format(msgspec.json.encode(data)).decode())


def echo_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def cell(value: Any) -> str:
    return "-" if value is None else str(value)

"""Which errors mean "the database cannot be used just now" (stopped, unreachable, restarting,
full, read-only, locked too long), whatever the engine: the web answers them with 503 and a
one-line log, never a 500 with a traceback, and works again by itself once the cause is gone."""

from __future__ import annotations

import logging
import sqlite3

import asyncpg

from .base import StoreUnavailable
from .postgres_writer import UNAVAILABLE


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used now (rather than a bug)."""
    if isinstance(exc, StoreUnavailable | sqlite3.OperationalError):
        return True
    if isinstance(exc, asyncpg.ObjectNotInPrerequisiteStateError):
        # SQLSTATE 55000 when connecting to a database taken out of use for a moment
        # (ALTER DATABASE ... ALLOW_CONNECTIONS false); the same code elsewhere is a bug
        return "not currently accepting connections" in str(exc)
    return isinstance(exc, UNAVAILABLE)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class OneLineWhenAway(logging.Filter):
    """For a library's log (asyncpg's pool, which writes a traceback each time it cannot
    reconnect): an error that only says the database is away becomes one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and unavailable(exc):
            record.msg, record.args = f"{record.getMessage()}: {one_line(exc)}", ()
            record.exc_info, record.exc_text = None, None
        return True


def quiet_when_away(logger: str) -> None:
    """Install :class:`OneLineWhenAway` on ``logger`` (once)."""
    target = logging.getLogger(logger)
    if not any(isinstance(f, OneLineWhenAway) for f in target.filters):
        target.addFilter(OneLineWhenAway())

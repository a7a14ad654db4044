"""Which errors mean "the database cannot be used just now" (stopped, unreachable, restarting,
full, read-only, locked too long), whatever the engine: the web answers them with 503 and a
one-line log, never a 500 with a traceback, and works again by itself once the cause is gone."""

from __future__ import annotations

import sqlite3

from .base import StoreUnavailable
from .postgres_writer import UNAVAILABLE


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used now (rather than a bug)."""
    if isinstance(exc, StoreUnavailable | sqlite3.OperationalError):
        return True
    return isinstance(exc, UNAVAILABLE)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__

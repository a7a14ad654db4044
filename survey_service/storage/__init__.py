"""Storage behind one interface (:class:`~survey_service.storage.base.Store`).

The app, the CLI, the benchmarks and the tests all get their store from :func:`open_store`
(or :func:`opened`), so the engine is chosen by the URL in one place.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .base import (
    DatabaseURLError,
    NewResponse,
    Plan,
    SchemaTooNewError,
    Store,
    StoredResponse,
    StoreError,
    StoreOpenError,
    StoreUnavailable,
    StoreUnreachable,
)

SQLITE = "sqlite:///"


def redact_url(database_url: str) -> str:
    """The database URL with its password (if any) replaced by ``***``, for messages and
    logs."""
    from .postgres_migrate import redact

    return redact(database_url)


def open_store(database_url: str, *, pool_size: int | None = None) -> Store:
    """The store named by ``SURVEY_DATABASE_URL``, not yet opened: ``sqlite:///path`` (a
    relative path, or ``sqlite:////absolute/path``) or ``postgresql://user@host:port/db``.
    ``pool_size`` (``SURVEY_DB_POOL_SIZE``) is the number of connections a PostgreSQL store
    keeps; SQLite has no use for it. Raises :class:`DatabaseURLError`."""
    url = database_url.strip()
    if url.startswith(SQLITE):
        from .sqlite import SQLiteStore

        return SQLiteStore(url.removeprefix(SQLITE))
    if not url:
        raise DatabaseURLError("the database URL is empty: use sqlite:///path/to/file.sqlite3")
    scheme = url.partition(":")[0]
    if scheme in {"postgresql", "postgres"}:
        from .postgres import PostgresStore

        try:
            return PostgresStore(url, pool_size=pool_size)
        except ValueError as exc:
            raise DatabaseURLError(str(exc)) from exc
    raise DatabaseURLError(
        f"unsupported database URL {database_url!r}: use sqlite:///path/to/file.sqlite3"
        " or postgresql://user@host:port/database"
    )


@asynccontextmanager
async def opened(database_url: str, *, pool_size: int | None = None) -> AsyncIterator[Store]:
    """``async with opened(url) as store``: open (and migrate), use, close."""
    store = open_store(database_url, pool_size=pool_size)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


__all__ = [
    "DatabaseURLError",
    "NewResponse",
    "Plan",
    "SchemaTooNewError",
    "Store",
    "StoreError",
    "StoreOpenError",
    "StoreUnavailable",
    "StoreUnreachable",
    "StoredResponse",
    "open_store",
    "opened",
    "redact_url",
]

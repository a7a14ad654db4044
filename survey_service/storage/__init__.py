"""Storage behind one interface (:class:`~survey_service.storage.base.Store`)."""

from __future__ import annotations

from .base import NewResponse, Store, StoredResponse
from .sqlite import SQLiteStore


def open_store(database_url: str) -> Store:
    """Create the store named by ``SURVEY_DATABASE_URL`` (``sqlite:///path``)."""
    if database_url.startswith("sqlite:///"):
        return SQLiteStore(database_url.removeprefix("sqlite:///"))
    if database_url.startswith("sqlite://"):
        return SQLiteStore(database_url.removeprefix("sqlite://") or ":memory:")
    raise ValueError(
        f"unsupported database URL {database_url!r}: use sqlite:///path/to/file.sqlite3"
    )


__all__ = ["NewResponse", "SQLiteStore", "Store", "StoredResponse", "open_store"]

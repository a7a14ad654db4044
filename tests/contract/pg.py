"""A fresh PostgreSQL database per test, made and dropped through the server named by
``SURVEY_TEST_POSTGRES_URL`` (default: the local test server, trust auth). Tests that need it
skip, saying why, only when that server is unreachable; ``.ci/run`` starts it first."""

from __future__ import annotations

import asyncio
import functools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

ADMIN_URL = os.environ.get(
    "SURVEY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@functools.cache
def unreachable() -> str | None:
    """Why the test server cannot be used, or None."""
    try:
        asyncio.run(_admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        return (f"PostgreSQL is not reachable at {ADMIN_URL}: {exc} (start it: pg_ctlcluster"
                " --skip-systemctl-redirect 15 main start, or run .ci/run)")
    return None


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def fresh_database(prefix: str = "survey_test") -> Iterator[str]:
    """The URL of a new empty database, dropped (with its connections) afterwards."""
    reason = unreachable()
    if reason:
        pytest.skip(reason)
    name = f"{prefix}_{secrets.token_hex(6)}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(ADMIN_URL, name)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

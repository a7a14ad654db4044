"""``db backup`` and ``db restore`` on PostgreSQL, through ``pg_dump`` and ``pg_restore``
(see :mod:`.backup`). The password of the URL goes to them in ``PGPASSWORD``, never on the
command line (which every user of the machine can read)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from .backup import BOOKKEEPING, Made, finish, new_file
from .base import StoreError
from .pending import shred
from .postgres_migrate import redact

#: How long pg_dump or pg_restore may take at most.
TIMEOUT = 3600.0


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StoreError(
            f"{name} is not installed: install the PostgreSQL client programs"
            " (postgresql-client) of the server's major version or newer"
        )
    return found


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL without its password, and the environment that gives the password."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.scheme == "postgres":
        parts = parts._replace(scheme="postgresql")
    if parts.password is not None:
        env["PGPASSWORD"] = parts.password
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = (f"{parts.username}@" if parts.username else "") + host
        netloc += f":{parts.port}" if parts.port else ""
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts), env


async def _run(args: list[str], env: dict[str, str], what: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        *args, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            _, err = await proc.communicate()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    if proc.returncode != 0:
        lines = [ln.strip() for ln in err.decode(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower()] or lines or ["no message"]
        raise StoreError(f"{what} failed: {errors[0]}")


async def pg_backup(url: str, out: Path) -> Made:
    """``pg_dump`` of the database into ``out`` (custom format, without login sessions)."""
    pg_dump = _tool("pg_dump")
    part = new_file(out)
    try:
        target, env = _libpq(url)
        await _run([pg_dump, "--format=custom", "--no-owner", "--no-acl",
                    "--exclude-table-data=sessions", f"--file={part}", f"--dbname={target}"],
                   env, f"pg_dump of {redact(url)}")
        return finish(part, out)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            shred(part)
        raise


async def in_use(conn: asyncpg.Connection) -> list[str]:
    """The tables of the current schema (bookkeeping aside) that hold a row."""
    names = [r[0] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1")]
    used = []
    for name in names:
        if name not in BOOKKEEPING and await conn.fetchval(
            f'SELECT EXISTS (SELECT 1 FROM "{name}")'  # noqa: S608 (names from the catalogue)
        ):
            used.append(name)
    return used


async def _empty(conn: asyncpg.Connection) -> None:
    """Drop every table and function of the current schema, in one transaction."""
    async with conn.transaction():
        tables = [r[0] for r in await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")]
        if tables:
            await conn.execute(
                "DROP TABLE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"
            )
        for row in await conn.fetch(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
            " ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
        ):
            await conn.execute(f"DROP FUNCTION IF EXISTS {row[0]} CASCADE")


async def pg_restore(url: str, backup: Path, force: bool) -> None:
    """Empty the database (refused, unless ``force``, if it holds anything) and restore
    ``backup`` into it in one transaction."""
    tool = _tool("pg_restore")
    where = redact(url)
    try:
        conn = await asyncpg.connect(url, timeout=10.0)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        raise StoreError(f"cannot connect to {where}: {' '.join(str(exc).split())}") from exc
    try:
        used = await in_use(conn)
        if used and not force:
            raise StoreError(
                f"{where} is not empty (it holds {', '.join(used[:4])}): restore into a new"
                " database, or add --force to replace everything in it"
            )
        await _empty(conn)
    finally:
        await conn.close()
    target, env = _libpq(url)
    await _run([tool, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                f"--dbname={target}", str(backup)], env, f"pg_restore into {where}")

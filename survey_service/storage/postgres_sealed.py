"""Staff waves' sealed answers on PostgreSQL: a table per open wave, dropped by the mix.

While a staff wave is open, each sealed answer (encrypted by the caller with a key derived from
the secret key, padded to one length per form version) goes to ``pending_<hash of the wave
id>``, a table of that wave alone, in the same transaction that marks its invitation code used
(``UPDATE tokens ... WHERE NOT used``: a code seals one answer, whichever process gets it).
Closing moves the answers into ``responses`` in one transaction that also flips the wave to
``mixed`` and drops the wave's table: exactly once, whichever process or CLI runs it (the wave's
row is locked ``FOR UPDATE``; a sealed submission holds it ``FOR SHARE`` and re-reads the
flag, so none can slip in between or after).

What a superuser (or anyone reading the data directory) can still see, and what is done:

- ``xmin``/``xmax`` of rows. Each pending row's ``xmin`` is the id of the transaction that
  stored it, so the order of arrival, but only while the wave is open and only of sealed
  blobs. The mix inserts every response of the wave in one transaction: they all share one
  ``xmin`` and have no ``xmax``. The codes' rows are rewritten in the mix transaction too
  (``UPDATE tokens SET used = used``), so the live rows no longer tell when each unit's codes
  were used; their dead versions go at the ``VACUUM`` run after the mix.
- ``ctid`` (physical) order. The responses are inserted in an order shuffled with
  :mod:`secrets`, in one statement, so their order on the pages is random; their ids are
  random too, and reads order by id.
- Dead tuples before VACUUM. The mix deletes nothing from a shared table: the wave's pending
  rows vanish with their table (``DROP TABLE`` truncates its file at commit and unlinks it at
  the next checkpoint; its catalogue rows, whose ``xmin`` dates the wave's first answer, go
  too). The only dead tuples are the codes' old versions (above) and the wave's old row;
  ``VACUUM tokens, waves`` runs right after the mix. VACUUM marks the space free but does not
  zero it: until PostgreSQL reuses the page, the bytes of an old code row (hash, unit, "used"
  bit; no answer) stay on it. The dropped table's blocks stay on the file system's free space
  until reused, as for any deleted file: whole-disk encryption is the answer there, as on
  SQLite.
- ``pg_stat_*`` counters (``n_tup_ins``, ``n_live_tup``, ``pg_stat_statements`` calls): they
  count sealed submissions per wave while it is open (the count is shown to staff anyway) and
  vanish with the dropped table; ``pg_stat_statements`` keeps no parameters.
- The WAL (``pg_waldump``, and any WAL archive or replica). Each sealed submission's records
  hold its transaction id, its commit time, the sealed (encrypted, padded) blob and the new
  version of its code's row (the unit in clear), in arrival order: without the key, that tells
  when a code of which unit was used, not the answer. The mix's records hold the plain
  responses in the shuffled order under one transaction id. Linking the two needs the secret
  key: an attacker with both the WAL (before its segments are recycled, or from an archive)
  and the key recovers the arrival time of each answer. Nothing in the database can undo
  that: keep the key off the database machine, and WAL archives and replicas under the same
  protection as the key.
- ``track_commit_timestamp`` (off by default) and server logs with ``log_statement = all``
  would add commit times and statements with their (sealed) parameters: keep them off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg

from .base import NewResponse, StoreUnavailable
from .postgres_migrate import Conn
from .postgres_rows import INSERT_RESPONSES, columns
from .postgres_writer import UNAVAILABLE, one_line

log = logging.getLogger(__name__)
_NAMESPACE = 0x70656E64  # "pend": advisory locks on creating a wave's table
_KEY_LOCK = 0x6B657921  # "key!": serialises check_key over processes



def pending_table(wave_id: str) -> str:
    """The name of a wave's table of sealed answers (hex, so safe to put in SQL)."""
    return "pending_" + hashlib.sha256(wave_id.encode()).hexdigest()[:32]


def _lock_key(wave_id: str) -> int:
    return int.from_bytes(hashlib.sha256(wave_id.encode()).digest()[:4], "big", signed=True)


class SealedAnswers:
    """A mix-in of :class:`~.postgres.PostgresStore`: needs its pool and transactions."""

    def _transaction(self) -> AbstractAsyncContextManager[Conn]:
        raise NotImplementedError

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    @staticmethod
    def _row(response: NewResponse) -> tuple[Any, ...]:
        raise NotImplementedError

    async def submit_sealed(self, code_hash: bytes, wave_id: str, sealed: bytes) -> bool:
        try:
            return await self._submit_sealed(code_hash, wave_id, sealed)
        except UNAVAILABLE as exc:
            raise StoreUnavailable(one_line(exc)) from exc
        except RuntimeError as exc:  # not open
            raise StoreUnavailable(str(exc)) from exc

    async def _submit_sealed(self, code_hash: bytes, wave_id: str, sealed: bytes) -> bool:
        table = pending_table(wave_id)
        async with self._transaction() as conn:
            # the wave may have closed (and been mixed, by any process) since the caller looked
            wave = await conn.fetchrow(
                "SELECT mixed, closed, ends FROM waves WHERE id = $1 FOR SHARE", wave_id
            )
            at = dt.datetime.now(dt.UTC)
            if wave is None or wave[0] or any(t is not None and t <= at for t in wave[1:]):
                return False
            status = await conn.execute(
                "UPDATE tokens SET used = true WHERE hash = $1 AND wave_id = $2 AND NOT used",
                code_hash, wave_id,
            )
            if str(status) != "UPDATE 1":
                return False
            if await conn.fetchval("SELECT to_regclass($1)", table) is None:
                await conn.execute(
                    "SELECT pg_advisory_xact_lock($1, $2)", _NAMESPACE, _lock_key(wave_id)
                )
                await conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {table} ("
                    " id BYTEA PRIMARY KEY, sealed BYTEA NOT NULL)"
                )
            await conn.execute(
                f"INSERT INTO {table} (id, sealed) VALUES ($1, $2)",  # noqa: S608 (hex name)
                secrets.token_bytes(16), sealed,
            )
            return True

    async def pending_count(self, wave_id: str) -> int:
        table = pending_table(wave_id)
        async with self._p.acquire() as conn:
            if await conn.fetchval("SELECT to_regclass($1)", table) is None:
                return 0
            try:
                value = await conn.fetchval(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
            except asyncpg.UndefinedTableError:  # mixed meanwhile
                return 0
        return int(value or 0)

    async def mix_wave(
        self, wave_id: str, unseal: Callable[[bytes], NewResponse]
    ) -> int | None:
        table = pending_table(wave_id)
        async with self._transaction() as conn:
            row = await conn.fetchrow(
                "SELECT mixed FROM waves WHERE id = $1 FOR UPDATE", wave_id
            )
            if row is None or row[0]:
                return None
            sealed: list[bytes] = []
            if await conn.fetchval("SELECT to_regclass($1)", table) is not None:
                sealed = [bytes(r[0]) for r in await conn.fetch(f"SELECT sealed FROM {table}")]  # noqa: S608
            responses = [unseal(blob) for blob in sealed]
            secrets.SystemRandom().shuffle(responses)
            if responses:
                await conn.execute(INSERT_RESPONSES, *columns([self._row(r) for r in responses]))
            await conn.execute(f"DROP TABLE IF EXISTS {table}")
            await conn.execute("UPDATE tokens SET used = used WHERE wave_id = $1", wave_id)
            await conn.execute("UPDATE waves SET mixed = true WHERE id = $1", wave_id)
        try:  # the mix is committed: a failed clean-up must not make it look failed
            async with self._p.acquire() as conn:
                await conn.execute("VACUUM tokens, waves")
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("VACUUM after mixing wave %s failed: %s", wave_id, exc)
        return len(responses)

    async def check_key(self, fingerprint: bytes) -> bool:
        value = await self._p.fetchval("SELECT value FROM meta WHERE name = 'key'")
        if value is not None and bytes(value) == fingerprint:
            return True
        async with self._transaction() as conn:
            # two processes started with different keys: one decides, the other then sees it
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _KEY_LOCK)
            value = await conn.fetchval("SELECT value FROM meta WHERE name = 'key'")
            if value is not None and bytes(value) != fingerprint:
                held = await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM tokens) OR EXISTS (SELECT 1 FROM pg_class"
                    " WHERE relkind = 'r' AND relname LIKE 'pending\\_%'"
                    " AND relnamespace = current_schema()::regnamespace)"
                )
                if held:
                    return False
            await conn.execute(
                "INSERT INTO meta (name, value) VALUES ('key', $1)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                fingerprint,
            )
        return True

"""The PostgreSQL store's accounts, sessions, audit log and paper questionnaires (migration
0008), as a mix-in of :class:`~survey_service.storage.postgres.PostgresStore`; the same
semantics as :mod:`.sqlite_accounts`.

The audit log is a hash chain: each entry's hash covers the previous one. Appends take a
transaction-level advisory lock first, so that two processes never read the same last entry
and both chain to it; the lock is released at COMMIT or ROLLBACK.

A paper questionnaire is stored like a submission: one statement committed with
``synchronous_commit = on`` (flushed to the WAL before it returns), its one-time key by the
unique constraint (a key already stored is accepted and stores nothing), sent once more on a
new connection if the first one is lost, and :class:`~.base.StoreUnavailable` when it cannot be
stored now.
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import AbstractAsyncContextManager
from typing import Any

import asyncpg
import msgspec

from .base import AuditChain, AuditEntry, NewResponse, PaperEntry, StoreUnavailable, User
from .postgres_limits import PostgresLimits
from .postgres_migrate import Conn
from .postgres_writer import LOST, UNAVAILABLE, one_line

_orgs = msgspec.json.Decoder(list[str])
USER_COLUMNS = "name, role, organisations, password_hash, key_hash, disabled, epoch, created"
AUDIT_COLUMNS = "seq, at, actor, action, detail, prev, hash"
#: Key of the advisory lock that serialises audit appends ("survey a" in ASCII).
AUDIT_LOCK = 0x7375727665792D61
#: The dashboard's counts (every few seconds): read from the index responses_wave_day alone
#: (migration 0017), in its order, never from the rows of the wave.
RESPONSE_DAYS = (
    "SELECT organisation, day, COUNT(*) FROM responses WHERE wave_id = $1"
    " GROUP BY organisation, day"
)
INSERT_PAPER = (
    "INSERT INTO responses (id, submission_key, wave_id, version, organisation, channel, lang,"
    " day, answers, codes, unit, panel, paper_number)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    " ON CONFLICT (submission_key) DO NOTHING"
)


def _user(r: Any) -> User:
    return User(
        name=r[0],
        role=r[1],
        organisations=_orgs.decode(r[2]),
        password_hash=r[3],
        key_hash=bytes(r[4]) if r[4] is not None else None,
        disabled=bool(r[5]),
        epoch=int(r[6]),
        created=r[7],
    )


def _user_params(user: User) -> tuple[Any, ...]:
    return (
        user.role,
        msgspec.json.encode(user.organisations).decode(),
        user.password_hash,
        user.key_hash,
        user.disabled,
        user.epoch,
        user.created,
        user.name,
    )


def _entry(r: Any) -> AuditEntry:
    return AuditEntry(
        seq=int(r[0]), at=r[1], actor=r[2], action=r[3], detail=r[4],
        prev=bytes(r[5]), hash=bytes(r[6]),
    )


class AccountsMixin:
    """Plain SQL for users, sessions, the audit log and paper questionnaires."""

    _pool: asyncpg.Pool | None
    _closing: bool

    def _transaction(self) -> AbstractAsyncContextManager[Conn]:
        raise NotImplementedError

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    @property
    def _b(self) -> asyncpg.Pool:
        raise NotImplementedError

    def client_limits(self) -> PostgresLimits:
        return PostgresLimits(lambda: self._p)

    @staticmethod
    def _row(response: NewResponse) -> tuple[Any, ...]:
        raise NotImplementedError

    async def add_user(self, user: User) -> bool:
        status = await self._p.execute(
            "INSERT INTO users (role, organisations, password_hash, key_hash, disabled,"
            " epoch, created, name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            " ON CONFLICT (name) DO NOTHING",
            *_user_params(user),
        )
        return str(status) == "INSERT 0 1"

    async def update_user(self, user: User) -> None:
        await self._p.execute(
            "UPDATE users SET role = $1, organisations = $2, password_hash = $3, key_hash = $4,"
            " disabled = $5, epoch = $6, created = $7 WHERE name = $8",
            *_user_params(user),
        )

    async def user(self, name: str) -> User | None:
        row = await self._p.fetchrow(
            f"SELECT {USER_COLUMNS} FROM users WHERE name = $1", name  # noqa: S608
        )
        return _user(row) if row else None

    async def users(self) -> list[User]:
        rows = await self._p.fetch(f"SELECT {USER_COLUMNS} FROM users ORDER BY name")  # noqa: S608
        return [_user(r) for r in rows]

    async def user_by_key(self, key_hash: bytes) -> User | None:
        row = await self._p.fetchrow(
            f"SELECT {USER_COLUMNS} FROM users WHERE key_hash = $1", key_hash  # noqa: S608
        )
        return _user(row) if row else None

    async def session_get(self, key: bytes, renew_until: float | None = None) -> bytes | None:
        if renew_until is None:
            value = await self._p.fetchval(
                "SELECT data FROM sessions WHERE key = $1 AND expires > $2", key, time.time()
            )
        else:  # read and renew in one statement
            value = await self._p.fetchval(
                "UPDATE sessions SET expires = $3 WHERE key = $1 AND expires > $2"
                " RETURNING data",
                key, time.time(), renew_until,
            )
        return bytes(value) if value is not None else None

    async def session_set(self, key: bytes, data: bytes, expires: float) -> None:
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM sessions WHERE expires <= $1", time.time())
            await conn.execute(
                "INSERT INTO sessions (key, data, expires) VALUES ($1, $2, $3)"
                " ON CONFLICT (key) DO UPDATE SET data = excluded.data,"
                " expires = excluded.expires",
                key, data, expires,
            )

    async def session_delete(self, key: bytes | None) -> None:
        if key is None:
            await self._p.execute("DELETE FROM sessions")
        else:
            await self._p.execute("DELETE FROM sessions WHERE key = $1", key)

    async def append_audit(
        self, at: str, actor: str, action: str, detail: str, chain: AuditChain
    ) -> AuditEntry:
        async with self._transaction() as conn:
            # every process appends one at a time: the last entry read below is the last one
            # committed (READ COMMITTED takes a new snapshot for each statement)
            await conn.execute("SELECT pg_advisory_xact_lock($1)", AUDIT_LOCK)
            last = await conn.fetchrow("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
            seq, prev = (int(last[0]) + 1, bytes(last[1])) if last else (1, b"")
            digest = chain(prev, seq, at, actor, action, detail)
            await conn.execute(
                f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)",  # noqa: S608
                seq, at, actor, action, detail, prev, digest,
            )
        return AuditEntry(
            seq=seq, at=at, actor=actor, action=action, detail=detail, prev=prev, hash=digest
        )

    async def audit_entries(self, limit: int | None = None) -> list[AuditEntry]:
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq"  # noqa: S608
        if limit is None:
            rows = await self._b.fetch(sql)
        else:
            rows = await self._b.fetch(sql + " DESC LIMIT $1", limit)
        return [_entry(r) for r in rows]

    async def submit_paper(self, response: NewResponse, number: str) -> bool:
        if self._pool is None or self._closing:
            raise StoreUnavailable("store is not open")
        params = (*self._row(response), number)
        try:
            try:
                await self._p.execute(INSERT_PAPER, *params)
            except LOST:
                # safe to send again: if the first COMMIT went through, the key is stored
                await self._p.execute(INSERT_PAPER, *params)
        except asyncpg.IntegrityConstraintViolationError:
            # the number is taken, unless by this very form sent at the same moment
            return await self._key_stored(response.submission_key)
        except UNAVAILABLE as exc:
            raise StoreUnavailable(one_line(exc)) from exc
        return True  # stored, or the same form sent twice (a double click): stored once

    async def _key_stored(self, submission_key: str) -> bool:
        found = await self._p.fetchval(
            "SELECT 1 FROM responses WHERE submission_key = $1", submission_key
        )
        return found is not None

    async def paper_number_used(self, wave_id: str, number: str) -> bool:
        found = await self._p.fetchval(
            "SELECT 1 FROM responses WHERE wave_id = $1 AND paper_number = $2", wave_id, number
        )
        return found is not None

    async def add_paper_entry(self, entry: PaperEntry) -> bool:
        status = await self._p.execute(
            "INSERT INTO paper_entries (wave_id, number, clerk, response)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            entry.wave_id, entry.number, entry.clerk, entry.response,
        )
        return str(status) == "INSERT 0 1"

    async def paper_entries(self, wave_id: str | None = None, number: str | None = None
                            ) -> list[PaperEntry]:
        rows = await self._p.fetch(
            "SELECT wave_id, number, clerk, response FROM paper_entries"
            " WHERE ($1::text IS NULL OR wave_id = $1) AND ($2::text IS NULL OR number = $2)"
            " ORDER BY wave_id, number, clerk",
            wave_id, number,
        )
        return [PaperEntry(r[0], r[1], r[2], bytes(r[3])) for r in rows]

    async def delete_paper_entries(self, wave_id: str, number: str) -> None:
        await self._p.execute(
            "DELETE FROM paper_entries WHERE wave_id = $1 AND number = $2", wave_id, number
        )

    async def response_days(self, wave_id: str) -> dict[tuple[str, dt.date | None], int]:
        rows = await self._b.fetch(RESPONSE_DAYS, wave_id)
        return {(r[0], r[1]): int(r[2]) for r in rows}

"""The SQLite store's accounts, sessions, audit log and paper questionnaires (migration 0006),
as a mixin of :class:`~survey_service.storage.sqlite.SQLiteStore`."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

import aiosqlite
import msgspec

from .base import AuditChain, AuditEntry, NewResponse, PaperEntry, StoreUnavailable, User
from .sqlite_rows import response_row

_orgs = msgspec.json.Decoder(list[str])
USER_COLUMNS = "name, role, organisations, password_hash, key_hash, disabled, epoch, created"
AUDIT_COLUMNS = "seq, at, actor, action, detail, prev, hash"
#: The dashboard's counts (every few seconds): read from the index responses_wave_day alone
#: (migration 0017), in its order, never from the rows of the wave.
RESPONSE_DAYS = (
    "SELECT organisation, day, COUNT(*) FROM responses WHERE wave_id = ?"
    " GROUP BY organisation, day"
)
INSERT_PAPER = (
    "INSERT INTO responses (id, submission_key, wave_id, version, organisation, channel, lang,"
    " day, answers, codes, unit, panel, paper_number)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
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
        int(user.disabled),
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

    if TYPE_CHECKING:

        def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

        @property
        def _r(self) -> aiosqlite.Connection: ...

        def _long_read(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

    async def add_user(self, user: User) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO users (role, organisations, password_hash, key_hash, disabled,"
                " epoch, created, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (name) DO NOTHING",
                _user_params(user),
            )
            return cur.rowcount == 1

    async def update_user(self, user: User) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "UPDATE users SET role = ?, organisations = ?, password_hash = ?, key_hash = ?,"
                " disabled = ?, epoch = ?, created = ? WHERE name = ?",
                _user_params(user),
            )

    async def user(self, name: str) -> User | None:
        async with self._r.execute(
            f"SELECT {USER_COLUMNS} FROM users WHERE name = ?", (name,)  # noqa: S608
        ) as cur:
            row = await cur.fetchone()
        return _user(row) if row else None

    async def users(self) -> list[User]:
        async with self._r.execute(f"SELECT {USER_COLUMNS} FROM users ORDER BY name") as cur:  # noqa: S608
            return [_user(r) for r in await cur.fetchall()]

    async def user_by_key(self, key_hash: bytes) -> User | None:
        async with self._r.execute(
            f"SELECT {USER_COLUMNS} FROM users WHERE key_hash = ?", (key_hash,)  # noqa: S608
        ) as cur:
            row = await cur.fetchone()
        return _user(row) if row else None

    async def session_get(self, key: bytes, renew_until: float | None = None) -> bytes | None:
        async with self._r.execute(
            "SELECT data FROM sessions WHERE key = ? AND expires > ?", (key, time.time())
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        if renew_until is not None:
            async with self._transaction() as conn:
                await conn.execute(
                    "UPDATE sessions SET expires = ? WHERE key = ?", (renew_until, key)
                )
        return bytes(row[0])

    async def session_set(self, key: bytes, data: bytes, expires: float) -> None:
        async with self._transaction() as conn:
            await conn.execute("DELETE FROM sessions WHERE expires <= ?", (time.time(),))
            await conn.execute(
                "INSERT INTO sessions (key, data, expires) VALUES (?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET data = excluded.data,"
                " expires = excluded.expires",
                (key, data, expires),
            )

    async def session_delete(self, key: bytes | None) -> None:
        async with self._transaction() as conn:
            if key is None:
                await conn.execute("DELETE FROM sessions")
            else:
                await conn.execute("DELETE FROM sessions WHERE key = ?", (key,))

    async def append_audit(
        self, at: str, actor: str, action: str, detail: str, chain: AuditChain
    ) -> AuditEntry:
        async with self._transaction() as conn:
            async with conn.execute(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"
            ) as cur:
                last = await cur.fetchone()
            seq, prev = (int(last[0]) + 1, bytes(last[1])) if last else (1, b"")
            digest = chain(prev, seq, at, actor, action, detail)
            await conn.execute(
                f"INSERT INTO audit ({AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (seq, at, actor, action, detail, prev, digest),
            )
        return AuditEntry(
            seq=seq, at=at, actor=actor, action=action, detail=detail, prev=prev, hash=digest
        )

    async def audit_entries(self, limit: int | None = None) -> list[AuditEntry]:
        sql = f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq"  # noqa: S608
        params: tuple[int, ...] = ()
        if limit is not None:
            sql, params = sql + " DESC LIMIT ?", (limit,)
        async with self._long_read() as conn, conn.execute(sql, params) as cur:
            return [_entry(r) for r in await cur.fetchall()]

    async def submit_paper(self, response: NewResponse, number: str) -> bool:
        async with self._r.execute(
            "SELECT 1 FROM responses WHERE submission_key = ?", (response.submission_key,)
        ) as cur:
            if await cur.fetchone() is not None:
                return True  # the same form sent twice (a double click): stored once
        try:
            async with self._transaction() as conn:
                await conn.execute(INSERT_PAPER, (*response_row(response), number))
        except sqlite3.IntegrityError:
            # the number is taken, unless by this very form sent at the same moment
            async with self._r.execute(
                "SELECT 1 FROM responses WHERE submission_key = ?", (response.submission_key,)
            ) as cur:
                return await cur.fetchone() is not None
        except (sqlite3.Error, OSError) as exc:  # as submit: the clerk is asked to send again
            raise StoreUnavailable(str(exc)) from exc
        return True

    async def paper_number_used(self, wave_id: str, number: str) -> bool:
        async with self._r.execute(
            "SELECT 1 FROM responses WHERE wave_id = ? AND paper_number = ?", (wave_id, number)
        ) as cur:
            return await cur.fetchone() is not None

    async def add_paper_entry(self, entry: PaperEntry) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO paper_entries (wave_id, number, clerk, response) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (entry.wave_id, entry.number, entry.clerk, entry.response),
            )
            return cur.rowcount == 1

    async def paper_entries(self, wave_id: str | None = None, number: str | None = None
                            ) -> list[PaperEntry]:
        async with self._r.execute(
            "SELECT wave_id, number, clerk, response FROM paper_entries"
            " WHERE (? IS NULL OR wave_id = ?) AND (? IS NULL OR number = ?)"
            " ORDER BY wave_id, number, clerk",
            (wave_id, wave_id, number, number),
        ) as cur:
            return [PaperEntry(r[0], r[1], r[2], bytes(r[3])) for r in await cur.fetchall()]

    async def delete_paper_entries(self, wave_id: str, number: str) -> None:
        async with self._transaction() as conn:
            await conn.execute(
                "DELETE FROM paper_entries WHERE wave_id = ? AND number = ?", (wave_id, number)
            )

    async def response_days(self, wave_id: str) -> dict[tuple[str, dt.date | None], int]:
        async with self._long_read() as conn, conn.execute(RESPONSE_DAYS, (wave_id,)) as cur:
            return {
                (r[0], dt.date.fromisoformat(r[1]) if r[1] else None): int(r[2])
                for r in await cur.fetchall()
            }

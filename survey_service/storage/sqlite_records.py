"""The SQLite store's records of definitions and codes: frozen form versions and organisation
structures, frozen analysis and disclosure plans, waves, and staff invitation codes. A mix-in
of :class:`~.sqlite.SQLiteStore` (plain point reads on the quick reader, writes in the
writer's transaction)."""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractAsyncContextManager
from typing import Any

import aiosqlite

from ..surveys.waves import Wave
from .base import Plan, TokenState
from .sqlite_rows import WAVE_READ, wave_from_row, wave_insert_params, wave_params


class Records:
    """Needs the store's quick reader, its write transaction and one-statement writes."""

    def _transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]:
        raise NotImplementedError

    @property
    def _r(self) -> aiosqlite.Connection:
        raise NotImplementedError

    async def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        raise NotImplementedError

    async def save_form_version(self, survey_id: str, version: str, definition: bytes) -> None:
        await self._write(
            "INSERT INTO form_versions (version, survey_id, definition, first_seen)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (version) DO NOTHING",
            (version, survey_id, definition, dt.date.today().isoformat()),
        )

    async def form_version(self, version: str) -> bytes | None:
        async with self._r.execute(
            "SELECT definition FROM form_versions WHERE version = ?", (version,)
        ) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    async def save_structure(self, version: str, definition: bytes) -> None:
        await self._write(
            "INSERT INTO structures (version, definition, first_seen) VALUES (?, ?, ?)"
            " ON CONFLICT (version) DO NOTHING",
            (version, definition, dt.date.today().isoformat()),
        )

    async def structure(self, version: str) -> bytes | None:
        async with self._r.execute(
            "SELECT definition FROM structures WHERE version = ?", (version,)
        ) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    async def save_plan(self, plan: Plan) -> Plan:
        await self._write(
            "INSERT INTO plans (name, hash, definition, frozen, wave_id) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO NOTHING",
            (plan.name, plan.hash, plan.definition, plan.frozen.isoformat(), plan.wave_id),
        )
        kept = await self.plan(plan.name)
        assert kept is not None
        return kept

    async def plan(self, name: str) -> Plan | None:
        async with self._r.execute(
            "SELECT hash, definition, frozen, wave_id FROM plans WHERE name = ?", (name,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Plan(name=name, hash=row[0], definition=bytes(row[1]),
                    frozen=dt.datetime.fromisoformat(row[2]), wave_id=row[3])

    async def save_disclosure_plan(self, key: str, plan: bytes) -> None:
        await self._write(
            "INSERT INTO disclosure_plans (key, plan) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET plan = excluded.plan",
            (key, plan),
        )

    async def disclosure_plan(self, key: str) -> bytes | None:
        async with self._r.execute(
            "SELECT plan FROM disclosure_plans WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    async def cached_report(self, key: str) -> bytes | None:
        async with self._r.execute("SELECT body FROM report_cache WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return bytes(row[0]) if row else None

    async def cache_report(self, key: str, waves: list[str], body: bytes) -> None:
        await self._write(
            "INSERT INTO report_cache (key, waves, body, created) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET waves = excluded.waves, body = excluded.body,"
            " created = excluded.created",
            (key, f" {' '.join(waves)} ", body, dt.datetime.now(dt.UTC).isoformat()),
        )

    async def forget_cached_reports(self, wave: str) -> int:
        async with self._transaction() as db:
            cur = await db.execute("DELETE FROM report_cache WHERE instr(waves, ?) > 0",
                                   (f" {wave} ",))
            return cur.rowcount

    async def add_wave(self, wave: Wave) -> None:
        await self._write(
            f"INSERT INTO waves ({WAVE_READ}) VALUES ({', '.join('?' * 16)})",  # noqa: S608
            wave_insert_params(wave),
        )

    async def update_wave(self, wave: Wave) -> None:
        await self._write(
            "UPDATE waves SET survey_id = ?, version = ?, phase = ?, organisations = ?, starts = ?,"
            " ends = ?, closed = ?, mixed = ?, structure = ?, min_group = ?, panel = ?,"
            " retention_text = ?, retention_codes = ? WHERE id = ?",
            wave_params(wave),
        )

    async def waves(self) -> list[Wave]:
        async with self._r.execute(
            f"SELECT {WAVE_READ} FROM waves"  # noqa: S608 (fixed strings)
            " ORDER BY survey_id, COALESCE(starts, ''), id"
        ) as cur:
            return [wave_from_row(r) for r in await cur.fetchall()]

    # ------------------------------------------------------------------ staff tokens
    async def add_tokens(
        self, wave_id: str, organisation: str, unit: str, hashes: list[bytes]
    ) -> None:
        async with self._transaction() as conn:
            await conn.executemany(
                "INSERT INTO tokens (hash, wave_id, organisation, unit) VALUES (?, ?, ?, ?)",
                [(h, wave_id, organisation, unit) for h in hashes],
            )

    async def token(self, code_hash: bytes) -> TokenState | None:
        async with self._r.execute(
            "SELECT wave_id, organisation, unit, used FROM tokens WHERE hash = ?", (code_hash,)
        ) as cur:
            row = await cur.fetchone()
        return TokenState(row[0], row[1], row[2], bool(row[3])) if row else None

    async def revoke_token(self, code_hash: bytes) -> bool:
        async with self._transaction() as conn:
            cur = await conn.execute(
                "UPDATE tokens SET used = 1 WHERE hash = ? AND used = 0", (code_hash,)
            )
            return cur.rowcount == 1

    async def token_counts(self, wave_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        # the codes still kept, and the counts of those purged (retention)
        async with self._r.execute(
            "SELECT organisation, unit, SUM(n), SUM(used) FROM ("
            " SELECT organisation, unit, COUNT(*) AS n, SUM(used) AS used FROM tokens"
            " WHERE wave_id = ?1 GROUP BY organisation, unit UNION ALL"
            " SELECT organisation, unit, issued, used FROM token_tallies WHERE wave_id = ?1)"
            " GROUP BY organisation, unit ORDER BY organisation, unit",
            (wave_id,),
        ) as cur:
            rows = await cur.fetchall()
        return {(r[0], r[1]): (int(r[2]), int(r[3] or 0)) for r in rows}

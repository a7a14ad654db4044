"""The PostgreSQL store's records of definitions and waves: frozen form versions, organisation
structures, analysis and disclosure plans, and the waves (a mix-in of
:class:`~.postgres.PostgresStore`)."""

from __future__ import annotations

import datetime as dt

import asyncpg

from ..surveys.waves import Wave
from .base import Plan
from .postgres_rows import WAVE_READ, wave_from_row, wave_insert_params, wave_params


class PostgresRecords:
    """Needs the store's pool for point reads and short writes."""

    @property
    def _p(self) -> asyncpg.Pool:
        raise NotImplementedError

    async def save_form_version(self, survey_id: str, version: str, definition: bytes) -> None:
        await self._p.execute(
            "INSERT INTO form_versions (version, survey_id, definition, first_seen)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (version) DO NOTHING",
            version, survey_id, definition, dt.date.today(),
        )

    async def form_version(self, version: str) -> bytes | None:
        value = await self._p.fetchval(
            "SELECT definition FROM form_versions WHERE version = $1", version
        )
        return bytes(value) if value is not None else None

    async def save_structure(self, version: str, definition: bytes) -> None:
        await self._p.execute(
            "INSERT INTO structures (version, definition, first_seen) VALUES ($1, $2, $3)"
            " ON CONFLICT (version) DO NOTHING",
            version, definition, dt.date.today(),
        )

    async def structure(self, version: str) -> bytes | None:
        value = await self._p.fetchval(
            "SELECT definition FROM structures WHERE version = $1", version
        )
        return bytes(value) if value is not None else None

    async def save_plan(self, plan: Plan) -> Plan:
        await self._p.execute(
            "INSERT INTO plans (name, hash, definition, frozen, wave_id)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
            plan.name, plan.hash, plan.definition, plan.frozen, plan.wave_id,
        )
        kept = await self.plan(plan.name)
        assert kept is not None
        return kept

    async def plan(self, name: str) -> Plan | None:
        row = await self._p.fetchrow(
            "SELECT hash, definition, frozen, wave_id FROM plans WHERE name = $1", name
        )
        if row is None:
            return None
        return Plan(name=name, hash=row[0], definition=bytes(row[1]), frozen=row[2],
                    wave_id=row[3])

    async def save_disclosure_plan(self, key: str, plan: bytes) -> None:
        await self._p.execute(
            "INSERT INTO disclosure_plans (key, plan) VALUES ($1, $2)"
            " ON CONFLICT (key) DO UPDATE SET plan = excluded.plan",
            key, plan,
        )

    async def disclosure_plan(self, key: str) -> bytes | None:
        value = await self._p.fetchval("SELECT plan FROM disclosure_plans WHERE key = $1", key)
        return bytes(value) if value is not None else None

    async def add_wave(self, wave: Wave) -> None:
        await self._p.execute(
            f"INSERT INTO waves ({WAVE_READ})"  # noqa: S608 (fixed strings)
            f" VALUES ({', '.join(f'${n}' for n in range(1, 17))})",
            *wave_insert_params(wave),
        )

    async def update_wave(self, wave: Wave) -> None:
        await self._p.execute(
            "UPDATE waves SET survey_id = $1, version = $2, phase = $3, organisations = $4,"
            " starts = $5, ends = $6, closed = $7, mixed = $8, structure = $9, min_group = $10,"
            " panel = $11, retention_text = $12, retention_codes = $13 WHERE id = $14",
            *wave_params(wave),
        )

    async def waves(self) -> list[Wave]:
        rows = await self._p.fetch(
            f"SELECT {WAVE_READ} FROM waves"  # noqa: S608 (fixed strings)
            " ORDER BY survey_id, starts NULLS FIRST, id"
        )
        return [wave_from_row(r) for r in rows]

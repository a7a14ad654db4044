"""The project's confirmatory family, frozen in the store when the first follow-up wave opens
(:func:`freeze_family`, called by ``services.waves.open_wave``), and read by the project
report (:func:`family`)."""

from __future__ import annotations

from ..reports.family import PLAN_NAME, Family, confirmatory_family, decode_family, encode_family
from ..storage.base import Plan, Store
from ..surveys.loader import Catalog
from ..surveys.waves import Wave, now


async def freeze_family(catalog: Catalog, store: Store, wave: Wave) -> Plan:
    """Freeze the confirmatory family of the expected results as they are now, unless it is
    frozen already (then the frozen one is kept and returned)."""
    kept = await store.plan(PLAN_NAME)
    if kept is not None:
        return kept
    data, digest = encode_family(confirmatory_family(catalog.project_results))
    return await store.save_plan(
        Plan(name=PLAN_NAME, hash=digest, definition=data, frozen=now(), wave_id=wave.id)
    )


async def family(catalog: Catalog, store: Store) -> tuple[Family, Plan | None]:
    """The frozen family, or (before any follow-up wave opened) the files' current one with
    ``None``."""
    kept = await store.plan(PLAN_NAME)
    if kept is None:
        return confirmatory_family(catalog.project_results), None
    return decode_family(kept.definition), kept

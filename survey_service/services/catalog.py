"""The survey files as the services see them, and the organisation structures frozen for
staff waves.

Every read of a wave's frozen structures goes through :func:`wave_structures`, and every
write through :func:`freeze_structures`, so how they are stored can change in one place.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import Catalog, LoadedSurvey, load_catalog
from ..surveys.model import Organisation, Structure
from ..surveys.waves import Wave
from .errors import NotFound

_structures = msgspec.json.Decoder(dict[str, Structure])


def load(settings: Settings) -> Catalog:
    """The catalog of ``settings.forms_dir`` (raises ``CatalogError`` naming every problem)."""
    return load_catalog(Path(settings.forms_dir))


def survey_kinds(catalog: Catalog) -> dict[str, str]:
    """Survey id -> kind (``citizen``, ``staff``, ``training``)."""
    return {sid: loaded.survey.kind for sid, loaded in catalog.surveys.items()}


def find_survey(catalog: Catalog, survey_id: str) -> LoadedSurvey:
    loaded = catalog.surveys.get(survey_id)
    if loaded is None:
        known = ", ".join(sorted(catalog.surveys))
        raise NotFound(f"unknown survey '{survey_id}' (known: {known})")
    return loaded


def find_organisation(catalog: Catalog, organisation: str) -> Organisation:
    org = catalog.organisations.get(organisation)
    if org is None:
        known = ", ".join(catalog.organisations)
        raise NotFound(f"unknown organisation '{organisation}' (known: {known})")
    return org


async def freeze_structures(store: Store, frozen: dict[str, Structure]) -> str:
    """Keep the organisations' structures a staff wave uses; return their content hash."""
    definition = msgspec.json.encode(frozen)
    digest = hashlib.sha256(definition).hexdigest()[:16]
    await store.save_structure(digest, definition)
    return digest


async def wave_structures(store: Store, wave: Wave) -> dict[str, Structure]:
    """Organisation id -> the structure frozen when the wave opened ({} for citizen waves)."""
    if not wave.structure:
        return {}
    data = await store.structure(wave.structure)
    return _structures.decode(data) if data else {}

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


#: the last catalog loaded per folder, with the hash of the files it was loaded from
_loaded: dict[Path, tuple[str, Catalog]] = {}


def _files_hash(folder: Path) -> str | None:
    """Hash of the names and contents of the folder's ``*.toml`` (what the loader reads)."""
    digest = hashlib.sha256()
    try:
        for path in sorted(folder.glob("*.toml")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()


def load(settings: Settings) -> Catalog:
    """The catalog of ``settings.forms_dir`` (raises ``CatalogError`` naming every problem).

    Parsed again only when a file's name or content changed (a report of every
    organisation loads it once per scope); each caller gets its own shallow copy."""
    folder = Path(settings.forms_dir)
    key = _files_hash(folder)
    kept = _loaded.get(folder)
    if key is None or kept is None or kept[0] != key:
        catalog = load_catalog(folder)
        if key is None:
            return catalog
        _loaded[folder] = kept = (key, catalog)
    c = kept[1]
    return Catalog(dict(c.surveys), dict(c.organisations), list(c.expected_results),
                   list(c.project_results), list(c.comparisons), list(c.benchmarks))


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

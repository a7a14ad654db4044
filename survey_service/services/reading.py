"""What the read-only API reads for a user: the surveys and waves the user may see (with their
counts), one wave's indicator levels through the wave's disclosure plan, pages of a wave's
wide export, and exports written to a temporary file (xlsx, SPSS, Stata) handed out in chunks.

Who may see what is the dashboard's rule (:func:`.dashboard.visible_organisations`): an admin
every organisation, an analyst those granted. A wave none of whose organisations the user may
see is unknown to that user (:class:`NotFound`, as for a wave that does not exist).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..i18n import translations
from ..reports.comparability import plan_indicators
from ..reports.disclosure import ALL, figure_key, org_label
from ..settings import Settings
from ..storage.base import Store, User
from ..surveys.loader import Catalog, LoadedSurvey, decode_survey, indicator_items
from ..surveys.versions import diff_versions
from ..surveys.waves import Wave
from .dashboard import dashboard, visible_organisations
from .disclosure import disclosure_for
from .errors import Invalid, NotFound, Unavailable
from .exports import WaveExport, response_batches, write_stats_file, write_xlsx
from .levels import Level, wave_levels

#: Largest page of ``responses.json``.
MAX_PER_PAGE = 1000
#: Bytes per chunk when a written export file is sent.
CHUNK = 256 * 1024


async def visible_waves(store: Store, catalog: Catalog, user: User,
                        survey_id: str | None = None) -> list[dict[str, Any]]:
    """The dashboard's entries of the waves the user may see (of one survey when given)."""
    if survey_id is not None and survey_id not in catalog.surveys:
        raise NotFound(f"unknown survey '{survey_id}'")
    return [entry for entry in await dashboard(store, catalog, user)
            if survey_id is None or entry["wave"].survey_id == survey_id]


async def visible_wave(store: Store, catalog: Catalog, user: User, wave_id: str
                       ) -> dict[str, Any]:
    """The dashboard's entry of one wave the user may see (else :class:`NotFound`)."""
    for entry in await dashboard(store, catalog, user):
        if entry["wave"].id == wave_id:
            return entry
    raise NotFound(f"unknown wave '{wave_id}'")


async def visible_surveys(store: Store, catalog: Catalog, user: User
                          ) -> list[tuple[LoadedSurvey, list[str]]]:
    """Every survey of the catalog with the ids of its waves the user may see."""
    waves = [w for w in await store.waves() if visible_organisations(user, w, catalog)]
    return [(loaded, [w.id for w in waves if w.survey_id == sid])
            for sid, loaded in sorted(catalog.surveys.items())]


def scope_of(user: User, wave: Wave, catalog: Catalog, organisation: str | None
             ) -> str | None:
    """The organisation whose figures or responses the user reads (None: the whole wave).
    An analyst reads one of the organisations granted: the one named, or the only one of
    them the wave covers. Returns the name; whether it is granted is the caller's check."""
    if organisation is not None:
        if organisation not in catalog.organisations or not wave.covers(organisation):
            raise NotFound(f"wave '{wave.id}' has no organisation '{organisation}'")
        return organisation
    if user.role == "admin":
        return None
    mine = visible_organisations(user, wave, catalog)
    if len(mine) == 1:
        return mine[0]
    raise Invalid(f"name the organisation (?org=, one of: {', '.join(mine)})")


@dataclass(frozen=True)
class WaveIndicator:
    id: str
    label: str
    kind: str
    level: Level


async def wave_indicators(settings: Settings, store: Store, wave: Wave,
                          organisation: str | None, lang: str) -> list[WaveIndicator] | str:
    """Each indicator's level in the closed wave (of one organisation, or all), or why
    there is none; a figure the wave's disclosure plan hides is given without its value."""
    definition = await store.form_version(wave.version)
    if definition is None:
        raise Unavailable(f"form version {wave.version} of '{wave.id}' is missing")
    survey = decode_survey(definition)
    levels = await wave_levels(settings, store, wave.survey_id, [wave], "follow-up",
                               organisation, lang)
    if isinstance(levels, str):
        return levels
    plans, _ = plan_indicators(survey, survey, diff_versions(survey, survey), lang)
    plan = None
    if any(level.value is not None for level in levels.values()):
        plan = (await disclosure_for(settings, store, wave)).plans[wave.id]
    label = ALL if organisation is None else org_label(organisation)
    found = []
    for indicator in survey.indicators:
        level = levels.get(indicator.id) or Level([wave.id], reason="not computable")
        items = plans[indicator.id].items if indicator.id in plans else []
        if level.value is not None and plan is not None:
            key = figure_key(indicator.id, items, indicator_items(survey, indicator.id))
            if plan.is_hidden(key, plan.labels.get(label)):
                level = Level([wave.id], reason=_hidden_reason(lang, wave.min_group))
        found.append(WaveIndicator(indicator.id, indicator.label.get(lang), indicator.kind,
                                   level))
    return found


def _hidden_reason(lang: str, min_group: int) -> str:
    _ = translations(lang).gettext
    return _("not shown: it would reveal a group of fewer than %(n)s people") % {
        "n": min_group}


async def responses_page(store: Store, export: WaveExport, page: int, per_page: int
                         ) -> tuple[list[list[Any]], bool]:
    """Rows ``(page - 1) * per_page`` onwards of the wide export (codes, not labels), and
    whether more follow; read in batches, never the whole wave."""
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid(f"page must be at least 1 and per_page from 1 to {MAX_PER_PAGE}")
    make = export.rows(None)
    skip, rows = (page - 1) * per_page, list[list[Any]]()
    stream = response_batches(store, export.wave.id, organisation=export.organisation)
    async with contextlib.aclosing(stream):
        async for batch in stream:
            if skip >= len(batch):
                skip -= len(batch)
                continue
            for r in batch[skip:]:
                if len(rows) == per_page:
                    return rows, True
                rows.append(make(r))
            skip = 0
    return rows, False


async def written_export(store: Store, export: WaveExport, fmt: str, lang: str,
                         labels: str | None) -> AsyncIterator[bytes]:
    """An xlsx, .sav or .dta export written to a private temporary folder first (those
    formats cannot be streamed as they are made), then handed out in chunks; the file is
    removed when the last chunk was sent or the client went away."""
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="survey-export-"))
    path = folder / f"export.{fmt}"
    try:
        if fmt == "xlsx":
            await write_xlsx(store, export, path, labels)
        elif fmt in ("sav", "dta"):
            await write_stats_file(store, export, path, fmt, lang)
        else:
            raise Invalid(f"unknown format '{fmt}'")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return _chunks(folder, path)


async def _chunks(folder: Path, path: Path) -> AsyncIterator[bytes]:
    try:
        with path.open("rb") as file:
            while chunk := await asyncio.to_thread(file.read, CHUNK):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)

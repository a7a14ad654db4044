"""Waves: open (freezing the form version and, for staff, the structure), close (mixing
sealed answers), change anonymity settings, list."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from ..anonymity import TOKEN_KINDS
from ..sealing import Sealer
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import decode_survey, encode_survey
from ..surveys.model import Survey
from ..surveys.versions import NewVersionCheck, check_new_version
from ..surveys.waves import SOFIA, WAVE_ID, Wave, now, overlapping
from .catalog import find_organisation, find_survey, freeze_structures, load, survey_kinds
from .comparison import mixed_wave
from .errors import Invalid, NotFound, Refused
from .keys import require_lasting_secret
from .mixing import mix_closed
from .plans import analysis, freeze_family

PHASES = ["baseline", "follow-up", "annual", "training", "pilot"]
#: The largest ``min_group`` a wave may ask for (more people than any administration has).
MAX_MIN_GROUP = 1_000_000


async def find_wave(store: Store, wave_id: str) -> Wave:
    for wave in await store.waves():
        if wave.id == wave_id:
            return wave
    raise NotFound(f"unknown wave '{wave_id}'")


async def open_wave(
    settings: Settings,
    store: Store,
    survey_id: str,
    wave_id: str | None,
    phase: str,
    organisations: list[str],
    starts: dt.datetime | None,
    ends: dt.datetime | None,
    structure: str | None = None,
    yes: bool = True,
) -> Wave:
    """Freeze the survey's current file as a form version and open a wave on it.

    A staff wave also freezes the organisations' structure (units and head counts) it uses.
    Unless ``yes``, a version that changes the meaning of items asked in an earlier wave of
    the survey is refused (:func:`version_changes` says what changed).
    """
    catalog = load(settings)
    loaded = find_survey(catalog, survey_id)
    for org in organisations:
        find_organisation(catalog, org)
    plan, _stamp = await analysis(catalog, store)
    declared = {c.survey: list(c.organisations) for c in catalog.comparisons}
    for comparisons in (plan.comparison, declared):
        if (why := mixed_wave(survey_id, organisations, comparisons)) is not None:
            raise Invalid(why)
    if phase not in PHASES:
        raise Invalid(f"unknown phase '{phase}' (known: {', '.join(PHASES)})")
    if starts and ends and ends <= starts:
        raise Invalid("the end must come after the start")
    wave_id = wave_id or f"{survey_id}-{phase}-{(starts or now()).astimezone(dt.UTC):%Y}"
    if not WAVE_ID.match(wave_id):
        raise Invalid(f"wave id '{wave_id}' must be lower-case letters, digits, -")
    existing = await store.waves()
    if any(w.id == wave_id for w in existing):
        raise Refused(f"wave '{wave_id}' already exists")
    kind = loaded.survey.kind
    clash = (
        None
        if kind == "training"
        else overlapping(existing, survey_id, organisations, starts, ends, now())
    )
    if clash is not None:
        raise Refused(
            f"wave '{clash.id}' of the same survey is open for the same organisations and time;"
            " close it first"
        )
    check = await _check_new_version(store, existing, loaded.survey, starts)
    if check.new_breaks and not yes:
        raise Refused(
            "this version changes the meaning of items asked in earlier waves, so they will not"
            " be compared; add --yes to open it anyway, or mark an editorial change with"
            " 'corrects' in the survey file"
        )
    structure_hash = None
    if kind == "staff":
        frozen = {}
        for org_id in organisations or list(catalog.organisations):
            chosen = catalog.organisations[org_id].structure(structure)
            if chosen is None:
                raise NotFound(
                    f"organisation '{org_id}' has no structure '{structure or '(any)'}' in "
                    "organisations.toml; a staff wave needs its units and head counts"
                )
            frozen[org_id] = chosen
        structure_hash = await freeze_structures(store, frozen)
    await store.save_form_version(survey_id, loaded.version, encode_survey(loaded.survey))
    wave = Wave(
        id=wave_id,
        survey_id=survey_id,
        version=loaded.version,
        phase=phase,  # type: ignore[arg-type]
        organisations=organisations,
        starts=starts,
        ends=ends,
        structure=structure_hash,
        min_group=settings.min_group,
        retention_text=settings.retention_text_days,
        retention_codes=settings.retention_codes_days,
    )
    await store.add_wave(wave)
    if phase == "follow-up":  # the confirmatory family is fixed from now on
        await freeze_family(catalog, store, wave)
    return wave


async def version_changes(
    settings: Settings, store: Store, survey_id: str, starts: dt.datetime | None
) -> NewVersionCheck:
    """What the survey file changed since the survey's earlier waves (items added, removed,
    reworded, rescaled, declared editorial changes), before a wave is opened on it."""
    loaded = find_survey(load(settings), survey_id)
    return await _check_new_version(store, await store.waves(), loaded.survey, starts)


async def _check_new_version(
    store: Store, existing: list[Wave], survey: Survey, starts: dt.datetime | None
) -> NewVersionCheck:
    """The survey's earlier waves (by start), their frozen versions against ``survey``."""
    start = starts or now()
    earlier = sorted(
        (w for w in existing if w.survey_id == survey.id and (w.starts or start) <= start),
        key=lambda w: (w.starts or dt.datetime.min.replace(tzinfo=dt.UTC), w.id),
    )
    versions = []
    for wave in earlier:
        definition = await store.form_version(wave.version)
        if definition is not None:
            versions.append((wave.id, decode_survey(definition)))
    return check_new_version(versions, survey)


async def close_wave(
    settings: Settings, store: Store, wave_id: str, *, lasting_key: bool = True
) -> tuple[Wave, list[str], bool]:
    """Close a wave now; for staff and training waves, mix the sealed answers of every
    closed wave. Returns the wave, the ids of the waves this call mixed, and whether the
    wave's own answers were mixed by another process (the running server) meanwhile.

    ``lasting_key=False`` lets the demo, which seals and mixes its synthetic answers in one
    process, work with a key made up for that process."""
    kinds = survey_kinds(load(settings))
    wave = await find_wave(store, wave_id)
    sealed = kinds.get(wave.survey_id) in TOKEN_KINDS
    if sealed and lasting_key:
        require_lasting_secret(settings.database_url)  # before anything changes
    closed = wave.state(now()) == "closed"
    if closed and (wave.mixed or not sealed):
        raise Refused(f"wave '{wave_id}' is already closed")
    if not closed:
        wave = msgspec.structs.replace(wave, closed=now())
        await store.update_wave(wave)
    mixed = await mix_closed(store, Sealer(settings.secret_key), kinds) if sealed else []
    return wave, mixed, sealed and wave.id not in mixed


async def set_wave(
    settings: Settings,
    store: Store,
    wave_id: str,
    min_group: int | None = None,
    panel: bool | None = None,
) -> Wave:
    """Change a wave's anonymity settings; refused once the wave has a response."""
    if min_group is None and panel is None:
        raise Invalid(
            "nothing to change: give --min-group, --panel/--no-panel, --retention-text or"
            " --retention-codes"
        )
    if min_group is not None and not 5 <= min_group <= MAX_MIN_GROUP:
        raise Invalid(f"the smallest group must be a number from 5 to {MAX_MIN_GROUP:,}")
    wave = await find_wave(store, wave_id)
    used = sum(u for _, u in (await store.token_counts(wave_id)).values())
    answered = await store.count_responses(wave_id) + await store.pending_count(wave_id)
    if used or answered:
        raise Refused(
            f"wave '{wave_id}' already has responses: its anonymity settings can no longer change"
        )
    if panel and survey_kinds(load(settings)).get(wave.survey_id) not in ("staff", "training"):
        raise Refused("a panel is only for staff and training waves")
    wave = msgspec.structs.replace(
        wave,
        min_group=wave.min_group if min_group is None else min_group,
        panel=wave.panel if panel is None else panel,
    )
    await store.update_wave(wave)
    return wave


def _local(value: dt.datetime | None) -> str | None:
    return value.astimezone(SOFIA).strftime("%Y-%m-%d %H:%M") if value else None


async def wave_summaries(store: Store) -> list[dict[str, Any]]:
    """Every wave with its state and response count (times in Europe/Sofia)."""
    at = now()
    return [
        {
            "id": w.id,
            "survey": w.survey_id,
            "phase": w.phase,
            "state": w.state(at),
            "version": w.version,
            "organisations": w.organisations or ["*"],
            "starts": _local(w.starts),
            "ends": _local(w.ends),
            "closed": _local(w.closed),
            "responses": await store.count_responses(w.id),
        }
        for w in await store.waves()
    ]


async def open_pilot_waves(settings: Settings, store: Store) -> list[Wave]:
    """Open a pilot wave of every citizen survey that has no open wave (``serve
    --demo-waves``)."""
    catalog = load(settings)
    opened = []
    existing = await store.waves()
    for survey_id, loaded in catalog.surveys.items():
        if loaded.survey.kind != "citizen":
            continue
        if any(w.survey_id == survey_id and w.state(now()) == "open" for w in existing):
            continue
        wave_id = f"{survey_id}-demo-{now():%Y%m%d%H%M%S}"
        opened.append(await open_wave(settings, store, survey_id, wave_id, "pilot", [], None, None))
    return opened

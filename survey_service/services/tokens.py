"""Invitation codes of staff and training waves: issue them (a CSV and an A4 sheet of slips,
the only copies of the codes; only keyed hashes are stored) and revoke a lost one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from pathlib import Path
from typing import TextIO

from ..anonymity import TOKEN_KINDS
from ..exports.csv_writer import iter_csv
from ..exports.table import Table
from ..rendering import Renderer
from ..rendering.slips import code_url, render_slips
from ..settings import Settings
from ..storage.base import Store
from ..surveys.model import Organisation
from ..surveys.tokens import CodeProblem, code_hash, new_code, normalise
from ..surveys.waves import Wave, now
from .catalog import find_organisation, load, survey_kinds, wave_structures
from .errors import Invalid, NotFound, Refused, Unavailable
from .keys import require_lasting_secret
from .waves import find_wave

MAX_CODES = 5000  # per call


async def _check_unit(
    settings: Settings, store: Store, wave_id: str, organisation: str, unit: str, count: int
) -> tuple[Wave, Organisation]:
    catalog = load(settings)
    org = find_organisation(catalog, organisation)
    wave = await find_wave(store, wave_id)
    kind = survey_kinds(catalog).get(wave.survey_id)
    if kind not in TOKEN_KINDS:
        raise Refused(f"wave '{wave_id}' is not a staff or training wave")
    if not wave.covers(organisation):
        raise Refused(f"wave '{wave_id}' does not cover '{organisation}'")
    if wave.state(now()) == "closed":
        raise Refused(f"wave '{wave_id}' is closed")
    if kind == "staff":
        structure = (await wave_structures(store, wave)).get(organisation)
        unit_def = structure.unit(unit) if structure else None
        if structure is None or unit_def is None:
            known = ", ".join(u.id for u in structure.units) if structure else "none"
            raise NotFound(f"unknown unit '{unit}' (units: {known})")
        if count > unit_def.head_count:
            raise Invalid(
                f"unit '{unit}' has {unit_def.head_count} people: issue at most that many codes"
                f" (asked for {count})"
            )
    return wave, org


def _private(path: Path, encoding: str) -> TextIO:
    """A new file only its owner can read (the codes are as good as keys)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return open(fd, "w", newline="", encoding=encoding)


def _write_files(
    files: tuple[Path, Path], codes: list[str], base: str, wave: Wave, org: Organisation, unit: str
) -> None:
    out_dir = files[0].parent
    if out_dir.exists() and not out_dir.is_dir():
        raise Unavailable(f"cannot write the codes to {out_dir}: it is a file, not a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_csv(files[0], codes, base, wave, org, unit)
        with _private(files[1], "utf-8") as f:
            f.write(render_slips(Renderer(), codes, base, org, wave, unit))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise Unavailable(f"cannot write the codes to {out_dir}: {reason}") from exc


def _write_csv(
    path: Path, codes: list[str], base: str, wave: Wave, org: Organisation, unit: str
) -> None:
    rows = ([code, code_url(base, code), wave.id, org.id, unit] for code in codes)
    columns = ["code", "url", "wave", "organisation", "unit"]
    with _private(path, "utf-8") as f:  # the writer adds the BOM
        f.writelines(iter_csv(Table("tokens", columns, rows)))


async def issue_tokens(
    settings: Settings,
    store: Store,
    wave_id: str,
    organisation: str,
    unit: str,
    count: int,
    out_dir: Path,
) -> tuple[Path, Path]:
    """Issue ``count`` single-use codes for a unit; return the CSV and the slips page.

    The files are written first: codes are stored only once somebody can hand them out, and
    the files are removed again if storing fails."""
    require_lasting_secret(settings.database_url)
    if not 1 <= count <= MAX_CODES:
        raise Invalid(f"the number of codes must be from 1 to {MAX_CODES}")
    wave, org = await _check_unit(settings, store, wave_id, organisation, unit, count)
    codes = [new_code() for _ in range(count)]
    stem = f"codes-{wave_id}-{organisation}-{unit}-{secrets.token_hex(3)}"
    files = (out_dir / f"{stem}.csv", out_dir / f"{stem}.html")
    try:
        await asyncio.to_thread(_write_files, files, codes, settings.public_url, wave, org, unit)
        hashes = [code_hash(c.replace("-", ""), settings.secret_key) for c in codes]
        await store.add_tokens(wave_id, organisation, unit, hashes)
    except BaseException:
        for path in files:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
        raise
    return files


async def revoke_token(settings: Settings, store: Store, code: str) -> None:
    """Make a code unusable (a lost slip)."""
    require_lasting_secret(settings.database_url)
    canonical = normalise(code)
    if isinstance(canonical, CodeProblem):
        raise Invalid("that is not a valid code (check it against the slip)")
    if not await store.revoke_token(code_hash(canonical, settings.secret_key)):
        raise NotFound("no unused code like that")

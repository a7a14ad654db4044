"""The operator's commands: ``survey-service forms|db|waves|serve``.

The same group is offered to Litestar's own CLI through :class:`SurveyCLIPlugin`.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import hashlib
import logging
import os
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec
from litestar.plugins import CLIPluginProtocol

from .anonymity import TOKEN_KINDS, MixError, mix_closed_waves
from .keyfile import database_file, fingerprint, mismatch_message
from .sealing import Sealer
from .settings import Settings
from .storage import open_store
from .storage.base import Store
from .surveys.loader import CatalogError, check_catalog, encode_survey, load_catalog
from .surveys.model import Structure
from .surveys.waves import WAVE_ID, Wave, now, overlapping, parse_local

T = TypeVar("T")
STRUCTURE = "structure"  # form_versions.survey_id of frozen organisation structures
PHASES = ["baseline", "follow-up", "annual", "training", "pilot"]


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _with_store(settings: Settings, work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        store = open_store(settings.database_url)
        await store.open()
        try:
            if not await store.check_key(fingerprint(settings.secret_key)):
                raise click.ClickException(mismatch_message(settings.database_url))
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


@click.group()
@click.version_option(package_name="survey-service")
def cli() -> None:
    """Citizen and staff surveys with before/after service-quality indicators."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


# ---------------------------------------------------------------------------- forms
@cli.group()
def forms() -> None:
    """Survey files in the forms folder."""


@forms.command("check")
@click.option(
    "--dir",
    "forms_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Forms folder (default: SURVEY_FORMS_DIR or ./forms).",
)
def forms_check(forms_dir: Path | None) -> None:
    """Validate every survey file; exit non-zero naming file, question and problem."""
    folder = forms_dir or Path(_settings().forms_dir)
    catalog, problems = check_catalog(folder)
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    for loaded in catalog.surveys.values():
        n = sum(len(q.item_ids()) for q in loaded.survey.questions())
        click.echo(
            f"ok  {loaded.file}: {loaded.survey.id}, {len(loaded.survey.sections)} sections,"
            f" {n} items, version {loaded.version}"
        )
    click.echo(f"ok  organisations: {', '.join(catalog.organisations)}")
    if catalog.expected_results:
        click.echo(f"ok  expected results: {', '.join(r.id for r in catalog.expected_results)}")


# ---------------------------------------------------------------------------- db
@cli.group()
def db() -> None:
    """The database."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply pending numbered migrations (serve does this too)."""
    settings = _settings()

    async def work(store: Store) -> list[int]:
        return await store.migrate()  # open() already migrated; report the schema state

    _with_store(settings, work)
    click.echo(f"database is up to date ({settings.database_url})")


# ---------------------------------------------------------------------------- waves
@cli.group()
def waves() -> None:
    """Open, close and list the waves of a survey."""


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return parse_local(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


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
) -> Wave:
    """Freeze the survey's current file as a form version and open a wave on it.

    A staff wave also freezes the organisations' structure (units and head counts) it uses.
    """
    catalog = load_catalog(Path(settings.forms_dir))
    loaded = catalog.surveys.get(survey_id)
    if loaded is None:
        raise click.ClickException(
            f"unknown survey '{survey_id}' (known: {', '.join(sorted(catalog.surveys))})"
        )
    for org in organisations:
        if org not in catalog.organisations:
            raise click.ClickException(f"unknown organisation '{org}'")
    if starts and ends and ends <= starts:
        raise click.ClickException("the end must come after the start")
    wave_id = wave_id or f"{survey_id}-{phase}-{(starts or now()).astimezone(dt.UTC):%Y}"
    if not WAVE_ID.match(wave_id):
        raise click.ClickException(f"wave id '{wave_id}' must be lower-case letters, digits, -")
    existing = await store.waves()
    if any(w.id == wave_id for w in existing):
        raise click.ClickException(f"wave '{wave_id}' already exists")
    kind = loaded.survey.kind
    clash = (
        None
        if kind == "training"
        else overlapping(existing, survey_id, organisations, starts, ends, now())
    )
    if clash is not None:
        raise click.ClickException(
            f"wave '{clash.id}' of the same survey is open for the same organisations and time;"
            " close it first"
        )
    structure_hash = None
    if kind == "staff":
        frozen = {}
        for org_id in organisations or list(catalog.organisations):
            chosen = catalog.organisations[org_id].structure(structure)
            if chosen is None:
                raise click.ClickException(
                    f"organisation '{org_id}' has no structure '{structure or '(any)'}' in "
                    "organisations.toml; a staff wave needs its units and head counts"
                )
            frozen[org_id] = chosen
        definition = msgspec.json.encode(frozen)
        structure_hash = hashlib.sha256(definition).hexdigest()[:16]
        await store.save_form_version(STRUCTURE, structure_hash, definition)
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
    )
    await store.add_wave(wave)
    return wave


@waves.command("open")
@click.argument("survey")
@click.option("--id", "wave_id", help="Wave id (default: SURVEY-PHASE-YEAR).")
@click.option("--phase", type=click.Choice(PHASES), default="baseline", show_default=True)
@click.option(
    "--org",
    "organisations",
    multiple=True,
    help="Organisation id (repeat for several; default: all).",
)
@click.option("--starts", help="Opens by itself at this Europe/Sofia time (YYYY-MM-DD[ HH:MM]).")
@click.option("--ends", help="Closes by itself at this Europe/Sofia time (YYYY-MM-DD[ HH:MM]).")
@click.option(
    "--structure", help="Staff waves: structure id in organisations.toml (default: the newest)."
)
def waves_open(
    survey: str,
    wave_id: str | None,
    phase: str,
    organisations: tuple[str, ...],
    starts: str | None,
    ends: str | None,
    structure: str | None,
) -> None:
    """Open a wave of SURVEY, freezing its form version."""
    settings = _settings()
    start_at, end_at = _parse_time(starts), _parse_time(ends)
    try:
        wave = _with_store(
            settings,
            lambda store: open_wave(
                settings,
                store,
                survey,
                wave_id,
                phase,
                list(organisations),
                start_at,
                end_at,
                structure,
            ),
        )
    except CatalogError as exc:
        raise click.ClickException(f"the forms have problems:\n{exc}") from exc
    click.echo(
        f"opened wave {wave.id} of {wave.survey_id}, form version {wave.version}"
        f" ({wave.state(now())})"
    )


@waves.command("close")
@click.argument("wave_id")
def waves_close(wave_id: str) -> None:
    """Close a wave now."""
    settings = _settings()

    kinds = _survey_kinds(settings)

    async def work(store: Store) -> tuple[Wave, list[str], bool]:
        wave = await _find_wave(store, wave_id)
        if kinds.get(wave.survey_id) in TOKEN_KINDS:
            _require_lasting_secret()  # before anything changes
        if wave.state(now()) == "closed" and (
            wave.mixed or kinds.get(wave.survey_id) not in TOKEN_KINDS
        ):
            raise click.ClickException(f"wave '{wave_id}' is already closed")
        if wave.state(now()) != "closed":
            wave = msgspec.structs.replace(wave, closed=now())
            await store.update_wave(wave)
        mixed = []
        if kinds.get(wave.survey_id) in TOKEN_KINDS:
            try:
                mixed = await mix_closed_waves(store, Sealer(settings.secret_key), kinds)
            except MixError as exc:
                raise click.ClickException(str(exc)) from exc
        # mixed by another process (the running server) between our close and our mix
        elsewhere = wave.id not in mixed and kinds.get(wave.survey_id) in TOKEN_KINDS
        return wave, mixed, elsewhere

    wave, mixed, elsewhere = _with_store(settings, work)
    click.echo(f"closed wave {wave.id}")
    for other in mixed:
        click.echo(f"mixed the answers of {other}: results may now be shown")
    if elsewhere:
        click.echo(f"the answers of {wave.id} were mixed by the running server")


def _survey_kinds(settings: Settings) -> dict[str, str]:
    catalog = load_catalog(Path(settings.forms_dir))
    return {sid: loaded.survey.kind for sid, loaded in catalog.surveys.items()}


async def _find_wave(store: Store, wave_id: str) -> Wave:
    for wave in await store.waves():
        if wave.id == wave_id:
            return wave
    raise click.ClickException(f"unknown wave '{wave_id}'")


def _require_lasting_secret() -> None:
    url = os.environ.get("SURVEY_DATABASE_URL") or Settings().database_url
    if not os.environ.get("SURVEY_SECRET_KEY") and database_file(url) is None:
        raise click.ClickException(
            "SURVEY_SECRET_KEY must be set (the same value as the server's): invitation codes "
            "and sealed staff answers depend on it"
        )


@waves.command("status")
@click.argument("wave_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def waves_status(wave_id: str, as_json: bool) -> None:
    """Invitation codes issued and used, and the response rate per unit (live counts; answers
    of a staff wave stay sealed until it closes)."""
    settings = _settings()

    async def work(store: Store) -> tuple[Wave, dict[tuple[str, str], tuple[int, int]], Any]:
        wave = await _find_wave(store, wave_id)
        counts = await store.token_counts(wave_id)
        structure = None
        if wave.structure:
            data = await store.form_version(wave.structure)
            structure = msgspec.json.decode(data or b"{}", type=dict[str, Structure])
        return wave, counts, structure

    wave, counts, structures = _with_store(settings, work)
    rows: list[dict[str, Any]] = []
    for (org, unit), (issued, used) in counts.items():
        unit_def = structures[org].unit(unit) if structures and org in structures else None
        eligible = unit_def.head_count if unit_def else issued
        rows.append(
            {
                "organisation": org,
                "unit": unit,
                "head_count": eligible,
                "issued": issued,
                "used": used,
                "response_rate": round(100 * used / eligible, 1) if eligible else None,
            }
        )
    issued_total = sum(r["issued"] for r in rows)
    used_total = sum(r["used"] for r in rows)
    eligible_total = sum(r["head_count"] for r in rows)
    total = {
        "issued": issued_total,
        "used": used_total,
        "head_count": eligible_total,
        "response_rate": round(100 * used_total / eligible_total, 1) if eligible_total else None,
    }
    if as_json:
        click.echo(
            msgspec.json.format(
                msgspec.json.encode(
                    {"wave": wave.id, "state": wave.state(now()), "units": rows, "total": total}
                )
            ).decode()
        )
        return
    click.echo(f"wave {wave.id} ({wave.state(now())})")
    header = ["organisation", "unit", "head_count", "issued", "used", "response_rate"]
    table = [[str(r[h]) if r[h] is not None else "-" for h in header] for r in rows]
    table.append(
        [
            "total",
            "",
            str(eligible_total),
            str(issued_total),
            str(used_total),
            str(total["response_rate"] if total["response_rate"] is not None else "-"),
        ]
    )
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
    for row in [header, *table]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


@waves.command("set")
@click.argument("wave_id")
@click.option(
    "--min-group",
    type=click.IntRange(5),
    default=None,
    help="Smallest group figures may describe (at least 5).",
)
@click.option(
    "--panel/--no-panel",
    default=None,
    help="Staff waves: let respondents give a self-made panel code (off by default).",
)
def waves_set(wave_id: str, min_group: int | None, panel: bool | None) -> None:
    """Change a wave's anonymity settings; refused once the wave has a response."""
    settings = _settings()
    if min_group is None and panel is None:
        raise click.UsageError("nothing to change: give --min-group and/or --panel/--no-panel")

    async def work(store: Store) -> None:
        wave = await _find_wave(store, wave_id)
        used = sum(u for _, u in (await store.token_counts(wave_id)).values())
        answered = await store.count_responses(wave_id) + await store.pending_count(wave_id)
        if used or answered:
            raise click.ClickException(
                f"wave '{wave_id}' already has responses: its anonymity settings can no longer "
                "change"
            )
        if panel and _survey_kinds(settings).get(wave.survey_id) != "staff":
            raise click.ClickException("a panel is only for staff waves")
        await store.update_wave(
            msgspec.structs.replace(
                wave,
                min_group=wave.min_group if min_group is None else min_group,
                panel=wave.panel if panel is None else panel,
            )
        )

    _with_store(settings, work)
    if min_group is not None:
        click.echo(f"wave {wave_id}: smallest reported group is now {min_group}")
    if panel is not None:
        click.echo(f"wave {wave_id}: panel codes {'on' if panel else 'off'}")


# ---------------------------------------------------------------------------- tokens
@cli.group()
def tokens() -> None:
    """Invitation codes for staff and training surveys."""


@tokens.command("issue")
@click.argument("wave_id")
@click.option("--org", "organisation", required=True, help="Organisation id.")
@click.option("--unit", required=True, help="Unit id (staff) or any label (training).")
@click.option("--count", type=click.IntRange(1, 5000), required=True)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder for the CSV and the printable slips.",
)
def tokens_issue(wave_id: str, organisation: str, unit: str, count: int, out_dir: Path) -> None:
    """Issue COUNT single-use codes for a unit: a CSV and an A4 sheet of slips to cut out.

    Only keyed hashes of the codes are stored; the two files are the only copies of the codes.
    Hand them out in sealed envelopes, then destroy the files.
    """
    from .surveys.tokens import code_hash, new_code
    from .web.render import Renderer

    _require_lasting_secret()
    settings = _settings()
    catalog = load_catalog(Path(settings.forms_dir))
    org = catalog.organisations.get(organisation)
    if org is None:
        raise click.ClickException(f"unknown organisation '{organisation}'")

    async def check(store: Store) -> Wave:
        wave = await _find_wave(store, wave_id)
        kind = (
            catalog.surveys[wave.survey_id].survey.kind
            if wave.survey_id in (catalog.surveys)
            else None
        )
        if kind not in TOKEN_KINDS:
            raise click.ClickException(f"wave '{wave_id}' is not a staff or training wave")
        if not wave.covers(organisation):
            raise click.ClickException(f"wave '{wave_id}' does not cover '{organisation}'")
        if wave.state(now()) == "closed":
            raise click.ClickException(f"wave '{wave_id}' is closed")
        if kind == "staff":
            data = await store.form_version(wave.structure or "")
            frozen = msgspec.json.decode(data or b"{}", type=dict[str, Structure])
            structure = frozen.get(organisation)
            if structure is None or structure.unit(unit) is None:
                known = ", ".join(u.id for u in structure.units) if structure else "none"
                raise click.ClickException(f"unknown unit '{unit}' (units: {known})")
        return wave

    wave = _with_store(settings, check)
    codes = [new_code() for _ in range(count)]
    stem = f"codes-{wave_id}-{organisation}-{unit}-{secrets.token_hex(3)}"
    base = settings.public_url.rstrip("/")
    files = [out_dir / f"{stem}.csv", out_dir / f"{stem}.html"]
    # the files first: codes are stored only once somebody can hand them out
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with open(_private(files[0]), "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.writer(f)
            writer.writerow(["code", "url", "wave", "organisation", "unit"])
            for code in codes:
                writer.writerow([code, f"{base}/t/{code}", wave_id, organisation, unit])
        slips = [(code, f"{base}/t/{code}", qr_svg(f"{base}/t/{code}")) for code in codes]
        page = Renderer().render(
            "bg",
            "staff/slips.html",
            slips=slips,
            org=org,
            wave=wave,
            staff_url=f"{base}/staff",
            unit=unit,
        )
        with open(_private(files[1]), "w", encoding="utf-8") as f:
            f.write(page)
    except OSError as exc:
        for path in files:
            path.unlink(missing_ok=True)
        raise click.ClickException(f"cannot write the codes to {out_dir}: {exc}") from exc

    async def store_hashes(store: Store) -> None:
        hashes = [code_hash(c.replace("-", ""), settings.secret_key) for c in codes]
        await store.add_tokens(wave_id, organisation, unit, hashes)

    try:
        _with_store(settings, store_hashes)
    except BaseException:
        for path in files:
            path.unlink(missing_ok=True)
        raise
    click.echo(f"issued {count} codes for {organisation}/{unit} in wave {wave_id}:")
    click.echo(f"  {out_dir / (stem + '.csv')}")
    click.echo(f"  {out_dir / (stem + '.html')}  (print on A4, cut along the lines)")


def _private(path: Path) -> int:
    """A new file only its owner may read (codes are secrets until handed out)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)


def qr_svg(url: str) -> str:
    """An inline SVG QR code (segno), for printing on slips."""
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=2, border=2, omitsize=False))


@tokens.command("revoke")
@click.argument("code")
def tokens_revoke(code: str) -> None:
    """Make a code unusable (a lost slip); then issue a new one with `tokens issue`."""
    from .surveys.tokens import CodeProblem, code_hash, normalise

    _require_lasting_secret()
    settings = _settings()
    canonical = normalise(code)
    if isinstance(canonical, CodeProblem):
        raise click.ClickException("that is not a valid code (check it against the slip)")

    async def work(store: Store) -> bool:
        return await store.revoke_token(code_hash(canonical, settings.secret_key))

    if not _with_store(settings, work):
        raise click.ClickException("no unused code like that")
    click.echo("revoked")


def _local(value: dt.datetime | None) -> str | None:
    from .surveys.waves import SOFIA

    return value.astimezone(SOFIA).strftime("%Y-%m-%d %H:%M") if value else None


@waves.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def waves_list(as_json: bool) -> None:
    """List every wave with its state and response count."""
    settings = _settings()

    async def work(store: Store) -> list[tuple[Wave, int]]:
        return [(w, await store.count_responses(w.id)) for w in await store.waves()]

    rows = _with_store(settings, work)
    at = now()
    data: list[dict[str, Any]] = [
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
            "responses": n,
        }
        for w, n in rows
    ]
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(data)).decode())
        return
    if not data:
        click.echo("no waves")
        return
    header = ["id", "survey", "phase", "state", "organisations", "starts", "ends", "responses"]
    table = [
        [
            str(d[h] if h != "organisations" else ",".join(d[h])) if d[h] is not None else "-"
            for h in header
        ]
        for d in data
    ]
    widths = [max(len(h), *(len(r[i]) for r in table)) for i, h in enumerate(header)]
    for row in [header, *table]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


# ---------------------------------------------------------------------------- report
@cli.command("report")
@click.argument("survey_id")
@click.option("--baseline", required=True, help="Baseline wave id.")
@click.option("--follow-up", "follow_up", required=True, help="Follow-up wave id.")
@click.option("--org", "organisation", default=None, help="Only this organisation.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option("--lang", type=click.Choice(["bg", "en"]), default="bg", show_default=True)
@click.option(
    "--items/--no-items",
    default=True,
    show_default=True,
    help="Also compare every single item (exploratory).",
)
@click.option(
    "--by",
    type=click.Choice(["organisation", "unit", "channel", "service"]),
    default=None,
    help="Show the indicators by group instead (small groups hidden).",
)
def report(
    survey_id: str,
    baseline: str,
    follow_up: str,
    organisation: str | None,
    fmt: str,
    lang: str,
    items: bool,
    by: str | None,
) -> None:
    """The expected-results table: each indicator at baseline and follow-up, the change with
    its 95 % CI, test, raw and adjusted p, effect size, n per wave and target status."""
    from .reports.render import to_csv, to_json, to_table

    settings = _settings()
    result = _with_store(
        settings,
        lambda store: compute_report(
            settings, store, survey_id, baseline, follow_up, organisation, lang, items, by
        ),
    )
    if by is not None:
        from .reports.breakdown import breakdown_csv, breakdown_table

        if fmt == "csv":
            click.echo(breakdown_csv(result), nl=False)
        elif fmt == "json":
            click.echo(msgspec.json.format(msgspec.json.encode(result)).decode())
        else:
            click.echo(breakdown_table(result, lang))
        return
    if fmt == "csv":
        click.echo(to_csv(result), nl=False)
    elif fmt == "json":
        click.echo(to_json(result).decode())
    else:
        click.echo(to_table(result))


async def compute_report(
    settings: Settings,
    store: Store,
    survey_id: str,
    baseline: str,
    follow_up: str,
    organisation: str | None,
    lang: str,
    items: bool,
    by: str | None = None,
) -> Any:
    """Load two waves and build their report (shared by the CLI and the web layer)."""
    from .anonymity import results_available
    from .reports.data import wave_matrix
    from .reports.report import build_report
    from .surveys.loader import decode_survey

    catalog = load_catalog(Path(settings.forms_dir))
    if organisation is not None and organisation not in catalog.organisations:
        raise click.ClickException(f"unknown organisation '{organisation}'")
    matrices = []
    for wave_id in (baseline, follow_up):
        wave = await _find_wave(store, wave_id)
        if wave.survey_id != survey_id:
            raise click.ClickException(f"wave '{wave_id}' is a wave of '{wave.survey_id}'")
        definition = await store.form_version(wave.version)
        if definition is None:
            raise click.ClickException(f"form version {wave.version} of '{wave_id}' is missing")
        survey = decode_survey(definition)
        if not results_available(wave, survey.kind):
            raise click.ClickException(
                f"wave '{wave_id}' is still open: results of a staff wave appear when it is "
                "closed (two reports minutes apart would reveal one person's answers)"
            )
        groups = by is not None or wave.panel
        data = await store.wave_codes(wave_id, organisation, groups=groups)
        matrices.append(wave_matrix(wave, survey, data))
    a, b = matrices
    min_group = max(a.wave.min_group, b.wave.min_group, settings.min_group)
    if organisation is None:
        for m in matrices:
            for org, n in (await store.organisation_counts(m.wave.id)).items():
                if n < min_group:
                    raise click.ClickException(
                        f"organisation '{org}' has only {n} responses in wave '{m.wave.id}' "
                        f"(fewer than {min_group}): a report over all organisations would "
                        "reveal its answers by subtraction; report each organisation with --org"
                    )
    population = (
        await _population(store, a.wave, organisation),
        await _population(store, b.wave, organisation),
    )
    if by is not None:
        from .reports.breakdown import breakdown

        labels, mapping = await _unit_labels(store, a.wave, b.wave, lang)
        if by == "organisation":
            labels = {o.id: o.name.get(lang) for o in catalog.organisations.values()}
        return breakdown(
            a,
            b,
            by,  # type: ignore[arg-type]
            lang=lang,
            min_group=min_group,
            labels=labels,
            unit_mapping=mapping,
        )
    return build_report(
        a,
        b,
        catalog.expected_results,
        lang=lang,
        organisation=organisation,
        min_group=min_group,
        population=population,
        items=items,
    )


async def _unit_labels(
    store: Store, baseline: Wave, follow_up: Wave, lang: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Unit names of the follow-up structure, and the map from baseline units to them."""
    labels: dict[str, str] = {}
    mapping: dict[str, str] = {}
    frozen = {}
    for wave in (baseline, follow_up):
        data = await store.form_version(wave.structure or "") if wave.structure else None
        frozen[wave.id] = msgspec.json.decode(data or b"{}", type=dict[str, Structure])
    for org, structure in frozen[follow_up.id].items():
        labels.update({f"{org}/{u.id}": u.name.get(lang) for u in structure.units})
        before = frozen[baseline.id].get(org)
        if before is not None and structure.previous == before.id:
            mapping.update(
                {f"{org}/{old}": f"{org}/{new}" for old, new in structure.mapping.items()}
            )
    return labels, mapping


async def _population(store: Store, wave: Wave, organisation: str | None) -> int | None:
    """Staff waves: the head count of the organisations covered (for the FPC)."""
    if not wave.structure:
        return None
    data = await store.form_version(wave.structure)
    frozen = msgspec.json.decode(data or b"{}", type=dict[str, Structure])
    return (
        sum(
            u.head_count
            for org, s in frozen.items()
            for u in s.units
            if organisation is None or org == organisation
        )
        or None
    )


# ---------------------------------------------------------------------------- demo
DEMO_WAVES = [
    ("baseline", "2026-03-02", "2026-04-30 18:00"),
    ("follow-up", "2026-10-01", "2026-11-20 18:00"),
]


@cli.command("demo")
@click.option("--survey", "survey_id", default="citizen-satisfaction", show_default=True)
@click.option(
    "--responses",
    type=click.IntRange(1),
    default=300,
    show_default=True,
    help="Responses per organisation and wave.",
)
@click.option("--seed", type=int, default=2026, show_default=True)
def demo(survey_id: str, responses: int, seed: int) -> None:
    """Create closed baseline and follow-up demo waves with synthetic responses.

    The follow-up shows a real improvement in timeliness, access and effort and none in staff
    competence and courtesy. Does nothing if the demo waves exist already.
    """
    import numpy as np

    from .demo import BASELINE, FOLLOW_UP, generate

    settings = _settings()
    catalog = load_catalog(Path(settings.forms_dir))
    loaded = catalog.surveys.get(survey_id)
    if loaded is None:
        raise click.ClickException(f"unknown survey '{survey_id}'")
    orgs = list(catalog.organisations)
    rng = np.random.default_rng(seed)

    async def work(store: Store) -> None:
        existing = {w.id for w in await store.waves()}
        for phase, starts, ends in DEMO_WAVES:
            wave_id = f"demo-{survey_id}-{phase}"
            if wave_id in existing:
                click.echo(f"demo wave {wave_id} exists already")
                continue
            start_at, end_at = parse_local(starts), parse_local(ends)
            wave = await open_wave(settings, store, survey_id, wave_id, phase, [], start_at, end_at)
            days = [
                start_at.date() + dt.timedelta(days=d)
                for d in range((end_at.date() - start_at.date()).days + 1)
            ]
            total = responses * len(orgs)
            scenario = BASELINE if phase == "baseline" else FOLLOW_UP
            with click.progressbar(length=total, label=f"{wave_id}") as bar:
                for chunk in generate(
                    loaded.survey,
                    total,
                    scenario,
                    rng,
                    wave_id=wave_id,
                    version=wave.version,
                    organisations=orgs,
                    days=days,
                ):
                    await store.import_responses(chunk)
                    bar.update(len(chunk))

    _with_store(settings, work)


# ---------------------------------------------------------------------------- serve
def _ensure_demo_waves(settings: Settings, store: Store) -> Awaitable[list[Wave]]:
    async def work() -> list[Wave]:
        catalog = load_catalog(Path(settings.forms_dir))
        opened = []
        existing = await store.waves()
        for survey_id, loaded in catalog.surveys.items():
            if loaded.survey.kind != "citizen":
                continue
            if any(w.survey_id == survey_id and w.state(now()) == "open" for w in existing):
                continue
            wave_id = f"{survey_id}-demo-{now():%Y%m%d%H%M%S}"
            opened.append(
                await open_wave(settings, store, survey_id, wave_id, "pilot", [], None, None)
            )
        return opened

    return work()


@cli.command("serve")
@click.option("--host", default=None, help="Listen address (default: SURVEY_HOST).")
@click.option("--port", type=int, default=None, help="Port (default: SURVEY_PORT).")
@click.option(
    "--demo-waves",
    is_flag=True,
    help="Open a pilot wave of every citizen survey that has no open wave.",
)
def serve(host: str | None, port: int | None, demo_waves: bool) -> None:
    """Check the forms, migrate the database and serve the app."""
    import uvicorn

    from .app import create_app

    settings = _settings()
    try:
        load_catalog(Path(settings.forms_dir))
    except CatalogError as exc:
        click.echo(f"error: refusing to start, the forms have problems:\n{exc}", err=True)
        raise SystemExit(1) from exc

    async def prepare(store: Store) -> None:
        if demo_waves:
            for wave in await _ensure_demo_waves(settings, store):
                click.echo(f"opened demo wave {wave.id}")

    _with_store(settings, prepare)  # opening the store applies the migrations
    app = create_app(settings)
    bind_host, bind_port = host or settings.host, port or settings.port
    click.echo(f"serving on http://{bind_host}:{bind_port}/ (database {settings.database_url})")
    uvicorn.run(
        app,
        host=bind_host,
        port=bind_port,
        access_log=False,  # the app logs requests itself, without addresses or codes
        server_header=False,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
    )


class SurveyCLIPlugin(CLIPluginProtocol):
    """Adds the operator's commands to Litestar's CLI as ``litestar survey ...``."""

    def on_cli_init(self, cli: click.Group) -> None:
        cli.add_command(globals()["cli"], name="survey")


def main() -> None:
    cli(prog_name="survey-service")


if __name__ == "__main__":
    main()

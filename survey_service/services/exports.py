"""Exports of a wave's responses: wide and long CSV, the codebook, xlsx, SPSS and Stata.

Citizen waves may be exported at any time; staff and training waves only once closed and
mixed (their answers are sealed until then). Staff exports never contain free text, and their
``unit`` column is empty for every unit of which the wave's disclosure plan hides a figure
(``services.disclosure``: the small units and the complementary ones chosen together with
every table the service publishes), together with as many of the next smallest units as it
takes for the hidden ones to add up to ``min_group``; an organisation with fewer responses
than ``min_group`` refuses the export. The columns are the union of every form version the
wave's responses were given on. CSV and xlsx stream in constant memory (batches of
:data:`BATCH` responses from one snapshot); SPSS and Stata hold the wave (see
``exports.stats``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from ..anonymity import TOKEN_KINDS, results_available
from ..exports.codebook import codebook_table, long_maker
from ..exports.columns import Column, meta_columns, plan_columns, raw_columns_maker, row_maker
from ..exports.csv_writer import CsvEncoder
from ..exports.table import Cell
from ..reports.disclosure import WavePlan
from ..reports.rows import Report
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import decode_survey
from ..surveys.model import Survey
from ..surveys.waves import Wave, today_in_sofia
from .disclosure import wave_plan
from .errors import Invalid, Refused, Unavailable
from .waves import find_wave

#: Responses read per batch (one snapshot, one chunk of output).
BATCH = 2000
FORMATS = ("csv", "long", "codebook", "indicators", "xlsx", "sav", "dta")
EXTENSIONS = {"xlsx": "xlsx", "sav": "sav", "dta": "dta"}
MEDIA_TYPES = {
    "csv": "text/csv",  # Litestar adds "; charset=utf-8"
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


@dataclass(frozen=True)
class CsvOptions:
    """``labels``: None for codes, or "bg"/"en" for the labels in that language."""

    delimiter: str = ","
    bom: bool = True
    labels: str | None = None
    decimal_comma: bool = False

    def encoder(self) -> CsvEncoder:
        if self.delimiter not in (",", ";"):
            raise Invalid(f"the delimiter must be ',' or ';', not {self.delimiter!r}")
        if self.labels not in (None, "bg", "en"):
            raise Invalid(f"labels must be in 'bg' or 'en', not {self.labels!r}")
        try:
            return CsvEncoder(delimiter=self.delimiter, bom=self.bom,
                              decimal_comma=self.decimal_comma)
        except ValueError as exc:
            raise Invalid(str(exc)) from exc


@dataclass(frozen=True)
class WaveExport:
    """What every export of one wave needs, read once."""

    wave: Wave
    survey: Survey  # the wave's own form version
    staff: bool
    columns: list[Column]
    meta: list[str]
    hidden_units: frozenset[tuple[str, str]]  # staff: (organisation, unit) never shown
    organisation: str | None = None  # only this organisation's responses (an analyst's)

    def filename(self, kind: str = "", ext: str = "csv") -> str:
        """``{survey}_{wave}[_{kind}]_{yyyy-mm-dd}.{ext}`` (the day of the export)."""
        middle = "".join(f"_{part}" for part in (self.organisation, kind) if part)
        return f"{self.wave.survey_id}_{self.wave.id}{middle}_{today_in_sofia():%Y-%m-%d}.{ext}"

    def numeric(self, labels: str | None) -> list[bool]:
        """Per column of the wide rows: whether it holds only ints and empty cells."""
        return [False] * len(self.meta) + [c.numeric_cells(labels) for c in self.columns]

    def inert(self, labels: str | None) -> list[bool]:
        """Per column of the wide rows: whether no cell can ever need neutralising (a
        spreadsheet would never run it as a formula): the metadata (hex ids, identifiers
        checked by the loader, fixed channels and languages, ISO days), codes and numbers,
        and single-choice codes (snake_case, checked by the loader). Free text, dates and
        labels are looked at, cell by cell."""
        return [True] * len(self.meta) + [
            c.numeric_cells(labels) or (labels is None and c.kind == "single")
            for c in self.columns]

    def rows(self, labels: str | None = None) -> Callable[[Any], list[Cell]]:
        hidden = self.hidden_units

        def shown(organisation: str, unit: str | None) -> str | None:
            return None if (organisation, unit or "") in hidden else unit

        return row_maker(self.columns, labels, self.staff, shown if self.staff else None)

    def raw_columns(self, labels: str | None = None) -> Callable[[Any], list[list[Cell]]]:
        """:meth:`rows` for a batch of ``Store.stream_response_rows``, column by column."""
        hidden = self.hidden_units

        def shown(organisation: str, unit: str | None) -> str | None:
            return None if (organisation, unit or "") in hidden else unit

        return raw_columns_maker(self.columns, labels, self.staff,
                              shown if self.staff else None)


def hidden_units(counts: dict[tuple[str, str], int], min_group: int,
                 by_plan: frozenset[tuple[str, str]] = frozenset()
                 ) -> frozenset[tuple[str, str]]:
    """Units (per organisation) whose responses must not be told apart: every unit the
    wave's disclosure plan hides any figure of (``by_plan``: its small units and the
    complementary ones chosen with every other table the service publishes), every unit
    under ``min_group``, plus the next smallest ones until the hidden units of an organisation
    hold at least ``min_group`` responses (or all of them are hidden), so that the group of
    responses without a unit is never small itself."""
    hidden: set[tuple[str, str]] = set()
    for org in {o for o, _ in counts}:
        units = sorted((n, u) for (o, u), n in counts.items() if o == org)
        small = [(n, u) for n, u in units if n < min_group or not u or (org, u) in by_plan]
        total = sum(n for n, _ in small)
        rest = [x for x in units if x not in small]
        while small and total < min_group and rest:
            n, u = rest.pop(0)
            small.append((n, u))
            total += n
        hidden.update((org, u) for _, u in small)
    return frozenset(hidden)


def plan_units(plan: WavePlan) -> frozenset[tuple[str, str]]:
    """The (organisation, unit) pairs of which the plan hides some figure: a record that
    named such a unit would give that figure away."""
    hidden_cells = {cell for cells in plan.hidden.values() for cell in cells}
    found = set()
    for label, cell in plan.labels.items():
        if label.startswith("unit:") and cell in hidden_cells:
            org, _, unit = label.removeprefix("unit:").partition("/")
            found.add((org, unit))
    return frozenset(found)


async def prepare_export(settings: Settings, store: Store, wave_id: str,
                         organisation: str | None = None) -> WaveExport:
    """What exporting the wave needs (or why it may not be exported); with ``organisation``,
    the export holds only that organisation's responses. A staff export hides the units of
    the wave's disclosure plan (:func:`hidden_units`)."""
    wave = await find_wave(store, wave_id)
    definition = await store.form_version(wave.version)
    if definition is None:
        raise Unavailable(f"form version {wave.version} of '{wave_id}' is missing")
    survey = decode_survey(definition)
    staff = survey.kind in TOKEN_KINDS
    if not results_available(wave, survey.kind):
        raise Refused(
            f"wave '{wave_id}' is a {survey.kind} wave that is not closed yet: its answers "
            "stay sealed until it closes, and only then can it be exported"
        )
    versions = [(wave.version, survey)]
    for version in await store.wave_versions(wave_id):
        if version != wave.version:
            other = await store.form_version(version)
            if other is None:
                raise Unavailable(f"form version {version} of '{wave_id}' is missing")
            versions.append((version, decode_survey(other)))
    hidden: frozenset[tuple[str, str]] = frozenset()
    if staff:
        codes = await store.wave_codes(wave_id, groups=True)
        counts: dict[tuple[str, str], int] = {}
        for org, unit in zip(codes.organisations, codes.units, strict=True):
            counts[org, unit or ""] = counts.get((org, unit or ""), 0) + 1
        for org in sorted({o for o, _ in counts}):
            n = sum(c for (o, _), c in counts.items() if o == org)
            if n < wave.min_group:
                raise Refused(
                    f"organisation '{org}' has only {n} responses in staff wave '{wave_id}' "
                    f"(fewer than {wave.min_group}): its rows would describe a small group")
        plan = await wave_plan(settings, store, wave)  # the kept plan of the closed wave
        hidden = hidden_units(counts, max(wave.min_group, plan.min_group), plan_units(plan))
    columns = plan_columns(versions, free_text=not staff)
    return WaveExport(wave, survey, staff, columns, meta_columns(columns, staff), hidden,
                      organisation)


async def response_batches(store: Store, wave_id: str, counted: list[int] | None = None,
                           organisation: str | None = None, raw: bool = False
                           ) -> AsyncGenerator[list[Any], None]:
    """The wave's responses in batches (only ``organisation``'s when given; a batch with none
    of them is skipped), undecoded with ``raw`` (``Store.stream_response_rows``);
    ``counted`` gets each batch's length."""
    stream = (store.stream_response_rows if raw else store.stream_responses)(wave_id, BATCH)
    try:
        # read the next batch while the caller works on this one (the database's thread
        # runs beside the event loop); at most two batches are in memory
        following = asyncio.ensure_future(anext(stream, None))
        while (batch := await following) is not None:
            following = asyncio.ensure_future(anext(stream, None))
            if organisation is not None:
                batch = [r for r in batch
                         if (r[3] if raw else r.organisation) == organisation]
                if not batch:
                    continue
            if counted is not None:
                counted.append(len(batch))
            yield batch
    finally:
        if not following.done():
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await following
        close = getattr(stream, "aclose", None)
        if close is not None:  # free the reader even when the client went away
            await close()


async def wide_csv(store: Store, export: WaveExport, options: CsvOptions,
                   counted: list[int] | None = None) -> AsyncIterator[bytes]:
    """The wide CSV in chunks of UTF-8 (one per batch), in constant memory."""
    encoder = options.encoder()
    make, inert = export.raw_columns(options.labels), export.inert(options.labels)
    yield encoder.header([*export.meta, *(c.name for c in export.columns)])
    async for batch in response_batches(store, export.wave.id, counted, export.organisation,
                                        raw=True):
        yield encoder.columns(make(batch), inert)


async def long_csv(store: Store, export: WaveExport, options: CsvOptions,
                   counted: list[int] | None = None) -> AsyncIterator[bytes]:
    """One row per answered item (and per chosen option): response, question, code, label."""
    encoder = options.encoder()
    make = long_maker(export.columns, options.labels or "bg")
    yield encoder.header(["response_id", "question", "code", "label"])
    async for batch in response_batches(store, export.wave.id, counted, export.organisation):
        yield encoder.rows([row for r in batch for row in make(r)])


def codebook_csv(export: WaveExport, options: CsvOptions) -> bytes:
    encoder = options.encoder()
    table = codebook_table(export.filename("codebook"), export.columns)
    return encoder.header(table.columns) + encoder.rows(table.rows)


async def write_xlsx(store: Store, export: WaveExport, path: Path, labels: str | None) -> int:
    """The responses and the codebook as an xlsx workbook; returns the rows written."""
    from ..exports.xlsx import XlsxWriter

    book = XlsxWriter(path)
    make, count = export.rows(labels), 0
    try:
        book.sheet("responses", [*export.meta, *(c.name for c in export.columns)])
        async for batch in response_batches(store, export.wave.id,
                                            organisation=export.organisation):
            book.rows([make(r) for r in batch])
            count += len(batch)
        book.table(codebook_table("codebook", export.columns), "codebook")
    except OverflowError as exc:
        raise Refused(f"{exc}: export this wave as CSV") from exc
    finally:
        book.close()
    return count


async def write_stats_file(store: Store, export: WaveExport, path: Path, fmt: str,
                           lang: str) -> int:
    """An SPSS .sav or Stata .dta file with labels in ``lang``; returns the rows written."""
    from ..exports.stats import write_stats

    make = export.rows(None)
    rows = [make(r) async for batch in response_batches(store, export.wave.id,
                                                organisation=export.organisation)
            for r in batch]
    label = f"{export.survey.title.get(lang)} — {export.wave.id}"
    # pyreadstat writes the whole file at once: off the event loop (a server keeps serving)
    await asyncio.to_thread(write_stats, path, fmt, export.meta, export.columns, rows, lang,
                            label)
    return len(rows)


def check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise Invalid(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")


async def indicators_csv(settings: Settings, store: Store, export: WaveExport, baseline: str,
                         options: CsvOptions) -> bytes:
    """The report's indicator table (``report --format csv``) of ``baseline`` against the
    exported wave, in the chosen language."""
    from ..reports.render import report_table
    from .reports import compute_report

    report = await compute_report(settings, store, export.wave.survey_id, baseline,
                                  export.wave.id, None, options.labels or "bg", True)
    if not isinstance(report, Report):  # pragma: no cover - no breakdown was asked for
        raise Invalid("the indicators export is a report, not a breakdown")
    encoder = options.encoder()
    table = report_table(report)
    return encoder.header(table.columns) + encoder.rows(table.rows)


@dataclass(frozen=True)
class Written:
    path: Path | None  # None: written to the given stream
    rows: int | None  # responses written (None for the codebook and indicators)


async def export_wave(
    settings: Settings, store: Store, wave_id: str, fmt: str, out: Path | None,
    options: CsvOptions, baseline: str | None = None, stream: BinaryIO | None = None,
) -> Written:
    """Export a wave to ``out`` (default: the honest file name in the current folder), or
    to ``stream`` for the CSV formats. A file is written under a temporary name and renamed
    when complete, so a failed export leaves nothing half-written."""
    check_format(fmt)
    options.encoder()
    if fmt == "indicators" and not baseline:
        raise Invalid("the indicators export compares two waves: give --baseline WAVE")
    if fmt in ("sav", "dta", "xlsx") and stream is not None:
        raise Invalid(f"a {fmt} file cannot go to standard output: give --out FILE")
    export = await prepare_export(settings, store, wave_id)
    kind = {"long": "long", "codebook": "codebook", "indicators": "indicators"}.get(fmt, "")
    target = out or Path(export.filename(kind, EXTENSIONS.get(fmt, "csv")))
    lang = options.labels or "bg"
    if stream is not None:
        return Written(None, await _write_csv(settings, store, export, fmt, options, baseline,
                                              stream))
    temporary = target.with_name(f".{target.name}.partial")
    try:
        if fmt == "xlsx":
            rows: int | None = await write_xlsx(store, export, temporary, options.labels)
        elif fmt in ("sav", "dta"):
            rows = await write_stats_file(store, export, temporary, fmt, lang)
        else:
            with temporary.open("wb") as file:
                rows = await _write_csv(settings, store, export, fmt, options, baseline, file)
        temporary.replace(target)
    except OSError as exc:
        raise Invalid(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return Written(target, rows)


async def _write_csv(settings: Settings, store: Store, export: WaveExport, fmt: str,
                     options: CsvOptions, baseline: str | None, file: BinaryIO) -> int | None:
    if fmt == "codebook":
        file.write(codebook_csv(export, options))
        return None
    if fmt == "indicators":
        assert baseline is not None
        file.write(await indicators_csv(settings, store, export, baseline, options))
        return None
    counted: list[int] = []
    chunks = wide_csv if fmt == "csv" else long_csv
    async for chunk in chunks(store, export, options, counted):
        file.write(chunk)
    return sum(counted)

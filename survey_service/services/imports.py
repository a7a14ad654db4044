"""Import of existing data (questionnaires collected before the service, keyed into Excel):
a CSV or xlsx file laid out like the wide export, validated against the wave's form version
exactly like a web submission (``surveys.answers``), all or nothing.

Every bad cell is reported (row, column, value, why) and nothing is stored until the file is
clean; then every row is stored in one transaction. A row's one-time key comes from its
``response_id`` (or from the file's content and the row number), so importing the same file
twice stores it once. The ``wave`` column is not read (a wave's export may go into another
wave of the same form version, e.g. in a new database); ``form_version`` must be the wave's.
Answers may be codes, or labels in either language. Staff and training
waves take imports only once closed (while open, answers are sealed as they come).

Most rows are clean and repeat the same few values: ``import_rows.RowAnswers`` judges each
question's distinct cells once (by the same check) and hands any row with something refused
or unusual to :func:`validate_row`, which says every reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..anonymity import TOKEN_KINDS
from ..exports.columns import META, OPTION_SEP, Column, meta_columns, plan_columns
from ..exports.sheets import SheetError, read_table
from ..settings import Settings
from ..storage.base import NewResponse, Store
from ..surveys.answers import Answers, FieldError, is_visible, validate_section
from ..surveys.coding import codes_encoder
from ..surveys.loader import decode_survey
from ..surveys.model import Question, ShowIf, Structure, Survey
from ..surveys.waves import Wave, now, today_in_sofia
from .catalog import load, wave_structures
from .errors import Invalid, Unavailable
from .import_reasons import (
    FUTURE,
    NO_QUESTION,
    NO_UNITS,
    NOT_A_CHANNEL,
    NOT_A_DAY,
    NOT_A_LANGUAGE,
    NOT_A_QUESTION,
    NOT_A_STAFF_QUESTION,
    NOT_A_UNIT,
    NOT_AN_ID,
    NOT_AN_ORGANISATION,
    NOT_ASKED,
    OTHER_VERSION,
    REQUIRED,
    SAME_ID,
    STAFF_DAY,
    STAFF_OPEN,
    TWICE,
    NotNow,
    Reason,
    UnreadableFile,
    field_reason,
)
from .import_rows import BadCell, RowAnswers, read_form
from .waves import find_wave

CHANNELS = ("web", "kiosk", "paper")
RESPONSE_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class ImportRefused(Invalid):
    """The file has bad cells; nothing was stored."""

    def __init__(self, problems: list[BadCell], rows: int) -> None:
        super().__init__(f"{len(problems)} bad cells in {rows} rows: nothing was imported")
        self.problems = problems


@dataclass(frozen=True)
class ImportResult:
    rows: int  # data rows in the file
    stored: int  # stored now (0 in a dry run; rows already imported are skipped)
    dry_run: bool


class _Layout:
    """Which column of the file is what, for one wave's form version."""

    def __init__(self, header: list[str], columns: list[Column], staff: bool) -> None:
        self.problems: list[BadCell] = []
        self._conditional: list[tuple[Question, str, ShowIf]] | None = None
        self._plan: list[tuple[int, Column, dict[str, str] | None]] | None = None
        by_name = {c.name: c for c in columns}
        #: metadata column name -> its role (a name of META)
        self.roles = dict(zip(meta_columns(columns, True), META, strict=True))
        if not staff:
            self.roles = {n: r for n, r in self.roles.items() if r != "unit"}
        self.index: dict[str, int] = {}
        for i, name in enumerate(header):
            if not name:
                continue
            if name in self.index:
                self.problems.append(BadCell(1, name, name, Reason(TWICE)))
            elif name in by_name or name in self.roles:
                self.index[self.roles.get(name, name)] = i
            elif name in META:
                self.problems.append(BadCell(1, name, name, Reason(NO_UNITS)))
            else:
                why = NOT_A_STAFF_QUESTION if staff else NOT_A_QUESTION
                self.problems.append(BadCell(1, name, name, Reason(why)))
        #: each metadata role and its place in a row (None: no such column)
        self.meta_places = [(m, self.index.get(m)) for m in META]
        self.items = [c for c in columns if c.name in self.index]
        if not self.items:
            self.problems.append(BadCell(1, "", "", Reason(NO_QUESTION)))
        self.names = {c.item: c.name if c.option is None else f"{c.item}{OPTION_SEP}*"
                      for c in self.items}
        self.labels: dict[str, dict[str, str]] = {}
        for c in self.items:
            if c.kind in ("likert", "matrix", "single"):
                self.labels[c.name] = {
                    text.get(lang).casefold(): str(code)
                    for code, text in c.choices for lang in ("bg", "en")
                }

    @property
    def plan(self) -> list[tuple[int, Column, dict[str, str] | None]]:
        """Each item column's place in a row, the column, and its labels (or None)."""
        if self._plan is None:
            self._plan = [(self.index[c.name], c, self.labels.get(c.name)) for c in self.items]
        return self._plan

    def conditional(self, survey: Survey) -> list[tuple[Question, str, ShowIf]]:
        """The items of questions shown only on a condition (checked for answers given
        where the question was not shown), once per survey."""
        if self._conditional is None:
            self._conditional = [(q, item, q.show_if) for q in survey.questions()
                                 if q.show_if is not None for item in q.item_ids()]
        return self._conditional

    def name(self, role: str) -> str:
        """The column name of a metadata role (as the export names it)."""
        return next((n for n, r in self.roles.items() if r == role), role)


def validate_row(survey: Survey, layout: _Layout, number: int, row: list[str]
                 ) -> tuple[Answers, list[BadCell]]:
    """The answers of one row and its bad cells, as a web submission would be judged."""
    bad: list[BadCell] = []
    form = read_form(layout.plan, number, row, bad)
    answers: Answers = {}
    errors: list[FieldError] = []
    for section in survey.sections:  # every section, to report every bad cell
        errors += validate_section(survey, section, form, answers)
    names = layout.names
    for e in errors:
        column = names.get(e.item, e.item)
        bad.append(BadCell(number, column, " ".join(form.get(e.item, [])), field_reason(e)))
    reported = {e.item for e in errors}
    for q, item, cond in layout.conditional(survey):
        given = [v for v in form.get(item, []) if v]
        if (given and item not in answers and item not in reported
                and cond.question not in reported and not is_visible(q, answers)):
            bad.append(BadCell(
                number, names.get(item, item), " ".join(given),
                Reason(NOT_ASKED, {"question": cond.question,
                                   "codes": ", ".join(map(str, cond.any_of))})))
    return answers, bad


async def import_file(settings: Settings, store: Store, wave_id: str, path: Path,
                      dry_run: bool = False) -> ImportResult:
    """Validate ``path`` against the wave; store every row in one transaction, or nothing
    (raising :class:`ImportRefused` with every bad cell)."""
    wave = await find_wave(store, wave_id)
    definition = await store.form_version(wave.version)
    if definition is None:
        raise Unavailable(f"form version {wave.version} of '{wave_id}' is missing")
    survey = decode_survey(definition)
    staff = survey.kind in TOKEN_KINDS
    if staff and wave.state(now()) != "closed":
        raise NotNow(Reason(STAFF_OPEN, {"wave": wave_id}))
    catalog = load(settings)
    structures = await wave_structures(store, wave)
    count, responses = await asyncio.to_thread(
        _check, path, wave, survey, staff, set(catalog.organisations), structures)
    if dry_run or not responses:
        return ImportResult(count, 0, dry_run)
    before = await store.count_responses(wave_id)
    await store.import_responses(responses)
    return ImportResult(count, await store.count_responses(wave_id) - before, False)


def _check(path: Path, wave: Wave, survey: Survey, staff: bool, organisations: set[str],
           structures: dict[str, Structure]) -> tuple[int, list[NewResponse]]:
    """Read and validate the whole file (in a worker thread): the rows counted and the
    responses to store, or :class:`ImportRefused`."""
    wave_id = wave.id
    try:
        header, rows = read_table(path)
        layout = _Layout(header, plan_columns([(wave.version, survey)], free_text=not staff),
                         staff)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        problems = list(layout.problems)
        fast = RowAnswers(survey, layout.plan)
        encode = codes_encoder(survey)
        responses: list[NewResponse] = []
        keys: set[str] = set()
        count, today = 0, today_in_sofia()
        for number, row in rows:
            if not any(v.strip() for v in row):
                continue
            count += 1
            fast_answers = fast(row)  # None: judged cell by cell, for every reason
            if fast_answers is None:
                answers, bad = validate_row(survey, layout, number, row)
            else:
                answers, bad = fast_answers, []
            meta = _meta(layout, number, row, wave_id, wave.version, bad)
            org = meta["organisation"] or (wave.organisations[0]
                                           if len(wave.organisations) == 1 else "")
            if not org:
                bad.append(BadCell(number, "organisation", "", Reason(REQUIRED)))
            elif org not in organisations or not wave.covers(org):
                bad.append(BadCell(number, "organisation", org, Reason(NOT_AN_ORGANISATION)))
            unit = meta["unit"] or None
            if staff:
                units = structures.get(org)
                if unit is None or units is None or units.unit(unit) is None:
                    bad.append(BadCell(number, "unit", unit or "", Reason(NOT_A_UNIT)))
            day = _day(meta["day"], staff, number, bad, today)
            key = (f"import:{wave_id}:{meta['response_id']}" if meta["response_id"]
                   else f"import:{wave_id}:{digest}:{number}")
            if key in keys:
                bad.append(BadCell(number, "response_id", meta["response_id"], Reason(SAME_ID)))
            keys.add(key)
            problems += bad
            if not problems:
                responses.append(NewResponse(
                    submission_key=key, wave_id=wave_id, version=wave.version,
                    organisation=org, channel=meta["entry_channel"] or "paper",
                    lang=meta["language"] or "bg", day=day, answers=answers,
                    codes=encode(answers), unit=unit))
    except SheetError as exc:
        raise UnreadableFile(Reason(exc.message, exc.params)) from exc
    if problems:
        raise ImportRefused(problems, count)
    return count, responses


def _meta(layout: _Layout, number: int, row: list[str], wave_id: str, version: str,
          bad: list[BadCell]) -> dict[str, str]:
    width = len(row)
    meta = {m: row[i].strip() if i is not None and i < width else ""
            for m, i in layout.meta_places}
    if meta["form_version"] not in ("", version):
        bad.append(BadCell(number, layout.name("form_version"), meta["form_version"],
                           Reason(OTHER_VERSION, {"version": version})))
    if meta["entry_channel"] not in ("", *CHANNELS):
        bad.append(BadCell(number, layout.name("entry_channel"), meta["entry_channel"],
                           Reason(NOT_A_CHANNEL, {"values": ", ".join(CHANNELS)})))
    if meta["language"] not in ("", "bg", "en"):
        bad.append(BadCell(number, layout.name("language"), meta["language"],
                           Reason(NOT_A_LANGUAGE)))
    if meta["response_id"] and not RESPONSE_ID.fullmatch(meta["response_id"]):
        bad.append(BadCell(number, layout.name("response_id"), meta["response_id"],
                           Reason(NOT_AN_ID)))
    return meta


def _day(value: str, staff: bool, number: int, bad: list[BadCell], today: dt.date
         ) -> dt.date | None:
    if staff:
        if value:
            bad.append(BadCell(number, "day", value, Reason(STAFF_DAY)))
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        bad.append(BadCell(number, "day", value, Reason(NOT_A_DAY if value else REQUIRED)))
        return None
    if day > today:
        bad.append(BadCell(number, "day", value, Reason(FUTURE)))
    return day

"""Reading a table that people made (CSV or xlsx) for import: a header and rows of text.

CSV: UTF-8 with or without a byte order mark, ``,`` or ``;`` (whichever the header line
uses). xlsx: the sheet named ``responses`` or else the first, read row by row (openpyxl's
read-only mode). Cells become text as a person reads them: a whole number without ``.0``, a
date as ``YYYY-MM-DD``, and a leading apostrophe that the exports put before a text a
spreadsheet would run as a formula is taken off again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

from ..i18n import N_
from .csv_writer import FORMULA_STARTS

#: Larger files are refused unread.
MAX_BYTES = 512 * 1024 * 1024


class SheetError(Exception):
    """The file cannot be read as a table; the message says why, in one line (in English;
    ``message`` and ``params`` say it in another language, ``file`` being the file's name)."""

    def __init__(self, message: str, path: Path, **params: object) -> None:
        self.message = message
        self.params: dict[str, object] = {"file": str(path), **params}
        super().__init__(message % self.params)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """The header and the rows (with their row number in the file, the header being 1)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise SheetError(N_("%(file)s: only .csv and .xlsx files can be imported"), path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SheetError(N_("cannot read %(file)s: %(error)s"), path,
                         error=exc.strerror or str(exc)) from exc
    if size > MAX_BYTES:
        raise SheetError(N_("%(file)s is larger than %(mb)s MB"), path, mb=MAX_BYTES // 2**20)
    return _xlsx(path) if suffix == ".xlsx" else _csv(path)


def _csv(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError(
            N_("%(file)s is not UTF-8 text (byte %(byte)s): save it as 'CSV UTF-8'"), path,
            byte=exc.start) from exc
    except OSError as exc:
        raise SheetError(N_("cannot read %(file)s: %(error)s"), path,
                         error=exc.strerror or str(exc)) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise SheetError(N_("%(file)s is empty"), path) from None
    except csv.Error as exc:
        raise SheetError(N_("%(file)s cannot be read as CSV: %(error)s"), path,
                         error=str(exc)) from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(reader, start=2):
                yield number, [v if v[:1] != "'" else _text(v) for v in row]
        except csv.Error as exc:
            raise SheetError(N_("%(file)s, row %(row)s cannot be read as CSV: %(error)s"),
                             path, row=reader.line_num, error=str(exc)) from exc

    return [h.strip() for h in header], rows()


def _xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SheetError(N_("%(file)s is not an xlsx workbook (%(error)s)"), path,
                         error=str(exc)) from exc
    sheet = book["responses"] if "responses" in book.sheetnames else book.worksheets[0]
    cells = sheet.iter_rows(values_only=True)
    try:
        header = [_text(v).strip() for v in next(cells)]
    except StopIteration:
        book.close()
        raise SheetError(N_("%(file)s has an empty first sheet"), path) from None
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for number, row in enumerate(cells, start=2):
                yield number, [_text(v) for v in row]
        finally:
            book.close()

    return header, rows()

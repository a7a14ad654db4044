"""The one CSV writer (EXPORTS.md): UTF-8 with a BOM (Excel needs it for Cyrillic), RFC 4180
quoting, CRLF, full precision with '.' decimals, and every text cell that a spreadsheet would
run as a formula neutralised with a leading apostrophe. Numbers stay numbers."""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence

from .table import Cell, Table

#: A text cell starting with one of these is prefixed with ``'`` (formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
_STARTS = frozenset(FORMULA_STARTS)


def neutralise(text: str) -> str:
    """Text that a spreadsheet would run as a formula, made inert."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def format_cell(value: Cell, decimal_comma: bool = False) -> str:
    if value is None or isinstance(value, bool):
        return "" if value is None else str(int(value))
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return ""
        return repr(value).replace(".", ",") if decimal_comma else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):  # an answer of another kind in another form version
        return neutralise(" ".join(map(str, value)))
    return neutralise(value)


class CsvEncoder:
    """The writer for streams: the header and then batches of rows, each as UTF-8 bytes
    (one write of many rows, so a million-row export costs little more than ``csv.writer``).
    ``decimal_comma`` writes 62.5 as ``62,5`` (Excel in a Bulgarian locale, with ``;``)."""

    def __init__(self, *, delimiter: str = ",", bom: bool = True,
                 decimal_comma: bool = False) -> None:
        if decimal_comma and delimiter == ",":
            raise ValueError("a decimal comma needs another delimiter than ','")
        self.bom, self.decimal_comma, self.delimiter = bom, decimal_comma, delimiter
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, delimiter=delimiter, lineterminator="\r\n")

    def _take(self) -> bytes:
        text = self._buffer.getvalue()
        self._buffer.seek(0)
        self._buffer.truncate()
        return text.encode()

    def header(self, columns: Sequence[str]) -> bytes:
        if self.bom:
            self._buffer.write("\ufeff")
        self._writer.writerow([neutralise(c) for c in columns])
        return self._take()

    def rows(self, rows: Iterable[Sequence[Cell]],
             numeric: Sequence[bool] | None = None) -> bytes:
        """``numeric``: per column, True where no cell can need neutralising (ints and None,
        codes, 0/1, identifiers): those cells are written as they are, and only the others
        are looked at (which saves most of the per-cell work of a wide export)."""
        if numeric is not None and not self.decimal_comma:
            text = [i for i, n in enumerate(numeric) if not n]
            return self._rows_checking(rows, text)
        # ints, None and text that needs no apostrophe (nearly every cell) pass as they are:
        # csv writes them itself; only the rest goes through format_cell
        dc, starts, fmt = self.decimal_comma, _STARTS, format_cell
        self._writer.writerows(
            [v if (c := v.__class__) is int or v is None
             or (c is str and v[:1] not in starts)  # type: ignore[index]
             else fmt(v, dc) for v in row]
            for row in rows
        )
        return self._take()

    def columns(self, cells: list[list[Cell]], inert: Sequence[bool]) -> bytes:
        """Rows given column by column (equal lists, one per column); ``inert`` as the
        ``numeric`` of :meth:`rows`: only the other columns are looked at, cell by cell."""
        if self.decimal_comma:
            return self.rows(zip(*cells, strict=True))
        starts, fmt = _STARTS, format_cell
        for i, skip in enumerate(inert):
            if not skip:
                cells[i] = [v if v is None or (v.__class__ is str and v[:1] not in starts)
                            else fmt(v) for v in cells[i]]
        text = _joined(cells, self.delimiter)
        if text is not None:
            return text.encode()
        self._writer.writerows(zip(*cells, strict=True))
        return self._take()

    def _rows_checking(self, rows: Iterable[Sequence[Cell]], text: list[int]) -> bytes:
        starts, fmt = _STARTS, format_cell
        out: list[Sequence[Cell]] = []
        for row in rows:
            copy: list[Cell] | None = None  # made only when a cell changes
            for i in text:
                v = row[i]
                if v is not None and (v.__class__ is not str or v[:1] in starts):
                    if copy is None:
                        copy = list(row)
                    copy[i] = fmt(v)
            out.append(row if copy is None else copy)
        self._writer.writerows(out)
        return self._take()


#: The text of small whole numbers (codes, counts), shared rather than made cell by cell.
_NUMBERS: dict[object, str] = {None: "", **{i: str(i) for i in range(-1000, 10_000)}}
_INT_CELLS = frozenset({int, type(None)})
_TEXT_CELLS = frozenset({str, type(None)})
_EMPTY: dict[object, str] = {None: ""}


def _joined(cells: list[list[Cell]], delimiter: str) -> str | None:
    """The CSV text of rows given column by column, joined without ``csv.writer`` where that
    gives the same text: every column holds only ints and empty cells, or only text and
    empty cells, and no cell holds the delimiter, a quote, CR or LF (checked on the whole
    text: then no cell needs quoting). None where ``csv.writer`` must do it."""
    texts: list[list[str]] = []
    for column in cells:
        kinds = set(map(type, column))
        if kinds <= _INT_CELLS:
            try:
                texts.append(list(map(_NUMBERS.__getitem__, column)))
            except KeyError:  # a larger number
                texts.append(["" if v is None else str(v) for v in column])
        elif kinds <= _TEXT_CELLS:
            texts.append(list(map(_EMPTY.get, column, column))  # type: ignore[arg-type]
                         if type(None) in kinds else column)
        else:
            return None
    rows = len(cells[0]) if cells else 0
    if not rows:
        return ""
    text = "\r\n".join(map(delimiter.join, zip(*texts, strict=True))) + "\r\n"
    if ('"' in text or text.count("\n") != rows or text.count("\r") != rows
            or text.count(delimiter) != rows * (len(cells) - 1)):
        return None
    return text


def iter_csv(table: Table, *, delimiter: str = ",", bom: bool = True,
             decimal_comma: bool = False) -> Iterator[str]:
    """The table as CSV text, one line at a time (a web response can stream it)."""
    encoder = CsvEncoder(delimiter=delimiter, bom=bom, decimal_comma=decimal_comma)
    yield encoder.header(table.columns).decode()
    for row in table.rows:
        yield encoder.rows([row]).decode()


def iter_csv_bytes(table: Table, *, delimiter: str = ",", bom: bool = True,
                   decimal_comma: bool = False, batch: int = 1000) -> Iterator[bytes]:
    """The table as UTF-8 CSV, ``batch`` rows per chunk."""
    encoder = CsvEncoder(delimiter=delimiter, bom=bom, decimal_comma=decimal_comma)
    yield encoder.header(table.columns)
    rows = iter(table.rows)
    while chunk := list(itertools.islice(rows, batch)):
        yield encoder.rows(chunk)


def to_csv(table: Table, *, delimiter: str = ",", bom: bool = True,
           decimal_comma: bool = False) -> str:
    return "".join(iter_csv(table, delimiter=delimiter, bom=bom, decimal_comma=decimal_comma))

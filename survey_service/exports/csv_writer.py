"""The one CSV writer (EXPORTS.md): UTF-8 with a BOM (Excel needs it for Cyrillic), RFC 4180
quoting, CRLF, full precision with '.' decimals, and every text cell that a spreadsheet would
run as a formula neutralised with a leading apostrophe. Numbers stay numbers."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator

from .table import Cell, Table

#: A text cell starting with one of these is prefixed with ``'`` (formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise(text: str) -> str:
    """Text that a spreadsheet would run as a formula, made inert."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def format_cell(value: Cell) -> str:
    if value is None or isinstance(value, bool):
        return "" if value is None else str(int(value))
    if isinstance(value, float):
        return "" if math.isnan(value) or math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def iter_csv(table: Table, *, delimiter: str = ",", bom: bool = True) -> Iterator[str]:
    """The table as CSV text, one line at a time (a web response can stream it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")

    def line(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield ("\ufeff" if bom else "") + line([neutralise(c) for c in table.columns])
    for row in table.rows:
        yield line([format_cell(v) for v in row])


def to_csv(table: Table, *, delimiter: str = ",", bom: bool = True) -> str:
    return "".join(iter_csv(table, delimiter=delimiter, bom=bom))

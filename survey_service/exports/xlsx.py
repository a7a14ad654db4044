"""xlsx through xlsxwriter in constant-memory mode: each row is written to a temporary file
as it comes, so a workbook of a million rows takes no more memory than one of a hundred.

Numbers are numbers; every text goes in as a string (never a formula, URL or number guessed
from it), and a text a spreadsheet would run as a formula gets the same leading apostrophe as
in CSV (EXPORTS.md). Sheets: the responses, then the codebook.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .csv_writer import neutralise
from .table import Cell, Table

#: Excel's largest sheet (header included).
MAX_ROWS = 1_048_576


class XlsxWriter:
    """A workbook written sheet by sheet, row by row (call :meth:`close` at the end)."""

    def __init__(self, path: Path) -> None:
        import xlsxwriter

        self.book = xlsxwriter.Workbook(str(path), {
            "constant_memory": True,
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        })
        self._bold = self.book.add_format({"bold": True})
        self._sheet: Any = None
        self._row = 0

    def sheet(self, name: str, columns: Sequence[str]) -> None:
        self._sheet = self.book.add_worksheet(name[:31])
        self._sheet.freeze_panes(1, 0)
        for j, column in enumerate(columns):
            self._sheet.write_string(0, j, neutralise(column), self._bold)
        self._row = 1

    def rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        sheet, r = self._sheet, self._row
        for row in rows:
            if r >= MAX_ROWS:
                raise OverflowError(f"more than {MAX_ROWS - 1} rows do not fit in one sheet")
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, int | float):
                    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
                        continue
                    sheet.write_number(r, j, value)
                else:
                    sheet.write_string(r, j, neutralise(value))
            r += 1
        self._row = r

    def table(self, table: Table, name: str) -> None:
        self.sheet(name, table.columns)
        self.rows(table.rows)

    def close(self) -> None:
        self.book.close()

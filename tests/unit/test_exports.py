"""The one CSV writer every export goes through (EXPORTS.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest

from survey_service.exports.csv_writer import iter_csv, to_csv
from survey_service.exports.table import Cell, Table
from survey_service.reports.breakdown import Breakdown, GroupRow, breakdown_csv
from survey_service.reports.breakdown import Cell as GroupCell

EVIL = ["=HYPERLINK(\"http://x\")", "+1", "-cmd", "@SUM(A1)", "\tx", "\rx"]


def test_text_cells_that_a_spreadsheet_would_run_are_neutralised_numbers_are_not() -> None:
    table = Table("t", ["=head", "n"], [[text, -1.5] for text in EVIL] + [[None, float("nan")]])
    text = to_csv(table)
    assert text.startswith("\ufeff'=head,n\r\n")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r[0] for r in rows[1:-1]] == ["'" + e for e in EVIL]
    assert all(r[1] == "-1.5" for r in rows[1:-1])  # a number stays a number
    assert rows[-1] == ["", ""]
    assert to_csv(Table("t", ["a"], [["x;y"]]), delimiter=";", bom=False) == 'a\r\n"x;y"\r\n'


def test_rows_are_written_as_they_come() -> None:
    def rows() -> Iterator[list[Cell]]:
        yield ["first", 1]
        raise RuntimeError("the second row is never asked for")

    lines = iter_csv(Table("t", ["a", "b"], rows()))
    assert next(lines) == "\ufeffa,b\r\n" and next(lines) == "first,1\r\n"
    with pytest.raises(RuntimeError):
        next(lines)


def test_the_breakdown_csv_goes_through_the_writer() -> None:
    row = GroupRow(group="=cmd|' /C calc'!A0", label="x", baseline=GroupCell(n=12, values={
        "csqi": 61.5}), follow_up=GroupCell())
    text = breakdown_csv(Breakdown(by="unit", min_group=10, indicators=[("csqi", "CSQI")],
                                   rows=[row]))
    assert text.splitlines()[1] == "unit,'=cmd|' /C calc'!A0,csqi,61.5,12,,"

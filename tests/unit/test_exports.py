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


def test_declared_number_columns_skip_the_check_and_text_columns_still_get_it() -> None:
    from survey_service.exports.csv_writer import CsvEncoder

    encoder = CsvEncoder(bom=False)
    rows = [["=1+1", -3, None, "ok"], ["x", 4, 5, "+cmd"]]
    out = encoder.rows(rows, numeric=[False, True, True, False]).decode()
    assert out == "'=1+1,-3,,ok\r\nx,4,5,'+cmd\r\n"
    assert rows[0][0] == "=1+1"  # the caller's rows are not changed
    assert CsvEncoder(bom=False, delimiter=";", decimal_comma=True).rows([[62.5, "-x"]]) == (
        b"62,5;'-x\r\n")
    with pytest.raises(ValueError):
        CsvEncoder(decimal_comma=True)


def test_a_question_id_reused_for_another_kind_is_not_a_number_column() -> None:
    from survey_service.exports.columns import plan_columns
    from survey_service.surveys.model import Question, Section, Survey, Text

    def survey(kind: str) -> Survey:
        extra = {"min": 0, "max": 9} if kind == "number" else {}
        q = Question(id="x", kind=kind, text=Text("а", "a"), **extra)  # type: ignore[arg-type]
        return Survey(id="s", kind="citizen", title=Text("т", "t"), intro=Text("и", "i"),
                      sections=[Section(id="one", title=Text("е", "o"), questions=[q])])

    (column,) = plan_columns([("v1", survey("number")), ("v2", survey("date"))],
                             free_text=True)
    assert column.versions == ["v1", "v2"] and not column.numeric
    (column,) = plan_columns([("v1", survey("number"))], free_text=True)
    assert column.numeric

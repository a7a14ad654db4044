"""The wide export's column-by-column path writes the very bytes of ``csv.writer`` over the
rows of :func:`row_maker` (issue #10: speed without a changed byte)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from types import SimpleNamespace
from typing import Any

import msgspec
import pytest

from survey_service.exports.columns import Column, raw_columns_maker, row_maker
from survey_service.exports.csv_writer import CsvEncoder, format_cell
from survey_service.exports.table import Cell
from survey_service.surveys.model import Text

HARD = ["plain", "a,b", "a;b", 'say "hi"', "two\nlines", "cr\rx", "=1+1", "-x", "@a", "\tx",
        "", "Кирилица", "x\r\ny"]


def reference(rows: list[list[Cell]], delimiter: str, inert: list[bool]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows([[v if ok or v is None or (isinstance(v, str) and v[:1] not in "=+-@\t\r\0")
                       else format_cell(v) for v, ok in zip(row, inert, strict=True)]
                      for row in rows])
    return out.getvalue().encode()


@pytest.mark.parametrize("delimiter", [",", ";"])
@pytest.mark.parametrize("seed", range(6))
def test_columns_give_the_bytes_of_csv_writer(delimiter: str, seed: int) -> None:
    rng = random.Random(seed)
    kinds = ["int", "big", "text", "hard", "mixed"]
    plan = [rng.choice(kinds) for _ in range(6)]

    def cell(kind: str) -> Cell:
        if rng.random() < 0.2:
            return None
        if kind == "int":
            return rng.randint(-3, 12)
        if kind == "big":
            return rng.randint(-10**7, 10**7)
        if kind == "text":
            return rng.choice(["desk", "phone", "online"])
        if kind == "hard" or rng.random() < 0.5:
            return rng.choice(HARD)
        mixed: list[Cell] = [1.5, True, 3, "x"]
        return rng.choice(mixed)

    rows = [[cell(k) for k in plan] for _ in range(rng.randint(0, 40))]
    inert = [k in ("int", "big", "text") for k in plan]
    columns = [[r[i] for r in rows] for i in range(len(plan))]
    got = CsvEncoder(delimiter=delimiter).columns(columns, inert) if rows else b""
    assert got == reference(rows, delimiter, inert)


def test_column_maker_gives_the_cells_of_the_row_maker() -> None:
    agree: list[tuple[int | str, Text]] = [(i, Text(f"б{i}", f"e{i}")) for i in range(1, 6)]
    columns = [
        Column("q1", "q1", "q1", "likert", Text("a", "a"), choices=agree),
        Column("class", "class", "class", "single", Text("b", "b"),
               choices=[("desk", Text("Гише", "Desk")), ("x", Text("=X", "=X"))]),
        Column("topics__desk", "topics", "topics", "multi", Text("c", "c"), option="desk"),
        Column("topics__web", "topics", "topics", "multi", Text("c", "c"), option="web"),
        Column("note", "note", "note", "text", Text("d", "d")),
    ]
    answers: list[dict[str, Any]] = [
        {"q1": 3, "class": "desk", "topics": ["desk"], "note": "a,b", "other": 1},
        {"q1": 9, "class": "x", "topics": "desk"},  # another kind in another version
        {}, {"topics": [], "q1": None},
    ]
    raw = [(f"{i:032x}", "w", "v1", "elena", "web", "bg", "2026-01-02",
            msgspec.json.encode(a), "unit-a" if i % 2 else None)
           for i, a in enumerate(answers)]
    decoded = [SimpleNamespace(id=r[0], wave_id=r[1], version=r[2], organisation=r[3],
                               channel=r[4], lang=r[5], day=dt.date(2026, 1, 2), answers=a,
                               unit=r[8]) for r, a in zip(raw, answers, strict=True)]

    def shown(org: str, unit: str | None) -> str | None:
        return None if unit == "unit-a" else unit

    for labels in (None, "bg", "en"):
        for unit_column, units in ((False, None), (True, None), (True, shown)):
            rows = [row_maker(columns, labels, unit_column, units)(d) for d in decoded]
            by_column = raw_columns_maker(columns, labels, unit_column, units)(raw)
            assert [list(r) for r in zip(*by_column, strict=True)] == rows

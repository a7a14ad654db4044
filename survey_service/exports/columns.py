"""The columns of a wave's raw-response export (EXPORTS.md), from its frozen form versions.

One row per response: the response's metadata (:data:`META`), then one column per stored item
of every form version the wave's responses were given on (a matrix row is a column, a
multi-choice question one 0/1 column per option, ``question__option``). A question asked in
only some versions is still a column, empty where it was not asked. Pure: no I/O.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from ..surveys.model import DONT_KNOW, Survey, Text
from .table import Cell

#: Columns every wide export starts with (``unit`` only in staff exports); ``entry_channel``
#: is how the response was entered (web, kiosk, paper). A question with one of these ids
#: keeps its id, and the metadata column is then named ``response_`` + its name.
META = ("response_id", "wave", "form_version", "organisation", "unit", "entry_channel",
        "language", "day")
#: The label of 0 in a multi-choice option's column (1 is labelled with the option).
NOT_CHOSEN = Text("не е избрано", "not chosen")
#: The separator between a multi-choice question's id and an option code.
OPTION_SEP = "__"


@dataclass
class Column:
    """One item column of the wide export and what the codebook says of it."""

    name: str
    question: str
    item: str  # the stored answer's key (a matrix row's id, else the question's)
    kind: str  # the question's kind; a multi-choice option column has kind "multi"
    text: Text  # variable label: the question, a matrix row's statement, "question: option"
    option: str | None = None  # multi: the option of this 0/1 column
    choices: list[tuple[int | str, Text]] = field(default_factory=list)  # code -> label
    dimension: str | None = None
    reverse: bool = False
    dont_know: bool = False
    versions: list[str] = field(default_factory=list)

    @property
    def numeric(self) -> bool:
        """Whether every stored value is a whole number (single choices, text, dates and
        a column whose kind changed between versions are not)."""
        return self.kind in ("likert", "matrix", "nps", "number", "multi")

    def numeric_cells(self, labels: str | None) -> bool:
        """Whether the wide export's cells of this column are only ints and empty."""
        return self.numeric and not (labels and self.kind in ("likert", "matrix"))


def _survey_columns(survey: Survey, *, free_text: bool) -> list[Column]:
    out: list[Column] = []
    for q in survey.questions():
        if q.kind == "text" and not free_text:
            continue
        if q.kind in ("likert", "matrix"):
            scale = survey.scale_of(q)
            choices: list[tuple[int | str, Text]] = [
                (i, label) for i, label in enumerate(scale.labels, start=1)
            ]
            if q.dont_know and scale.dont_know is not None:
                choices.append((DONT_KNOW, scale.dont_know))
            rows = q.rows if q.kind == "matrix" else []
            for row in rows:
                out.append(Column(row.id, q.id, row.id, "matrix", row.text, None, choices,
                                  row.dimension, row.reverse, q.dont_know))
            if not rows:
                out.append(Column(q.id, q.id, q.id, "likert", q.text, None, choices,
                                  q.dimension, q.reverse, q.dont_know))
        elif q.kind == "multi":
            for o in q.options:
                text = Text(f"{q.text.bg}: {o.label.bg}", f"{q.text.en}: {o.label.en}")
                out.append(Column(f"{q.id}{OPTION_SEP}{o.code}", q.id, q.id, "multi", text,
                                  o.code, [(0, NOT_CHOSEN), (1, o.label)], q.dimension))
        else:
            choices = [(o.code, o.label) for o in q.options] if q.kind == "single" else []
            if q.kind == "nps" and q.low_label and q.high_label:
                choices = [(0, q.low_label), (10, q.high_label)]
            out.append(Column(q.id, q.id, q.id, q.kind, q.text, None, choices, q.dimension,
                              q.reverse))
    return out


def plan_columns(versions: Sequence[tuple[str, Survey]], *, free_text: bool) -> list[Column]:
    """The union of the item columns of ``versions`` (version id, decoded survey), in the
    order of the first version that has each, then of its form; every column lists the
    versions that asked it. ``free_text`` False leaves text questions out (staff)."""
    columns: dict[str, Column] = {}
    for version, survey in versions:
        for column in _survey_columns(survey, free_text=free_text):
            known = columns.setdefault(column.name, column)
            if known.kind != column.kind:  # an id reused for another kind of question
                known.kind = "mixed"
            known.versions.append(version)
    return list(columns.values())


Row = list[Cell]


def row_maker(
    columns: Sequence[Column], labels: str | None, unit_column: bool,
    shown_units: Callable[[str, str | None], str | None] | None = None,
) -> Callable[[Any], Row]:
    """A function from a stored response to its wide row: codes as stored, or with
    ``labels`` ("bg"/"en") the labels of likert, matrix and single-choice answers. Staff
    exports pass ``unit_column`` and ``shown_units(organisation, unit)`` (the unit, or None
    where it must not be shown)."""
    items = _items_function(columns, labels)

    def make(r: Any) -> Row:
        out: Row = [r.id, r.wave_id, r.version, r.organisation]
        if unit_column:
            out.append(shown_units(r.organisation, r.unit) if shown_units else r.unit)
        out += [r.channel, r.lang, r.day.isoformat() if r.day else None]
        out += items(r.answers)
        return out

    return make


def raw_columns_maker(
    columns: Sequence[Column], labels: str | None, unit_column: bool,
    shown_units: Callable[[str, str | None], str | None] | None = None,
) -> Callable[[Sequence[Any]], list[list[Cell]]]:
    """:func:`row_maker` for a batch of undecoded responses (``Store.stream_response_rows``),
    column by column: the cells of each column of the batch as one list (the same cells as
    :func:`row_maker`). The answers of the whole batch are decoded in one call into structs of
    exactly these items (untracked by the garbage collector: a million rows allocate no dict),
    and each column is taken from them by a loop in C; only option columns and labels do work
    per cell."""
    fields: dict[str, str] = {}  # item -> attribute of the struct (items need not be names)
    for c in columns:
        fields.setdefault(c.item, f"f{len(fields)}")
    struct = msgspec.defstruct(
        "Answers", [(f, Any, None) for f in fields.values()], kw_only=True, gc=False,
        rename={f: item for item, f in fields.items()})
    decode = msgspec.json.Decoder(list[struct]).decode  # type: ignore[valid-type]
    getters = {item: operator.attrgetter(f) for item, f in fields.items()}
    maps = {c.name: {code: text.get(labels) for code, text in c.choices} for c in columns
            if labels is not None and c.option is None and c.kind in ("likert", "matrix", "single")}
    meta = [operator.itemgetter(i) for i in (0, 1, 2, 3)]
    rest = [operator.itemgetter(i) for i in (4, 5, 6)]
    org, unit = operator.itemgetter(3), operator.itemgetter(8)

    def make(batch: Sequence[Any]) -> list[list[Cell]]:
        answers = decode(b"[" + b",".join([r[7] for r in batch]) + b"]")
        out: list[list[Cell]] = [list(map(get, batch)) for get in meta]
        if unit_column:
            units = list(map(unit, batch))
            out.append(list(map(shown_units, map(org, batch), units)) if shown_units
                       else units)
        out += [list(map(get, batch)) for get in rest]
        values: dict[str, list[Any]] = {}
        for c in columns:
            if (cells := values.get(c.item)) is None:
                cells = values[c.item] = list(map(getters[c.item], answers))
            if c.option is not None:
                option = c.option
                cells = [None if v is None else int(v.__class__ is list and option in v)
                         for v in cells]
            elif (labelled := maps.get(c.name)) is not None:
                cells = list(map(labelled.get, cells, cells))  # None is never a code
            out.append(cells)
        return out

    return make


def _items_function(columns: Sequence[Column], labels: str | None
                    ) -> Callable[[dict[str, Any]], Row]:
    """``answers -> [cell of each column]`` as one list display compiled for these columns
    (a million rows make a loop over the columns with its branches the export's main cost).
    Only ``repr`` of the item ids and option codes goes into the source."""
    cells, names = _item_cells(columns, labels)
    source = f"lambda a: [{', '.join(cells)}]"
    function: Callable[[dict[str, Any]], Row] = eval(source, names)  # noqa: S307
    return function


def _item_cells(columns: Sequence[Column], labels: str | None
                ) -> tuple[list[str], dict[str, Any]]:
    """The expression of each column's cell over the answers ``a``, and the names they use."""
    names: dict[str, Any] = {}
    cells = []
    for i, c in enumerate(columns):
        get = f"a.get({c.item!r})"
        if c.option is not None:
            cells.append(f"(None if (v := {get}) is None else int(v.__class__ is list"
                         f" and {c.option!r} in v))")
        elif labels is not None and c.kind in ("likert", "matrix", "single"):
            names[f"m{i}"] = {code: text.get(labels) for code, text in c.choices}
            cells.append(f"(None if (v := {get}) is None else m{i}.get(v, v))")
        else:
            cells.append(get)
    return cells, names


def meta_columns(columns: Sequence[Column], unit_column: bool) -> list[str]:
    """The names of the metadata columns, in :data:`META` order (see there)."""
    taken = {c.name for c in columns}
    return [m if m not in taken else f"response_{m}" for m in META
            if unit_column or m != "unit"]

"""SPSS (.sav) and Stata (.dta) files with variable and value labels, through pyreadstat.

pyreadstat writes from one pandas DataFrame and cannot append, so these two formats hold
the whole export in memory while the file is written: about 8 bytes per numeric cell (a
million responses of 40 columns: some 320 MB, plus the strings of the metadata columns).
CSV and xlsx stream in constant memory instead.

Codes: likert and matrix items 1..K and 9 ("don't know", declared user-missing in SPSS, the
extended missing value ``.a`` with its label in Stata); single choices the option's position
1..n (as in ``surveys.coding``; the codebook's ``numeric_codes`` lists them) with the option
labels as value labels; multi-choice option columns 0/1; numbers as typed; text and dates
as strings; unanswered is system-missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..surveys.model import DONT_KNOW
from .columns import Column
from .names import spss_name, stata_label, stata_name, unique
from .table import Cell

META_LABELS = {
    "response_id": ("Идентификатор на отговора", "Response id"),
    "wave": ("Вълна", "Wave"),
    "form_version": ("Версия на формуляра", "Form version"),
    "organisation": ("Организация", "Organisation"),
    "unit": ("Звено", "Unit"),
    "entry_channel": ("Начин на попълване", "Entry channel"),
    "language": ("Език", "Language"),
    "day": ("Ден", "Day"),
}


def numeric_codes(column: Column) -> dict[str, int]:
    """A single choice's option code -> the number SPSS and Stata get (its position)."""
    if column.kind != "single":
        return {}
    return {str(code): i for i, (code, _) in enumerate(column.choices, start=1)}


def _frame(meta: Sequence[str], columns: Sequence[Column], rows: Iterable[Sequence[Cell]],
           names: list[str], stata: bool) -> Any:
    import numpy as np
    import pandas as pd

    width = len(meta) + len(columns)
    data: list[list[Cell]] = [[] for _ in range(width)]
    for row in rows:
        for i, value in enumerate(row):
            data[i].append(value)
    frame: dict[str, Any] = {}
    for i, name in enumerate(names):
        values = data[i]
        if i < len(meta):
            frame[name] = pd.Series(["" if v is None else str(v) for v in values], dtype=object)
            continue
        c = columns[i - len(meta)]
        if c.kind == "single":
            codes = numeric_codes(c)
            values = [None if v is None else codes.get(str(v)) for v in values]
        if c.numeric or c.kind == "single":
            array = np.array([np.nan if v is None else float(v) for v in values],
                             dtype=np.float64)
            if stata and c.dont_know:
                column: Any = pd.Series(array, dtype=object)
                column[array == DONT_KNOW] = "a"
                frame[name] = column
            else:
                frame[name] = array
        else:
            frame[name] = pd.Series(["" if v is None else str(v) for v in values], dtype=object)
        data[i] = []
    return pd.DataFrame(frame)


def _labels(meta: Sequence[str], columns: Sequence[Column], lang: str, stata: bool
            ) -> tuple[list[str | None], dict[int, dict[float, str]]]:
    idx = 1 if lang == "en" else 0
    cut = stata_label if stata else (lambda s: s)
    variable: list[str | None] = [
        cut((META_LABELS.get(m) or META_LABELS[m.removeprefix("response_")])[idx]) for m in meta]
    values: dict[int, dict[float, str]] = {}
    for i, c in enumerate(columns, start=len(meta)):
        variable.append(cut(c.text.get(lang)))
        if c.kind == "single":
            values[i] = {float(n): cut(text.get(lang))
                         for n, (_, text) in enumerate(c.choices, start=1)}
        elif c.choices:
            values[i] = {float(code): cut(text.get(lang)) for code, text in c.choices
                         if isinstance(code, int) and not (stata and code == DONT_KNOW)}
    return variable, values


def write_stats(path: Path, fmt: str, meta: Sequence[str], columns: Sequence[Column],
                rows: Iterable[Sequence[Cell]], lang: str, file_label: str) -> None:
    """Write ``rows`` (wide rows with codes, not labels) as ``fmt`` "sav" or "dta"."""
    import pyreadstat

    stata = fmt == "dta"
    namer = stata_name if stata else spss_name
    names = unique([namer(m) for m in meta] + [namer(c.name) for c in columns])
    frame = _frame(meta, columns, rows, names, stata)
    variable, values = _labels(meta, columns, lang, stata)
    value_labels = {names[i]: labels for i, labels in values.items()}
    dont_know = {names[i]: c for i, c in enumerate(columns, start=len(meta)) if c.dont_know}
    if stata:
        for name, c in dont_know.items():
            dk = next((t.get(lang) for code, t in c.choices if code == DONT_KNOW), "")
            value_labels.setdefault(name, {})["a"] = stata_label(dk)  # type: ignore[index]
        pyreadstat.write_dta(
            frame, str(path), file_label=stata_label(file_label), column_labels=variable,
            variable_value_labels=value_labels,
            missing_user_values={name: ["a"] for name in dont_know},
        )
    else:
        pyreadstat.write_sav(
            frame, str(path), file_label=file_label, column_labels=variable,
            variable_value_labels=value_labels,
            missing_ranges={name: [DONT_KNOW] for name in dont_know},
        )

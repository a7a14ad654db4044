"""The codebook of a wide export and the long (tidy) rows of a response. Pure: no I/O.

The codebook has one row per item column: its question, both texts, kind, codes and their
labels in both languages, dimension, reverse (1: exported as answered, not recoded), the
don't-know code, the form versions that asked it, its SPSS and Stata names, and for single
choices the numbers SPSS and Stata files use for the option codes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..surveys.model import DONT_KNOW
from .columns import Column
from .names import spss_name, stata_name, unique
from .table import Cell, Table

CODEBOOK_COLUMNS = [
    "column", "question", "text_bg", "text_en", "kind", "codes", "labels_bg", "labels_en",
    "dimension", "reverse", "dont_know", "form_versions", "spss_name", "stata_name",
    "numeric_codes",
]
LONG_COLUMNS = ["response_id", "question", "code", "label"]


def _codes(c: Column, lang: str | None) -> str:
    if lang is None and c.kind == "nps":
        return "0..10"
    if lang is None:
        return "; ".join(str(code) for code, _ in c.choices)
    return "; ".join(f"{code}={text.get(lang)}" for code, text in c.choices)


def codebook_table(identifier: str, columns: Sequence[Column]) -> Table:
    """One row per item column of the wide export."""
    spss = unique([spss_name(c.name) for c in columns])
    stata = unique([stata_name(c.name) for c in columns])

    def rows() -> Iterator[list[Cell]]:
        for c, s, t in zip(columns, spss, stata, strict=True):
            yield [
                c.name, c.question, c.text.bg, c.text.en, c.kind, _codes(c, None),
                _codes(c, "bg"), _codes(c, "en"), c.dimension, int(c.reverse),
                DONT_KNOW if c.dont_know else None, " ".join(c.versions), s, t,
                "; ".join(f"{i}={code}" for i, (code, _) in enumerate(c.choices, start=1))
                if c.kind == "single" else None,
            ]

    return Table(identifier, CODEBOOK_COLUMNS, rows())


def long_maker(columns: Sequence[Column], lang: str) -> Callable[[Any], list[list[Cell]]]:
    """A function from a stored response to its long rows: one per answered item (one per
    chosen option of a multi-choice question), with the label in ``lang`` where there is one.
    Only the items of ``columns`` appear (staff free text is not among them)."""
    seen: set[str] = set()
    plan: list[tuple[str, dict[Any, str]]] = []
    for c in columns:
        if c.item in seen:
            continue
        seen.add(c.item)
        labels: dict[Any, str]
        if c.kind == "multi":
            labels = {o.option: o.choices[-1][1].get(lang)
                      for o in columns if o.item == c.item and o.option is not None}
        else:
            labels = {code: text.get(lang) for code, text in c.choices}
        plan.append((c.item, labels))

    def make(r: Any) -> list[list[Cell]]:
        out: list[list[Cell]] = []
        answers = r.answers
        for item, labels in plan:
            value = answers.get(item)
            if value is None:
                continue
            for v in value if isinstance(value, list) else [value]:
                out.append([r.id, item, v, labels.get(v)])
        return out

    return make

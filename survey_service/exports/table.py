"""The one shape of every export: named columns and an iterable of rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    """A table to export: ``identifier`` names it (file names), ``columns`` head it, and
    ``rows`` yields one sequence of cells per line (it may be a generator: writers stream)."""

    identifier: str
    columns: Sequence[str]
    rows: Iterable[Sequence[Cell]]

"""Small-group suppression for published breakdowns (INDICATORS.md §3.3 S5).

Primary suppression hides every cell with 0 < n < k respondents (k = 10 by default,
never below 5). Zero cells are not sensitive and stay visible. Complementary suppression
then hides further cells until no hidden cell can be **recovered exactly** from the
totals that are shown:

1. every row (column) whose total is shown and which has exactly one hidden cell gets a
   second hidden cell: the smallest visible non-zero cell of that line (a zero cell only if
   nothing else is left), ties broken by table order;
2. a linear audit then checks the whole system of shown totals (not only single lines:
   e.g. a hidden cell that bridges two otherwise protected blocks is recoverable); while a
   hidden cell is determined, the smallest visible cell in its row or column is hidden too.

**Guarantee:** given the visible cells and the shown row/column totals (assumed to be the
exact sums of the cells), no hidden cell's value is determined by any linear combination
of the published numbers. Not guaranteed: bounds (e.g. "the two hidden cells add up to
12, so each is at most 12"), and protection of the totals themselves — never show a total
that is itself below k. Missing keys in a table are structural zeros known to everyone.
Responses of hidden groups still count towards the totals (CSPS practice).
If no choice of cells can protect a table (a single cell whose total is shown), the
function raises ``ValueError``: hide that total instead.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

import numpy as np

R = TypeVar("R", bound=Hashable)
C = TypeVar("C", bound=Hashable)
DEFAULT_K = 10
MIN_K = 5


def _check_k(k: int) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or k < MIN_K:
        raise ValueError(f"the small-group threshold must be an integer >= {MIN_K}, got {k!r}")


def recoverable_cells(
    counts: Mapping[tuple[R, C], int],
    hidden: Mapping[tuple[R, C], bool],
    *,
    row_totals: bool = True,
    col_totals: bool = True,
) -> set[tuple[R, C]]:
    """Hidden cells whose value follows exactly from the visible cells and shown totals.

    The unknowns are the hidden cells; each shown row/column total gives one linear
    equation over the hidden cells of that line. A cell is determined iff the null space
    of that system has no component on it (checked with an SVD).
    """
    keys = [key for key in counts if hidden.get(key, False)]
    if not keys:
        return set()
    lines: list[list[int]] = []
    if row_totals:
        rows: dict[R, list[int]] = {}
        for j, (r, _) in enumerate(keys):
            rows.setdefault(r, []).append(j)
        lines.extend(rows.values())
    if col_totals:
        cols: dict[C, list[int]] = {}
        for j, (_, c) in enumerate(keys):
            cols.setdefault(c, []).append(j)
        lines.extend(cols.values())
    if not lines:
        return set()
    a = np.zeros((len(lines), len(keys)))
    for i, line in enumerate(lines):
        a[i, line] = 1.0
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((s > 1e-9 * max(1.0, float(s.max(initial=0.0)))).sum())
    null = vt[rank:]
    free = (np.abs(null) > 1e-9).any(axis=0) if null.shape[0] else np.zeros(len(keys), bool)
    return {key for key, f in zip(keys, free, strict=True) if not f}


def suppress_table(
    counts: Mapping[tuple[R, C], int],
    *,
    row_totals: bool = True,
    col_totals: bool = True,
    k: int = DEFAULT_K,
) -> dict[tuple[R, C], bool]:
    """Hide-flags (True = hidden) for a (row, column) → count table, e.g. group × wave,
    published with its row totals and/or column totals. See the module guarantee."""
    _check_k(k)
    if any(n < 0 for n in counts.values()):
        raise ValueError("counts must be non-negative")
    order = {key: i for i, key in enumerate(counts)}
    hidden = {key: 0 < n < k for key, n in counts.items()}

    def pick(cands: list[tuple[R, C]]) -> tuple[R, C] | None:
        cands = [c for c in cands if not hidden[c]]
        if not cands:
            return None
        return min(cands, key=lambda c: (counts[c] == 0, counts[c], order[c]))

    def line_groups() -> list[list[tuple[R, C]]]:
        groups: list[list[tuple[R, C]]] = []
        for shown, axis in ((row_totals, 0), (col_totals, 1)):
            if shown:
                by: dict[Hashable, list[tuple[R, C]]] = {}
                for key in counts:
                    by.setdefault(key[axis], []).append(key)
                groups.extend(by.values())
        return groups

    groups = line_groups()
    while True:
        changed = False
        for line in groups:  # rule 1: a lone hidden cell in a line with a shown total
            if sum(hidden[c] for c in line) == 1:
                extra = pick(line)
                if extra is not None:
                    hidden[extra] = True
                    changed = True
        if changed:
            continue
        leaks = recoverable_cells(counts, hidden, row_totals=row_totals, col_totals=col_totals)
        if not leaks:
            return hidden
        near = [
            c
            for c in counts
            for (r, col) in leaks
            if (row_totals and c[0] == r) or (col_totals and c[1] == col)
        ]
        extra = pick(near) or pick(list(counts))
        if extra is None:
            raise ValueError(
                "the shown totals reveal a hidden cell whatever else is hidden "
                f"(cells {sorted(map(str, leaks))}): do not show those totals"
            )
        hidden[extra] = True


def suppress_counts(
    counts: Mapping[str, int], total_shown: bool = True, k: int = DEFAULT_K
) -> dict[str, bool]:
    """Hide-flags (True = hidden) for one breakdown (group → count) published with or
    without its total: 0 < n < k is hidden, and when the total is shown a lone hidden cell
    gets the next-smallest cell as its complement."""
    table: dict[tuple[str, str], int] = {("", key): n for key, n in counts.items()}
    flags = suppress_table(table, row_totals=total_shown, col_totals=False, k=k)
    return {str(key[1]): flag for key, flag in flags.items()}

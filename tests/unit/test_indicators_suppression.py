"""Indicators: small-group and complementary suppression, with an independent auditor."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import pytest

from survey_service.indicators import recoverable_cells, suppress_counts, suppress_table

Key = tuple[str, str]


def attack(
    counts: Mapping[Key, int], hidden: Mapping[Key, bool], row_totals: bool, col_totals: bool
) -> set[Key]:
    """An auditor that knows the visible cells and shown totals and recovers what it can.

    1. peeling: any line with exactly one unknown cell gives it by subtraction, repeat;
    2. linear algebra: a cell is recovered if its unit vector lies in the row space of the
       system of total equations (rank test, independent of the package's SVD null space).
    """
    unknown = {k for k, h in hidden.items() if h}
    known: set[Key] = set()
    axes = [a for a, shown in ((0, row_totals), (1, col_totals)) if shown]
    changed = True
    while changed:
        changed = False
        for axis in axes:
            for v in {k[axis] for k in counts}:
                left = [k for k in unknown - known if k[axis] == v]
                if len(left) == 1:
                    known.add(left[0])
                    changed = True
    cells = sorted(unknown, key=str)
    rows = []
    for axis in axes:
        for v in {k[axis] for k in counts}:
            rows.append([1.0 if c[axis] == v else 0.0 for c in cells])
    if rows and cells:
        a = np.array(rows)
        r = np.linalg.matrix_rank(a)
        for j, c in enumerate(cells):
            e = np.zeros(len(cells))
            e[j] = 1
            if np.linalg.matrix_rank(np.vstack([a, e])) == r:
                known.add(c)
    return known


def test_threshold_never_below_five() -> None:
    with pytest.raises(ValueError, match=">= 5"):
        suppress_counts({"a": 3}, k=4)
    assert suppress_counts({"a": 7, "b": 30}, total_shown=False, k=5) == {"a": False, "b": False}


def test_one_small_unit_hides_two_cells() -> None:
    counts = {"finance": 42, "registry": 4, "it": 15, "legal": 23}
    hidden = suppress_counts(counts, total_shown=True)
    assert hidden["registry"] and hidden["it"]  # "it" is the next-smallest cell
    assert sum(hidden.values()) == 2
    table = {("", k): v for k, v in counts.items()}
    assert attack(table, {("", k): h for k, h in hidden.items()}, True, False) == set()
    # without a shown total no complement is needed
    assert sum(suppress_counts(counts, total_shown=False).values()) == 1


def test_zero_cells_are_not_sensitive_and_not_preferred_as_complement() -> None:
    hidden = suppress_counts({"a": 0, "b": 3, "c": 40, "d": 25})
    assert hidden == {"a": False, "b": True, "c": False, "d": True}


def test_lone_cell_with_its_total_cannot_be_protected() -> None:
    with pytest.raises(ValueError, match="do not show"):
        suppress_counts({"only": 4}, total_shown=True)
    assert suppress_counts({"only": 4}, total_shown=False) == {"only": True}


def test_group_by_wave_table() -> None:
    counts = {
        ("finance", "baseline"): 40, ("finance", "follow-up"): 44,
        ("registry", "baseline"): 12, ("registry", "follow-up"): 7,
        ("it", "baseline"): 15, ("it", "follow-up"): 16,
    }  # fmt: skip
    hidden = suppress_table(counts)
    assert hidden[("registry", "follow-up")]
    assert sum(hidden.values()) >= 4  # its row and its column each need a second cell
    assert attack(counts, hidden, True, True) == set()


def test_bridge_between_protected_blocks_is_caught() -> None:
    # two 2×2 blocks of small cells joined by one small cell: every row and column has at
    # least 2 hidden cells, yet the joining cell equals (rows r1+r2) − (cols c1+c2).
    small = [("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2"), ("r2", "c3"),
             ("r3", "c3"), ("r3", "c4"), ("r4", "c3"), ("r4", "c4")]  # fmt: skip
    counts = {(r, c): (3 if (r, c) in small else 50) for r in ("r1", "r2", "r3", "r4")
              for c in ("c1", "c2", "c3", "c4")}  # fmt: skip
    primary = {k: v < 10 for k, v in counts.items()}
    assert ("r2", "c3") in recoverable_cells(counts, primary)
    assert ("r2", "c3") in attack(counts, primary, True, True)
    hidden = suppress_table(counts)
    assert all(hidden[k] for k in small)
    assert sum(hidden.values()) > len(small)
    assert attack(counts, hidden, True, True) == set()


@pytest.mark.parametrize("seed", range(40))
def test_random_tables_survive_the_auditor(seed: int) -> None:
    rng = np.random.default_rng(seed)
    nr, nc = int(rng.integers(1, 7)), int(rng.integers(2, 4))
    rows_shown, cols_shown = bool(rng.integers(0, 2)), bool(rng.integers(0, 2))
    if nr == 1:
        cols_shown = False  # a one-row table's column totals are its cells
    values = rng.choice([0, 2, 5, 9, 10, 14, 30, 80], size=(nr, nc))
    counts = {
        (f"g{i}", f"w{j}"): int(values[i, j]) for i, j in itertools.product(range(nr), range(nc))
    }
    k = int(rng.choice([5, 10]))
    hidden = suppress_table(counts, row_totals=rows_shown, col_totals=cols_shown, k=k)
    for key, n in counts.items():
        if 0 < n < k:
            assert hidden[key], key
    assert attack(counts, hidden, rows_shown, cols_shown) == set()
    assert recoverable_cells(counts, hidden, row_totals=rows_shown, col_totals=cols_shown) == set()

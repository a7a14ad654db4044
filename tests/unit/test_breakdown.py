"""Small-group protection in breakdowns, checked by an auditor who tries to recover every
hidden cell from everything the outputs show."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import msgspec
import numpy as np

from survey_service.indicators import recoverable_cells
from survey_service.reports.breakdown import breakdown, breakdown_csv, breakdown_table
from survey_service.reports.data import wave_matrix
from survey_service.reports.report import build_report
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[2] / "forms"
STAFF = load_catalog(FORMS).surveys["staff-survey"].survey
ITEMS = [r.id for q in STAFF.questions() for r in q.rows]


def wave(wave_id: str, sizes: dict[str, int], seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    units: list[str | None] = []
    blobs = []
    for unit, n in sizes.items():
        for _ in range(n):
            answers = {i: int(rng.integers(1, 6)) for i in ITEMS}
            blobs.append(encode_codes(STAFF, answers))  # type: ignore[arg-type]
            units.append(unit)
    data = WaveCodes(b"".join(blobs), len(units), ["elena"] * len(units), ["web"] * len(units),
                     units)
    return wave_matrix(Wave(id=wave_id, survey_id=STAFF.id, version="v", mixed=True), STAFF,
                       data)


def test_a_unit_under_the_threshold_hides_at_least_two_cells_and_nothing_is_recoverable(
) -> None:
    base = wave("a", {"finance": 14, "local_taxes": 12, "legal_hr": 6, "admin_services": 11},
                seed=1)
    follow = wave("b", {"finance": 13, "local_taxes": 4, "legal_hr": 12,
                        "admin_services": 15}, seed=2)
    result = breakdown(base, follow, "unit", lang="en", min_group=10)
    hidden = {(r.group, w) for r in result.rows for w, c in
              (("baseline", r.baseline), ("follow_up", r.follow_up)) if c.n is None}
    assert ("elena/legal_hr", "baseline") in hidden
    assert ("elena/local_taxes", "follow_up") in hidden
    assert len([h for h in hidden if h[1] == "baseline"]) >= 2
    assert len([h for h in hidden if h[1] == "follow_up"]) >= 2

    # What the auditor sees: every format of the breakdown, and the whole-wave report
    report = build_report(base, follow, [], lang="en", min_group=10, items=False)
    totals = {"baseline": (report.rows[0].n_baseline, {r.id: r.baseline for r in report.rows}),
              "follow_up": (report.rows[0].n_follow_up, {r.id: r.follow_up
                                                          for r in report.rows})}
    from_json = msgspec.json.decode(msgspec.json.encode(result))
    from_csv = list(csv.DictReader(io.StringIO(breakdown_csv(result).lstrip("\ufeff"))))
    table = breakdown_table(result, "en")
    shown: dict[tuple[str, str], int] = {}
    for row in from_json["rows"]:
        for w in ("baseline", "follow_up"):
            if row[w].get("n"):
                shown[(row["group"], w)] = row[w]["n"]
    csv_shown = {(r["group"], w): int(r[f"n_{w}"]) for r in from_csv
                 for w in ("baseline", "follow_up") if r[f"n_{w}"]}
    assert csv_shown == shown  # every format shows the same cells
    for group, w in hidden:
        size = {"a": base, "b": follow}["a" if w == "baseline" else "b"]
        true_n = int((size.units == group.split("/")[1]).sum())
        assert f"(n={true_n})" not in table.split(group)[1].split("\n")[0] or (group, w) in shown

    # 1. counts: total minus shown cells, per wave (column) and per unit across waves (row)
    counts = {(f"elena/{g}", w): int(((base if w == "baseline" else follow).units == g).sum())
              for g in ("finance", "local_taxes", "legal_hr", "admin_services")
              for w in ("baseline", "follow_up")}
    hidden_mask = {cell: cell not in shown for cell in counts}
    assert recoverable_cells(counts, hidden_mask, row_totals=False, col_totals=True) == set()
    for w in ("baseline", "follow_up"):
        n_total = totals[w][0]
        assert n_total is not None
        remainder = n_total - sum(n for (g, ww), n in shown.items() if ww == w)
        hidden_here = [c for c in hidden if c[1] == w]
        assert len(hidden_here) >= 2 and remainder == sum(counts[c] for c in hidden_here)
    # 2. means × n: the hidden cells' values only ever appear summed together
    for ind_id, _ in result.indicators:
        for w in ("baseline", "follow_up"):
            n_total, values = totals[w]
            if values.get(ind_id) is None:
                continue
            hidden_here = [c for c in hidden if c[1] == w]
            assert len(hidden_here) >= 2
            for row in from_json["rows"]:
                cell = row[w]
                if (row["group"], w) in hidden:
                    assert cell == {} or cell.get("n") is None
                    assert ind_id not in cell.get("values", {})
    # 3. no output holds a hidden cell's value
    assert json.dumps(from_json).count('"n"') == len(shown)


def test_a_wave_too_small_to_split_shows_no_group() -> None:
    base = wave("a", {"finance": 7, "legal_hr": 1}, seed=3)
    follow = wave("b", {"finance": 8}, seed=4)
    result = breakdown(base, follow, "unit", min_group=10)
    assert {r.group for r in result.rows} == {"elena/finance", "elena/legal_hr"}  # listed, empty
    assert all(r.baseline.n is None and r.follow_up.n is None for r in result.rows)


def test_units_of_different_organisations_are_never_pooled() -> None:
    """Both municipalities have a "finance" unit: pooling them would let "everyone" minus
    "Elena" give Lyaskovets' small unit."""
    base = wave("a", {"finance": 15, "legal_hr": 12}, seed=5)
    lyaskovets = wave("x", {"finance": 4, "legal_hr": 11}, seed=6)
    merged = base.subset(np.ones(base.n, dtype=bool))
    merged.codes = np.vstack([base.codes, lyaskovets.codes])
    merged.organisations = np.concatenate([base.organisations,
                                           np.full(lyaskovets.n, "lyaskovets")])
    merged.channels = np.concatenate([base.channels, lyaskovets.channels])
    merged.units = np.concatenate([base.units, lyaskovets.units])
    result = breakdown(merged, merged, "unit", min_group=10)
    groups = {r.group: r for r in result.rows}
    assert set(groups) == {"elena/finance", "elena/legal_hr", "lyaskovets/finance",
                           "lyaskovets/legal_hr"}
    assert groups["lyaskovets/finance"].baseline.n is None  # 4 people: hidden

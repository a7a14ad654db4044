"""How long a wave's disclosure plan takes: 2 organisations x 20 units (sizes 3 to 30, the
small units answering all 1s), every staff indicator and item, units mapped into a later
structure that merges them in pairs; prints the time and what the plan costs. Then the same
plan once more, side by side, without the standardised figure over all organisations in the
planner (the floor: what that part of the plan costs in time and hidden cells)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from survey_service.reports import disclosure
from survey_service.reports.data import wave_matrix
from survey_service.reports.disclosure import (
    add_figures,
    close_standardised,
    new_plan,
    wave_figures,
)
from survey_service.reports.disclosure_links import plan_linked
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes, scored_items
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[1] / "forms"


def main(units: int = 20) -> float:
    survey = load_catalog(FORMS).surveys["staff-survey"].survey
    likert = [i.id for i in scored_items(survey) if i.kind == "likert"]
    rng = np.random.default_rng(14)
    orgs, unit_ids, blobs = [], [], []
    for org in ("elena", "lyaskovets"):
        for u in range(units):
            size = int(rng.integers(3, 31))
            for _ in range(size):
                low = size < 10
                answers = {i: 1 if low else int(rng.integers(2, 6)) for i in likert}
                blobs.append(encode_codes(survey, answers))  # type: ignore[arg-type]
                orgs.append(org)
                unit_ids.append(f"u{u:02d}")
    n = len(orgs)
    data = WaveCodes(b"".join(blobs), n, orgs, ["web"] * n, unit_ids)  # type: ignore[arg-type]
    m = wave_matrix(Wave(id="bench", survey_id=survey.id, version="v", mixed=True), survey,
                    data)
    mapping = {f"{o}/u{u:02d}": f"{o}/m{u // 2:02d}" for o in ("elena", "lyaskovets")
               for u in range(units)}
    start = time.perf_counter()
    plan = new_plan(m, [mapping], 10, 20.0)
    figures = wave_figures(survey)
    add_figures(plan, m, figures)  # (no NPS in the staff survey: nothing pins its bands)
    alone = time.perf_counter() - start
    plan_linked(plan, m, [f.key for f in figures])
    close_standardised(plan, [f.key for f in figures])
    seconds = time.perf_counter() - start
    indicators = [f.key for f in figures if not f.key.startswith("item:")]
    primary = sum(len(plan.primary[k]) for k in indicators)
    hidden = sum(len(plan.hidden[k]) for k in indicators)
    print(f"{n} respondents, {len(plan.atoms)} units, {len(plan.cells)} cells, "
          f"{len(figures)} figures ({len(indicators)} indicators)")
    print(f"indicators: {primary} sensitive cells, {hidden - primary} more hidden "
          f"(of {len(plan.cells) * len(indicators)} indicator cells)")
    items = [f.key for f in figures if f.key.startswith("item:")]
    print(f"items: {sum(len(plan.primary[k]) for k in items)} sensitive report cells, "
          f"{sum(len(plan.hidden[k]) for k in items)} hidden "
          f"(of {len(plan.report_cells) * len(items)})")
    print(f"plan computed in {seconds:.1f} s ({alone:.1f} s figure by figure, then "
          f"{seconds - alone:.1f} s for themes and items together)")
    return seconds


if __name__ == "__main__":
    with_standardised = main()
    print("-- floor: without the standardised figure in the planner")
    keep = disclosure.standardised_ties
    disclosure.standardised_ties = lambda plan, key: {}  # type: ignore[assignment]
    try:
        floor = main()
    finally:
        disclosure.standardised_ties = keep  # type: ignore[assignment]
    print(f"ratio with / without: {with_standardised / floor:.2f}")

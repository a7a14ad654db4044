"""Paired comparisons for panel waves: a t test on the same people's composites, matched by
their self-made panel codes."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..i18n import translations
from ..indicators.result import NotComputable
from .comparability import Plan
from .data import WaveMatrix
from .kinds import points_of
from .rows import Row


def panel_pairs(before: npt.NDArray[np.object_] | None, after: npt.NDArray[np.object_] | None
                ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Rows with the same self-made panel code before and after (a code given twice on one
    side is left out: it cannot be paired with certainty)."""
    def index(panels: npt.NDArray[np.object_] | None) -> dict[bytes, int]:
        seen: dict[bytes, int] = {}
        twice: set[bytes] = set()
        for i, code in enumerate(panels if panels is not None else []):
            if code is None:
                continue
            if code in seen:
                twice.add(code)
            seen[code] = i
        return {c: i for c, i in seen.items() if c not in twice}

    ia, ib = index(before), index(after)
    common = sorted(set(ia) & set(ib))
    return (np.asarray([ia[c] for c in common], dtype=np.intp),
            np.asarray([ib[c] for c in common], dtype=np.intp))


def panel_rows(
    a: WaveMatrix, b: WaveMatrix, plans: dict[str, Plan], lang: str, min_group: int
) -> list[Row]:
    """Paired comparisons (t test on the same people's composites) for panel waves."""
    from scipy import stats

    if a.panels is None or b.panels is None:
        return []
    _ = translations(lang).gettext
    ia, ib = panel_pairs(a.panels, b.panels)
    rows = []
    for plan in plans.values():
        definition, items = plan.definition, plan.items
        if definition.kind != "index":
            continue
        points = points_of(a, items)
        if isinstance(points, NotComputable):
            continue
        reverse = [bool(a.item(i).reverse) for i in items]  # type: ignore[union-attr]
        ra = ind.composite_scores(a.likert_columns(items)[ia], points, reverse)
        rb = ind.composite_scores(b.likert_columns(items)[ib], points, reverse)
        ok = ~(np.isnan(ra) | np.isnan(rb))
        pairs = int(ok.sum())
        row = Row(section="panel", id=definition.id, label=definition.label.get(lang),
                  kind="index", n_baseline=pairs, n_follow_up=pairs)
        if pairs < max(min_group, 2):
            row = Row(section="panel", id=definition.id, label=row.label, kind="index",
                      note=_("fewer than %(n)s pairs: not shown") % {"n": min_group})
        elif np.ptp(rb[ok] - ra[ok]) == 0:
            row.note = _("every pair changed by the same amount: no test")
        else:
            test = stats.ttest_rel(rb[ok], ra[ok])
            ci = test.confidence_interval(0.95)
            row.baseline, row.follow_up = float(ra[ok].mean()), float(rb[ok].mean())
            row.change = row.follow_up - row.baseline
            row.ci_low, row.ci_high = float(ci.low), float(ci.high)
            row.test, row.statistic, row.p = "paired_t", float(test.statistic), float(test.pvalue)
            row.note = _("the same people in both waves (self-made panel codes)")
        rows.append(row)
    return rows

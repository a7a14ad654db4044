"""``share`` indicators in reports: % of one single-choice or number item's valid answers that
the indicator accepts, compared like ``percent_positive`` of one item (pooled two-proportion z
with Newcombe's CI, Fisher's exact test when an expected count is below 5, Cohen's h)."""

from __future__ import annotations

from .. import indicators as ind
from ..indicators.result import Comparison, Estimate, NotComputable
from ..surveys.model import IndicatorDef
from ..surveys.share import share_rule
from .data import WaveMatrix


def share_estimate(
    definition: IndicatorDef, m: WaveMatrix, population: int | None = None
) -> Estimate | NotComputable:
    """One wave's share (percent, Wilson CI), coded with that wave's own form version."""
    rule = share_rule(m.survey, definition)
    return ind.share(m.raw(definition.items[0]), **rule._asdict(), population=population)


def compare_share(
    definition: IndicatorDef,
    a: WaveMatrix,
    b: WaveMatrix,
    pop_a: int | None = None,
    pop_b: int | None = None,
) -> tuple[Estimate | NotComputable, Estimate | NotComputable, Comparison | NotComputable]:
    """Baseline and follow-up shares and their comparison."""
    item = definition.items[0]
    column_a, column_b = a.raw(item), b.raw(item)
    if column_a is None or column_b is None:
        missing = NotComputable("the question was not asked in both waves")
        return missing, missing, missing
    x1, n1 = ind.share_counts(column_a, **share_rule(a.survey, definition)._asdict())
    x2, n2 = ind.share_counts(column_b, **share_rule(b.survey, definition)._asdict())
    return (
        share_estimate(definition, a, pop_a),
        share_estimate(definition, b, pop_b),
        ind.compare_proportions(x1, n1, x2, n2),
    )

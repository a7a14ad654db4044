"""Pure statistics of survey_service: indicators and wave comparisons (INDICATORS.md §2-4).

Works on numpy arrays of stored codes and plain values only; it knows nothing of HTTP,
SQL, files or the survey model. Conventions:

* Likert codes: 0 missing, 1..K valid (1 = most negative), 9 "don't know" (separate,
  excluded from every denominator); reverse-worded items are recoded x → K + 1 − x first.
  Storage writes a missing answer as -1 (``surveys.coding.MISSING``);
  ``reports.data.WaveMatrix`` turns Likert columns into this convention once.
* NPS codes: 0..10 valid, **-1 missing**.
* Optional float weights of the same length (post-stratification, :mod:`.weights`).
* Degenerate cases return :class:`NotComputable` with an English reason; invalid data
  raises ``ValueError``. Percentages 0-100, scores 0-100, NPS −100..100; nothing is
  rounded here (round only when displaying).
"""

from ._common import DONT_KNOW, MISSING, Z95, CodeCounts
from .adjust import adjust_comparisons, adjust_pvalues
from .compare import (
    cohens_h,
    compare_composite,
    compare_means,
    compare_nps,
    compare_ordinal,
    compare_percent_positive,
    compare_proportions,
    compare_ranks,
    hedges_g,
    mann_whitney_from_counts,
    newcombe_interval,
    welch,
)
from .indicators import (
    NPS_MISSING,
    acsi_style_index,
    csat,
    csqi,
    driver_score,
    effort_score,
    engagement_index,
    nps,
    positive_and_mean,
    response_rate,
    share,
    share_counts,
    theme_score,
)
from .items import (
    composite_index,
    composite_scores,
    count_codes,
    item_stats,
    pct_positive,
    polarity,
    rescale,
    theme_percent_positive,
    valid_values,
)
from .precision import (
    fpc,
    margin_of_error,
    mean_estimate,
    proportion_estimate,
    required_sample_size,
    wilson_interval,
)
from .reliability import ALPHA_THRESHOLD, cronbach_alpha
from .result import (
    Comparison,
    Estimate,
    ItemStats,
    NotComputable,
    NPSResult,
    PositiveAndMean,
    Reliability,
    ResponseRate,
    ThemeScore,
)
from .suppression import recoverable_cells, suppress_counts, suppress_table
from .weights import PostStratWeights, kish_n_eff, poststratification_weights

__all__ = [
    "ALPHA_THRESHOLD",
    "DONT_KNOW",
    "MISSING",
    "NPS_MISSING",
    "Z95",
    "CodeCounts",
    "Comparison",
    "Estimate",
    "ItemStats",
    "NPSResult",
    "NotComputable",
    "PositiveAndMean",
    "PostStratWeights",
    "Reliability",
    "ResponseRate",
    "ThemeScore",
    "acsi_style_index",
    "adjust_comparisons",
    "adjust_pvalues",
    "cohens_h",
    "compare_composite",
    "compare_means",
    "compare_nps",
    "compare_ordinal",
    "compare_percent_positive",
    "compare_proportions",
    "compare_ranks",
    "composite_index",
    "composite_scores",
    "count_codes",
    "cronbach_alpha",
    "csat",
    "csqi",
    "driver_score",
    "effort_score",
    "engagement_index",
    "fpc",
    "hedges_g",
    "item_stats",
    "kish_n_eff",
    "mann_whitney_from_counts",
    "margin_of_error",
    "mean_estimate",
    "newcombe_interval",
    "nps",
    "pct_positive",
    "polarity",
    "positive_and_mean",
    "poststratification_weights",
    "proportion_estimate",
    "recoverable_cells",
    "required_sample_size",
    "rescale",
    "response_rate",
    "share",
    "share_counts",
    "suppress_counts",
    "suppress_table",
    "theme_percent_positive",
    "theme_score",
    "valid_values",
    "welch",
    "wilson_interval",
]

"""Share indicators (% of one single-choice or number item's answers that a rule accepts):
counts by hand, the estimate against statsmodels' Wilson interval, the report's comparison
against scipy/statsmodels (pooled z, Newcombe CI, Fisher, Cohen's h), and the loader's checks."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from survey_service import indicators as ind
from survey_service.indicators.result import Estimate, NotComputable
from survey_service.reports.comparability import plan_indicators
from survey_service.reports.report import build_report
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import check_catalog, load_catalog
from survey_service.surveys.model import ShareDef, Survey
from survey_service.surveys.share import share_rule
from survey_service.surveys.versions import diff_versions
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOG = load_catalog(FORMS)
CITIZEN = CATALOG.surveys["citizen-satisfaction"].survey
WAITS = ["up_to_5", "up_to_20", "up_to_40", "over_40"]


def test_counts_by_hand() -> None:
    codes = [1, 2, 3, 4, -1, 2, 4, -1]  # option positions, -1 missing
    assert ind.share_counts(codes, values={1, 2}) == (3, 6)
    visits = [1, 1, 2, 5, -1, 3, 1]
    assert ind.share_counts(visits, high=1) == (3, 6)
    assert ind.share_counts(visits, low=2, high=3) == (2, 6)
    assert ind.share_counts(None, high=1) == (0, 0)
    assert isinstance(ind.share([-1, -1], high=1), NotComputable)
    assert isinstance(ind.share(None, high=1), NotComputable)


def test_share_estimate_is_a_wilson_percentage() -> None:
    codes = [1] * 37 + [3] * 51 + [-1] * 9
    est = ind.share(codes, values={1})
    assert isinstance(est, Estimate) and est.n == 88
    assert est.value == pytest.approx(100 * 37 / 88, abs=1e-12)
    lo, hi = proportion_confint(37, 88, method="wilson")
    assert (est.ci_low, est.ci_high) == (pytest.approx(100 * lo, abs=1e-9),
                                         pytest.approx(100 * hi, abs=1e-9))


def test_the_rule_follows_each_form_version_coding() -> None:
    definition = next(i for i in CITIZEN.indicators if i.id == "waited_20_or_less")
    assert share_rule(CITIZEN, definition).values == frozenset({1, 2})
    one = next(i for i in CITIZEN.indicators if i.id == "one_contact")
    assert share_rule(CITIZEN, one) == (None, None, 1)


def _wave(survey: Survey, wave_id: str, answers: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    from survey_service.reports.data import wave_matrix

    data = WaveCodes(b"".join(encode_codes(survey, a) for a in answers),  # type: ignore[arg-type]
                     len(answers), ["elena"] * len(answers), ["web"] * len(answers),
                     [None] * len(answers))
    return wave_matrix(Wave(id=wave_id, survey_id=survey.id, version="v"), survey, data)


def _waits(counts: list[int], skipped: int = 0) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {"wait_minutes": code} for code, k in zip(WAITS, counts, strict=True) for _ in range(k)
    ]
    return rows + [{"overall_satisfaction": 4}] * skipped  # not asked: not in the denominator


@pytest.mark.parametrize(
    ("base", "follow"),
    [([20, 30, 25, 15], [35, 30, 12, 8]), ([2, 3, 40, 45], [6, 8, 30, 26])],
)
def test_report_compares_a_share_like_percent_positive(base: list[int], follow: list[int]) -> None:
    a = _wave(CITIZEN, "a", _waits(base, skipped=30))
    b = _wave(CITIZEN, "b", _waits(follow, skipped=12))
    report = build_report(a, b, CATALOG.expected_results, lang="en", min_group=10, items=False)
    row = next(r for r in report.rows if r.id == "waited_20_or_less")
    x1, n1, x2, n2 = base[0] + base[1], sum(base), follow[0] + follow[1], sum(follow)
    p1, p2 = x1 / n1, x2 / n2
    assert (row.n_baseline, row.n_follow_up) == (n1, n2)
    assert row.baseline == pytest.approx(100 * p1, abs=1e-9)
    assert row.follow_up == pytest.approx(100 * p2, abs=1e-9)
    lo, hi = confint_proportions_2indep(x2, n2, x1, n1, method="newcomb")
    assert (row.ci_low, row.ci_high) == (pytest.approx(100 * lo, abs=1e-9),
                                         pytest.approx(100 * hi, abs=1e-9))
    h = 2 * math.asin(math.sqrt(p2)) - 2 * math.asin(math.sqrt(p1))
    assert row.effect == "cohens_h" and row.effect_size == pytest.approx(h, abs=1e-12)
    expected_low = min(n * s / (n1 + n2) for n in (n1, n2) for s in (x1 + x2, n1 + n2 - x1 - x2))
    if expected_low < 5:
        assert row.test == "fisher_exact"
        fisher = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]])
        assert row.p == pytest.approx(fisher.pvalue, abs=1e-12)
    else:
        assert row.test == "two_proportion_z"
        z, p = proportions_ztest([x2, x1], [n2, n1])
        assert row.statistic == pytest.approx(z, abs=1e-9) and row.p == pytest.approx(p, abs=1e-9)
    assert row.p_adjusted is not None and row.adjustment == "fdr_bh"  # exploratory family
    expected = next(r for r in report.rows if r.id == "waiting_standard")
    assert expected.section == "expected" and expected.baseline == row.baseline


def test_report_share_of_a_number_item() -> None:
    base = [{"visit_count": v} for v in [1] * 20 + [2] * 25 + [4] * 15]
    follow = [{"visit_count": v} for v in [1] * 40 + [2] * 15 + [3] * 5]
    report = build_report(_wave(CITIZEN, "a", base), _wave(CITIZEN, "b", follow), [],  # type: ignore[arg-type]
                          lang="en", min_group=10, items=False)
    row = next(r for r in report.rows if r.id == "one_contact")
    assert row.baseline == pytest.approx(100 * 20 / 60) and row.follow_up == pytest.approx(
        100 * 40 / 60)
    z, p = proportions_ztest([40, 20], [60, 60])
    assert row.statistic == pytest.approx(z, abs=1e-9)
    assert row.p == pytest.approx(p, abs=1e-9)


def test_a_changed_rule_is_not_comparable() -> None:
    import msgspec

    definition = next(i for i in CITIZEN.indicators if i.id == "waited_20_or_less")
    changed = msgspec.structs.replace(definition, share=ShareDef(any_of=["up_to_5"]))
    other = msgspec.structs.replace(
        CITIZEN, indicators=[changed if i.id == definition.id else i for i in CITIZEN.indicators])
    same, refused = plan_indicators(CITIZEN, CITIZEN, diff_versions(CITIZEN, CITIZEN), "en")
    assert definition.id in same and not refused
    plans, refused = plan_indicators(CITIZEN, other, diff_versions(CITIZEN, other), "en")
    assert definition.id not in plans
    assert [d.id for d in refused] == [definition.id]
    assert "differ between the waves" in refused[0].reason


# ---------------------------------------------------------------------------- forms check
def _problems(tmp_path: Path, block: str, results: str = "") -> list[str]:
    shutil.copy(FORMS / "organisations.toml", tmp_path / "organisations.toml")
    text = (FORMS / "citizen-satisfaction.toml").read_text(encoding="utf-8")
    (tmp_path / "citizen-satisfaction.toml").write_text(text + "\n" + block, encoding="utf-8")
    if results:
        (tmp_path / "expected-results.toml").write_text(results, encoding="utf-8")
    _, problems = check_catalog(tmp_path)
    return [p.message for p in problems]


def _indicator(kind: str, items: str, share: str = "") -> str:
    return (f'[[indicators]]\nid = "broken"\nkind = "{kind}"\nitems = {items}\n{share}\n'
            'label = { bg = "Х", en = "X" }\n')


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (_indicator("share", '["wait_minutes"]', 'share = { any_of = ["up_to_60"] }'),
         "unknown: ['up_to_60']"),
        (_indicator("share", '["wait_minutes"]', "share = { max = 20 }"),
         "lists option codes"),
        (_indicator("share", '["wait_minutes"]', 'share = { any_of = ' + str(WAITS).replace(
            "'", '"') + " }"), "always 100 %"),
        (_indicator("share", '["visit_count"]', 'share = { any_of = ["one"] }'),
         "takes min and/or max"),
        (_indicator("share", '["visit_count"]', "share = { min = 5, max = 2 }"),
         "does not fit"),
        (_indicator("share", '["overall_satisfaction"]', "share = { max = 1 }"),
         "needs a single-choice or number item"),
        (_indicator("share", '["visit_count"]'), "needs share ="),
        (_indicator("share", '["visit_count", "desks_count"]', "share = { max = 1 }"),
         "exactly one item"),
        (_indicator("percent_positive", '["effort"]', "share = { max = 1 }"),
         "share applies only to share indicators"),
        # an index over items asked of different people (finished matters vs everyone)
        (_indicator("index", '["got_what_needed", "staff_courteous"]'),
         "must be asked of everyone it describes"),
    ],
)
def test_forms_check_refuses_bad_shares_and_mixed_indexes(
    tmp_path: Path, block: str, message: str
) -> None:
    messages = _problems(tmp_path, block)
    assert any(message in m for m in messages), messages


def test_nps_is_never_a_target(tmp_path: Path) -> None:
    messages = _problems(tmp_path, "", """
[[results]]
id = "promoters"
text = { bg = "Х", en = "X" }
survey = "citizen-satisfaction"
indicator = "nps"
target = { change_at_least = 5 }
""")
    assert any("NPS is exploratory and never a target" in m for m in messages), messages


def test_shares_in_the_breakdown_by_organisation() -> None:
    from survey_service.reports.breakdown import breakdown

    answers = [{"wait_minutes": "up_to_5" if i % 3 else "over_40", "visit_count": 1 + i % 2}
               for i in range(30)]
    a, b = _wave(CITIZEN, "a", answers), _wave(CITIZEN, "b", answers)
    table = breakdown(a, b, "organisation", lang="en", min_group=10)
    [row] = table.rows
    assert row.baseline.values["waited_20_or_less"] == pytest.approx(100 * 20 / 30)
    assert row.baseline.values["one_contact"] == pytest.approx(50.0)
    assert row.follow_up.values["one_desk"] is None  # never asked

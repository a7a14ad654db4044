"""The trend over N waves: each wave's figure and both changes checked against scipy and
statsmodels, the same numbers as the two-wave report for every pair, adjusted p within each
pair, comparability over every pair, and a wave's hidden figure hiding its changes only."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from survey_service import indicators as ind
from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import Disclosure
from survey_service.reports.report import build_report
from survey_service.reports.trend import build_trend, pairs
from survey_service.reports.trend_render import to_csv, to_text
from survey_service.surveys.loader import indicator_items
from tests.unit.test_report import CATALOG, CITIZEN, demo

EXPECTED = CATALOG.expected_results


@pytest.fixture(scope="module")
def waves() -> list[WaveMatrix]:
    return [demo(CITIZEN, "w1", 160, 1), demo(CITIZEN, "w2", 150, 2, follow=True),
            demo(CITIZEN, "w3", 140, 3, follow=True)]


def test_pairs_are_from_the_first_and_from_the_previous_wave() -> None:
    assert pairs(1) == []
    assert pairs(2) == [(0, 1)]
    assert pairs(4) == [(0, 1), (0, 2), (1, 2), (0, 3), (2, 3)]


def test_figures_and_changes_match_scipy_and_statsmodels(waves: list[WaveMatrix]) -> None:
    trend = build_trend(waves, EXPECTED, lang="en", min_group=10)
    assert trend.waves == ["w1", "w2", "w3"]
    row = next(r for r in trend.rows if r.id == "csqi")  # an index: Welch t
    scores = [ind.composite_scores(m.likert_columns(indicator_items(CITIZEN, "csqi")),
                                   5, [False] * len(indicator_items(CITIZEN, "csqi")))
              for m in waves]
    scores = [s[~np.isnan(s)] for s in scores]
    for v, s in zip(row.waves, scores, strict=True):
        ci = stats.t.interval(0.95, len(s) - 1, loc=s.mean(), scale=stats.sem(s))
        assert v.value == pytest.approx(s.mean(), abs=1e-9)
        assert (v.ci_low, v.ci_high) == (pytest.approx(ci[0], abs=1e-9),
                                         pytest.approx(ci[1], abs=1e-9))
        assert v.n == len(s)  # the answers used, not the wave's size
    assert row.waves[0].n != waves[0].n
    for change, (i, k) in [(row.from_first[0], (0, 1)), (row.from_first[1], (0, 2)),
                           (row.from_previous[1], (1, 2))]:
        welch = stats.ttest_ind(scores[k], scores[i], equal_var=False)
        ci = welch.confidence_interval(0.95)
        assert (change.baseline, change.follow_up) == (f"w{i + 1}", f"w{k + 1}")
        assert change.change == pytest.approx(scores[k].mean() - scores[i].mean(), abs=1e-9)
        assert change.p == pytest.approx(welch.pvalue, abs=1e-9)
        assert (change.ci_low, change.ci_high) == (pytest.approx(ci.low, abs=1e-9),
                                                   pytest.approx(ci.high, abs=1e-9))
    assert row.from_previous[0] == row.from_first[0]  # the second wave's previous is the first
    share = next(r for r in trend.rows if r.id == "csat")  # one item % positive: z test
    positive = [int(((m.likert("overall_satisfaction") >= 4)   # type: ignore[operator]
                     & (m.likert("overall_satisfaction") <= 5)).sum()) for m in waves]  # type: ignore[operator]
    valid = [int(((m.likert("overall_satisfaction") >= 1)  # type: ignore[operator]
                  & (m.likert("overall_satisfaction") <= 5)).sum()) for m in waves]  # type: ignore[operator]
    for change, (i, k) in [(share.from_first[1], (0, 2)), (share.from_previous[1], (1, 2))]:
        _, p = proportions_ztest([positive[k], positive[i]], [valid[k], valid[i]])
        assert change.test == "two_proportion_z" and change.p == pytest.approx(p, abs=1e-9)
    assert [v.n for v in share.waves] == valid


def test_every_pair_is_the_two_wave_report_and_adjusted_within_the_pair(
        waves: list[WaveMatrix]) -> None:
    trend = build_trend(waves, EXPECTED, lang="en", min_group=10)
    confirmatory = [r.indicator for r in EXPECTED
                    if r.survey == CITIZEN.id and r.confirmatory]
    for (i, k), pick in (((0, 2), lambda r: r.from_first[1]),
                         ((1, 2), lambda r: r.from_previous[1])):
        report = build_report(waves[i], waves[k], EXPECTED, lang="en", min_group=10,
                              items=False)
        rows = {r.id: r for r in report.rows if r.section == "indicator"}
        for row in trend.rows:
            change, expected = pick(row), rows[row.id]
            assert (row.waves[i].value, row.waves[k].value) == (expected.baseline,
                                                                expected.follow_up)
            assert (change.change, change.ci_low, change.ci_high, change.p, change.test) == (
                expected.change, expected.ci_low, expected.ci_high, expected.p, expected.test)
        members = [r for r in trend.rows if r.id in confirmatory]
        ps = [pick(r).p for r in members]
        holm = multipletests(ps, method="holm")[1]
        assert [pick(r).p_adjusted for r in members] == pytest.approx(list(holm), abs=1e-12)
        assert {pick(r).adjustment for r in members} == {"holm"}


def test_one_wave_has_its_figures_and_no_change(waves: list[WaveMatrix]) -> None:
    trend = build_trend(waves[:1], EXPECTED, lang="en", min_group=10)
    assert trend.rows and all(len(r.waves) == 1 and r.from_first == [] for r in trend.rows)


class _HideInSecond(Disclosure):
    """A disclosure whose plan hides csqi in the second wave only."""

    def indicator_hidden(self, m, definition_id, items, *, label=None, cell=None):  # type: ignore[no-untyped-def,override]
        return m.wave.id == "w2" and definition_id == "csqi"


def test_a_wave_hidden_by_its_plan_hides_its_changes_and_nothing_else(
        waves: list[WaveMatrix]) -> None:
    trend = build_trend(waves, EXPECTED, lang="en", min_group=10,
                        disclosure=_HideInSecond({}))
    row = next(r for r in trend.rows if r.id == "csqi")
    assert [v.value is None for v in row.waves] == [False, True, False]
    assert row.waves[1].n is None and row.waves[1].ci_low is None and row.waves[1].note
    assert row.from_first[0].change is None and row.from_previous[1].change is None
    assert row.from_first[1].change is not None  # w1 -> w3 rests on neither
    assert "would reveal" in (row.from_previous[1].note or "")
    text, table = to_text(trend), to_csv(trend)
    assert "csqi" in text and table.count("\n") == 1 + 3 * len(trend.rows)


def test_a_small_wave_shows_no_figure(waves: list[WaveMatrix]) -> None:
    tiny = waves[2].subset(np.arange(waves[2].n) < 6)
    trend = build_trend([waves[0], tiny], EXPECTED, lang="en", min_group=10)
    assert all(r.waves[1].value is None and r.from_first[0].change is None
               for r in trend.rows)

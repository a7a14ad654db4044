"""The trend over N waves: each wave's figure and both changes checked against scipy and
statsmodels, the same numbers as the two-wave report for every pair, adjusted p within each
pair, comparability over every pair, and a wave's hidden figure hiding its changes only."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from survey_service import indicators as ind
from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import Disclosure
from survey_service.reports.estimates import Change
from survey_service.reports.report import build_report
from survey_service.reports.trend import Trend, TrendRow, build_trend, pairs
from survey_service.reports.trend_render import to_csv, to_text
from survey_service.surveys.loader import indicator_items
from tests.unit.test_report import CATALOG, CITIZEN, demo

EXPECTED = CATALOG.expected_results
Pick = Callable[[TrendRow], Change]


@pytest.fixture(scope="module")
def waves() -> list[WaveMatrix]:
    return [demo(CITIZEN, "w1", 160, 1), demo(CITIZEN, "w2", 150, 2, follow=True),
            demo(CITIZEN, "w3", 140, 3, follow=True)]


def test_pairs_are_from_the_first_and_from_the_previous_wave() -> None:
    assert pairs(1) == []
    assert pairs(2) == [(0, 1)]
    assert pairs(4) == [(0, 1), (0, 2), (1, 2), (0, 3), (2, 3)]


def test_figures_and_changes_match_scipy_and_statsmodels(waves: list[WaveMatrix]) -> None:
    """One organisation's answers (nothing to standardise): Welch's t and the z test."""
    waves = [m.subset(m.organisations == "elena") for m in waves]
    trend = build_trend(waves, EXPECTED, lang="en", min_group=10)
    assert trend.mix == {}
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


PAIR_FIELDS = ("change", "ci_low", "ci_high", "p", "test", "effect", "effect_size",
               "n_baseline", "n_follow_up")
CONFIRMATORY = {r.indicator for r in EXPECTED if r.survey == CITIZEN.id and r.confirmatory}


def _same_as_report(trend: Trend, waves: list[WaveMatrix], i: int, k: int, pick: Pick,
                    organisation: str | None = None) -> None:
    """The trend's pair (i, k) is the two-wave report's indicator rows, to the last bit."""
    report = build_report(waves[i], waves[k], EXPECTED, lang="en", min_group=10,
                          items=False, organisation=organisation)
    rows = {r.id: r for r in report.rows if r.section == "indicator"}
    assert {r.id for r in trend.rows} <= set(rows)
    for row in trend.rows:
        change, expected = pick(row), rows[row.id]
        a, b = row.waves[i], row.waves[k]
        assert (a.value, b.value) == (expected.baseline, expected.follow_up), row.id
        assert (a.ci_low, a.ci_high, b.ci_low, b.ci_high) == (
            expected.baseline_ci_low, expected.baseline_ci_high, expected.follow_up_ci_low,
            expected.follow_up_ci_high), row.id
        assert tuple(getattr(change, f) for f in PAIR_FIELDS) == tuple(
            getattr(expected, f) for f in PAIR_FIELDS), row.id
        if row.id in CONFIRMATORY:  # the same Holm family (the report's BH family also
            # holds the single items, which a trend does not show)
            assert (change.p_adjusted, change.adjustment) == (expected.p_adjusted, "holm")


def test_two_waves_are_the_two_wave_report_on_its_organisation_mix(
        waves: list[WaveMatrix]) -> None:
    """Pooled over both organisations, the report standardises to both waves' organisation
    mix (:mod:`reports.pooled`): a trend of the same two waves gives the same figures."""
    trend = build_trend(waves[:2], EXPECTED, lang="en", min_group=10)
    report = build_report(waves[0], waves[1], EXPECTED, lang="en", min_group=10, items=False)
    assert trend.mix == report.mix and set(trend.mix) == {"elena", "lyaskovets"}
    standardised = [r for r in report.rows
                    if r.section == "indicator" and r.crude_change is not None]
    assert standardised and any(r.change != r.crude_change for r in standardised)
    assert all(r.from_first[0].test == "standardised_welch_t" for r in trend.rows
               if r.id in {x.id for x in standardised})
    _same_as_report(trend, waves, 0, 1, lambda r: r.from_first[0])
    assert "standardised to one fixed mix of organisations" in to_text(trend)


def _org_scores(m: WaveMatrix, org: str, indicator: str) -> npt.NDArray[np.float64]:
    part = m.subset(m.organisations == org)
    items = indicator_items(CITIZEN, indicator)
    if indicator == "csat":  # one item's % positive: 0/100 per valid answer
        x = part.likert("overall_satisfaction")
        assert x is not None
        valid = x[(x >= 1) & (x <= 5)]
        return np.where(valid >= 4, 100.0, 0.0)
    s = ind.composite_scores(part.likert_columns(items), 5, [False] * len(items))
    return s[~np.isnan(s)]


def test_n_waves_every_wave_and_change_on_the_mix_of_all_waves_by_hand(
        waves: list[WaveMatrix]) -> None:
    """Three waves: each organisation's share of all three waves' respondents weights every
    wave; the changes from the first and the previous wave are Welch-Satterthwaite t on that
    one mix (numpy and scipy below), and adjusted within each pair."""
    second = waves[1]  # Elena answered less in the second wave: the mixes differ
    elena = np.cumsum(second.organisations == "elena")
    waves = [waves[0], second.subset((second.organisations != "elena") | (elena <= 30)),
             waves[2]]
    trend = build_trend(waves, EXPECTED, lang="en", min_group=10)
    orgs, counts = np.unique(np.concatenate([m.organisations for m in waves]),
                             return_counts=True)
    mix = dict(zip(orgs.tolist(), (counts / counts.sum()).tolist(), strict=True))
    assert trend.mix == pytest.approx(mix, abs=1e-15)
    for indicator in ("csqi", "csat"):
        row = next(r for r in trend.rows if r.id == indicator)
        per_wave = []
        for m, shown in zip(waves, row.waves, strict=True):
            parts = [(s, _org_scores(m, o, indicator)) for o, s in mix.items()]
            value = sum(s * x.mean() for s, x in parts)
            var = sum(s * s * x.var(ddof=1) / x.size for s, x in parts)
            terms = [(s * s * x.var(ddof=1) / x.size) ** 2 / (x.size - 1) for s, x in parts]
            half = stats.t.ppf(0.975, var * var / sum(terms)) * np.sqrt(var)
            assert shown.value == pytest.approx(value, abs=1e-9)
            assert (shown.ci_low, shown.ci_high) == (pytest.approx(value - half, abs=1e-9),
                                                     pytest.approx(value + half, abs=1e-9))
            per_wave.append((value, var, terms))
        for change, (i, k) in [(row.from_first[0], (0, 1)), (row.from_first[1], (0, 2)),
                               (row.from_previous[1], (1, 2))]:
            (v1, var1, t1), (v2, var2, t2) = per_wave[i], per_wave[k]
            se = np.sqrt(var1 + var2)
            df = (var1 + var2) ** 2 / sum([*t1, *t2])
            t = (v2 - v1) / se
            half = stats.t.ppf(0.975, df) * se
            assert change.test == "standardised_welch_t"
            assert change.change == pytest.approx(v2 - v1, abs=1e-9)
            assert change.statistic == pytest.approx(t, abs=1e-9)
            assert change.p == pytest.approx(2 * stats.t.sf(abs(t), df), abs=1e-12)
            assert (change.ci_low, change.ci_high) == (pytest.approx(v2 - v1 - half, abs=1e-9),
                                                       pytest.approx(v2 - v1 + half, abs=1e-9))
    # the two-wave report of the first and last waves uses their own mix, not the trend's
    pair = build_report(waves[0], waves[2], EXPECTED, lang="en", min_group=10, items=False)
    assert abs(pair.mix["elena"] - trend.mix["elena"]) > 0.02
    csqi = next(r for r in pair.rows if r.id == "csqi")
    assert csqi.change != pytest.approx(
        next(r for r in trend.rows if r.id == "csqi").from_first[1].change, abs=1e-6)
    confirmatory = [r.indicator for r in EXPECTED
                    if r.survey == CITIZEN.id and r.confirmatory]
    for pick in (lambda r: r.from_first[1], lambda r: r.from_previous[1]):
        members = [r for r in trend.rows if r.id in confirmatory]
        holm = multipletests([pick(r).p for r in members], method="holm")[1]
        assert [pick(r).p_adjusted for r in members] == pytest.approx(list(holm), abs=1e-12)
        assert {pick(r).adjustment for r in members} == {"holm"}


@pytest.mark.parametrize("organisation", ["elena", "lyaskovets"])
def test_each_organisations_trend_is_the_two_wave_report_for_every_pair(
        waves: list[WaveMatrix], organisation: str) -> None:
    trend = build_trend(waves, EXPECTED, lang="en", min_group=10, organisation=organisation)
    assert trend.mix == {}
    for (i, k), pick in (((0, 1), lambda r: r.from_first[0]),
                         ((0, 2), lambda r: r.from_first[1]),
                         ((1, 2), lambda r: r.from_previous[1])):
        _same_as_report(trend, waves, i, k, pick, organisation)


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

"""Estimands that match what is shown (issue #19 §4): single items headline the % positive
change with Newcombe's CI and a test of that change; two-item scores report Spearman-Brown;
the 60 % rule says how many it dropped; pooled figures are standardised to a fixed
organisation mix (checked by hand); no effect-size labels; "not an effect" said once."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from survey_service.reports.comparability import plan_indicators
from survey_service.reports.data import WaveMatrix, wave_matrix
from survey_service.reports.render import to_json, to_table
from survey_service.reports.report import build_report
from survey_service.reports.rows import Row
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.versions import diff_versions
from survey_service.surveys.waves import Wave

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(ROOT / "forms")
CITIZEN = CATALOG.surveys["citizen-satisfaction"].survey


def matrix(wave_id: str, answers: list[dict[str, object]],
           orgs: list[str] | None = None) -> WaveMatrix:
    orgs = orgs or ["elena"] * len(answers)
    data = WaveCodes(b"".join(encode_codes(CITIZEN, a) for a in answers),  # type: ignore[arg-type]
                     len(answers), orgs, ["web"] * len(answers), [None] * len(answers))
    return wave_matrix(Wave(id=wave_id, survey_id=CITIZEN.id, version="v"), CITIZEN, data)


def row_of(rows: list[Row], row_id: str, section: str = "indicator") -> Row:
    return next(r for r in rows if r.id == row_id and r.section == section)


def test_a_single_item_headlines_its_percent_positive_change() -> None:
    rng = np.random.default_rng(19)
    ca, cb = rng.integers(1, 6, 120), np.clip(rng.integers(1, 6, 130) + 1, 1, 5)
    a = matrix("a", [{"staff_courteous": int(x)} for x in ca])
    b = matrix("b", [{"staff_courteous": int(x)} for x in cb])
    row = row_of(build_report(a, b, [], lang="en", min_group=10).rows, "staff_courteous", "item")
    x1, x2 = int((ca >= 4).sum()), int((cb >= 4).sum())
    assert row.kind == "percent_positive"
    assert row.baseline == pytest.approx(100 * x1 / 120)
    assert row.change == pytest.approx(100 * (x2 / 130 - x1 / 120))
    low, high = confint_proportions_2indep(x2, 130, x1, 120, method="newcomb")
    assert (row.ci_low, row.ci_high) == (pytest.approx(100 * low, abs=1e-9),
                                         pytest.approx(100 * high, abs=1e-9))
    z, p = proportions_ztest([x2, x1], [130, 120])
    assert row.test == "two_proportion_z" and row.p == pytest.approx(p, abs=1e-12)
    assert row.statistic == pytest.approx(z, abs=1e-9)
    assert row.mean_baseline == pytest.approx(ca.mean()) and row.mean_follow_up == pytest.approx(
        cb.mean())


def test_a_mean_indicator_is_tested_on_its_mean_change() -> None:
    """`mean` indicators (effort on 1-7): Welch t on the codes, the CI of the mean change shown
    (no Mann-Whitney p beside a mean change)."""
    rng = np.random.default_rng(3)
    ca, cb = rng.integers(1, 8, 80), np.clip(rng.integers(1, 8, 90) + 1, 1, 7)
    a = matrix("a", [{"effort": int(x)} for x in ca])
    b = matrix("b", [{"effort": int(x)} for x in cb])
    row = row_of(build_report(a, b, [], lang="en", min_group=10).rows, "effort_mean")
    welch = stats.ttest_ind(cb, ca, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert row.test == "welch_t" and row.p == pytest.approx(welch.pvalue, abs=1e-12)
    assert row.change == pytest.approx(cb.mean() - ca.mean(), abs=1e-12)
    assert (row.ci_low, row.ci_high) == (pytest.approx(ci.low, abs=1e-9),
                                         pytest.approx(ci.high, abs=1e-9))


def test_two_item_scores_report_spearman_brown_and_the_60_percent_rule_its_drops() -> None:
    rng = np.random.default_rng(7)

    def answers(n: int) -> list[dict[str, object]]:
        out: list[dict[str, object]] = []
        for i in range(n):
            x = int(rng.integers(1, 6))
            y = int(np.clip(x + rng.integers(-1, 2), 1, 5))
            z = int(rng.integers(1, 6))
            row: dict[str, object] = {item: z for item in csqi_items()}
            row |= {"info_easy_to_find": x, "forms_clear": y, "got_what_needed": z,
                    "deadline_met": z, "documents_correct": int(np.clip(z - 1, 1, 5))}
            if i % 10 == 0:  # four of the seven CSQI items only: below 60 % (5 of 7)
                row = {"info_easy_to_find": x, "forms_clear": y, "time_reasonable": 3,
                       "staff_knowledgeable": 3}
            elif i % 10 == 1:  # five of the seven: kept
                row = {"info_easy_to_find": x, "forms_clear": y, "time_reasonable": 3,
                       "staff_knowledgeable": 3, "staff_explained": 4}
            out.append(row)
        return out

    a, b = matrix("a", answers(60)), matrix("b", answers(50))
    rows = build_report(a, b, [], lang="en", min_group=10).rows
    access = row_of(rows, "driver_access")
    for m, value in ((a, access.spearman_brown_baseline), (b, access.spearman_brown_follow_up)):
        x = m.likert("info_easy_to_find").astype(float)  # type: ignore[union-attr]
        y = m.likert("forms_clear").astype(float)  # type: ignore[union-attr]
        r = stats.pearsonr(x, y).statistic
        assert value == pytest.approx(2 * r / (1 + r), abs=1e-12)
    assert access.alpha_baseline is None and access.alpha_follow_up is None
    outcome = row_of(rows, "driver_outcome")
    assert outcome.alpha_baseline is not None and outcome.spearman_brown_baseline is None
    csqi = row_of(rows, "csqi")
    # respondents 0, 10, 20, ... answered 4 of the 7 items (below 60 %): dropped
    answered = {m.wave.id: m.likert_columns(csqi_items()) for m in (a, b)}
    dropped = {w: int((((c >= 1) & (c <= 5)).sum(axis=1) < 5)[((c >= 1) & (c <= 5)).any(axis=1)]
                      .sum()) for w, c in answered.items()}
    assert (csqi.dropped_baseline, csqi.dropped_follow_up) == (dropped["a"], dropped["b"])
    assert dropped["a"] == 6 and csqi.n_baseline == 60 - dropped["a"]
    assert csqi.note is not None and f"the 60 % rule left out {dropped['a']} respondents" \
        in csqi.note


def csqi_items() -> list[str]:
    plans, _ = plan_indicators(CITIZEN, CITIZEN, diff_versions(CITIZEN, CITIZEN), "en")
    return plans["csqi"].items


def test_pooled_figures_are_standardised_to_the_pooled_organisation_mix() -> None:
    """Elena answers 80 % satisfied and Lyaskovets 20 %, in both waves; Elena is 30 of 40
    respondents at baseline and 10 of 40 at follow-up. The crude change (-30 points) is all
    mix; standardised to the pooled mix (40/80 each) the change is 0. By hand below."""
    def wave(wave_id: str, elena: int, lyaskovets: int) -> WaveMatrix:
        answers = [{"overall_satisfaction": 5 if i < 0.8 * elena else 2} for i in range(elena)]
        answers += [{"overall_satisfaction": 5 if i < 0.2 * lyaskovets else 2}
                    for i in range(lyaskovets)]
        return matrix(wave_id, answers, ["elena"] * elena + ["lyaskovets"] * lyaskovets)

    a, b = wave("a", 30, 10), wave("b", 10, 30)
    report = build_report(a, b, [], lang="en", min_group=10, items=False)
    assert report.mix == {"elena": 0.5, "lyaskovets": 0.5}
    csat = row_of(report.rows, "csat")
    assert csat.crude_baseline == pytest.approx(100 * (24 + 2) / 40)
    assert csat.crude_follow_up == pytest.approx(100 * (8 + 6) / 40)
    assert csat.baseline == pytest.approx(50.0) and csat.follow_up == pytest.approx(50.0)
    assert csat.change == pytest.approx(0.0, abs=1e-12)
    # by hand: Var = Σ s²·s_o²/n_o with s_o² the sample variance of 0/100 answers
    def var(p: float, n: int) -> float:
        return 100 * 100 * p * (1 - p) * n / (n - 1) / n

    va = 0.25 * var(0.8, 30) + 0.25 * var(0.2, 10)
    vb = 0.25 * var(0.8, 10) + 0.25 * var(0.2, 30)
    parts = [0.25 * var(0.8, 30), 0.25 * var(0.2, 10), 0.25 * var(0.8, 10), 0.25 * var(0.2, 30)]
    df = (va + vb) ** 2 / sum(v * v / (n - 1) for v, n in zip(parts, (30, 10, 10, 30),
                                                              strict=True))
    half = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    assert (csat.ci_low, csat.ci_high) == (pytest.approx(-half), pytest.approx(half))
    assert csat.test == "standardised_welch_t" and csat.p == pytest.approx(1.0)
    assert csat.effect == "cohens_h" and csat.effect_size == pytest.approx(0.0, abs=1e-12)
    assert csat.crude_change == pytest.approx(-30.0)
    # a lopsided follow-up: the standardised change is the mix-weighted change per group
    b2 = wave("b2", 20, 30)  # Elena 16/20, Lyaskovets 6/30
    csat2 = row_of(build_report(a, b2, [], lang="en", min_group=10, items=False).rows, "csat")
    s_e, s_l = 50 / 90, 40 / 90
    assert csat2.baseline == pytest.approx(s_e * 80 + s_l * 20)
    assert csat2.follow_up == pytest.approx(s_e * 80 + s_l * 20)
    # one organisation: nothing to standardise
    one = build_report(a, b, [], lang="en", min_group=10, items=False, organisation="elena")
    assert one.mix == {} and row_of(one.rows, "csat").crude_change is None


def test_no_effect_size_labels_and_not_an_effect_said_once() -> None:
    a = matrix("a", [{"overall_satisfaction": 1 + i % 5} for i in range(40)])
    b = matrix("b", [{"overall_satisfaction": 2 + i % 4} for i in range(40)])
    for lang in ("en", "bg"):
        report = build_report(a, b, [], lang=lang, min_group=10)
        table = to_table(report)
        assert table.count(report.caution) == 1 and report.caution
        assert b'"caution"' in to_json(report)
    labels = re.compile(r"""["'](small|medium|large|trivial|negligible)["']""")
    for folder in ("reports", "indicators", "services"):
        for path in (ROOT / "survey_service" / folder).glob("*.py"):
            assert not labels.search(path.read_text(encoding="utf-8")), path

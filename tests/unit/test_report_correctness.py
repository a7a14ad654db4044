"""The correctness points of the outside check (issue #11), each on constructed waves computed
by hand and checked against scipy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from survey_service.indicators.theme import compare_theme, theme_pseudo_values
from survey_service.reports.data import WaveMatrix, wave_matrix
from survey_service.reports.render import to_table
from survey_service.reports.report import build_report
from survey_service.reports.rows import Row
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.model import Survey
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[2] / "forms"
CATALOG = load_catalog(FORMS)
CITIZEN = CATALOG.surveys["citizen-satisfaction"].survey
STAFF = CATALOG.surveys["staff-survey"].survey
ROLE = ["role_expectations_clear", "role_responsibilities_clear", "role_description_matches"]
WORK = ["distribution_functions_clear", "distribution_single_owner", "distribution_new_tasks",
        "distribution_between_units"]


def matrix(survey: Survey, wave_id: str, answers: list[dict[str, object]],
           orgs: list[str] | None = None) -> WaveMatrix:
    orgs = orgs or ["elena"] * len(answers)
    data = WaveCodes(b"".join(encode_codes(survey, a) for a in answers),  # type: ignore[arg-type]
                     len(answers), orgs, ["web"] * len(answers), [None] * len(answers))
    return wave_matrix(Wave(id=wave_id, survey_id=survey.id, version="v"), survey, data)


def row_of(rows: list[Row], row_id: str, section: str = "indicator") -> Row:
    return next(r for r in rows if r.id == row_id and r.section == section)


def test_a_theme_without_a_follow_up_value_is_not_computable_in_both_languages() -> None:
    """One item of the theme without a valid answer in the follow-up: T₂ does not exist, so
    there is no change, no CI, no test and no effect size, and the report says why."""
    base = [dict.fromkeys(ROLE, 4 if i % 3 else 2) for i in range(12)]
    follow = [{ROLE[0]: 4, ROLE[1]: 5 if i % 2 else 3, ROLE[2]: 9} for i in range(12)]  # 9: DK
    a, b = matrix(STAFF, "a", base), matrix(STAFF, "b", follow)  # type: ignore[arg-type]
    for lang, words in (("en", "the follow-up value is not computable: item "
                                "role_description_matches has no valid answers"),
                        ("bg", "стойността в последващата вълна не може да се изчисли: въпрос "
                               "role_description_matches няма валидни отговори")):
        row = row_of(build_report(a, b, [], lang=lang, min_group=2, items=False).rows,
                     "theme_role_clarity")
        assert row.baseline == pytest.approx(100 * 2 / 3)
        assert row.follow_up is None and row.change is None
        assert row.ci_low is None and row.ci_high is None
        assert row.test is None and row.p is None and row.effect_size is None
        assert row.note is not None and words in row.note
    assert isinstance(compare_theme(a.likert_columns(ROLE), b.likert_columns(ROLE), 5),
                      type(compare_theme(None, None, 5)))  # NotComputable at the source too


def _hand_theme(rows: list[list[int]], points: int = 5) -> tuple[float, list[float]]:
    """T = mean_j P_j and each answering respondent's pseudo-value, by loops (independent of
    the vectorised code): u_i = T + (n/k)·Σ_j v_ij (y_ij − p_j)/n_j."""
    k = len(rows[0])
    valid = [[1 <= x <= points for x in r] for r in rows]
    pos = [[1 <= x <= points and x > (points + 1) / 2 for x in r] for r in rows]
    n_j = [sum(v[j] for v in valid) for j in range(k)]
    p_j = [sum(p[j] for p in pos) / n_j[j] for j in range(k)]
    t = sum(p_j) / k
    answering = [i for i, v in enumerate(valid) if any(v)]
    n = len(answering)
    u = [100 * (t + n / k * sum(valid[i][j] * (pos[i][j] - p_j[j]) / n_j[j] for j in range(k)))
         for i in answering]
    return 100 * t, u


def test_the_theme_change_its_ci_and_its_test_describe_the_same_quantity() -> None:
    """With answers missing, T (mean of the items' % positive) is not the mean of each
    respondent's share: the change shown, the CI's centre and the test's difference must all
    be ΔT (before, the CI was centred on the difference of respondent shares)."""
    rng = np.random.default_rng(11)

    def wave(n: int, p_answer: float, lift: int) -> list[list[int]]:
        codes = np.clip(rng.integers(1, 6, size=(n, 4)) + lift, 1, 5)
        codes[rng.random((n, 4)) > p_answer] = 0  # missing
        codes[rng.random((n, 4)) < 0.05] = 9  # don't know
        return codes.tolist()  # type: ignore[no-any-return]

    wa, wb = wave(80, 0.6, 0), wave(90, 0.7, 1)
    to_answers = [[{item: x for item, x in zip(WORK, r, strict=True) if x} for r in w]
                  for w in (wa, wb)]
    a, b = (matrix(STAFF, w, ans) for w, ans in zip("ab", to_answers, strict=True))  # type: ignore[arg-type]
    row = row_of(build_report(a, b, [], lang="en", min_group=2, items=False).rows,
                 "theme_work_distribution")
    (t1, u1), (t2, u2) = _hand_theme(wa), _hand_theme(wb)
    assert row.baseline == pytest.approx(t1, abs=1e-9)
    assert row.follow_up == pytest.approx(t2, abs=1e-9)
    assert row.change == pytest.approx(t2 - t1, abs=1e-9)
    assert row.ci_low is not None and row.ci_high is not None
    assert (row.ci_low + row.ci_high) / 2 == pytest.approx(row.change, abs=1e-9)
    welch = stats.ttest_ind(u2, u1, equal_var=False)
    ci = welch.confidence_interval(0.95)
    assert row.p == pytest.approx(welch.pvalue, abs=1e-12)
    assert (row.ci_low, row.ci_high) == (pytest.approx(ci.low, abs=1e-9),
                                         pytest.approx(ci.high, abs=1e-9))
    assert (row.n_baseline, row.n_follow_up) == (len(u1), len(u2))
    # the respondents' shares would have given another difference here (so this test bites)
    shares = []
    for w in (np.array(wa), np.array(wb)):
        valid = (w >= 1) & (w <= 5)
        keep = valid.any(axis=1)
        shares.append((valid & (w >= 4)).sum(axis=1)[keep] / valid.sum(axis=1)[keep])
    crude = 100 * (shares[1].mean() - shares[0].mean())
    assert abs(crude - row.change) > 0.1


def test_without_missing_answers_the_theme_test_is_welch_on_respondent_shares() -> None:
    rng = np.random.default_rng(5)
    ma, mb = rng.integers(1, 6, size=(40, 3)), rng.integers(2, 6, size=(50, 3))
    for m in (ma, mb):
        u = theme_pseudo_values(m, 5)
        assert not isinstance(u, type(compare_theme(None, None, 5)))
        np.testing.assert_allclose(u, 100 * (m >= 4).mean(axis=1), atol=1e-9)
    c = compare_theme(ma, mb, 5)
    welch = stats.ttest_ind(100 * (mb >= 4).mean(axis=1), 100 * (ma >= 4).mean(axis=1),
                            equal_var=False)
    assert c.p == pytest.approx(welch.pvalue, abs=1e-12)  # type: ignore[union-attr]


def test_n_is_the_answers_used_not_the_wave_size() -> None:
    """idx, pp and mean rows: n counts the answers the figure rests on; none gives 0."""
    base = [{"overall_satisfaction": 4, "effort": 6, "info_easy_to_find": 4, "forms_clear": 3}
            for _ in range(12)]
    base[0]["overall_satisfaction"] = 2
    base[1]["effort"] = 2
    base[2]["info_easy_to_find"] = 2
    some = [{"overall_satisfaction": 5 - i % 2} if i < 7 else {} for i in range(12)]
    none: list[dict[str, object]] = [{} for _ in range(12)]
    a = matrix(CITIZEN, "a", base)  # type: ignore[arg-type]
    for follow, n in ((some, 7), (none, 0)):
        rows = build_report(a, matrix(CITIZEN, "b", follow), [], lang="en", min_group=2).rows
        assert (row_of(rows, "csat").n_baseline, row_of(rows, "csat").n_follow_up) == (12, n)
        assert row_of(rows, "satisfaction_mean").n_follow_up == n
        assert row_of(rows, "overall_satisfaction", "item").n_follow_up == n
        assert row_of(rows, "effort_agree").n_follow_up == 0  # nobody answered it
        assert row_of(rows, "driver_access").n_follow_up == 0  # idx: no composite
        assert row_of(rows, "driver_access").n_baseline == 12
    rows = build_report(a, matrix(CITIZEN, "b", none), [], lang="en", min_group=2).rows
    assert row_of(rows, "csat").follow_up is None
    assert "12/0" in to_table(build_report(a, matrix(CITIZEN, "b", none), [], lang="en",
                                           min_group=2))


def test_identical_waves_explain_their_zero_width_intervals() -> None:
    """Everyone answers 4 to both access items in both waves: each wave's CI is [75, 75]; the
    report says the width is zero because nobody differs, not because 75 is exact."""
    same = [{"info_easy_to_find": 4, "forms_clear": 4} for _ in range(12)]
    a, b = matrix(CITIZEN, "a", same), matrix(CITIZEN, "b", same)  # type: ignore[arg-type]
    row = row_of(build_report(a, b, [], lang="en", min_group=2).rows, "driver_access")
    assert (row.baseline_ci_low, row.baseline_ci_high) == (75.0, 75.0)
    assert row.note is not None
    assert "the baseline's CI has zero width because every answer in that wave is the same" \
        in row.note
    assert "the follow-up's CI has zero width" in row.note
    bg = row_of(build_report(a, b, [], lang="bg", min_group=2).rows, "driver_access")
    assert bg.note is not None and "нулева ширина" in bg.note
    varied = [{"info_easy_to_find": 3 + i % 2, "forms_clear": 4} for i in range(12)]
    row = row_of(build_report(matrix(CITIZEN, "a", varied), b,  # type: ignore[arg-type]
                              [], lang="en", min_group=2).rows, "driver_access")
    assert row.note is None or "baseline's CI has zero width" not in row.note

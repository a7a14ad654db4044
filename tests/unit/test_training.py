"""Training evidence (issue #19 §5): knowledge checks scored and compared before and after a
course (Welch t over everyone, paired t over panel codes, both against scipy), the
retrospective then-and-now rating, events pooled, and `forms check` on right answers and
then-and-now pairs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from survey_service.reports.data import WaveMatrix, wave_matrix
from survey_service.reports.training import (
    choices,
    event,
    knowledge_change,
    knowledge_scores,
    panel_pairs,
    pool,
    then_now_scores,
)
from survey_service.storage.base import WaveCodes
from survey_service.surveys.answers import Answers
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.knowledge import right_positions, then_now_pairs
from survey_service.surveys.loader import check_catalog, load_catalog
from survey_service.surveys.waves import Wave
from tests.unit.test_forms_check import HEADER, section, survey, write_forms

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(ROOT / "forms")
KNOWLEDGE = CATALOG.surveys["training-knowledge"].survey
EVALUATION = CATALOG.surveys["training-evaluation"].survey
RIGHT = {q.id: q.correct for q in KNOWLEDGE.questions()}


def matrix(survey_id: str, answers: list[Answers], wave_id: str = "w",
           panels: list[bytes | None] | None = None) -> WaveMatrix:
    s = CATALOG.surveys[survey_id].survey
    codes = b"".join(encode_codes(s, a) for a in answers)
    wave = Wave(id=wave_id, survey_id=survey_id, version="v1", panel=panels is not None)
    n = len(answers)
    data = WaveCodes(codes=codes, count=n, organisations=["elena"] * n, channels=["web"] * n,
                     units=["participants"] * n, panels=panels or [None] * n, days=[None] * n)
    return wave_matrix(wave, s, data)


def knowing(right: int, rng: np.random.Generator | None = None) -> Answers:
    """Answers with ``right`` of the five questions right (the first ones), the rest wrong."""
    out: Answers = {}
    for i, q in enumerate(KNOWLEDGE.questions()):
        wrong = next(o.code for o in q.options if o.code != q.correct)
        out[q.id] = RIGHT[q.id] if i < right else wrong  # type: ignore[assignment]
    return out


def test_the_shipped_check_has_a_right_answer_for_every_question() -> None:
    assert len(RIGHT) == 5 and all(RIGHT.values())
    assert right_positions(KNOWLEDGE) == {"kc_personal_data": 2, "kc_plain_language": 2,
                                          "kc_upset_citizen": 2, "kc_documents": 2,
                                          "kc_visual_impairment": 2}
    assert then_now_pairs(EVALUATION) == [("then_knowledge", "now_knowledge"),
                                          ("then_cases", "now_cases"),
                                          ("then_explain", "now_explain")]


def test_a_knowledge_score_is_the_share_answered_right() -> None:
    partial = knowing(3)
    del partial["kc_visual_impairment"]  # left out: wrong, once any is answered
    dont_know: Answers = {"kc_personal_data": "dont_know"}
    m = matrix("training-knowledge", [knowing(5), knowing(0), partial, dont_know, {}])
    scores = knowledge_scores(m)
    assert scores[:4].tolist() == [100.0, 0.0, 60.0, 0.0]
    assert np.isnan(scores[4])


def test_knowledge_before_and_after_match_scipy() -> None:
    rng = np.random.default_rng(19)
    before_right = rng.integers(0, 4, 40)
    after_right = np.minimum(before_right + rng.integers(0, 3, 40), 5)
    codes = [f"code-{i}".encode() for i in range(40)]
    # 30 gave their panel code both times (in another order after); one code used twice
    before = matrix("training-knowledge", [knowing(int(r)) for r in before_right],
                    panels=[*codes[:30], None, None, *codes[32:39], codes[0]])
    after_panels: list[bytes | None] = [*codes[:30][::-1], *[None] * 10]
    after = matrix("training-knowledge",
                   [knowing(int(r)) for r in [*after_right[:30][::-1], *after_right[30:]]],
                   panels=after_panels)
    welch, pair = knowledge_change(before, after, "en", 10)
    sa, sb = 20.0 * before_right, 20.0 * np.asarray([*after_right[:30][::-1],
                                                     *after_right[30:]])
    expected = stats.ttest_ind(sb, sa, equal_var=False)
    assert welch.test == "welch_t" and welch.n_before == welch.n_after == 40
    assert welch.change == pytest.approx(sb.mean() - sa.mean())
    assert welch.statistic == pytest.approx(expected.statistic)
    assert welch.p == pytest.approx(expected.pvalue)
    ci = expected.confidence_interval(0.95)
    assert (welch.ci_low, welch.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    # code-0 appears twice before: dropped; 29 pairs remain, matched by code, not position
    assert pair.test == "paired_t" and pair.n_before == pair.n_after == 29
    ok = np.arange(1, 30)
    expected_pair = stats.ttest_rel(20.0 * after_right[ok], 20.0 * before_right[ok])
    assert pair.statistic == pytest.approx(expected_pair.statistic)
    assert pair.p == pytest.approx(expected_pair.pvalue)
    assert pair.change == pytest.approx(20.0 * (after_right[ok] - before_right[ok]).mean())


def test_too_few_pairs_are_not_shown() -> None:
    before = matrix("training-knowledge", [knowing(1)] * 12,
                    panels=[b"a", b"b", b"c", *[None] * 9])
    after = matrix("training-knowledge", [knowing(4)] * 12,
                   panels=[b"a", b"b", b"c", *[None] * 9])
    welch, pair = knowledge_change(before, after, "en", 10)
    assert welch.change == pytest.approx(60.0) and welch.note == "every answer is the same: no test"
    assert pair.n_before == 3 and pair.change is None and "fewer than 10 pairs" in (pair.note or "")


def test_panel_pairs_drop_codes_given_twice() -> None:
    a = np.asarray([b"x", b"y", None, b"y", b"z"], dtype=object)
    b = np.asarray([b"z", b"x", b"y"], dtype=object)
    ia, ib = panel_pairs(a, b)
    assert list(zip(ia.tolist(), ib.tolist(), strict=True)) == [(0, 1), (4, 0)]


def rating(then: int, now: int) -> Answers:
    answers: Answers = {"reaction_content_useful": 4, "overall": 4, "trainer": 4}
    for then_id, now_id in then_now_pairs(EVALUATION):
        answers[then_id], answers[now_id] = then, now
    return answers


def test_then_and_now_ratings_are_paired_per_respondent() -> None:
    m = matrix("training-evaluation", [rating(2, 4), rating(3, 3), rating(1, 5)])
    scores = then_now_scores(m)
    assert scores is not None
    assert scores[0].tolist() == [25.0, 50.0, 0.0] and scores[1].tolist() == [75.0, 50.0, 100.0]
    assert then_now_scores(matrix("training-knowledge", [knowing(1)])) is None


def test_events_are_pooled_and_small_ones_show_no_figures() -> None:
    one = matrix("training-knowledge", [knowing(2)] * 12 + [knowing(4)] * 8, "e1")
    two = matrix("training-knowledge", [knowing(5)] * 6, "e2")
    total = pool([one, two])
    assert total.n == 26
    shown = event(one, 25, "attendance", "en", 10)
    assert shown.response_rate == pytest.approx(80.0) and shown.participants_from == "attendance"
    (score,) = shown.figures
    assert score.id == "knowledge_score" and score.value == pytest.approx(
        (12 * 40 + 8 * 80) / 20) and score.n == 20
    hidden = event(two, None, "", "bg", 10)
    assert hidden.figures == [] and hidden.response_rate is None
    assert "под 10 отговора" in (hidden.note or "")
    (pooled,) = event(total, 31, "codes", "en", 10, wave="").figures
    assert pooled.value == pytest.approx((12 * 40 + 8 * 80 + 6 * 100) / 26)
    other = Wave(id="e3", survey_id="training-knowledge", version="v2")
    with pytest.raises(ValueError, match="different form versions"):
        pool([one, WaveMatrix(other, two.survey, two.codes, two.items, two.organisations,
                              two.channels, two.units)])


KNOWLEDGE_Q = """\
id = "kc"
kind = "single"
correct = "{correct}"
text = {{ bg = "Въпрос", en = "Question" }}
options = [
  {{ code = "yes", label = {{ bg = "Да", en = "Yes" }} }},
  {{ code = "no", label = {{ bg = "Не", en = "No" }} }},
]
"""


def grid(qid: str, scale: str = "agree", rows: int = 2, then_of: str | None = None) -> str:
    text = "".join(f'  {{ id = "{qid}_{i}", text = {{ bg = "Ред", en = "Row" }} }},\n'
                   for i in range(rows))
    link = f'then_of = "{then_of}"\n' if then_of else ""
    return (f'id = "{qid}"\nkind = "matrix"\nscale = "{scale}"\n{link}'
            f'text = {{ bg = "Таблица", en = "Grid" }}\nrows = [\n{text}]\n')


@pytest.mark.parametrize(("text", "question", "message"), [
    (survey(section("one", KNOWLEDGE_Q.format(correct="maybe"))), "kc",
     "correct 'maybe' is not one of the options' codes"),
    (survey(section("one", 'id = "r"\nkind = "likert"\nscale = "agree"\ncorrect = "yes"\n'
                           'text = { bg = "В", en = "Q" }\n')), "r",
     "correct (a knowledge check's right answer) applies only to single, not likert"),
    (survey(section("one", grid("now", then_of="then")), section("two", grid("then"))), "now",
     "then_of names a later question 'then'"),
    (survey(section("one", grid("now", then_of="nowhere"))), "now",
     "then_of names an unknown question 'nowhere'"),
    (survey(section("one", grid("then"), grid("now", rows=3, then_of="then"))), "now",
     "need the same scale and as many rows"),
    (survey(section("one", grid("then"), grid("now", scale="plain", then_of="then"))), "now",
     "need the same scale and as many rows"),
    (survey(section("one", grid("then"), grid("now", then_of="then"),
                    grid("again", then_of="then"))), "again",
     "'then' is the \"then\" of 'now' already"),
])
def test_forms_check_refuses_bad_right_answers_and_pairs(
        tmp_path: Path, text: str, question: str, message: str) -> None:
    write_forms(tmp_path, text)
    _, problems = check_catalog(tmp_path)
    found = [(p.question, p.message) for p in problems]
    assert any(q == question and message in m for q, m in found), found


def test_forms_check_accepts_a_knowledge_check_and_a_pair(tmp_path: Path) -> None:
    write_forms(tmp_path, survey(section("one", KNOWLEDGE_Q.format(correct="no"), grid("then"),
                                         grid("now", then_of="then"))))
    catalog, problems = check_catalog(tmp_path)
    assert problems == [] and HEADER
    assert right_positions(catalog.surveys["broken"].survey) == {"kc": 2}


def test_a_figure_on_too_few_answers_keeps_only_its_n() -> None:
    many = [rating(2, 4) for _ in range(12)]
    m = matrix("training-evaluation", many[:9] + [{**a, "overall": None} for a in many[9:]])
    found = {f.id: f for f in event(m, None, "", "en", 10).figures}
    assert found["self_rating_then"].n == 12 and found["self_rating_then"].value == 25.0
    overall = found["overall_satisfied"]
    assert overall.n == 9 and overall.value is None and overall.ci_low is None
    assert overall.note == "fewer than 10 answers: not shown"


def test_multiple_choices_are_shares_of_those_who_answered() -> None:
    transfer = CATALOG.surveys["training-transfer"].survey
    answers: list[Answers] = [{"barriers": ["no_time"]}] * 6 + [
        {"barriers": ["no_time", "rules"]}] * 4 + [{"barriers": []}, {}]
    shares = {c.option: (c.n, c.percent) for c in choices(transfer, answers, "en", 10)
              if c.question == "barriers" and not c.group}
    assert shares["no_time"] == (10, 100.0) and shares["rules"] == (10, 40.0)
    assert shares["nothing"] == (10, 0.0)
    assert choices(transfer, answers[:9], "en", 10) == []  # 9 answered: not shown


def test_barriers_are_split_by_participants_and_line_managers() -> None:
    """What got in the way, for everyone and for each answer to ``role``; a role under the
    smallest group hides every role's shares (everyone less the other role reveals it)."""
    transfer = CATALOG.surveys["training-transfer"].survey
    participants: list[Answers] = [{"role": "participant", "barriers": ["no_time"]}] * 9 + [
        {"role": "participant", "barriers": ["no_time", "forgotten"]}] * 3
    managers: list[Answers] = [{"role": "manager", "barriers": ["no_support"]}] * 4 + [
        {"role": "manager", "barriers": ["no_time", "rules"]}] * 6 + [{"role": "manager"}]
    found = {(c.group, c.option): c for c in choices(transfer, participants + managers, "en", 10)
             if c.question == "barriers"}
    assert {g for g, _ in found} == {"", "participant", "manager"}
    assert found[("participant", "no_time")].n == 12
    assert found[("participant", "no_time")].percent == 100.0
    assert found[("participant", "forgotten")].percent == 25.0
    assert found[("participant", "no_time")].group_label == "a participant in the training"
    assert found[("manager", "no_time")].n == 10 and found[("manager", "no_time")].percent == 60.0
    assert found[("manager", "no_support")].percent == 40.0
    assert found[("", "no_time")].n == 22
    assert found[("", "no_time")].percent == pytest.approx(100 * 18 / 22)
    # 9 line managers: no role is shown, everyone still is
    few = choices(transfer, participants + managers[1:], "en", 10)
    assert all(c.percent is None for c in few if c.group)
    assert all(c.percent is not None for c in few if not c.group)
    # only participants answered: their shares are everyone's, nothing is hidden
    alone = choices(transfer, participants, "en", 10)
    assert {c.group for c in alone} == {"", "participant"}
    assert all(c.percent is not None for c in alone)

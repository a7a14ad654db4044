"""Issue 18: ``show_if = { phase = [...] }``: a question asked only in waves of some phases,
decided on the server from the wave's phase (the shipped follow-up-only staff item)."""

from __future__ import annotations

from pathlib import Path

from survey_service.surveys.answers import validate_section
from survey_service.surveys.coding import encode_codes, scored_items
from survey_service.surveys.loader import load_survey
from survey_service.surveys.model import Question, ShowIf, Survey
from survey_service.surveys.phases import asked_in, for_phase
from survey_service.surveys.progress import progress

FORMS = Path(__file__).resolve().parents[2] / "forms"
ITEM = "restructuring_effect"


def staff() -> Survey:
    loaded, problems = load_survey(FORMS / "staff-survey.toml")
    assert loaded is not None and not problems
    return loaded.survey


def test_the_follow_up_item_is_asked_only_in_follow_up_waves() -> None:
    survey = staff()
    assert survey.question(ITEM) is not None
    follow_up, baseline = for_phase(survey, "follow-up"), for_phase(survey, "baseline")
    assert follow_up.question(ITEM) is not None and baseline.question(ITEM) is None
    assert follow_up.question(ITEM).show_if is None  # type: ignore[union-attr]
    assert for_phase(survey, None) is survey and for_phase(survey, "follow-up") is follow_up
    # every other question is the same in both
    others = [q for q in survey.questions() if q.id != ITEM]
    assert [q for q in baseline.questions()] == others
    assert [q for q in follow_up.questions() if q.id != ITEM] == others


def test_the_page_of_the_item_is_never_shown_in_a_baseline_wave() -> None:
    survey = staff()
    last = len(survey.sections) - 1
    baseline, follow_up = for_phase(survey, "baseline"), for_phase(survey, "follow-up")
    raw = {ITEM: ["better"]}
    # the baseline ignores an answer sent for it (the server decides, not the form)
    answers: dict[str, object] = {}
    validate_section(baseline, baseline.sections[last], raw, answers)  # type: ignore[arg-type]
    assert ITEM not in answers and not baseline.sections[last].questions
    validate_section(follow_up, follow_up.sections[last], raw, answers)  # type: ignore[arg-type]
    assert answers.get(ITEM) == "better"
    # the baseline's step counter does not count the empty page
    assert progress(baseline, 0, {}) != progress(follow_up, 0, {})
    # both are coded against the whole form version (the same length)
    full = scored_items(survey)
    assert len(encode_codes(survey, {})) == len(encode_codes(survey, {ITEM: "better"}))
    assert len(full) == len(scored_items(survey))


def test_a_phase_and_an_answer_condition_together() -> None:
    q = Question(id="x", kind="single", text={"bg": "В", "en": "Q"},  # type: ignore[arg-type]
                 show_if=ShowIf(question="channel", any_of=["desk"], phase=["follow-up"]))
    assert asked_in(q, "follow-up") and not asked_in(q, "baseline") and asked_in(q, None)

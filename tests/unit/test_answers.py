"""Validation of submitted answers (pure domain, no I/O)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec
import pytest

from survey_service.surveys.answers import (
    Answers,
    FieldError,
    RawForm,
    is_visible,
    next_section,
    validate_question,
    validate_section,
    validate_submission,
    validate_until,
)
from survey_service.surveys.loader import check_survey, load_catalog
from survey_service.surveys.model import DONT_KNOW, Survey

FORMS = Path(__file__).resolve().parents[2] / "forms"

MINI = """\
id = "mini"
kind = "citizen"
title = { bg = "Мини", en = "Mini" }
intro = { bg = "Въведение", en = "Introduction" }

[scales.agree]
labels = [
  { bg = "1", en = "1" }, { bg = "2", en = "2" }, { bg = "3", en = "3" },
  { bg = "4", en = "4" }, { bg = "5", en = "5" },
]
dont_know = { bg = "Не знам", en = "Don't know" }

[scales.plain]
labels = [
  { bg = "1", en = "1" }, { bg = "2", en = "2" }, { bg = "3", en = "3" },
  { bg = "4", en = "4" }, { bg = "5", en = "5" },
]

[[sections]]
id = "first"
title = { bg = "Първа", en = "First" }

[[sections.questions]]
id = "channel"
kind = "single"
required = true
text = { bg = "Как?", en = "How?" }
options = [
  { code = "desk", label = { bg = "Гише", en = "Desk" } },
  { code = "phone", label = { bg = "Телефон", en = "Phone" } },
  { code = "online", label = { bg = "Онлайн", en = "Online" } },
]

[[sections.questions]]
id = "lik"
kind = "likert"
scale = "agree"
dont_know = true
required = true
text = { bg = "Ликерт", en = "Likert" }

[[sections.questions]]
id = "lik_plain"
kind = "likert"
scale = "plain"
text = { bg = "Ликерт", en = "Likert" }

[[sections.questions]]
id = "grid"
kind = "matrix"
scale = "agree"
dont_know = true
required = true
text = { bg = "Таблица", en = "Grid" }
rows = [
  { id = "row_a", text = { bg = "А", en = "A" } },
  { id = "row_b", text = { bg = "Б", en = "B" } },
  { id = "row_c", text = { bg = "В", en = "C" } },
]

[[sections.questions]]
id = "grid_optional"
kind = "matrix"
scale = "plain"
text = { bg = "Таблица", en = "Grid" }
rows = [
  { id = "opt_a", text = { bg = "А", en = "A" } },
  { id = "opt_b", text = { bg = "Б", en = "B" } },
]

[[sections.questions]]
id = "topics"
kind = "multi"
max_choices = 2
text = { bg = "Теми", en = "Topics" }
options = [
  { code = "alpha", label = { bg = "А", en = "A" } },
  { code = "beta", label = { bg = "Б", en = "B" } },
  { code = "gamma", label = { bg = "В", en = "C" } },
  { code = "delta", label = { bg = "Г", en = "D" } },
]

[[sections.questions]]
id = "score"
kind = "nps"
text = { bg = "Оценка", en = "Score" }

[[sections.questions]]
id = "count"
kind = "number"
min = 1
max = 20
text = { bg = "Брой", en = "Count" }

[[sections.questions]]
id = "note"
kind = "text"
max_length = 10
text = { bg = "Бележка", en = "Note" }

[[sections.questions]]
id = "when"
kind = "date"
text = { bg = "Кога?", en = "When?" }

[[sections]]
id = "desk"
title = { bg = "Гише", en = "Desk" }

[[sections.questions]]
id = "desk_wait"
kind = "single"
show_if = { question = "channel", any_of = ["desk"] }
text = { bg = "Чакане", en = "Waiting" }
options = [
  { code = "short", label = { bg = "Кратко", en = "Short" } },
  { code = "long", label = { bg = "Дълго", en = "Long" } },
]

[[sections.questions]]
id = "desk_rating"
kind = "likert"
scale = "plain"
required = true
show_if = { question = "channel", any_of = ["desk"] }
text = { bg = "Гише", en = "Desk" }

[[sections]]
id = "last"
title = { bg = "Край", en = "End" }

[[sections.questions]]
id = "final"
kind = "likert"
scale = "plain"
required = true
text = { bg = "Общо", en = "Overall" }
"""

#: The fields of the first section that make it valid.
FIRST_OK: dict[str, list[str]] = {
    "channel": ["phone"],
    "lik": ["4"],
    "row_a": ["1"],
    "row_b": ["2"],
    "row_c": ["3"],
}


@pytest.fixture(scope="module")
def mini() -> Survey:
    survey = msgspec.convert(tomllib.loads(MINI), Survey)
    assert check_survey(survey, "mini.toml") == []
    return survey


@pytest.fixture(scope="module")
def citizen() -> Survey:
    return load_catalog(FORMS).surveys["citizen-satisfaction"].survey


def check(survey: Survey, question_id: str, form: RawForm) -> tuple[Answers, list[FieldError]]:
    q = survey.question(question_id)
    assert q is not None
    out: Answers = {}
    errors: list[FieldError] = []
    validate_question(survey, q, form, out, errors)
    return out, errors


def codes(errors: list[FieldError]) -> list[tuple[str, str]]:
    return [(e.item, e.code) for e in errors]


# ---------------------------------------------------------------------------- likert
@pytest.mark.parametrize("form", [{}, {"lik": []}, {"lik": [""]}, {"lik": ["   "]}])
def test_required_likert_missing(mini: Survey, form: RawForm) -> None:
    out, errors = check(mini, "lik", form)
    assert out == {}
    assert errors == [FieldError("lik", "lik", "required")]


def test_optional_likert_missing_is_absent(mini: Survey) -> None:
    assert check(mini, "lik_plain", {}) == ({}, [])


@pytest.mark.parametrize("value", ["1", "3", "5", " 2 "])
def test_likert_in_range_is_an_int(mini: Survey, value: str) -> None:
    out, errors = check(mini, "lik", {"lik": [value]})
    assert errors == []
    assert out == {"lik": int(value)}


@pytest.mark.parametrize("value", ["0", "6", "abc", "-1", "2.5", "8"])
@pytest.mark.parametrize("question_id", ["lik", "lik_plain"])
def test_likert_out_of_scale_is_invalid_choice(mini: Survey, question_id: str, value: str) -> None:
    out, errors = check(mini, question_id, {question_id: [value]})
    assert out == {}
    assert errors == [FieldError(question_id, question_id, "invalid_choice")]


def test_dont_know_accepted_only_when_enabled(mini: Survey) -> None:
    assert check(mini, "lik", {"lik": [str(DONT_KNOW)]}) == ({"lik": DONT_KNOW}, [])
    assert DONT_KNOW == 9
    out, errors = check(mini, "lik_plain", {"lik_plain": ["9"]})
    assert out == {}
    assert codes(errors) == [("lik_plain", "invalid_choice")]


# ---------------------------------------------------------------------------- matrix
def test_matrix_complete_stores_each_row(mini: Survey) -> None:
    out, errors = check(mini, "grid", {"row_a": ["1"], "row_b": ["9"], "row_c": ["5"]})
    assert errors == []
    assert out == {"row_a": 1, "row_b": DONT_KNOW, "row_c": 5}


def test_required_matrix_reports_each_missing_row(mini: Survey) -> None:
    out, errors = check(mini, "grid", {"row_b": ["4"]})
    assert out == {"row_b": 4}
    assert errors == [
        FieldError("row_a", "grid", "required_row"),
        FieldError("row_c", "grid", "required_row"),
    ]


def test_matrix_invalid_row(mini: Survey) -> None:
    out, errors = check(mini, "grid", {"row_a": ["7"], "row_b": ["2"], "row_c": ["3"]})
    assert out == {"row_b": 2, "row_c": 3}
    assert errors == [FieldError("row_a", "grid", "invalid_choice")]


def test_optional_matrix_may_be_partly_answered(mini: Survey) -> None:
    assert check(mini, "grid_optional", {"opt_b": ["2"]}) == ({"opt_b": 2}, [])
    assert check(mini, "grid_optional", {}) == ({}, [])
    _, errors = check(mini, "grid_optional", {"opt_a": ["9"]})
    assert codes(errors) == [("opt_a", "invalid_choice")]


# ---------------------------------------------------------------------------- single
def test_single_valid_code(mini: Survey) -> None:
    assert check(mini, "channel", {"channel": ["online"]}) == ({"channel": "online"}, [])


@pytest.mark.parametrize("value", ["email", "DESK", "desk,phone", "1"])
def test_single_tampered_code_is_invalid_choice(mini: Survey, value: str) -> None:
    out, errors = check(mini, "channel", {"channel": [value]})
    assert out == {}
    assert errors == [FieldError("channel", "channel", "invalid_choice")]


def test_required_single_missing(mini: Survey) -> None:
    assert check(mini, "channel", {}) == ({}, [FieldError("channel", "channel", "required")])


# ---------------------------------------------------------------------------- multi
def test_multi_keeps_option_order(mini: Survey) -> None:
    out, errors = check(mini, "topics", {"topics": ["delta", "alpha"]})
    assert errors == []
    assert out == {"topics": ["alpha", "delta"]}


def test_multi_ignores_duplicates_and_blanks(mini: Survey) -> None:
    out, errors = check(mini, "topics", {"topics": ["beta", "", " beta "]})
    assert (out, errors) == ({"topics": ["beta"]}, [])


def test_multi_rejects_unknown_codes(mini: Survey) -> None:
    out, errors = check(mini, "topics", {"topics": ["alpha", "omega"]})
    assert out == {}
    assert errors == [FieldError("topics", "topics", "invalid_choice")]


def test_multi_too_many(mini: Survey) -> None:
    out, errors = check(mini, "topics", {"topics": ["alpha", "beta", "gamma"]})
    assert out == {}
    assert errors == [FieldError("topics", "topics", "too_many", {"max": 2})]


def test_multi_with_too_many_values_is_refused(mini: Survey) -> None:
    out, errors = check(mini, "topics", {"topics": ["alpha"] * 51})
    assert out == {}
    assert codes(errors) == [("topics", "invalid_choice")]


def test_multi_nothing_chosen_is_absent(mini: Survey) -> None:
    assert check(mini, "topics", {}) == ({}, [])
    assert check(mini, "topics", {"topics": [""]}) == ({}, [])


# ---------------------------------------------------------------------------- nps
@pytest.mark.parametrize("value", ["0", "7", "10"])
def test_nps_accepted(mini: Survey, value: str) -> None:
    assert check(mini, "score", {"score": [value]}) == ({"score": int(value)}, [])


@pytest.mark.parametrize("value", ["11", "-1", "abc", "5.0", "100"])
def test_nps_rejected(mini: Survey, value: str) -> None:
    out, errors = check(mini, "score", {"score": [value]})
    assert out == {}
    assert errors == [FieldError("score", "score", "invalid_choice")]


@pytest.mark.parametrize("value", ["²", "٣"])
def test_nps_superscript_digit_is_invalid_choice_not_a_crash(mini: Survey, value: str) -> None:
    out, errors = check(mini, "score", {"score": [value]})
    assert out == {}
    assert errors == [FieldError("score", "score", "invalid_choice")]


# ---------------------------------------------------------------------------- number
@pytest.mark.parametrize(("value", "expected"), [("2", 2), (" 12 ", 12), ("1", 1), ("20", 20)])
def test_number_accepted(mini: Survey, value: str, expected: int) -> None:
    assert check(mini, "count", {"count": [value]}) == ({"count": expected}, [])


@pytest.mark.parametrize("value", ["2.5", "abc", "2,5", "1e3", "--2"])
def test_number_not_whole(mini: Survey, value: str) -> None:
    out, errors = check(mini, "count", {"count": [value]})
    assert out == {}
    assert errors == [FieldError("count", "count", "not_a_whole_number")]


@pytest.mark.parametrize("value", ["0", "21", "-3", "999999999"])
def test_number_out_of_range(mini: Survey, value: str) -> None:
    out, errors = check(mini, "count", {"count": [value]})
    assert out == {}
    assert errors == [FieldError("count", "count", "number_range", {"min": 1, "max": 20})]


# ---------------------------------------------------------------------------- text
def test_text_strips_control_characters_and_normalises_newlines(mini: Survey) -> None:
    out, errors = check(mini, "note", {"note": ["  a\x00b\r\nc\rd\x07 "]})
    assert errors == []
    assert out == {"note": "ab\nc\nd"}


def test_text_too_long(mini: Survey) -> None:
    out, errors = check(mini, "note", {"note": ["x" * 11]})
    assert out == {}
    assert errors == [FieldError("note", "note", "too_long", {"max": 10, "count": 11})]
    assert check(mini, "note", {"note": ["x" * 10]}) == ({"note": "x" * 10}, [])


@pytest.mark.parametrize("form", [{}, {"note": [""]}, {"note": [" \r\n\t "]}, {"note": ["\x00"]}])
def test_empty_optional_text_is_absent(mini: Survey, form: RawForm) -> None:
    assert check(mini, "note", form) == ({}, [])


# ---------------------------------------------------------------------------- date
@pytest.mark.parametrize("value", ["25.11.2026", "2026-11-25", " 25.11.2026 ", "25/11/2026"])
def test_date_accepted_as_iso(mini: Survey, value: str) -> None:
    assert check(mini, "when", {"when": [value]}) == ({"when": "2026-11-25"}, [])


@pytest.mark.parametrize("value", ["31.02.2026", "2026-02-30", "tomorrow", "25.13.2026"])
def test_invalid_date(mini: Survey, value: str) -> None:
    out, errors = check(mini, "when", {"when": [value]})
    assert out == {}
    assert errors == [FieldError("when", "when", "invalid_date")]


# ---------------------------------------------------------------------------- show_if and pages
def test_is_visible(mini: Survey) -> None:
    q = mini.question("desk_wait")
    assert q is not None
    assert is_visible(q, {"channel": "desk"})
    assert not is_visible(q, {"channel": "phone"})
    assert not is_visible(q, {})
    always = mini.question("final")
    assert always is not None and is_visible(always, {})


def test_hidden_question_is_neither_validated_nor_stored(mini: Survey) -> None:
    form = {**FIRST_OK, "desk_wait": ["bogus"], "desk_rating": ["3"], "final": ["5"]}
    answers, errors = validate_submission(mini, form)
    assert errors == []
    assert "desk_wait" not in answers
    assert "desk_rating" not in answers
    assert answers["final"] == 5

    # The same hidden values, section by section.
    answers = {"channel": "phone"}
    assert validate_section(mini, mini.sections[1], form, answers) == []
    assert answers == {"channel": "phone"}


def test_shown_question_is_validated(mini: Survey) -> None:
    form = {**FIRST_OK, "channel": ["desk"], "desk_wait": ["bogus"], "final": ["5"]}
    answers, index, errors = validate_until(mini, form, 2)
    assert index == 1
    assert errors == [
        FieldError("desk_wait", "desk_wait", "invalid_choice"),
        FieldError("desk_rating", "desk_rating", "required"),
    ]
    assert "final" not in answers

    form = {**form, "desk_wait": ["long"], "desk_rating": ["2"]}
    answers, errors = validate_submission(mini, form)
    assert errors == []
    assert answers["desk_wait"] == "long"
    assert answers["desk_rating"] == 2


def test_validate_until_stops_at_first_section_with_problems(mini: Survey) -> None:
    answers, index, errors = validate_until(mini, {"final": ["5"]}, 2)
    assert index == 0
    assert codes(errors) == [
        ("channel", "required"),
        ("lik", "required"),
        ("row_a", "required_row"),
        ("row_b", "required_row"),
        ("row_c", "required_row"),
    ]
    assert "final" not in answers

    answers, index, errors = validate_until(mini, FIRST_OK, 0)
    assert (index, errors) == (None, [])
    assert answers == {"channel": "phone", "lik": 4, "row_a": 1, "row_b": 2, "row_c": 3}


def test_next_section_skips_a_section_whose_questions_are_all_hidden(mini: Survey) -> None:
    assert next_section(mini, 0, {"channel": "phone"}) == 2
    assert next_section(mini, 0, {}) == 2
    assert next_section(mini, 0, {"channel": "desk"}) == 1
    assert next_section(mini, 1, {"channel": "desk"}) == 2
    assert next_section(mini, 2, {"channel": "desk"}) is None


# ---------------------------------------------------------------------------- the citizen survey
CITIZEN_FORM: dict[str, list[str]] = {
    # 1. contact
    "contact_when": ["past_month"],
    # 2. visit
    "service": ["local_taxes"],
    "respondent_type": ["other_person"],
    "channel": ["desk"],
    "matter_finished": ["finished"],
    # 3. quality
    "info_easy_to_find": ["5"],
    "forms_clear": ["4"],
    "time_reasonable": ["3"],
    "staff_knowledgeable": ["5"],
    "staff_explained": ["4"],
    "staff_courteous": ["5"],
    "treated_fairly": ["5"],
    "got_what_needed": ["4"],
    "deadline_met": ["9"],
    "documents_correct": ["1"],
    "visit_count": [" 2 "],
    # 4. desk
    "wait_minutes": ["up_to_20"],
    "desks_count": ["3"],
    "desk_easy_to_find": ["4"],
    "waiting_acceptable": ["3"],
    "premises_accessible": ["9"],
    # 5. overall
    "overall_satisfaction": ["4"],
    "effort": ["7"],
    "recommend": ["10"],
    # 6. about
    "age_band": ["age_65_plus"],
    "comments": ["Благодаря!\r\nВсичко беше наред.\x00"],
    # Not a field of the survey: ignored.
    "csrf_token": ["abc"],
}

CITIZEN_ANSWERS: Answers = {
    "contact_when": "past_month",
    "service": "local_taxes",
    "respondent_type": "other_person",
    "channel": "desk",
    "matter_finished": "finished",
    "info_easy_to_find": 5,
    "forms_clear": 4,
    "time_reasonable": 3,
    "staff_knowledgeable": 5,
    "staff_explained": 4,
    "staff_courteous": 5,
    "treated_fairly": 5,
    "got_what_needed": 4,
    "deadline_met": DONT_KNOW,
    "documents_correct": 1,
    "visit_count": 2,
    "wait_minutes": "up_to_20",
    "desks_count": 3,
    "desk_easy_to_find": 4,
    "waiting_acceptable": 3,
    "premises_accessible": DONT_KNOW,
    "overall_satisfaction": 4,
    "effort": 7,
    "recommend": 10,
    "age_band": "age_65_plus",
    "comments": "Благодаря!\nВсичко беше наред.",
}

DESK_ITEMS = (
    "wait_minutes", "desks_count", "desk_easy_to_find", "waiting_acceptable", "premises_accessible"
)


def test_citizen_full_valid_submission(citizen: Survey) -> None:
    assert [s.id for s in citizen.sections] == [
        "contact", "visit", "quality", "desk", "overall", "about"
    ]
    answers, errors = validate_submission(citizen, CITIZEN_FORM)
    assert errors == []
    assert answers == CITIZEN_ANSWERS
    assert list(answers) == list(CITIZEN_ANSWERS)  # in form order


def test_citizen_phone_skips_desk_page_and_drops_its_answers(citizen: Survey) -> None:
    form = {**CITIZEN_FORM, "channel": ["phone"]}
    answers, errors = validate_submission(citizen, form)
    assert errors == []
    expected = {k: v for k, v in CITIZEN_ANSWERS.items() if k not in DESK_ITEMS}
    assert answers == {**expected, "channel": "phone"}
    assert next_section(citizen, 2, answers) == 4
    assert next_section(citizen, 2, CITIZEN_ANSWERS) == 3


def test_citizen_minimal_submission(citizen: Survey) -> None:
    required_only = {
        k: v
        for k, v in CITIZEN_FORM.items()
        if k
        not in (
            "visit_count",
            "wait_minutes",
            "desks_count",
            "recommend",
            "age_band",
            "comments",
        )
    }
    answers, errors = validate_submission(citizen, required_only)
    assert errors == []
    assert "recommend" not in answers and "comments" not in answers


def test_citizen_effort_scale_has_seven_points(citizen: Survey) -> None:
    _, errors = check(citizen, "effort", {"effort": ["8"]})
    assert codes(errors) == [("effort", "invalid_choice")]
    _, errors = check(citizen, "overall_satisfaction", {"overall_satisfaction": ["9"]})
    assert codes(errors) == [("overall_satisfaction", "invalid_choice")]

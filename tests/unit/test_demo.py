"""Demo data are valid answers to the survey, with codes that match them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from survey_service.demo import BASELINE, FOLLOW_UP, generate
from survey_service.surveys.answers import validate_submission
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import load_catalog

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _responses(scenario, seed=1, n=400):  # type: ignore[no-untyped-def]
    survey = load_catalog(FORMS).surveys["citizen-satisfaction"].survey
    chunks = generate(survey, n, scenario, np.random.default_rng(seed), wave_id="w",
                      version="v", organisations=["elena", "lyaskovets"],
                      days=[dt.date(2026, 3, 2)], chunk=150)
    return survey, [r for chunk in chunks for r in chunk]


def test_demo_answers_pass_validation_and_codes_match() -> None:
    survey, responses = _responses(BASELINE)
    assert len(responses) == 400
    assert len({r.submission_key for r in responses}) == 400
    for r in responses:
        raw = {k: [str(x) for x in v] if isinstance(v, list) else [str(v)]
               for k, v in r.answers.items()}
        answers, errors = validate_submission(survey, raw)
        assert errors == [] and answers == r.answers
        assert encode_codes(survey, r.answers) == r.codes


def test_demo_is_seedable_and_the_follow_up_improves_timeliness() -> None:
    _, a = _responses(BASELINE, seed=7)
    _, b = _responses(BASELINE, seed=7)
    assert [r.answers for r in a] == [r.answers for r in b]
    _, follow = _responses(FOLLOW_UP, seed=8, n=2000)
    _, base = _responses(BASELINE, seed=9, n=2000)

    def mean(rs, item):  # type: ignore[no-untyped-def]
        values = [r.answers[item] for r in rs if r.answers.get(item) not in (None, 9)]
        return sum(values) / len(values)

    assert mean(follow, "waiting_acceptable") > mean(base, "waiting_acceptable") + 0.3
    assert abs(mean(follow, "staff_courteous") - mean(base, "staff_courteous")) < 0.15

"""`[analysis]` in a survey file (#19 §1): the adjustment set is checked by `forms check`."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_service.surveys.loader import check_catalog
from tests.unit.test_forms_check import CHANNEL, FORMS, HEADER, RATING, section, write_forms


def _with(analysis: str) -> str:
    return HEADER + "\n[analysis]\n" + analysis + section("one", CHANNEL, RATING)


def test_shipped_citizen_survey_declares_its_adjustment_set() -> None:
    catalog, problems = check_catalog(FORMS)
    assert problems == []
    analysis = catalog.surveys["citizen-satisfaction"].survey.analysis
    assert analysis is not None
    assert analysis.adjust_for == ["service", "organisation", "mode"]
    assert analysis.shown_both_ways == ["channel"]


def test_a_valid_adjustment_set_passes(tmp_path: Path) -> None:
    write_forms(tmp_path, _with('adjust_for = ["channel", "organisation", "mode"]\n'))
    assert check_catalog(tmp_path)[1] == []


@pytest.mark.parametrize("analysis, message", [
    ('adjust_for = ["rating"]\n', "cannot adjust for 'rating'"),  # a likert item
    ('adjust_for = ["weather"]\n', "cannot adjust for 'weather'"),
    ('adjust_for = ["mode", "mode"]\n', "names 'mode' twice"),
    ('adjust_for = ["mode"]\nshown_both_ways = ["mode"]\n', "names 'mode' twice"),
    ('adjust_after = ["mode"]\n', "adjust_after"),
])
def test_a_wrong_adjustment_set_is_refused(tmp_path: Path, analysis: str, message: str) -> None:
    write_forms(tmp_path, _with(analysis))
    problems = check_catalog(tmp_path)[1]
    assert any(message in p.message for p in problems), problems

"""The import's fast path (``services.import_rows``) gives exactly the answers of the
cell-by-cell check (``imports.validate_row``) or hands the row back to it: random rows of
codes, labels, blanks and junk, on forms with every kind of question and show_if."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import msgspec
import pytest

from survey_service.exports.columns import Column, plan_columns
from survey_service.services.import_rows import RowAnswers
from survey_service.services.imports import _Layout, validate_row
from survey_service.surveys.answers import is_visible
from survey_service.surveys.coding import codes_encoder, encode_codes
from survey_service.surveys.loader import load_survey
from survey_service.surveys.model import Survey
from tests.unit.test_answers import MINI

FORMS = Path(__file__).resolve().parents[2] / "forms"
JUNK = ["", "", "", " ", "0", "-1", "6", "9", "10", "11", "x", "1.5", "1 000", "+3", "٣",
        "2026-01-15", "15.01.2026", "2026-02-30", "a" * 12, "ok\x01", "\u00a012", "\n"]


def _surveys() -> list[Survey]:
    out = [msgspec.convert(tomllib.loads(MINI), Survey)]
    for name in ("citizen-satisfaction", "staff-survey"):
        loaded, problems = load_survey(FORMS / f"{name}.toml")
        assert loaded is not None, problems
        out.append(loaded.survey)
    return out


def _cell(rng: random.Random, c: Column, empty: float, junk: float) -> str:
    """A plausible cell of column ``c``: good, or empty or junk as often as asked."""
    roll = rng.random()
    if roll < empty:
        return ""
    if roll < empty + junk:
        return rng.choice(JUNK)
    if c.option is not None:
        return rng.choice(["1", "0", "0", "0", " 1", " 0 "])
    if c.choices:
        code, text = rng.choice(c.choices)
        label = rng.choice([str(code), text.bg, text.en, text.en.upper(), f" {text.bg} "])
        return label
    if c.kind == "nps":
        return str(rng.randint(0, 11))
    if c.kind == "number":
        return rng.choice([str(rng.randint(0, 30)), f" {rng.randint(1, 9)} "])
    if c.kind == "date":
        return rng.choice(["2026-01-15", "1.2.2026", " 2026-03-01 ", "2099-12-31", "1990-01-01"])
    return rng.choice(["Добре", "  two  words ", "line\r\nbreak", "x" * 300, "\x07"])


@pytest.mark.parametrize("seed", range(3))
def test_the_fast_path_gives_the_checks_answers_or_hands_the_row_back(seed: int) -> None:
    rng = random.Random(seed)
    for survey in _surveys():
        columns = plan_columns([("v1", survey)], free_text=True)
        required = {q.id for q in survey.questions() if q.required}
        # a column may be missing (one of a required question would refuse every row)
        kept = [c for c in columns if c.question in required or rng.random() < 0.9]
        rng.shuffle(kept)
        header = ["response_id", *(c.name for c in kept)]
        layout = _Layout(header, columns, staff=False)
        fast = RowAnswers(survey, layout.plan)
        encode = codes_encoder(survey)
        shown_if = {q.id: q for q in survey.questions() if q.show_if}
        taken = refused = 0
        for number in range(2, 1502):
            row = ["", *(_cell(rng, c, 0.3, 0.1) for c in kept)]
            if rng.random() < 0.5:  # the fast path's rows: no junk, and no answer to a
                # question not shown (as the check shows them)
                empty = rng.choice([0.0, 0.0, 0.03])
                row = ["", *(_cell(rng, c, empty, 0.0) for c in kept)]
                answers, _ = validate_row(survey, layout, number, row)
                row = ["", *("" if c.question in shown_if
                             and not is_visible(shown_if[c.question], answers) else cell
                             for c, cell in zip(kept, row[1:], strict=True))]
            if rng.random() < 0.05:
                row = row[: rng.randrange(len(row))]  # a short row
            answers, bad = validate_row(survey, layout, number, row)
            got = fast(row)
            if got is not None:
                taken += 1
                assert not bad, (survey.id, row, bad)
                assert list(got.items()) == list(answers.items()), (survey.id, row)
                assert encode(got) == encode_codes(survey, got)
            elif bad:
                refused += 1
        # both ways are exercised: rows taken on the fast path, and refused rows
        assert taken > 50 and refused > 50, (survey.id, taken, refused)


def test_the_codes_encoder_packs_what_encode_codes_packs() -> None:
    rng = random.Random(5)
    for survey in _surveys():
        encode = codes_encoder(survey)
        items = [q for q in survey.questions()]
        for _ in range(300):
            answers: dict[str, int | str | list[str]] = {}
            for q in items:
                for item in q.item_ids():
                    if rng.random() < 0.7:
                        answers[item] = rng.choice([
                            rng.randint(0, 11), *(o.code for o in q.options), ["a"], "zz"])
            assert encode(answers) == encode_codes(survey, answers)

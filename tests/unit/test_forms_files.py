"""`survey-service forms check` on files an operator can get wrong: each gives one line naming
the file and exit 1, never a traceback or a hang; a file saved with a byte order mark is read;
nonsense numbers are refused with file, question and problem; one broken survey is reported
alone, without follow-on lines about the expected results that depend on it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from survey_service.cli import cli

FORMS = Path(__file__).resolve().parents[2] / "forms"
SURVEY = "citizen-satisfaction.toml"


@pytest.fixture
def forms(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(FORMS, folder)
    return folder


def check(folder: Path) -> Result:
    return CliRunner().invoke(cli, ["forms", "check", "--dir", str(folder)])


def errors(result: Result) -> list[str]:
    """The output lines, after checking that the command failed cleanly."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert "ok  " not in result.output
    return result.output.splitlines()


def test_the_copied_forms_pass(forms: Path) -> None:
    assert check(forms).exit_code == 0


def test_a_deeply_nested_array_is_one_line_not_a_recursion_traceback(forms: Path) -> None:
    depth = 100_000
    (forms / "deep.toml").write_text("x = " + "[" * depth + "]" * depth + "\n")
    assert errors(check(forms)) == ["error: deep.toml: arrays or tables are nested too deeply"]


def test_a_folder_named_like_a_survey_file_is_one_line(forms: Path) -> None:
    (forms / "x.toml").mkdir()
    assert errors(check(forms)) == ["error: x.toml: is a folder, not a file"]


def test_a_dangling_symbolic_link_is_one_line(forms: Path) -> None:
    (forms / "gone.toml").symlink_to(forms / "nowhere.toml")
    assert errors(check(forms)) == [
        "error: gone.toml: is a symbolic link to a file that does not exist"
    ]


def test_a_symbolic_link_loop_is_one_line(forms: Path) -> None:
    (forms / "a.toml").symlink_to(forms / "b.toml")
    (forms / "b.toml").symlink_to(forms / "a.toml")
    assert errors(check(forms)) == [
        "error: a.toml: is a symbolic link loop (the link leads back to itself)",
        "error: b.toml: is a symbolic link loop (the link leads back to itself)",
    ]


def test_a_fifo_named_like_a_survey_file_does_not_hang(forms: Path) -> None:
    os.mkfifo(forms / "pipe.toml")  # opening it for reading would wait for a writer forever
    exe = Path(sys.executable).with_name("survey-service")
    done = subprocess.run(
        [str(exe), "forms", "check", "--dir", str(forms)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == ["error: pipe.toml: is not a regular file"]


def test_a_broken_organisations_link_is_named(forms: Path) -> None:
    (forms / "organisations.toml").unlink()
    (forms / "organisations.toml").symlink_to(forms / "organisations.toml")
    assert errors(check(forms)) == [
        "error: organisations.toml: is a symbolic link loop (the link leads back to itself)"
    ]


def test_a_file_saved_with_a_utf8_byte_order_mark_is_read(forms: Path) -> None:
    path = forms / SURVEY
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    plain = check(FORMS)
    result = check(forms)
    assert result.exit_code == 0, result.output
    assert result.output == plain.output  # same surveys, same versions


def test_one_broken_survey_is_reported_alone(forms: Path) -> None:
    """The shipped expected results name citizen-satisfaction four times; they are not checked
    against a survey whose file was refused, so the operator sees only the real problem."""
    path = forms / SURVEY
    path.write_text(path.read_text(encoding="utf-8") + "\nnonsense = \n", encoding="utf-8")
    lines = errors(check(forms))
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {SURVEY}: not valid TOML")


def test_an_expected_result_of_a_survey_that_does_not_exist_is_still_reported(
    forms: Path,
) -> None:
    path = forms / "expected-results.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'survey = "citizen-satisfaction"', 'survey = "citizen-satisfation"', 1
        ),
        encoding="utf-8",
    )
    (forms / "x.toml").mkdir()  # another, unrelated broken file
    lines = errors(check(forms))
    assert "error: x.toml: is a folder, not a file" in lines
    assert any("unknown survey 'citizen-satisfation'" in line for line in lines), lines


SURVEY_ERROR = "error: citizen-satisfaction.toml: "
#: case -> (text replaced in the shipped citizen survey, the start of the one error line, a part
#: of it that names the problem)
NUMBERS = {
    "negative_minutes": (
        ("\nminutes = 5\n", "\nminutes = -4\n"), SURVEY_ERROR,
        "minutes = -4 must be between 1 and 120",
    ),
    "zero_minutes": (
        ("\nminutes = 5\n", "\nminutes = 0\n"), SURVEY_ERROR,
        "minutes = 0 must be between 1 and 120",
    ),
    "absurd_minutes": (
        ("\nminutes = 5\n", "\nminutes = 4000\n"), SURVEY_ERROR,
        "minutes = 4000 must be between 1 and 120",
    ),
    "empty_show_if": (
        ('any_of = ["desk", "mayoralty"]', "any_of = []"),  # the first is wait_minutes
        f"{SURVEY_ERROR}question 'wait_minutes': ",
        "show_if has an empty any_of: list the answers that show this question",
    ),
    "zero_max_length": (
        ("max_length = 1000", "max_length = 0"), f"{SURVEY_ERROR}question 'comments': ",
        "max_length",
    ),
    "negative_max_length": (
        ("max_length = 1000", "max_length = -1"), f"{SURVEY_ERROR}question 'comments': ",
        "max_length",
    ),
    "huge_max_length": (
        ("max_length = 1000", "max_length = 10000000"), f"{SURVEY_ERROR}question 'comments': ",
        "max_length",
    ),
    "number_min_above_max": (
        ("min = 1\nmax = 20", "min = 20\nmax = 1"), f"{SURVEY_ERROR}question 'visit_count': ",
        "min 20 is greater than max 1",
    ),
    "zero_max_choices": (
        ('id = "wait_minutes"\nkind = "single"', 'id = "wait_minutes"\nkind = "multi"\n'
         "max_choices = 0"),
        f"{SURVEY_ERROR}question 'wait_minutes': ", "max_choices",
    ),
    "max_choices_above_options": (
        ('id = "wait_minutes"\nkind = "single"', 'id = "wait_minutes"\nkind = "multi"\n'
         "max_choices = 5"),
        f"{SURVEY_ERROR}question 'wait_minutes': ", "max_choices = 5 is more than the 4 options",
    ),
}


@pytest.mark.parametrize("case", NUMBERS.values(), ids=NUMBERS.keys())
def test_nonsense_numbers_are_refused_with_file_question_and_problem(
    forms: Path, case: tuple[tuple[str, str], str, str]
) -> None:
    (old, new), start, problem = case
    path = forms / SURVEY
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    [line] = errors(check(forms))
    assert line.startswith(start) and problem in line[len(start):], line


def test_a_version_frozen_before_these_checks_still_decodes() -> None:
    """The bounds are checked on the file, not in the model: a form version that an older
    release froze with such a value (history is never rewritten) must still be served."""
    import msgspec

    from survey_service.surveys.loader import decode_survey, encode_survey, load_survey
    from survey_service.surveys.model import ShowIf

    loaded, problems = load_survey(FORMS / SURVEY)
    assert loaded is not None and not problems
    survey = loaded.survey
    section = survey.sections[2]
    question = msgspec.structs.replace(
        section.questions[0], show_if=ShowIf(question="channel", any_of=[])
    )
    old = msgspec.structs.replace(
        survey,
        minutes=-4,
        sections=[
            *survey.sections[:2],
            msgspec.structs.replace(section, questions=[question, *section.questions[1:]]),
            *survey.sections[3:],
        ],
    )
    assert decode_survey(encode_survey(old)) == old

"""`survey-service forms check`: every kind of mistake in a survey file is reported with the
file, the question id and the problem, both by ``check_catalog`` and by the CLI."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.surveys.loader import check_catalog, load_survey, survey_version

FORMS = Path(__file__).resolve().parents[2] / "forms"

HEADER = """\
id = "broken"
kind = "citizen"
title = { bg = "Анкета", en = "Survey" }
intro = { bg = "Въведение", en = "Introduction" }

[scales.agree]
labels = [{ bg = "Не", en = "No" }, { bg = "Отчасти", en = "Partly" }, { bg = "Да", en = "Yes" }]
dont_know = { bg = "Не знам", en = "Don't know" }

[scales.plain]
labels = [{ bg = "Не", en = "No" }, { bg = "Да", en = "Yes" }]

[dimensions]
access = { bg = "Достъп", en = "Access" }
"""

CHANNEL = """\
id = "channel"
kind = "single"
text = { bg = "Как?", en = "How?" }
options = [
  { code = "desk", label = { bg = "Гише", en = "Desk" } },
  { code = "phone", label = { bg = "Телефон", en = "Phone" } },
]
"""

RATING = """\
id = "rating"
kind = "likert"
scale = "agree"
text = { bg = "Оценка", en = "Rating" }
"""


def section(section_id: str, *questions: str) -> str:
    parts = [f'\n[[sections]]\nid = "{section_id}"\ntitle = {{ bg = "Част", en = "Part" }}\n']
    parts += [f"\n[[sections.questions]]\n{q}" for q in questions]
    return "".join(parts)


def survey(*sections: str, header: str = HEADER) -> str:
    return header + "".join(sections)


def write_forms(folder: Path, text: str, name: str = "broken.toml", orgs: bool = True) -> None:
    (folder / name).write_text(text, encoding="utf-8")
    if orgs:
        shutil.copy(FORMS / "organisations.toml", folder / "organisations.toml")


@dataclass(frozen=True)
class Case:
    text: str
    question: str | None
    message: str
    file: str = "broken.toml"
    name: str = "broken.toml"
    orgs: bool = True


CASES: dict[str, Case] = {
    "unknown_kind": Case(
        survey(
            section("one", CHANNEL, 'id = "q1"\nkind = "likret"\ntext = { bg = "В", en = "Q" }\n')
        ),
        "q1",
        "unknown value 'likret'",
    ),
    "duplicate_question_id": Case(
        survey(section("one", CHANNEL), section("two", CHANNEL)),
        "channel",
        "duplicate id 'channel' (already used by question 'channel')",
    ),
    "matrix_row_clashes_with_question_id": Case(
        survey(
            section(
                "one",
                CHANNEL,
                """\
id = "grid"
kind = "matrix"
scale = "agree"
text = { bg = "Таблица", en = "Grid" }
rows = [
  { id = "fast", text = { bg = "Бързо", en = "Fast" } },
  { id = "channel", text = { bg = "Канал", en = "Channel" } },
]
""",
            )
        ),
        "grid",
        "duplicate id 'channel' (already used by question 'channel')",
    ),
    "show_if_unknown_phase": Case(
        survey(section("one", CHANNEL),
               section("two", RATING + 'show_if = { phase = ["folow-up"] }\n')),
        "rating",
        "show_if phase 'folow-up' is not a wave phase (baseline, follow-up, annual,",
    ),
    "show_if_neither_question_nor_phase": Case(
        survey(section("one", CHANNEL), section("two", RATING + "show_if = {}\n")),
        "rating",
        "show_if needs question and any_of, or phase",
    ),
    "show_if_any_of_without_question": Case(
        survey(section("one", CHANNEL), section(
            "two", RATING + 'show_if = { any_of = ["desk"], phase = ["follow-up"] }\n')),
        "rating",
        "show_if has any_of without question",
    ),
    "show_if_later_question": Case(
        survey(
            section("one", RATING + 'show_if = { question = "channel", any_of = ["desk"] }\n'),
            section("two", CHANNEL),
        ),
        "rating",
        "show_if refers to a later question 'channel'",
    ),
    "show_if_unknown_question": Case(
        survey(
            section("one", CHANNEL),
            section("two", RATING + 'show_if = { question = "chanel", any_of = ["desk"] }\n'),
        ),
        "rating",
        "show_if refers to an unknown question 'chanel'",
    ),
    "show_if_same_section": Case(
        survey(
            section(
                "one", CHANNEL, RATING + 'show_if = { question = "channel", any_of = ["desk"] }\n'
            )
        ),
        "rating",
        "show_if refers to question 'channel' in the same section",
    ),
    "show_if_value_not_an_answer": Case(
        survey(
            section("one", CHANNEL),
            section("two", RATING + 'show_if = { question = "channel", any_of = ["email"] }\n'),
        ),
        "rating",
        "show_if value 'email' is not an answer of question 'channel'",
    ),
    "missing_english": Case(
        survey(
            section(
                "one",
                CHANNEL,
                'id = "rating"\nkind = "likert"\nscale = "agree"\ntext = { bg = "Оценка" }\n',
            )
        ),
        "rating",
        "missing translation: no 'en' text",
    ),
    "empty_bulgarian": Case(
        survey(
            section(
                "one",
                CHANNEL,
                'id = "rating"\nkind = "likert"\nscale = "agree"\n'
                'text = { bg = "  ", en = "Rating" }\n',
            )
        ),
        "rating",
        "missing translation: empty 'bg' text",
    ),
    "unknown_scale": Case(
        survey(section("one", RATING.replace('"agree"', '"agreement"'))),
        "rating",
        "unknown scale 'agreement'",
    ),
    "dont_know_without_scale_label": Case(
        survey(section("one", RATING.replace('"agree"', '"plain"') + "dont_know = true\n")),
        "rating",
        "dont_know is set but scale 'plain' has no dont_know label",
    ),
    "matrix_without_rows": Case(
        survey(
            section(
                "one",
                'id = "grid"\nkind = "matrix"\nscale = "agree"\n'
                'text = { bg = "Таблица", en = "Grid" }\n',
            )
        ),
        "grid",
        "a matrix needs rows",
    ),
    "single_with_one_option": Case(
        survey(
            section(
                "one",
                """\
id = "only"
kind = "single"
text = { bg = "Едно", en = "One" }
options = [{ code = "yes", label = { bg = "Да", en = "Yes" } }]
""",
            )
        ),
        "only",
        "a single question needs at least two options",
    ),
    "number_without_min_max": Case(
        survey(
            section("one", 'id = "visits"\nkind = "number"\ntext = { bg = "Брой", en = "Count" }\n')
        ),
        "visits",
        "a number question needs min and max",
    ),
    "number_min_greater_than_max": Case(
        survey(
            section(
                "one",
                'id = "visits"\nkind = "number"\nmin = 5\nmax = 1\n'
                'text = { bg = "Брой", en = "Count" }\n',
            )
        ),
        "visits",
        "min 5 is greater than max 1",
    ),
    "unknown_field": Case(
        survey(section("one", CHANNEL, RATING + "requred = true\n")),
        "rating",
        "unknown field 'requred'",
    ),
    "non_snake_case_id": Case(
        survey(section("one", RATING.replace('"rating"', '"Rating-Score"'))),
        "Rating-Score",
        "id 'Rating-Score' must be snake_case",
    ),
    "survey_id_not_file_name": Case(
        survey(section("one", CHANNEL)),
        None,
        "survey id 'broken' must match the file name 'other.toml'",
        file="other.toml",
        name="other.toml",
    ),
    "invalid_toml": Case(
        survey(section("one", CHANNEL)) + 'id = "dangling\n', None, "not valid TOML"
    ),
    "unknown_dimension": Case(
        survey(section("one", RATING + 'dimension = "speed"\n')),
        "rating",
        "unknown dimension 'speed'",
    ),
    "organisations_missing": Case(
        survey(section("one", CHANNEL)),
        None,
        "file not found",
        file="organisations.toml",
        orgs=False,
    ),
}


def test_the_base_of_the_broken_cases_is_valid(tmp_path: Path) -> None:
    write_forms(
        tmp_path,
        survey(
            section("one", CHANNEL),
            section("two", RATING + 'show_if = { question = "channel", any_of = ["desk"] }\n'),
        ),
    )
    catalog, problems = check_catalog(tmp_path)
    assert problems == []
    assert list(catalog.surveys) == ["broken"]


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_mistake_is_reported_with_file_question_and_problem(tmp_path: Path, case: Case) -> None:
    write_forms(tmp_path, case.text, name=case.name, orgs=case.orgs)

    _, problems = check_catalog(tmp_path)
    matching = [p for p in problems if case.message in p.message]
    assert matching, problems
    problem = matching[0]
    assert problem.file == case.file
    assert problem.question == case.question

    result = CliRunner().invoke(cli, ["forms", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert str(problem) in result.output
    assert case.file in result.output
    assert case.message in result.output
    if case.question is not None:
        assert f"question '{case.question}'" in result.output
    assert "ok  " not in result.output


def test_shipped_forms_pass() -> None:
    catalog, problems = check_catalog(FORMS)
    assert problems == []
    assert "citizen-satisfaction" in catalog.surveys
    assert set(catalog.organisations) == {"elena", "lyaskovets"}

    result = CliRunner().invoke(cli, ["forms", "check", "--dir", str(FORMS)])
    assert result.exit_code == 0, result.output
    assert "ok  citizen-satisfaction.toml: citizen-satisfaction" in result.output
    assert "ok  organisations: elena, lyaskovets" in result.output
    assert "error" not in result.output


def test_missing_forms_directory_is_reported(tmp_path: Path) -> None:
    _, problems = check_catalog(tmp_path / "nowhere")
    assert [p.message for p in problems] == ["forms directory not found"]


def test_version_ignores_comments_and_layout_but_not_texts(tmp_path: Path) -> None:
    text = survey(section("one", CHANNEL, RATING))
    plain = tmp_path / "plain" / "broken.toml"
    commented = tmp_path / "commented" / "broken.toml"
    changed = tmp_path / "changed" / "broken.toml"
    for path in (plain, commented, changed):
        path.parent.mkdir()
    plain.write_text(text, encoding="utf-8")
    commented.write_text(
        "# A comment at the top\n\n\n"
        + text.replace('kind = "likert"', 'kind   =   "likert"    # the kind\n\n').replace(
            "\n[[sections]]", "\n# ------ a section\n\n[[sections]]"
        )
        + "\n# trailing comment\n\n",
        encoding="utf-8",
    )
    changed.write_text(text.replace('en = "Rating"', 'en = "Your rating"'), encoding="utf-8")

    versions = {}
    for path in (plain, commented, changed):
        loaded, problems = load_survey(path)
        assert problems == [] and loaded is not None
        assert loaded.version == survey_version(loaded.survey)
        versions[path.parent.name] = loaded.version

    assert versions["commented"] == versions["plain"]
    assert versions["changed"] != versions["plain"]


def test_serve_refuses_to_start_with_broken_forms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    import survey_service.cli.serve as serve_module

    started: list[str] = []

    def no_server(*args: object, **kwargs: object) -> None:
        started.append("uvicorn.run")

    def no_store(*args: object, **kwargs: object) -> None:
        started.append("store")

    monkeypatch.setattr(uvicorn, "run", no_server)
    monkeypatch.setattr(serve_module, "with_store", no_store)
    write_forms(tmp_path, survey(section("one", RATING.replace('"agree"', '"agreement"'))))

    env = {
        "SURVEY_FORMS_DIR": str(tmp_path),
        "SURVEY_SECRET_KEY": "k" * 40,
        "SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    result = CliRunner(env=env).invoke(cli, ["serve"])

    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "refusing to start" in result.output
    assert "broken.toml: question 'rating': unknown scale 'agreement'" in result.output
    assert started == []
    assert not (tmp_path / "db.sqlite3").exists()


# ---------------------------------------------------------------------------- indicators
def _with_indicator(tmp_path: Path, block: str) -> list[str]:
    import shutil as _sh

    src = Path(__file__).resolve().parents[2] / "forms"
    _sh.copy(src / "organisations.toml", tmp_path / "organisations.toml")
    text = (src / "citizen-satisfaction.toml").read_text(encoding="utf-8")
    (tmp_path / "citizen-satisfaction.toml").write_text(text + "\n" + block, encoding="utf-8")
    _, problems = check_catalog(tmp_path)
    return [p.message for p in problems]


def test_indicator_with_unknown_item(tmp_path: Path) -> None:
    messages = _with_indicator(tmp_path, """
[[indicators]]
id = "broken"
kind = "index"
items = ["no_such_item"]
label = { bg = "Х", en = "X" }
""")
    assert any("unknown or unscored item 'no_such_item'" in m for m in messages)


def test_nps_indicator_on_a_likert_item(tmp_path: Path) -> None:
    messages = _with_indicator(tmp_path, """
[[indicators]]
id = "broken"
kind = "nps"
items = ["overall_satisfaction"]
label = { bg = "Х", en = "X" }
""")
    assert any("needs nps items" in m for m in messages)


def test_expected_result_on_unknown_indicator(tmp_path: Path) -> None:
    _with_indicator(tmp_path, "")
    (tmp_path / "expected-results.toml").write_text("""
[[results]]
id = "x"
text = { bg = "Х", en = "X" }
survey = "citizen-satisfaction"
indicator = "nothing"
target = { change_at_least = 5 }
""", encoding="utf-8")
    _, problems = check_catalog(tmp_path)
    assert [p.file for p in problems] == ["expected-results.toml"]
    assert "has no indicator 'nothing'" in problems[0].message

"""The README documents every setting and the two commands."""

from __future__ import annotations

from pathlib import Path

from survey_service.settings import DOCS, Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_code_and_readme() -> None:
    assert set(DOCS) == set(Settings.__struct_fields__)
    for name in Settings.__struct_fields__:
        assert f"`SURVEY_{name.upper()}`" in README, name


def test_readme_gives_the_two_commands() -> None:
    assert "make serve" in README and "make test" in README


def test_bad_settings_are_refused_with_the_variable_named() -> None:
    import pytest

    with pytest.raises(ValueError, match="SURVEY_SECRET_KEY"):
        Settings.from_env({"SURVEY_SECRET_KEY": "short"})
    with pytest.raises(ValueError, match="port"):
        Settings.from_env({"SURVEY_PORT": "eighty", "SURVEY_SECRET_KEY": "k" * 40})
    assert Settings.from_env({"SURVEY_PORT": "8080", "SURVEY_SECRET_KEY": "k" * 40}).port == 8080
    with pytest.raises(ValueError, match="SURVEY_DB_POOL_SIZE"):
        Settings.from_env({"SURVEY_DB_POOL_SIZE": "2", "SURVEY_SECRET_KEY": "k" * 40})
    env = {"SURVEY_DB_POOL_SIZE": "12", "SURVEY_SECRET_KEY": "k" * 40}
    assert Settings.from_env(env).db_pool_size == 12

"""The README documents every setting, the two commands, and only commands that exist."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from survey_service.cli import cli
from survey_service.settings import DOCS, Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_code_and_readme() -> None:
    assert set(DOCS) == set(Settings.__struct_fields__)
    for name in Settings.__struct_fields__:
        assert f"`SURVEY_{name.upper()}`" in README, name


def test_readme_gives_the_two_commands() -> None:
    assert "make serve" in README and "make test" in README


def test_bad_settings_are_refused_with_the_variable_named() -> None:
    with pytest.raises(ValueError, match="SURVEY_SECRET_KEY"):
        Settings.from_env({"SURVEY_SECRET_KEY": "short"})
    with pytest.raises(ValueError, match="SURVEY_PORT=eighty"):
        Settings.from_env({"SURVEY_PORT": "eighty", "SURVEY_SECRET_KEY": "k" * 40})
    assert Settings.from_env({"SURVEY_PORT": "8080", "SURVEY_SECRET_KEY": "k" * 40}).port == 8080
    for name, value in (("MAX_BODY_BYTES", "-1"), ("PORT", "70000"), ("KIOSK_IDLE_SECONDS", "0"),
                        ("DB_POOL_SIZE", "2")):
        with pytest.raises(ValueError, match=f"SURVEY_{name}={value} is not valid"):
            Settings.from_env({f"SURVEY_{name}": value, "SURVEY_SECRET_KEY": "k" * 40})
    env = {"SURVEY_DB_POOL_SIZE": "12", "SURVEY_SECRET_KEY": "k" * 40}
    assert Settings.from_env(env).db_pool_size == 12


def readme_commands(text: str) -> list[list[str]]:
    """Every ``survey-service ...`` the README shows, as words: in code blocks (to the end of
    the line, ``\\`` continuations joined, ``# comments`` dropped) and in inline code."""
    text = re.sub(r"\\\n\s*", " ", text)
    found = []
    for match in re.finditer(r"survey-service ", text):
        start = match.end()
        inline = text[match.start() - 1] == "`"
        end = text.index("`" if inline else "\n", start)
        shown = text[start:end].split("  #")[0].replace("[", " ").replace("]", " ")
        found.append(shlex.split(shown))
    return found


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command the words name, and the options they give it."""
    command: click.Command = cli
    rest = list(words)
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        name = rest.pop(0)
        sub = command.commands.get(name)
        assert sub is not None, f"README shows `survey-service {' '.join(words)}`: no '{name}'"
        command = sub
    assert not isinstance(command, click.Group) or command.invoke_without_command, (
        f"`{' '.join(words)}` names only a group")  # `results` is a command and a group
    return command, [w for w in rest if w.startswith("--")]


def test_every_command_the_readme_shows_exists() -> None:
    shown = readme_commands(README)
    assert len(shown) >= 12
    named = set()
    for words in shown:
        command, options = resolve(words)
        named.add(command.name)
        known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for option in options:
            assert option in known, f"`survey-service {' '.join(words)}`: no option {option}"
    assert {"check", "migrate", "open", "close", "list", "serve", "demo", "report"} <= named


def test_the_readme_check_finds_a_command_that_does_not_exist() -> None:
    [words] = readme_commands("run `survey-service waves reopen w1` now")
    with pytest.raises(AssertionError, match="no 'reopen'"):
        resolve(words)
    [words] = readme_commands("```\nsurvey-service waves list --yaml  # no such option\n```")
    command, options = resolve(words)
    assert options == ["--yaml"] and "--yaml" not in {o for p in command.params for o in p.opts}

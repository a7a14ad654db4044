"""Operators' mistakes end as one line on stderr and exit status 1, never a traceback; and
the commands Litestar's CLI offers (``litestar survey ...``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from survey_service.cli import cli
from survey_service.cli.base import OperatorGroup
from survey_service.services.errors import Refused
from tests.conftest import SURVEY

STAFF = "staff-survey"


def invoke(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


def assert_one_line_error(result: Result, *expected: str) -> str:
    """Exit 1, nothing on stdout, one line on stderr naming the problem, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # not an exception escaping the command
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_a_service_error_is_one_line() -> None:
    @click.group(cls=OperatorGroup)
    def group() -> None:
        pass

    @group.command()
    def refuse() -> None:
        raise Refused("wave 'x' is closed\nand this is its second line")

    @group.command()
    def bug() -> None:
        raise RuntimeError("a bug keeps its traceback")

    result = CliRunner().invoke(group, ["refuse"])
    assert_one_line_error(result, "wave 'x' is closed; and this is its second line")
    result = CliRunner().invoke(group, ["bug"])
    assert isinstance(result.exception, RuntimeError)  # not hidden as an operator error


def test_unknown_wave_and_closed_wave_are_one_line(env: dict[str, str]) -> None:
    assert_one_line_error(invoke(env, "waves", "close", "nope"), "unknown wave 'nope'")
    assert invoke(env, "waves", "open", SURVEY, "--id", "w1").exit_code == 0
    assert invoke(env, "waves", "close", "w1").exit_code == 0
    assert_one_line_error(invoke(env, "waves", "close", "w1"), "already closed")


def test_problems_in_the_forms_are_one_line(env: dict[str, str], forms_dir: Path) -> None:
    path = forms_dir / f"{SURVEY}.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('scale = "agree"',
                                                             'scale = "agreement"', 1),
                    encoding="utf-8")
    line = assert_one_line_error(invoke(env, "waves", "open", SURVEY),
                                 "the forms have problems:", "unknown scale 'agreement'")
    assert "forms check" in line or line.count("unknown scale") == 1


def test_run_from_another_folder_says_where_the_forms_are_missing(
    env: dict[str, str], tmp_path: Path
) -> None:
    elsewhere = {**env, "SURVEY_FORMS_DIR": str(tmp_path / "not-here")}
    for args in (["waves", "close", "x"], ["report", SURVEY, "--baseline", "a",
                                          "--follow-up", "b"], ["demo"], ["serve"],
                 ["tokens", "issue", "x", "--org", "elena", "--unit", "u", "--count", "1"]):
        assert_one_line_error(invoke(elsewhere, *args), "no forms folder", "SURVEY_FORMS_DIR")


def test_bad_settings_are_one_line(env: dict[str, str]) -> None:
    assert_one_line_error(invoke({**env, "SURVEY_PORT": "eighty"}, "waves", "list"), "SURVEY_PORT")
    assert_one_line_error(invoke({**env, "SURVEY_MAX_BODY_BYTES": "-1"}, "waves", "list"),
                          "SURVEY_MAX_BODY_BYTES=-1")
    assert_one_line_error(invoke({**env, "SURVEY_DATABASE_URL": "postgres://x"}, "waves", "list"),
                          "SURVEY_DATABASE_URL", "postgres://")


@pytest.mark.parametrize("kind", ["not-sqlite", "folder"])
def test_an_unusable_database_is_one_line_and_does_not_hang(
    env: dict[str, str], tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "thing"
    if kind == "folder":
        target.mkdir()
    else:
        target.write_text("this is not a database\n" * 100)
    result = subprocess.run(
        [sys.executable, "-m", "survey_service.cli", "waves", "list"],
        env={**env, "SURVEY_DATABASE_URL": f"sqlite:///{target}"},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    [line] = [x for x in result.stderr.splitlines() if not x.startswith("WARNING")]
    assert "database" in line


def test_db_migrate_says_what_it_applied(env: dict[str, str]) -> None:
    first = invoke(env, "db", "migrate")
    assert first.exit_code == 0
    assert first.output.startswith("applied migrations 0001, ")
    again = invoke(env, "db", "migrate")
    assert again.exit_code == 0 and again.output.startswith("database is up to date")


def test_min_group_out_of_range_is_one_line(env: dict[str, str]) -> None:
    assert invoke(env, "waves", "open", STAFF, "--id", "s1", "--org", "elena").exit_code == 0
    for value in ("99999999999999999999", "4"):
        assert_one_line_error(invoke(env, "waves", "set", "s1", "--min-group", value),
                              "smallest group must be a number from 5 to")
    assert invoke(env, "waves", "set", "s1", "--min-group", "12").exit_code == 0
    assert_one_line_error(invoke(env, "waves", "set", "s1"), "nothing to change")


def test_no_more_codes_than_people_and_unwritable_out(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert invoke(env, "waves", "open", STAFF, "--id", "s1", "--org", "elena").exit_code == 0
    issue = ["tokens", "issue", "s1", "--org", "elena", "--unit", "finance"]  # 10 people
    out = tmp_path / "codes"
    assert_one_line_error(invoke(env, *issue, "--count", "11", "--out", str(out)),
                          "unit 'finance' has 10 people")
    assert not out.exists()
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    assert_one_line_error(invoke(env, *issue, "--count", "2", "--out", str(a_file)),
                          "cannot write the codes", "not a folder")
    assert_one_line_error(invoke(env, *issue, "--count", "2", "--out", str(a_file / "below")),
                          "cannot write the codes")
    waves = json.loads(invoke(env, "waves", "status", "s1", "--json").output)
    assert waves["total"]["issued"] == 0  # nothing stored for codes nobody can hand out
    result = invoke(env, *issue, "--count", "4", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.csv"))) == 1


def test_codes_files_are_private_and_a_loopback_link_is_warned_about(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert invoke(env, "waves", "open", STAFF, "--id", "s1", "--org", "elena").exit_code == 0
    issue = ["tokens", "issue", "s1", "--org", "elena", "--unit", "finance", "--count", "2"]
    local = invoke(env, *issue, "--out", str(tmp_path / "local"))  # default public URL
    assert local.exit_code == 0 and "warning: the slips point at http://127.0.0.1" in local.stderr
    public = invoke({**env, "SURVEY_PUBLIC_URL": "https://anketa.elena.bg"}, *issue,
                    "--out", str(tmp_path / "public"))
    assert public.exit_code == 0 and public.stderr == ""
    files = [*(tmp_path / "local").iterdir(), *(tmp_path / "public").iterdir()]
    assert len(files) == 4
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)  # owner only


def test_litestar_cli_offers_the_survey_commands(env: dict[str, str]) -> None:
    from litestar.cli.main import litestar_group

    litestar_env = {**env, "LITESTAR_APP": "survey_service.app:create_app"}
    runner = CliRunner()
    opened = runner.invoke(litestar_group, ["survey", "waves", "open", SURVEY, "--id", "lw"],
                           env=litestar_env)
    assert opened.exit_code == 0, opened.output
    listed = runner.invoke(litestar_group, ["survey", "waves", "list", "--json"],
                           env=litestar_env)
    assert listed.exit_code == 0, listed.output
    assert [w["id"] for w in json.loads(listed.stdout)] == ["lw"]
    refused = runner.invoke(litestar_group, ["survey", "waves", "close", "nope"],
                            env=litestar_env)
    assert refused.exit_code == 1 and "unknown wave 'nope'" in refused.output
    assert "Traceback" not in refused.output

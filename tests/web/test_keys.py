"""The secret key without ``SURVEY_SECRET_KEY``: made once beside the database (0600), the same
for the server and the CLI, and a database refuses a key that is not the one its codes and
sealed answers were made with."""

from __future__ import annotations

import asyncio
import csv
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.cli import cli
from survey_service.settings import Settings
from tests.conftest import FORMS


def _env(db: Path, **extra: str) -> dict[str, str]:
    return {"SURVEY_DATABASE_URL": f"sqlite:///{db}", "SURVEY_FORMS_DIR": str(FORMS), **extra}


async def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    # CliRunner leaves variables it is not given as they are: make sure no key leaks in
    full = {"SURVEY_SECRET_KEY": None, **env}
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=full)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_without_a_key_one_is_made_once_beside_the_database(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "data" / "survey.sqlite3"
    with caplog.at_level(logging.WARNING):
        first = Settings.from_env(_env(db))
        second = Settings.from_env(_env(db))
    key_file = db.with_name("survey.sqlite3.key")
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first.secret_key == second.secret_key == key_file.read_text().strip()
    assert len(first.secret_key) >= 32
    said = [r.getMessage() for r in caplog.records if "created a secret key" in r.getMessage()]
    assert len(said) == 1 and str(key_file) in said[0]  # once, naming the file


async def test_codes_issued_without_a_key_match_the_server(tmp_path: Path) -> None:
    """As after `make serve`: no SURVEY_SECRET_KEY anywhere; codes from `tokens issue` work on
    the server, and the codes' files and the database are private (0600)."""
    db = tmp_path / "survey.sqlite3"
    env = _env(db)
    code, out = await _cli(
        env, "waves", "open", "staff-survey", "--id", "staff-1", "--org", "elena"
    )
    assert code == 0, out
    code, out = await _cli(
        env,
        "tokens",
        "issue",
        "staff-1",
        "--org",
        "elena",
        "--unit",
        "finance",
        "--count",
        "2",
        "--out",
        str(tmp_path / "slips"),
    )
    assert code == 0, out
    [csv_path] = (tmp_path / "slips").glob("*.csv")
    [html_path] = (tmp_path / "slips").glob("*.html")
    for path in (csv_path, html_path, db):
        assert path.stat().st_mode & 0o777 == 0o600, path
    with open(csv_path, encoding="utf-8-sig") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    async with AsyncTestClient(app=create_app(Settings.from_env(env))) as client:
        page = await client.get(f"/t/{codes[0]}")
    assert page.status_code == 200 and 'name="_token"' in page.text


async def test_a_database_refuses_a_key_it_was_not_made_with(tmp_path: Path) -> None:
    db = tmp_path / "survey.sqlite3"
    env = _env(db)
    assert (await _cli(env, "waves", "open", "staff-survey", "--id", "staff-1", "--org", "elena"))[
        0
    ] == 0
    assert (
        await _cli(
            env,
            "tokens",
            "issue",
            "staff-1",
            "--org",
            "elena",
            "--unit",
            "finance",
            "--count",
            "1",
            "--out",
            str(tmp_path / "slips"),
        )
    )[0] == 0
    other = _env(db, SURVEY_SECRET_KEY="another-key-" + "z" * 40)
    for args in (("waves", "list"), ("serve", "--port", "1")):
        code, out = await _cli(other, *args)
        assert code == 1 and len(out.strip().splitlines()) == 1, out
        assert "does not match this database" in out and "Traceback" not in out
    with pytest.raises(BaseException) as raised:  # the server's start-up fails
        async with AsyncTestClient(app=create_app(Settings.from_env(other))):
            pass
    errors = [raised.value]
    while isinstance(errors[-1], BaseExceptionGroup):
        errors.append(errors[-1].exceptions[0])
    assert isinstance(errors[-1], RuntimeError)
    assert "does not match this database" in str(errors[-1])
    # the key kept beside the database still works
    assert (await _cli(env, "waves", "list"))[0] == 0


async def test_a_new_key_is_taken_while_the_database_holds_nothing_made_with_the_old(
    tmp_path: Path,
) -> None:
    db = tmp_path / "survey.sqlite3"
    assert (await _cli(_env(db), "waves", "list"))[0] == 0
    other = _env(db, SURVEY_SECRET_KEY="another-key-" + "z" * 40)
    assert (await _cli(other, "waves", "list"))[0] == 0

"""The operator's commands on PostgreSQL: no password is ever printed."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import msgspec
import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from tests.contract.pg import fresh_database

PASSWORD = "hunter2-not-to-be-printed"


def with_password(url: str) -> str:
    """The same URL with a password (the test server trusts any)."""
    parts = urlsplit(url)
    netloc = f"{parts.username}:{PASSWORD}@{parts.hostname}:{parts.port or 5432}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def pg_env(env: dict[str, str]) -> Iterator[dict[str, str]]:
    with fresh_database() as url:
        yield {**env, "SURVEY_DATABASE_URL": with_password(url), "SURVEY_DB_POOL_SIZE": "4"}


def test_db_migrate_prints_the_url_without_its_password(pg_env: dict[str, str]) -> None:
    for expected in ("applied migrations 0001", "database is up to date"):
        result = CliRunner().invoke(cli, ["db", "migrate"], env=pg_env)
        assert result.exit_code == 0, result.output
        assert expected in result.stdout and ":***@" in result.stdout
        assert PASSWORD not in result.output


def test_an_unreachable_server_is_one_line_without_the_password(env: dict[str, str]) -> None:
    url = f"postgresql://survey:{PASSWORD}@127.0.0.1:1/survey"
    result = CliRunner().invoke(cli, ["waves", "list"], env={**env, "SURVEY_DATABASE_URL": url})
    assert result.exit_code == 1
    assert PASSWORD not in result.output and ":***@" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_defaults_to_a_process_per_cpu_on_postgresql_and_one_on_sqlite() -> None:
    import os

    from survey_service.cli.serve import default_workers
    from survey_service.settings import Settings

    sqlite = Settings.from_env({"SURVEY_DATABASE_URL": "sqlite:///x.sqlite3",
                                "SURVEY_SECRET_KEY": "k" * 40})
    postgres = msgspec.structs.replace(sqlite, database_url="postgresql://u@h/db")
    assert default_workers(sqlite) == 1
    assert default_workers(postgres) == (os.cpu_count() or 1)


def test_serve_gives_slow_starting_workers_time_before_replacing_them(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn kills a worker that does not answer its parent's ping within 5 s by default:
    on a busy 2-core machine a spawned worker's start takes longer, and every new worker was
    killed before it could answer, for ever. `serve --workers N` gives them a minute."""
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    result = CliRunner().invoke(cli, ["serve", "--workers", "2", "--port", "9059"], env=env)
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["workers"] == 2
    assert int(calls[0]["timeout_worker_healthcheck"]) >= 30  # type: ignore[call-overload]


def test_serve_keeps_the_collector_off_what_startup_made(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve` (one process, and each worker's app) freezes what the app's start made, so a
    full collection walks only what requests made since (the journeys' 99th percentile)."""
    import gc

    import uvicorn
    from litestar import Litestar
    from litestar.testing import TestClient

    apps: list[Litestar] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: apps.append(app))
    result = CliRunner().invoke(cli, ["serve", "--port", "9058"], env=env)
    assert result.exit_code == 0, result.output
    gc.unfreeze()
    try:
        with TestClient(app=apps[0]):
            assert gc.get_freeze_count() > 50_000  # numpy, scipy, the forms, the templates
    finally:
        gc.unfreeze()

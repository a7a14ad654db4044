"""compose.yaml, checked by structure (no Docker engine here): the services a deployment that
outgrows one machine needs, healthchecks and start order, and nothing secret in the files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import yaml

from survey_service.cli import cli

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]


def _command_exists(words: list[str]) -> bool:
    assert words[0] == "survey-service"
    group: click.Command = cli
    for word in words[1:]:
        if word.startswith("-") or not isinstance(group, click.Group):
            break
        found = group.get_command(click.Context(group), word)
        if found is None:
            return False
        group = found
    return True


def test_the_services_of_the_topology() -> None:
    assert set(SERVICES) == {"db", "migrate", "app", "proxy"}
    assert SERVICES["db"]["image"].startswith("postgres:15")
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["db"]["volumes"]
    assert "pgdata" in COMPOSE["volumes"]


def test_every_long_running_service_has_a_healthcheck_and_starts_in_order() -> None:
    assert "pg_isready" in " ".join(SERVICES["db"]["healthcheck"]["test"])
    assert "/readyz" in " ".join(SERVICES["app"]["healthcheck"]["test"])
    assert SERVICES["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    assert SERVICES["app"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert SERVICES["proxy"]["depends_on"] == {"app": {"condition": "service_healthy"}}
    assert SERVICES["migrate"]["restart"] == "no"


def test_several_app_processes_behind_the_proxy_only() -> None:
    app = SERVICES["app"]
    assert app["deploy"]["replicas"] >= 2
    assert "ports" not in app  # reached through the proxy alone, so X-Forwarded-For is trusted
    assert sorted(SERVICES["proxy"]["ports"]) == ["443:443", "80:80"]
    caddy = (ROOT / "deploy" / "Caddyfile").read_text(encoding="utf-8")
    assert "reverse_proxy app:8000" in caddy and "X-Forwarded-For {remote_host}" in caddy
    assert "health_uri /readyz" in caddy


def test_every_replica_fits_in_the_servers_connections() -> None:
    """Each app process keeps SURVEY_DB_POOL_SIZE connections: the replicas' processes (a
    fixed number each: serve's default, one per CPU of whatever host, could outrun the
    server), the migration and two operators' CLI pools fit in max_connections, less the
    superuser's reserved ones."""
    import msgspec

    from survey_service.settings import Settings

    default = next(f.default for f in msgspec.structs.fields(Settings) if f.name == "db_pool_size")
    app = SERVICES["app"]
    workers = int(app["command"][app["command"].index("--workers") + 1])
    pool = int(app["environment"].get("SURVEY_DB_POOL_SIZE", default))
    command = SERVICES["db"]["command"]
    limit = int(next(c.split("=")[1] for c in command if c.startswith("max_connections=")))
    replicas = app["deploy"]["replicas"]
    assert (replicas * workers + 1 + 2) * pool <= limit - 3
    assert (10 * workers + 1 + 2) * pool <= limit - 3  # scaled out to 10, as the file says


def test_the_commands_it_runs_exist() -> None:
    for name in ("migrate", "app"):
        assert _command_exists(SERVICES[name]["command"]), name
    cmd = re.search(r'^CMD (\[.*\])$', (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert cmd is not None and _command_exists(yaml.safe_load(cmd.group(1)))
    assert not _command_exists(["survey-service", "no-such-command"])  # the check can fail


def test_nothing_secret_is_written_in_the_files() -> None:
    env = SERVICES["app"]["environment"]
    assert env["SURVEY_DATABASE_URL"].startswith("postgresql://")
    for name, value in {**env, **SERVICES["db"]["environment"]}.items():
        if re.search(r"PASSWORD|SECRET|KEY", name):
            assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", value), name  # required, from env
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    for match in re.finditer(r"postgresql://[^:]+:([^@]+)@", text):
        assert match.group(1).startswith("${"), "a password written into a URL"
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored

"""Settings are checked when a command starts: a bad ``SURVEY_*`` value stops every command, and
``serve``, with one line naming the variable and what it accepts, a non-zero exit and no
traceback. The public URL printed on slips follows the host and port the server listens on."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner

from survey_service.cli import cli
from survey_service.settings import DOCS, Settings, SettingsError

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECRET = "s" * 40


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SURVEY_SECRET_KEY": SECRET,
        "SURVEY_FORMS_DIR": str(FORMS),
    }


BAD = {
    "negative_body_limit": (
        {"SURVEY_MAX_BODY_BYTES": "-1"},
        "SURVEY_MAX_BODY_BYTES=-1 is not valid: expected a whole number from 16384 to 67108864",
    ),
    "body_limit_not_a_number": (
        {"SURVEY_MAX_BODY_BYTES": "abc"},
        "SURVEY_MAX_BODY_BYTES=abc is not valid: expected a whole number from 16384 to 67108864",
    ),
    "port_out_of_range": (
        {"SURVEY_PORT": "70000"},
        "SURVEY_PORT=70000 is not valid: expected a whole number from 1 to 65535",
    ),
    "port_zero": (
        {"SURVEY_PORT": "0"},
        "SURVEY_PORT=0 is not valid: expected a whole number from 1 to 65535",
    ),
    "min_group_below_five": (
        {"SURVEY_MIN_GROUP": "4"},
        "SURVEY_MIN_GROUP=4 is not valid: expected a whole number from 5 to 1000",
    ),
    "min_group_absurdly_large": (
        {"SURVEY_MIN_GROUP": "99999999999999999999"},
        "SURVEY_MIN_GROUP=99999999999999999999 is not valid: expected a whole number from 5 "
        "to 1000",
    ),
    "short_secret_key": (
        {"SURVEY_SECRET_KEY": "too-short"},
        "SURVEY_SECRET_KEY is too short (9 characters): it must be at least 32 characters long",
    ),
    "empty_database_url": (
        {"SURVEY_DATABASE_URL": ""},
        "SURVEY_DATABASE_URL is set but empty: unset it to use the default "
        "(sqlite:///data/survey.sqlite3) or give sqlite:///path/to/file.sqlite3",
    ),
    "database_url_a_plain_path": (
        {"SURVEY_DATABASE_URL": "data/survey.sqlite3"},
        "SURVEY_DATABASE_URL must be sqlite:///path/to/file.sqlite3 or "
        "postgresql://host/database (it has no scheme)",
    ),
    "database_url_of_another_database_never_echoing_its_password": (
        {"SURVEY_DATABASE_URL": "mysql://survey:hunter2@db/survey"},
        "SURVEY_DATABASE_URL must be sqlite:///path/to/file.sqlite3 or "
        "postgresql://host/database (it starts with mysql://)",
    ),
    "database_url_with_two_slashes": (
        {"SURVEY_DATABASE_URL": "sqlite://data/survey.sqlite3"},
        "SURVEY_DATABASE_URL must be sqlite:///path/to/file.sqlite3 or "
        "postgresql://host/database (a file needs three slashes, four for an absolute path)",
    ),
    "database_url_without_a_path": (
        {"SURVEY_DATABASE_URL": "sqlite:///"},
        "SURVEY_DATABASE_URL must be sqlite:///path/to/file.sqlite3 or "
        "postgresql://host/database (the path of the file is missing)",
    ),
    "public_url_without_scheme": (
        {"SURVEY_PUBLIC_URL": "anketa.elena.bg"},
        "SURVEY_PUBLIC_URL=anketa.elena.bg is not valid: expected an http:// or https:// "
        "address such as https://anketa.elena.bg",
    ),
    "host_with_a_port": (
        {"SURVEY_HOST": "localhost:8000"},
        "SURVEY_HOST=localhost:8000 is not valid: expected an IP address or a host name only "
        "(the port goes in SURVEY_PORT)",
    ),
    "host_as_a_url": (
        {"SURVEY_HOST": "http://anketa.elena.bg"},
        "SURVEY_HOST=http://anketa.elena.bg is not valid: expected an IP address or a host name "
        "only (the port goes in SURVEY_PORT)",
    ),
    "access_log_not_a_switch": (
        {"SURVEY_ACCESS_LOG": "maybe"},
        "SURVEY_ACCESS_LOG=maybe is not valid: expected 1 or 0 (true or false)",
    ),
    "negative_wave_refresh": (
        {"SURVEY_WAVE_REFRESH_SECONDS": "-2"},
        "SURVEY_WAVE_REFRESH_SECONDS=-2 is not valid: expected a number from 0 to 3600",
    ),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
@pytest.mark.parametrize("command", [["waves", "list"], ["db", "migrate"], ["forms", "check"]])
def test_a_bad_setting_stops_a_command_with_one_line_naming_it(
    env: dict[str, str],
    tmp_path: Path,
    command: list[str],
    case: tuple[dict[str, str], str],
) -> None:
    bad, line = case
    result = CliRunner().invoke(cli, command, env={**env, **bad})
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.output.splitlines() == [f"Error: {line}"]
    assert "hunter2" not in result.output and "too-short" not in result.output
    assert not (tmp_path / "db.sqlite3").exists()  # stopped before touching anything


@pytest.mark.parametrize(
    "bad", [{"SURVEY_PORT": "70000"}, {"SURVEY_MAX_BODY_BYTES": "-1"}], ids=["port", "body"]
)
def test_serve_refuses_a_bad_setting_with_one_line_and_no_traceback(
    env: dict[str, str], tmp_path: Path, bad: dict[str, str]
) -> None:
    """A real process: before the check, the body limit of -1 started a server that answered
    every POST with 413 (so this test ran into its timeout)."""
    exe = Path(sys.executable).with_name("survey-service")
    done = subprocess.run(
        [str(exe), "serve"], env={**env, **bad, "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"Error: {next(iter(bad))}=")
    assert done.stdout == ""
    assert not (tmp_path / "db.sqlite3").exists()


def test_serve_refuses_a_port_option_out_of_range(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Before, ``serve --port 70000`` started a server on some other port."""
    import uvicorn

    started: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: started.append(k))
    result = CliRunner().invoke(cli, ["serve", "--port", "70000"], env=env)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "Error: Invalid value for '--port': 70000 is not in the range 1<=x<=65535." in (
        result.output.splitlines()
    )
    assert not (tmp_path / "db.sqlite3").exists()
    assert started == []


def test_an_empty_variable_means_unset_except_the_database_url() -> None:
    settings = Settings.from_env({"SURVEY_PORT": "", "SURVEY_SECRET_KEY": SECRET})
    assert settings.port == 8000
    with pytest.raises(SettingsError, match="SURVEY_DATABASE_URL is set but empty"):
        Settings.from_env({"SURVEY_DATABASE_URL": "", "SURVEY_SECRET_KEY": SECRET})


def test_spaces_around_a_value_are_ignored() -> None:
    settings = Settings.from_env({"SURVEY_PORT": " 8080 ", "SURVEY_ACCESS_LOG": "1 ",
                                  "SURVEY_SECRET_KEY": SECRET})
    assert (settings.port, settings.access_log) == (8080, True)


def test_good_database_urls_are_accepted() -> None:
    for url in ("sqlite:///data/survey.sqlite3", "sqlite:////var/lib/survey/db.sqlite3",
                "postgresql://survey@localhost/survey"):
        assert Settings.from_env({"SURVEY_DATABASE_URL": url,
                                  "SURVEY_SECRET_KEY": SECRET}).database_url == url


# ---------------------------------------------------------------------------- public URL
@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", "8000", "http://127.0.0.1:8000"),
        ("192.168.1.20", "8080", "http://192.168.1.20:8080"),
        ("anketa.local", "80", "http://anketa.local:80"),
        ("0.0.0.0", "9000", "http://127.0.0.1:9000"),
        ("::", "9000", "http://127.0.0.1:9000"),
        ("::1", "9000", "http://[::1]:9000"),
        ("[::1]", "9000", "http://[::1]:9000"),
        ("fe80::1%eth0", "9000", "http://[fe80::1%25eth0]:9000"),
    ],
)
def test_the_default_public_url_follows_host_and_port(host: str, port: str, url: str) -> None:
    settings = Settings.from_env(
        {"SURVEY_HOST": host, "SURVEY_PORT": port, "SURVEY_SECRET_KEY": SECRET}
    )
    assert settings.public_url == url


def test_a_set_public_url_wins_over_host_and_port() -> None:
    settings = Settings.from_env({"SURVEY_HOST": "10.0.0.1", "SURVEY_PORT": "8080",
                                  "SURVEY_PUBLIC_URL": "https://anketa.elena.bg",
                                  "SURVEY_SECRET_KEY": SECRET})
    assert settings.public_url == "https://anketa.elena.bg"
    assert Settings(host="10.0.0.1", port=8081).public_url == "http://10.0.0.1:8081"


def test_slips_point_where_the_server_listens(env: dict[str, str], tmp_path: Path) -> None:
    env = {**env, "SURVEY_HOST": "192.168.1.20", "SURVEY_PORT": "8080"}
    runner = CliRunner()
    opened = runner.invoke(cli, ["waves", "open", "staff-survey", "--id", "st", "--org",
                                 "elena", "--phase", "baseline"], env=env)
    assert opened.exit_code == 0, opened.output
    out = tmp_path / "slips"
    issued = runner.invoke(cli, ["tokens", "issue", "st", "--org", "elena", "--unit", "finance",
                                 "--count", "2", "--out", str(out)], env=env)
    assert issued.exit_code == 0, issued.output
    [csv_path] = out.glob("*.csv")
    with open(csv_path, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert [r["url"] for r in rows] == [f"http://192.168.1.20:8080/t/{r['code']}" for r in rows]
    [html_path] = out.glob("*.html")
    assert "http://192.168.1.20:8080/staff" in html_path.read_text(encoding="utf-8")
    shutil.rmtree(out)


# ---------------------------------------------------------------------------- docs
def test_the_readme_states_the_range_of_every_bounded_setting() -> None:
    struct = msgspec.inspect.type_info(Settings)
    assert isinstance(struct, msgspec.inspect.StructType)
    for field in struct.fields:
        info = field.type
        if not isinstance(info, msgspec.inspect.IntType | msgspec.inspect.FloatType):
            continue
        if info.ge is None or info.le is None:
            continue
        [row] = [line for line in README.splitlines()
                 if line.startswith(f"| `SURVEY_{field.name.upper()}` |")]
        assert f"{info.ge} to {info.le}" in row, field.name
        assert f"{info.ge} to {info.le}" in DOCS[field.name], field.name

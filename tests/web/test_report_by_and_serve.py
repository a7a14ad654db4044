"""What a new operator stumbles on: breakdowns that cannot be computed are refused with a
message, a breakdown's table has headers and readable names, and a busy port says so."""

from __future__ import annotations

import socket

from click.testing import CliRunner

from survey_service.cli import cli
from tests.conftest import SURVEY

BASE = ["report", SURVEY, "--baseline", f"demo-{SURVEY}-baseline",
        "--follow-up", f"demo-{SURVEY}-follow-up", "--org", "elena"]


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_breakdowns_have_headers_readable_names_and_refuse_what_cannot_be_computed(
    env: dict[str, str],
) -> None:
    assert run(env, "demo", "--responses", "60", "--seed", "5")[0] == 0
    code, out = run(env, *BASE, "--by", "mode")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("По „начин на попълване“"), lines[0]
    header = lines[4].split()
    assert header[:3] == ["група", "вълна", "стойност"] and "промяна" in header, lines[:5]
    assert "Онлайн" in out and " web " not in out
    code, out = run(env, *BASE, "--by", "mode", "--lang", "en")
    assert "Online" in out and "answering mode" in out
    code, out = run(env, *BASE, "--by", "channel", "--lang", "en")  # the contact channel
    assert code == 0 and "At a desk in the municipal" in out
    code, out = run(env, *BASE, "--by", "service", "--lang", "en")
    assert code == 0 and "Local taxes and fees" in out
    names = [line[2:].split("  ")[0] for line in out.splitlines()
             if line.startswith("  ") and not line.startswith("   ")]
    cut = [name for name in names if name.endswith("…")]
    assert "Civil registration (civil status record…" in cut
    assert all(len(name) <= 40 for name in cut)
    code, out = run(env, *BASE, "--by", "unit")
    assert code == 1 and "citizen survey" in out and "no unit" in out
    assert out.count("\n") == 1  # one line, nothing else printed


def test_a_breakdown_by_service_needs_a_service_question(env: dict[str, str]) -> None:
    assert run(env, "demo", "--survey", "staff-survey", "--responses", "30")[0] == 0
    for phase in ("baseline", "follow-up"):  # closing one mixes every wave past its end
        code, out = run(env, "waves", "close", f"demo-staff-survey-{phase}")
        assert code == 0 or "already closed" in out, out
    args = ["report", "staff-survey", "--baseline", "demo-staff-survey-baseline",
            "--follow-up", "demo-staff-survey-follow-up", "--by"]
    code, out = run(env, *args, "service")
    assert code == 1 and "no single-choice question 'service'" in out
    assert out.count("\n") == 1
    assert run(env, *args, "unit")[0] == 0


def test_serve_on_a_busy_port_says_so_and_how_to_choose_another(env: dict[str, str]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out = run({**env, "SURVEY_PORT": str(port)}, "serve")
    assert code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in out
    assert f"--port {port + 1}" in out and f"SURVEY_PORT={port + 1}" in out
    assert "serving on" not in out and out.count("\n") == 1

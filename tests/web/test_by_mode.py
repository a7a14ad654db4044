"""`report --by mode` (how the form was answered) and `--by channel` (how the person contacted
the municipality) are different breakdowns (#19 §1)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from survey_service.cli import cli
from tests.conftest import SURVEY


def test_by_mode_and_by_channel_are_different_groupings(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["demo", "--responses", "150", "--seed", "3"], env=env).exit_code == 0
    args = ["report", SURVEY, "--baseline", f"demo-{SURVEY}-baseline", "--follow-up",
            f"demo-{SURVEY}-follow-up", "--org", "elena", "--format", "json"]
    groups = {}
    for by in ("mode", "channel"):
        result = runner.invoke(cli, [*args, "--by", by], env=env)
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["question"] == by  # the breakdown names what it groups by
        groups[by] = {row["group"] for row in data["rows"]}
    assert groups["mode"] and groups["mode"] <= {"web", "kiosk", "paper"}
    assert groups["channel"] and groups["channel"] <= {"desk", "mayoralty", "phone", "online",
                                                       "post"}
    result = runner.invoke(cli, [*args, "--by", "weather"], env=env)
    assert result.exit_code != 0 and "mode" in result.output

"""``report --trend`` and ``report --by question:ID`` from the command line: every format, both
languages, and one clear line for what cannot be done."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from scipy import stats
from statsmodels.stats.multitest import multipletests

from survey_service.cli import cli
from survey_service.reports.breakdown import Breakdown
from survey_service.services.reports import compute_report
from survey_service.settings import Settings
from survey_service.storage import opened
from tests.conftest import SURVEY, settings_for
from tests.web.trend_data import BASELINE, FOLLOW, add_annual

#: Responses per organisation: the demo's two waves, an annual round large enough for its
#: figures to be published, and a small one its disclosure plan hides (the index planned
#: jointly with its items).
DEMO, ANNUAL, SMALL = 40, 120, 40
#: The figures of one wave and of one change, compared between outputs.
WAVE_FIELDS = ("value", "ci_low", "ci_high", "n")
CHANGE_FIELDS = ("change", "ci_low", "ci_high", "test", "statistic", "p", "effect_size",
                 "n_baseline", "n_follow_up")


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def one_line(env: dict[str, str], *args: str) -> str:
    code, out = run(env, *args)
    assert code == 1 and out.count("\n") == 1, out
    return out


def same(a: dict[str, Any], b: dict[str, Any], fields: tuple[str, ...]) -> None:
    for f in fields:
        assert a[f] == (pytest.approx(b[f], rel=1e-9) if isinstance(b[f], float) else b[f]), f


def welch(first: dict[str, Any], second: dict[str, Any], change: dict[str, Any]) -> None:
    """The change between two waves of an index is Welch's t of their means (scipy), each
    wave's standard error read back from its t interval; its CI is Welch's."""
    se = [(w["ci_high"] - w["value"]) / stats.t.ppf(0.975, w["n"] - 1) for w in (first, second)]
    found = stats.ttest_ind_from_stats(
        second["value"], se[1] * math.sqrt(second["n"]), second["n"],
        first["value"], se[0] * math.sqrt(first["n"]), first["n"], equal_var=False)
    both = math.hypot(*se)
    df = both ** 4 / sum(s ** 4 / (w["n"] - 1) for s, w in zip(se, (first, second),
                                                               strict=True))
    half = stats.t.ppf(0.975, df) * both
    assert change["test"] == "welch_t"
    assert change["change"] == pytest.approx(second["value"] - first["value"], abs=1e-9)
    assert change["statistic"] == pytest.approx(found.statistic, rel=1e-6)
    assert change["p"] == pytest.approx(found.pvalue, rel=1e-6)
    assert (change["ci_low"], change["ci_high"]) == pytest.approx(
        (change["change"] - half, change["change"] + half), rel=1e-6)
    assert (change["n_baseline"], change["n_follow_up"]) == (first["n"], second["n"])


def holm(rows: list[dict[str, Any]], key: str, k: int) -> None:
    """Adjusted p of the confirmatory indicators: Holm within the pair (statsmodels)."""
    family = [r[key][k] for r in rows if r[key][k].get("adjustment") == "holm"]
    assert len(family) >= 2 and all("p" in c for c in family)
    expected = multipletests([c["p"] for c in family], method="holm")[1]
    assert [c["p_adjusted"] for c in family] == pytest.approx(list(expected), rel=1e-9)


def test_trend_and_groups_from_the_command_line(env: dict[str, str], tmp_path: Path,
                                                forms_dir: Path) -> None:
    assert run(env, "demo", "--survey", SURVEY, "--responses", str(DEMO), "--seed", "5")[0] == 0
    settings = settings_for(tmp_path / "db.sqlite3", forms_dir=str(forms_dir))
    asyncio.run(add_annual(settings, "annual-1", ANNUAL))
    asyncio.run(add_annual(settings, "annual-small", SMALL))
    waves = [BASELINE, FOLLOW, "annual-1"]
    trend = _json(env, "--trend", *waves, "--org", "elena")
    assert trend["waves"] == waves and trend["organisation"] == "elena"
    row = next(r for r in trend["rows"] if r["id"] == "csqi")
    assert len(row["waves"]) == 3 and len(row["from_first"]) == len(row["from_previous"]) == 2
    # each wave with its value, its CI and the n of the answers used (not of the wave)
    for w, most in zip(row["waves"], (DEMO, DEMO, ANNUAL), strict=True):
        assert w["ci_low"] < w["value"] < w["ci_high"] and 0 < w["n"] <= most, w
    assert row["waves"][2]["n"] > DEMO
    # the changes from the first and from the previous wave, each with its CI, test and
    # adjusted p; the second wave's two changes are one
    first, previous = row["from_first"], row["from_previous"]
    assert [(c["baseline"], c["follow_up"]) for c in first] == [(BASELINE, FOLLOW),
                                                                (BASELINE, "annual-1")]
    assert [(c["baseline"], c["follow_up"]) for c in previous] == [(BASELINE, FOLLOW),
                                                                   (FOLLOW, "annual-1")]
    assert first[0] == previous[0]
    for (i, j), change in zip(((0, 1), (0, 2), (1, 2)), (*first, previous[1]), strict=True):
        welch(row["waves"][i], row["waves"][j], change)
        assert change["p"] <= change["p_adjusted"] <= 1
    for key in ("from_first", "from_previous"):
        for k in (0, 1):
            holm(trend["rows"], key, k)
    # the same figures as the two-wave report of each pair
    for (i, j), change in zip(((0, 2), (1, 2)), (first[1], previous[1]), strict=True):
        pair = _json(env, "--baseline", waves[i], "--follow-up", waves[j], "--org", "elena")
        two = next(r for r in pair["rows"] if r["id"] == "csqi" and r["section"] == "indicator")
        same(two, change, CHANGE_FIELDS)
        for side, k in (("baseline", i), ("follow_up", j)):
            same({"value": two[side], "ci_low": two[f"{side}_ci_low"],
                  "ci_high": two[f"{side}_ci_high"], "n": two[f"n_{side}"]},
                 row["waves"][k], WAVE_FIELDS)

    code, out = run(env, "report", SURVEY, "--trend", *waves, "--org", "elena", "--format",
                    "csv")
    lines = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert code == 0 and len(lines) == 3 * len(trend["rows"])
    for k, wave in enumerate(waves):
        line = next(r for r in lines if r["indicator"] == "csqi" and r["wave"] == wave)
        same({f: float(line[f]) for f in WAVE_FIELDS}, row["waves"][k], WAVE_FIELDS)
        for key in ("from_first", "from_previous"):
            if k:
                assert float(line[f"{key}_change"]) == pytest.approx(row[key][k - 1]["change"])
                assert float(line[f"{key}_p_adjusted"]) == pytest.approx(
                    row[key][k - 1]["p_adjusted"])
            else:
                assert line[f"{key}_change"] == ""
    code, out = run(env, "report", SURVEY, "--trend", *waves, "--org", "elena", "--lang", "en")
    assert code == 0 and out.startswith("Trend over 3 waves") and "change from the first" in out
    shown = f"{row['from_first'][1]['change']:+.1f}"
    assert shown in _block(out, "(csqi)"), shown
    code, out = run(env, "report", SURVEY, "--trend", *waves, "--org", "elena")
    assert code == 0 and out.startswith("Развитие в 3 вълни") and shown in _block(out, "(csqi)")
    hidden_small_round(env, trend)

    # the groups: a question's groups and the wave's own groupings, each group with its CI
    # and its changes (Welch's t as above), small groups hidden
    groups = _json(env, "--trend", *waves, "--org", "elena", "--by", "question:respondent_type")
    assert groups["question"] == "respondent_type" and groups["waves"] == waves
    assert {c for c, _ in groups["groups"]} >= {"citizen", "business", "other_person"}
    citizen = next(r for r in groups["rows"] if r["group"] == "citizen"
                   and r["indicator"] == "csqi")
    for (i, j), change in zip(((0, 1), (0, 2), (1, 2)),
                              (*citizen["from_first"], citizen["from_previous"][1]),
                              strict=True):
        welch(citizen["waves"][i], citizen["waves"][j], change)
    assert any("value" not in w for r in groups["rows"] for w in r["waves"])
    for r in groups["rows"]:
        for w in r["waves"]:
            assert ("value" in w and w["ci_low"] <= w["value"] <= w["ci_high"]
                    and w["n"] >= groups["min_group"]) or ("value" not in w and w["note"])
    elena = next(r for r in _json(env, "--trend", *waves, "--by", "organisation")["rows"]
                 if r["group"] == "elena" and r["indicator"] == "csqi")
    for mine, whole in zip(elena["waves"], row["waves"], strict=True):
        same(mine, whole, WAVE_FIELDS)
    for key in ("from_first", "from_previous"):
        for mine, whole in zip(elena[key], row[key], strict=True):
            same(mine, whole, CHANGE_FIELDS)
            assert mine["p"] <= mine["p_adjusted"] <= 1

    code, out = run(env, "report", SURVEY, "--baseline", BASELINE, "--follow-up", FOLLOW,
                    "--org", "elena", "--by", "question:respondent_type", "--format", "json")
    assert code == 0, out
    pair = json.loads(out)
    assert pair["question"] == "respondent_type" and pair["waves"] == [BASELINE, FOLLOW]
    assert {c for c, _ in pair["groups"]} >= {"citizen", "business", "other_person"}
    code, out = run(env, "report", SURVEY, "--baseline", BASELINE, "--follow-up", FOLLOW,
                    "--org", "elena", "--by", "question:respondent_type", "--lang", "en")
    assert code == 0 and "For myself" in out and "change from the first" in out
    code, out = run(env, "report", SURVEY, "--trend", *waves, "--org", "elena", "--channel",
                    "desk", "--by", "question:respondent_type", "--format", "csv")
    assert code == 0 and "respondent_type" in out
    code, out = run(env, "report", SURVEY, "--baseline", BASELINE, "--follow-up", FOLLOW,
                    "--org", "elena", "--by", "question:respondent_type")
    assert code == 0 and out.startswith("По „")

    two_waves(env, settings)
    assert "citizen survey" in one_line(env, "report", SURVEY, "--trend", *waves, "--by",
                                        "unit", "--org", "elena")
    assert "--channel filters only" in one_line(env, "report", SURVEY, "--trend", *waves,
                                                "--by", "service", "--channel", "desk")

    assert "at least two waves" in one_line(env, "report", SURVEY, "--trend", BASELINE)
    assert "given twice" in one_line(env, "report", SURVEY, "--trend", BASELINE, BASELINE)
    assert "without --baseline" in one_line(env, "report", SURVEY, "--trend", BASELINE,
                                            FOLLOW, "--baseline", BASELINE)
    assert "after --trend" in one_line(env, "report", SURVEY, BASELINE, FOLLOW)
    assert "--baseline and --follow-up" in one_line(env, "report", SURVEY)
    assert "--by service" in one_line(env, "report", SURVEY, "--baseline", BASELINE,
                                      "--follow-up", FOLLOW, "--org", "elena", "--by",
                                      "question:service")
    assert "cannot break down by 'nonsense'" in one_line(
        env, "report", SURVEY, "--baseline", BASELINE, "--follow-up", FOLLOW, "--by",
        "nonsense")
    assert "unknown wave 'nope'" in one_line(env, "report", SURVEY, "--trend", BASELINE,
                                             "nope")


def _json(env: dict[str, str], *args: str) -> dict[str, Any]:
    code, out = run(env, "report", SURVEY, *args, "--format", "json")
    assert code == 0, out
    found: dict[str, Any] = json.loads(out)
    return found


def _block(table: str, header: str) -> str:
    """One indicator's block of a table: its header line to the blank line after it."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def hidden_small_round(env: dict[str, str], trend: dict[str, Any]) -> None:
    """The small round's figures would reveal a group its plan protects: an indicator it
    hides is hidden in every format and language with the reason, and so are its changes
    (the others' figures unchanged)."""
    waves = [*trend["waves"], "annual-small"]
    scope: list[str] = []
    for scope in (["--org", "elena"], ["--org", "lyaskovets"], []):
        four = _json(env, "--trend", *waves, *scope)
        row = next((r for r in four["rows"] if "value" not in r["waves"][3]), None)
        if row is not None:
            break
    else:
        pytest.fail("the small round's plan hides none of its indicators")
    ind = row["id"]
    if four["organisation"] != trend["organisation"]:
        trend = _json(env, "--trend", *trend["waves"], *scope)
    shown = next(r for r in trend["rows"] if r["id"] == ind)
    for k in range(3):
        same(row["waves"][k], shown["waves"][k], WAVE_FIELDS)
    small = row["waves"][3]
    assert small["wave"] == "annual-small" and small["note"]
    assert not {"value", "ci_low", "ci_high", "n"} & set(small), small
    for change in (row["from_first"][2], row["from_previous"][2]):
        assert change["note"] and not {"change", "ci_low", "p", "p_adjusted"} & set(change)
    code, out = run(env, "report", SURVEY, "--trend", *waves, *scope, "--format", "csv")
    line = next(r for r in csv.DictReader(io.StringIO(out.lstrip("\ufeff")))
                if r["indicator"] == ind and r["wave"] == "annual-small")
    assert code == 0 and line["note"] == small["note"]
    assert not any(line[f] for f in (*WAVE_FIELDS, "from_first_change", "from_first_p",
                                     "from_previous_change", "from_previous_p")), line
    for lang, why in (("en", "annual-small: not shown: it would reveal a group of fewer"),
                      ("bg", "annual-small: не се показва: би разкрило група от по-малко")):
        code, out = run(env, "report", SURVEY, "--trend", *waves, *scope, "--lang", lang)
        block = _block(out, f"({ind})").splitlines()
        assert code == 0 and why in block[-1], block
        assert next(x.split() for x in block if "annual-small" in x) == ["annual-small", "–"]


def two_waves(env: dict[str, str], settings: Settings) -> None:
    """``report --by X`` of two waves is the trend's breakdown of those two waves (each
    group's CI, change and test), and hides what the old breakdown hid; ``--by channel`` is
    the breakdown by the contact-channel question, whose group plan has its cells."""
    pair = ["--baseline", BASELINE, "--follow-up", FOLLOW]
    for by in ("organisation", "mode", "service"):
        groups = _json(env, *pair, "--by", by)
        assert groups == _json(env, "--trend", BASELINE, FOLLOW, "--by", by)
        old = asyncio.run(_old_breakdown(settings, by))
        shown = changes = 0
        for group in old.rows:
            for cell, k in ((group.baseline, 0), (group.follow_up, 1)):
                for ind_id, value in (cell.values or {}).items():
                    row = next(r for r in groups["rows"] if r["group"] == group.group
                               and r["indicator"] == ind_id)
                    assert row["waves"][k].get("value") == value, (by, group.group, ind_id)
                    shown += value is not None
                if not cell.values:
                    assert all("value" not in r["waves"][k] for r in groups["rows"]
                               if r["group"] == group.group)
        for row in groups["rows"]:
            first, second = row["waves"]
            change = row["from_first"][0]
            if "value" in first:
                assert first["ci_low"] <= first["value"] <= first["ci_high"] and first["n"]
            if "value" in first and "value" in second:
                assert change["change"] == second["value"] - first["value"]
                if "p" in change:
                    assert change["ci_low"] <= change["change"] <= change["ci_high"]
                    changes += 1
            else:
                assert "change" not in change and "p" not in change
        assert shown > 0 and changes > 0, by
    channel = _json(env, *pair, "--by", "channel")
    assert channel == _json(env, *pair, "--by", "question:channel")
    assert channel == _json(env, "--trend", BASELINE, FOLLOW, "--by", "channel")
    assert channel["question"] == "channel"
    values = [w for r in channel["rows"] for w in r["waves"] if "value" in w]
    assert values and all("ci_low" in w for w in values)  # not "–" everywhere
    assert any("p" in r["from_first"][0] for r in channel["rows"])
    code, out = run(env, "report", SURVEY, *pair, "--by", "channel", "--lang", "en")
    assert code == 0 and "At a desk in the municipal" in out and "change from the first" in out
    assert "cannot break down by 'nonsense'" in one_line(env, "report", SURVEY, *pair, "--by",
                                                         "nonsense")
    assert "--channel filters only" in one_line(env, "report", SURVEY, *pair, "--by", "mode",
                                                "--channel", "desk")


async def _old_breakdown(settings: Settings, by: str) -> Breakdown:
    async with opened(settings.database_url) as store:
        found = await compute_report(settings, store, SURVEY, BASELINE, FOLLOW, None, "en",
                                     False, by)
    assert isinstance(found, Breakdown)
    return found

"""`survey-service training`: the pooled training report from the demo's events, with the
knowledge check before and after the course compared (issue #19 §5)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from survey_service.cli import cli


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_events_pooled_and_the_knowledge_check_compared(env: dict[str, str]) -> None:
    for survey in ("training-evaluation", "training-knowledge", "training-transfer"):
        assert run(env, "demo", "--survey", survey)[0] == 0
    code, out = run(env, "training", "demo-training-evaluation-1", "demo-training-evaluation-2",
                    "--format", "json")
    assert code == 0, out
    report = json.loads(out)
    one, two = report["events"]
    assert two["wave"] == "demo-training-evaluation-2" and two["responses"] == 28
    assert (one["responses"], one["participants"], one["participants_from"]) == (
        28, 32, "attendance")
    assert one["response_rate"] == 28 / 32 * 100
    total = report["total"]
    assert total["responses"] == 56 and total["participants"] == 64
    ids = [f["id"] for f in total["figures"]]
    assert ids[:4] == ["reaction_index", "learning_index", "apply_agree", "overall_satisfied"]
    assert "self_rating_then" in ids and "self_rating_now" in ids
    then_now = report["then_now"]
    assert then_now["test"] == "paired_t" and then_now["change"] > 0 and then_now["p"] < 0.05
    code, out = run(env, "training", "demo-training-knowledge-post", "--pre",
                    "demo-training-knowledge-pre", "--format", "json")
    assert code == 0, out
    welch, paired = json.loads(out)["knowledge"]
    assert welch["test"] == "welch_t" and welch["n_before"] == welch["n_after"] == 28
    assert paired["test"] == "paired_t" and 10 <= paired["n_before"] < 28
    assert welch["change"] > 20 and paired["p"] < 0.05
    code, bg = run(env, "training", "demo-training-knowledge-post", "--pre",
                   "demo-training-knowledge-pre")
    assert "Проверка на знанията преди обучението" in bg and "едни и същи хора" in bg
    code, en = run(env, "training", "demo-training-transfer-1", "demo-training-transfer-2",
                   "--lang", "en")
    assert code == 0 and "What got in the way of applying what was learned?" in en
    assert "Line managers who see the training applied" in en
    # what got in the way, split by participants and line managers (issue #19 §5)
    code, out = run(env, "training", "demo-training-transfer-1", "demo-training-transfer-2",
                    "--format", "json")
    barriers = [c for c in json.loads(out)["choices"] if c["question"] == "barriers"]
    n = {c["group"]: c["n"] for c in barriers}
    assert set(n) == {"", "participant", "manager"}
    assert n["participant"] >= 10 and n["manager"] >= 10
    assert n[""] == n["participant"] + n["manager"]  # role is required
    for option in {c["option"] for c in barriers}:
        share = {c["group"]: c["percent"] for c in barriers if c["option"] == option}
        chosen = share["participant"] * n["participant"] + share["manager"] * n["manager"]
        assert abs(chosen - share[""] * n[""]) < 1e-6
    table = en.split("What got in the way of applying what was learned?")[1]
    head = table.splitlines()[1]
    assert f"everyone (n {n['']})" in head
    assert f"a participant in the training (n {n['participant']})" in head
    assert f"the line manager of a participant (n {n['manager']})" in head
    assert "Nothing got in the way" in table
    code, bg = run(env, "training", "demo-training-transfer-1", "demo-training-transfer-2")
    assert "Какво пречеше" in bg and f"пряк ръководител на участник (n {n['manager']})" in bg


def test_refusals_are_one_line(env: dict[str, str]) -> None:
    assert run(env, "demo", "--survey", "training-evaluation")[0] == 0
    assert run(env, "demo", "--survey", "training-knowledge")[0] == 0
    for args, message in [
        (("nope",), "unknown wave 'nope'"),
        (("demo-training-evaluation-1", "demo-training-evaluation-1"), "a wave is named twice"),
        (("demo-training-evaluation-1", "demo-training-knowledge-pre"),
         "is a wave of 'training-knowledge', not of 'training-evaluation'"),
        (("demo-training-evaluation-1", "--pre", "demo-training-knowledge-pre"),
         "has no knowledge questions"),
        (("demo-training-knowledge-post", "--pre", "demo-training-knowledge-post"),
         "both before and after"),
        (("demo-training-evaluation-1", "--org", "sofia"), "sofia"),
    ]:
        code, out = run(env, "training", *args)
        lines = out.strip().splitlines()
        assert code == 1 and len(lines) == 1 and message in lines[0], (args, out)

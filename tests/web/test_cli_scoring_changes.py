"""Issue 19: a knowledge question whose right answer (``correct``) changed, or a then-and-now
matrix paired with another "then" matrix (``then_of``), is scored differently under the same
item id: ``waves open`` names the change and refuses to open the wave without --yes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.web.test_cli import run

TIMES = ["--org", "elena", "--starts", "2026-03-02", "--ends", "2026-03-02 18:00"]
LATER = ["--org", "elena", "--starts", "2026-06-02", "--ends", "2026-06-02 18:00"]


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old  # the shipped text this test edits
    path.write_text(text.replace(old, new), encoding="utf-8")


def _ids(env: dict[str, str]) -> list[str]:
    return [w["id"] for w in json.loads(run(env, "waves", "list", "--json")[1])]


def test_a_changed_right_answer_breaks_comparability(
    env: dict[str, str], forms_dir: Path
) -> None:
    survey = "training-knowledge"
    assert run(env, "waves", "open", survey, "--id", "kc-1", *TIMES)[0] == 0
    _edit(forms_dir / f"{survey}.toml", 'correct = "plain"', 'correct = "formal"')
    assert run(env, "forms", "check")[0] == 0
    code, out = run(env, "waves", "open", survey, "--id", "kc-2", *LATER)
    assert code != 0, out
    assert "changes since wave kc-1:" in out
    assert "right answer changed (correct): kc_plain_language" in out
    assert "not comparable with wave kc-1: kc_plain_language" in out
    assert "--yes" in out and "Traceback" not in out
    assert _ids(env) == ["kc-1"]
    code, out = run(env, "waves", "open", survey, "--id", "kc-2", *LATER, "--yes")
    assert code == 0 and "opened wave kc-2" in out, out
    # the same right answer again: nothing changed, nothing to confirm
    assert run(env, "waves", "open", survey, "--id", "kc-3", "--org", "elena",
               "--starts", "2026-09-01", "--ends", "2026-09-01 18:00")[0] == 0


def test_a_changed_then_and_now_pair_breaks_comparability(
    env: dict[str, str], forms_dir: Path
) -> None:
    survey = "training-evaluation"
    assert run(env, "waves", "open", survey, "--id", "te-1", *TIMES)[0] == 0
    # the "now" matrix is no longer rated against "then": a plain rating of today
    _edit(forms_dir / f"{survey}.toml", 'then_of = "skills_then"\n', "")
    assert run(env, "forms", "check")[0] == 0
    code, out = run(env, "waves", "open", survey, "--id", "te-2", *LATER)
    assert code != 0, out
    assert "then-and-now pair changed (then_of): now_knowledge, now_cases, now_explain" in out
    assert "not comparable with wave te-1: now_knowledge, now_cases, now_explain" in out
    assert "Traceback" not in out and _ids(env) == ["te-1"]
    code, out = run(env, "waves", "open", survey, "--id", "te-2", *LATER, "--yes")
    assert code == 0 and "opened wave te-2" in out, out

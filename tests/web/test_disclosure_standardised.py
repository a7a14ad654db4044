"""The demo at 20 responses per municipality and wave (issue #14): few of them answered the
"one desk" and "one contact" questions, so each municipality's figure is hidden, and the
figure over all organisations, standardised to the fixed organisation mix, is printed beside
the crude pooled one. The audit attacks the standardised figure as the linear equation it is;
a plan that does not know it leaves both municipalities exactly recoverable, the service's
plan does not. Two questions are broken down, as in :mod:`.test_disclosure_questions`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from survey_service.reports import disclosure
from survey_service.services import disclosure_audit
from tests.conftest import FORMS, SECRET, SURVEY
from tests.web.test_disclosure_questions import _two_questions, run
from tests.web.trend_data import BASELINE, FOLLOW


def _audit(root: Path, standardised: bool) -> tuple[int, dict[str, Any]]:
    """The demo made and audited, with plans that know the standardised figure or not."""
    shutil.copytree(FORMS, root / "forms")
    env = {"SURVEY_DATABASE_URL": f"sqlite:///{root / 'db.sqlite3'}",
           "SURVEY_SECRET_KEY": SECRET, "SURVEY_FORMS_DIR": str(root / "forms")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(disclosure_audit, "_questions", _two_questions(disclosure_audit._questions))
        if not standardised:
            patch.setattr(disclosure, "standardised_ties", lambda plan, key: {})
        assert run(env, "demo", "--survey", SURVEY, "--responses", "20", "--seed", "5")[0] == 0
        code, out = run(env, "disclosure", "audit", BASELINE, FOLLOW, "--json")
    return code, json.loads(out[:out.rindex("}") + 1])


def _one_desk(found: dict[str, Any]) -> dict[str, Any]:
    return next(i for i in found["intervals"] if i["wave"] == FOLLOW
                and i["figure"] == "one_desk" and i["cell"] == "organisation:lyaskovets")


def test_plans_that_ignore_the_standardised_figure_are_caught(tmp_path: Path) -> None:
    code, found = _audit(tmp_path, standardised=False)
    assert code == 1 and found["exposed"] > 0
    lyaskovets = _one_desk(found)  # every answer "more than one desk": exactly 0 %
    assert lyaskovets["sensitive"] and lyaskovets["width"] < 1.0
    assert lyaskovets["low"] == pytest.approx(0.0, abs=1e-3)


def test_the_demo_at_20_responses_passes_the_audit(tmp_path: Path) -> None:
    code, found = _audit(tmp_path, standardised=True)
    assert code == 0 and found["exposed"] == 0
    lyaskovets = _one_desk(found)
    assert lyaskovets["sensitive"] and not lyaskovets["published"]
    assert lyaskovets["width"] >= lyaskovets["needed"] - 1e-6

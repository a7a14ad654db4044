"""An open wave's disclosure plans are kept for its responses as they are (issue #14): a
repeated breakdown does not plan again, and a new response (through the public form) makes
the next breakdown plan again from the responses as they are then, never with the plan of the
responses before."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.reports.groups import Groups
from survey_service.services import disclosure, groups
from survey_service.services.groups import compute_groups
from survey_service.settings import Settings
from survey_service.storage import opened
from tests.conftest import SURVEY, seed_wave, settings_for
from tests.web.test_disclosure_two_questions import answers, submit

Q = "respondent_type"
CITIZENS = ("4", "5", "8", "2", "over_40")
BUSINESSES = ("2", "3", "5", "1", "up_to_5")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[tuple[Settings, Any]]:
    found = settings_for(tmp_path / "db.sqlite3")
    await seed_wave(found)  # open, no end
    async with AsyncTestClient(app=create_app(found)) as c:
        for _ in range(12):
            await submit(c, answers(CITIZENS, "citizen", "age_45_64"))
        for _ in range(9):  # one short of the threshold
            await submit(c, answers(BUSINESSES, "business", "age_18_29"))
        yield found, c


def counting(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the wave's tables and the question's are planned."""
    calls: Counter[str] = Counter()
    for module, name in ((groups, "plan_with_wave"), (disclosure, "add_figures")):
        real = getattr(module, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return calls


async def breakdown(settings: Settings) -> Groups:
    async with opened(settings.database_url) as store:
        return await compute_groups(settings, store, SURVEY, ["cs-baseline"], Q, None, None,
                                    "en")


def shown(found: Groups, group: str) -> set[str]:
    return {r.indicator for r in found.rows if r.group == group and r.waves[0].value is not None}


async def test_a_repeated_breakdown_is_not_planned_again_and_a_new_response_is(
        client: tuple[Settings, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, c = client
    calls = counting(monkeypatch)
    first = await breakdown(settings)
    assert calls["plan_with_wave"] == 1 and calls["add_figures"] == 1
    assert not shown(first, "business")  # 9: hidden
    again = await breakdown(settings)
    assert calls["plan_with_wave"] == 1 and calls["add_figures"] == 1  # kept: not planned
    assert again.rows == first.rows
    await submit(c, answers(BUSINESSES, "business", "age_18_29"))  # the tenth
    after = await breakdown(settings)
    assert calls["plan_with_wave"] == 2 and calls["add_figures"] == 2  # planned again
    assert shown(after, "business")  # planned from the 22 responses: 10 may be shown

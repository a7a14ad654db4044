"""Issue 18: the follow-up-only staff item (``show_if = { phase = ["follow-up"] }``) through
the real pages: a baseline wave never shows its page and stores nothing for it, even when a
forged form sends it; a follow-up wave asks it and stores the answer."""

from __future__ import annotations

import re
from typing import Any

from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from survey_service.storage import opened
from tests.conftest import hidden_fields
from tests.web.test_staff import issue, open_staff_wave, run_cli, staff_answers

ITEM = "restructuring_effect"
ASKED = re.compile(rf'<input type="radio" [^>]*name="{ITEM}"')


async def journey(settings: Settings, code: str, extra: dict[str, str]) -> list[str]:
    """Every page of one staff member's survey, answered, with ``extra`` in every POST."""
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(f"/t/{code}")
        assert page.status_code == 200, page.text[:300]
        pages = [page.text]
        for _ in range(20):
            fields = {**hidden_fields(page.text), **staff_answers(page.text), **extra,
                      "_action": "next"}
            page = await client.post("/t", data=fields, follow_redirects=False)
            if page.status_code != 200:
                break
            pages.append(page.text)
        assert page.status_code == 303, page.text[:300]
    return pages


async def stored(settings: Settings, wave_id: str) -> list[dict[str, Any]]:
    code, out = await run_cli(settings, "waves", "close", wave_id)
    assert code == 0, out
    async with opened(settings.database_url) as store:
        return [dict(r.answers) for r in await store.responses(wave_id)]


async def test_a_baseline_wave_never_asks_the_follow_up_item(settings: Settings) -> None:
    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    pages = await journey(settings, code, {ITEM: "worse"})  # a forged answer on every page
    assert not any(ASKED.search(p) for p in pages)
    [answers] = await stored(settings, "staff-2026")
    assert ITEM not in answers and len(answers) > 10


async def test_a_follow_up_wave_asks_it(settings: Settings) -> None:
    await open_staff_wave(settings, "staff-later", phase="follow-up")
    [code] = await issue(settings, 1, wave_id="staff-later")
    pages = await journey(settings, code, {})
    assert sum(bool(ASKED.search(p)) for p in pages) == 1
    assert "Как промени преструктурирането" in pages[-1]
    [answers] = await stored(settings, "staff-later")
    assert answers[ITEM] == "much_better"  # the first option, as staff_answers chooses

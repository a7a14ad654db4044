"""A small survey with every kind of question, and a fixed set of responses, for the export
and import tests (ids fixed after storing, so the exported bytes are known)."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.storage.base import NewResponse
from survey_service.surveys.answers import Answers
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import decode_survey
from survey_service.surveys.waves import parse_local
from tests.conftest import FORMS, settings_for

MINI = """
id = "mini"
kind = "citizen"
minutes = 2
title = { bg = "Мини анкета", en = "Mini survey" }
intro = { bg = "Кратка анкета за проверка.", en = "A short survey for testing." }

[scales.agree]
labels = [
  { bg = "Не", en = "No" },
  { bg = "Донякъде", en = "Somewhat" },
  { bg = "Да", en = "Yes" },
]
dont_know = { bg = "Не знам", en = "Don't know" }

[dimensions]
service = { bg = "Обслужване", en = "Service" }

[[sections]]
id = "one"
title = { bg = "Посещение", en = "Visit" }

[[sections.questions]]
id = "visit"
kind = "single"
required = true
text = { bg = "Как се обърнахте към нас?", en = "How did you contact us?" }
options = [
  { code = "desk", label = { bg = "На гише", en = "At the desk" } },
  { code = "online", label = { bg = "По интернет", en = "Online" } },
]

[[sections.questions]]
id = "topics"
kind = "multi"
text = { bg = "По какви въпроси?", en = "About what?" }
options = [
  { code = "tax", label = { bg = "Данъци", en = "Taxes" } },
  { code = "permit", label = { bg = "Разрешения", en = "Permits" } },
]

[[sections]]
id = "two"
title = { bg = "Оценка", en = "Rating" }

[[sections.questions]]
id = "waited_long"
kind = "likert"
scale = "agree"
dont_know = true
reverse = true
dimension = "service"
show_if = { question = "visit", any_of = ["desk"] }
text = { bg = "Чакахме дълго.", en = "We waited long." }

[[sections.questions]]
id = "grid"
kind = "matrix"
scale = "agree"
dont_know = true
text = { bg = "Доколко сте съгласни?", en = "How far do you agree?" }

[[sections.questions.rows]]
id = "staff_polite"
dimension = "service"
text = { bg = "Служителите бяха любезни.", en = "Staff were polite." }

[[sections.questions.rows]]
id = "staff_clear"
dimension = "service"
text = { bg = "Служителите обясниха ясно.", en = "Staff explained clearly." }

[[sections.questions]]
id = "recommend"
kind = "nps"
text = { bg = "Бихте ли ни препоръчали?", en = "Would you recommend us?" }
low_label = { bg = "Изобщо не", en = "Not at all" }
high_label = { bg = "Напълно", en = "Certainly" }

[[sections.questions]]
id = "change"
kind = "number"
min = -10
max = 10
text = { bg = "С колко се промени?", en = "By how much did it change?" }

[[sections.questions]]
id = "visited_on"
kind = "date"
text = { bg = "Кога ни посетихте?", en = "When did you visit us?" }

[[sections.questions]]
id = "comment"
kind = "text"
max_length = 200
text = { bg = "Коментар", en = "Comment" }
"""

#: (fixed id, organisation, channel, lang, day, answers)
RESPONSES: list[tuple[str, str, str, str, str, Answers]] = [
    ("a1", "elena", "web", "bg", "2026-03-02",
     {"visit": "desk", "topics": ["tax", "permit"], "waited_long": 1, "staff_polite": 3,
      "staff_clear": 9, "recommend": 10, "change": -5, "visited_on": "2026-03-01",
      "comment": "=HYPERLINK(\"http://x\";\"Кликни\")"}),
    ("b2", "lyaskovets", "paper", "en", "2026-03-03",
     {"visit": "online", "staff_polite": 2, "recommend": 0, "change": 3,
      "comment": "Ред 1\nред 2, \"цитат\""}),
    ("c3", "elena", "kiosk", "bg", "2026-03-04",
     {"visit": "desk", "topics": ["permit"], "waited_long": 9, "comment": "@SUM(A1)"}),
]
WAVE = "mini-2026"


def mini_forms(tmp_path: Path) -> Path:
    folder = tmp_path / "forms"
    shutil.copytree(FORMS, folder)
    (folder / "mini.toml").write_text(MINI, encoding="utf-8")
    return folder


def mini_settings(tmp_path: Path, **overrides: Any) -> Settings:
    return settings_for(tmp_path / "db.sqlite3", forms_dir=str(mini_forms(tmp_path)),
                        **overrides)


async def mini_wave(settings: Settings, wave_id: str = WAVE,
                    responses: list[tuple[str, str, str, str, str, Answers]] | None = None
                    ) -> None:
    """Open (and close) the mini survey's wave and store ``responses`` with fixed ids."""
    rows = RESPONSES if responses is None else responses
    async with opened(settings.database_url) as store:
        wave = await open_wave(settings, store, "mini", wave_id, "baseline", [],
                               parse_local("2026-03-01"), parse_local("2026-03-31"))
        definition = await store.form_version(wave.version)
        assert definition is not None
        survey = decode_survey(definition)
        await store.import_responses([
            NewResponse(submission_key=f"key-{rid}", wave_id=wave_id, version=wave.version,
                        organisation=org, channel=channel, lang=lang,
                        day=dt.date.fromisoformat(day), answers=answers,
                        codes=encode_codes(survey, answers))
            for rid, org, channel, lang, day, answers in rows
        ])
    fix_ids(settings, {f"key-{rid}": rid for rid, *_ in rows})


def fix_ids(settings: Settings, ids: dict[str, str]) -> None:
    """Give stored responses known ids (storage gives random ones) so bytes can be compared."""
    path = settings.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        for key, rid in ids.items():
            conn.execute("UPDATE responses SET id = ? WHERE submission_key = ?",
                         (bytes.fromhex(rid.ljust(32, "0")), key))

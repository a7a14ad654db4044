"""The scenario of issue #14, built through the real path: two municipalities restructured
between two staff waves, units of 4, 6, 9, 10, 11, 12 and 25 people, the small units answering
all 1s; codes issued, answers submitted sealed through the HTTP app, waves closed and mixed by
the CLI."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.cli import cli
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.surveys.tokens import code_hash, new_code
from tests.conftest import FORMS, SECRET, hidden_fields

STAFF = "staff-survey"
BEFORE, AFTER = "staff-before", "staff-after"
MAPPING = {"management": "management", "admin_services": "citizen_services",
           "local_taxes": "citizen_services", "finance": "finance", "legal_hr": "legal_hr"}
#: wave -> (organisation, unit) -> (people, answer to every statement, "don't know" answers)
PEOPLE: dict[str, dict[tuple[str, str], tuple[int, str, int]]] = {
    BEFORE: {
        ("elena", "management"): (4, "1", 0),
        ("elena", "local_taxes"): (6, "1", 0),
        ("elena", "admin_services"): (11, "4", 0),
        ("elena", "finance"): (25, "5", 0),
        ("elena", "legal_hr"): (10, "4", 0),
        ("lyaskovets", "management"): (9, "1", 0),
        ("lyaskovets", "admin_services"): (10, "5", 0),
        ("lyaskovets", "finance"): (11, "4", 0),
    },
    AFTER: {
        ("elena", "management"): (4, "1", 0),
        ("elena", "citizen_services"): (12, "4", 8),  # 8 of 12 don't know coordination (L3)
        ("elena", "finance"): (10, "5", 0),
        ("lyaskovets", "management"): (9, "1", 0),
        ("lyaskovets", "citizen_services"): (11, "4", 0),
        ("lyaskovets", "finance"): (10, "5", 0),
    },
}
STRUCTURES = {BEFORE: "before-2026", AFTER: "after-2027"}


def _units(wave: str, org: str) -> str:
    names = MAPPING if wave == BEFORE else dict.fromkeys(MAPPING.values())
    return "".join(
        f'\n[[organisations.structures.units]]\nid = "{unit}"\n'
        f'name = {{ bg = "Звено {unit}", en = "Unit {unit}" }}\n'
        f"head_count = {PEOPLE[wave].get((org, unit), (0, '', 0))[0] + 2}\n"
        for unit in names)


def organisations_toml() -> str:
    text = ""
    for org in ("elena", "lyaskovets"):
        mapping = ", ".join(f'{k} = "{v}"' for k, v in MAPPING.items())
        text += (
            f'[[organisations]]\nid = "{org}"\nname = {{ bg = "Община {org}", '
            f'en = "{org.title()} Municipality" }}\naddress = {{ bg = "ул. 1", en = "1 Street" }}'
            f'\nemail = "obshtina@{org}.bg"\n\n[[organisations.structures]]\n'
            f'id = "before-2026"\n{_units(BEFORE, org)}\n[[organisations.structures]]\n'
            f'id = "after-2027"\nprevious = "before-2026"\nmapping = {{ {mapping} }}\n'
            f"{_units(AFTER, org)}\n"
        )
    return text


def _fill(html: str, value: str, dont_know: bool) -> dict[str, str]:
    fields: dict[str, str] = {}
    for name in dict.fromkeys(re.findall(r'<input type="radio" id="[^"]+" name="([a-z_0-9]+)"',
                                         html)):
        values = re.findall(rf'name="{name}" value="([^"]+)"', html)
        wanted = "9" if dont_know and name.startswith("coordination_") else value
        fields[name] = wanted if wanted in values else values[0]
    return fields


async def _answer(client: Any, code: str, value: str, dont_know: bool) -> None:
    page = await client.get(f"/t/{code}")
    assert page.status_code == 200, page.text
    for _ in range(12):
        fields = {**hidden_fields(page.text), **_fill(page.text, value, dont_know),
                  "_action": "next"}
        page = await client.post("/t", data=fields, follow_redirects=False)
        if page.status_code == 303:
            return
        assert page.status_code == 200, page.text
    raise AssertionError("the staff survey never ended")


def env_of(settings: Settings) -> dict[str, str]:
    return {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_SECRET_KEY": SECRET,
            "SURVEY_FORMS_DIR": settings.forms_dir}


def run(settings: Settings, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env_of(settings))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


async def _build(settings: Settings, status: dict[str, str]) -> None:
    for wave, people in PEOPLE.items():
        codes: list[tuple[str, str, bool]] = []
        async with opened(settings.database_url) as store:
            await open_wave(settings, store, STAFF, wave, "baseline" if wave == BEFORE
                            else "follow-up", [], None, None, STRUCTURES[wave])
            for (org, unit), (n, value, dont_know) in people.items():
                mine = [new_code() for _ in range(n)]
                await store.add_tokens(wave, org, unit,
                                       [code_hash(c.replace("-", ""), SECRET) for c in mine])
                codes += [(c, value, i < dont_know) for i, c in enumerate(mine)]
        async with AsyncTestClient(app=create_app(settings)) as client:
            for code, value, dont_know in codes:
                await _answer(client, code, value, dont_know)
        # what an administrator sees during fieldwork, before the close (L5)
        code, out = await asyncio.to_thread(run, settings, "waves", "status", wave, "--json")
        assert code == 0, out
        status[wave] = out
        code, out = await asyncio.to_thread(run, settings, "waves", "close", wave)
        assert code == 0, out


def build(folder: Path) -> tuple[Settings, dict[str, str]]:
    """The scenario's database in ``folder``; returns its settings and the live status."""
    forms = folder / "forms"
    shutil.copytree(FORMS, forms)
    (forms / "organisations.toml").write_text(organisations_toml(), encoding="utf-8")
    settings = Settings.from_env({}, database_url=f"sqlite:///{folder / 'db.sqlite3'}",
                                 forms_dir=str(forms), secret_key=SECRET,
                                 wave_refresh_seconds=0.0)
    status: dict[str, str] = {}
    asyncio.run(_build(settings, status))
    return settings, status

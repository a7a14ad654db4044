"""Enrolling a test client's "device" as a kiosk, as an administrator and the device would:
``survey-service kiosk enrol`` prints a link, the device opens it and presses the button."""

from __future__ import annotations

import asyncio
import re

from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.cli import cli
from survey_service.settings import Settings
from tests.conftest import FORMS, SECRET, hidden_fields

LINK = re.compile(r"https?://[^/\s]+(/kiosk/enrol/[A-Za-z0-9_-]+)")


def kiosk_env(settings: Settings) -> dict[str, str]:
    return {"SURVEY_DATABASE_URL": settings.database_url, "SURVEY_SECRET_KEY": SECRET,
            "SURVEY_FORMS_DIR": str(FORMS)}


async def kiosk_cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["kiosk", *args],
                                     env=kiosk_env(settings))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


async def enrolment_link(settings: Settings, *args: str) -> str:
    """The path of a new kiosk's one-time link (``args``: --org, --survey, --label)."""
    code, out = await kiosk_cli(settings, "enrol", *(args or ("--org", "elena")))
    assert code == 0, out
    found = LINK.search(out)
    assert found, out
    return found.group(1)


async def open_link(client: AsyncTestClient[Litestar], path: str) -> int:
    """Open an enrolment link and press its button; the status of the POST."""
    page = await client.get(path)
    if page.status_code != 200:
        return page.status_code
    done = await client.post(path, data={"_csrf_token": hidden_fields(page.text)["_csrf_token"]},
                             follow_redirects=False)
    return done.status_code


async def enrol(client: AsyncTestClient[Litestar], settings: Settings, *args: str) -> None:
    assert await open_link(client, await enrolment_link(settings, *args)) in (200, 303)

"""Helpers for the administration tests: accounts made beforehand, and signing in through the
HTTP app as a browser does (the CSRF token from the page)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.services import users
from survey_service.services.users import add_user
from survey_service.settings import Settings
from survey_service.storage import opened

PASSWORD = "a long enough password"
#: name -> (role, organisations)
ACCOUNTS: dict[str, tuple[str, list[str]]] = {
    "root": ("admin", []),
    "ana": ("analyst", ["elena"]),
    "lyu": ("analyst", ["lyaskovets"]),
    "cleo": ("clerk", ["elena"]),
}
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
Client = AsyncTestClient[Litestar]


async def add_accounts(settings: Settings) -> None:
    async with opened(settings.database_url) as store:
        for name, (role, orgs) in ACCOUNTS.items():
            await add_user(settings, store, name, role, orgs, PASSWORD, "test")


async def csrf(client: Client, path: str = "/admin/login") -> str:
    page = await client.get(path)
    found = CSRF.search(page.text)
    assert found, page.text[:300]
    return found.group(1)


async def sign_in(client: Client, name: str, password: str = PASSWORD, **extra: str) -> Any:
    token = await csrf(client)
    return await client.post(
        "/admin/login",
        data={"_csrf_token": token, "name": name, "password": password, **extra},
        follow_redirects=False,
    )


async def post(client: Client, path: str, data: dict[str, Any], page: str = "/admin") -> Any:
    """A form POST with the CSRF token of ``page``."""
    return await client.post(path, data={"_csrf_token": await csrf(client, page), **data},
                             follow_redirects=False)


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2id, with the smallest cost, so that tests sign in often (a production hash
    takes about 0.1 s, much more on a busy test machine)."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                         parallelism=1))

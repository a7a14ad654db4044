"""The administration side is mounted under /admin, apart from the respondents' pages."""

from __future__ import annotations

import pytest
from litestar import Controller, get
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings
from survey_service.web import admin
from survey_service.web.deps import SiteDep


class Probe(Controller):
    path = "/probe"

    @get("/", name="admin-probe")
    async def probe(self, site: SiteDep) -> dict[str, int]:
        """An administration page that uses the shared dependencies."""
        return {"waves": len(await site.store.waves())}


async def test_admin_controllers_are_mounted_under_admin(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin, "route_handlers", [Probe])
    app = create_app(settings)
    assert app.route_reverse("admin-probe") == "/admin/probe"
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/admin/probe")
        assert response.status_code == 200 and response.json() == {"waves": 0}
        assert (await client.get("/probe")).status_code == 404


async def test_admin_is_empty_for_now(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get("/admin/")).status_code == 404

"""The administration side is mounted under /admin, apart from the respondents' pages."""

from __future__ import annotations

import pytest
from litestar import Controller, get
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.errors import NotFound, Refused, ServiceError, Unavailable
from survey_service.services.waves import find_wave
from survey_service.settings import Settings
from survey_service.web import admin
from survey_service.web.admin.access import PUBLIC
from survey_service.web.deps import SiteDep
from tests.conftest import seed_wave


class Probe(Controller):
    path = "/probe"
    opt = PUBLIC  # every administration route declares who may use it

    @get("/", name="admin-probe")
    async def probe(self, site: SiteDep) -> dict[str, int]:
        """An administration page that uses the shared dependencies."""
        return {"waves": len(await site.store.waves())}

    @get("/wave/{wave_id:str}", name="admin-wave")
    async def wave(self, site: SiteDep, wave_id: FromPath[str]) -> dict[str, str]:
        """A page that calls a service, which may raise a domain error."""
        return {"survey": (await find_wave(site.store, wave_id)).survey_id}

    @get("/raise/{kind:str}", name="admin-raise")
    async def fail(self, kind: FromPath[str]) -> None:
        """Raise the named domain error."""
        errors: dict[str, type[ServiceError]] = {
            "refused": Refused, "unavailable": Unavailable, "not-found": NotFound}
        raise errors[kind]("no")


async def test_admin_controllers_are_mounted_under_admin(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_wave(settings)
    monkeypatch.setattr(admin, "route_handlers", [Probe])
    app = create_app(settings)
    assert app.route_reverse("admin-probe") == "/admin/probe"
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/admin/probe")
        assert response.status_code == 200 and response.json() == {"waves": 1}
        assert (await client.get("/probe")).status_code == 404
        assert (await client.get("/admin/probe/wave/cs-baseline")).json() == {
            "survey": "citizen-satisfaction"}
        missing = await client.get("/admin/probe/wave/nope?lang=en")
        assert missing.status_code == 404 and "Page not found" in missing.text
        statuses = {kind: (await client.get(f"/admin/probe/raise/{kind}")).status_code
                    for kind in ("refused", "unavailable", "not-found")}
        assert statuses == {"refused": 409, "unavailable": 503, "not-found": 404}


async def test_admin_asks_to_sign_in(settings: Settings) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        response = await client.get("/admin/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/admin/login?next=%2Fadmin"

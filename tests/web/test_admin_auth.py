"""Who may use the administration pages: the route table walked for every role, sign-in,
its limits, sessions that end, and organisations kept apart."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.users import disable_user, new_key, set_password
from survey_service.settings import Settings
from survey_service.storage import opened
from survey_service.web import api
from survey_service.web.admin import access
from survey_service.web.api import access as api_access
from tests.conftest import seed_wave, settings_for
from tests.web.admin_helpers import (  # noqa: F401 (a fixture)
    ACCOUNTS,
    PASSWORD,
    Client,
    add_accounts,
    csrf,
    quick_argon2,
    sign_in,
)

#: Administration routes anybody may open.
PUBLIC = {"/admin/login"}
#: The respondents' pages (all public) and static files; any other route is under /admin.
#: (``/kiosk/enrol/TOKEN``: the one-time link is itself the capability, opened on the kiosk.)
RESPONDENTS = ("/s/", "/t", "/static/", "/staff", "/privacy", "/accessibility", "/health",
               "/readyz", "/schema", "/kiosk/enrol/", "/results")
#: A value for every path parameter of the administration routes.
PARAMS = {"org": "lyaskovets", "wave_id": "cs-baseline", "survey_id": "citizen-satisfaction",
          "file": "codebook.csv"}


@pytest.fixture
async def admin_app(settings: Settings) -> Litestar:
    await seed_wave(settings)
    await add_accounts(settings)
    return create_app(settings)


@pytest.fixture
async def client(admin_app: Litestar) -> AsyncIterator[Client]:
    async with AsyncTestClient(app=admin_app) as c:
        yield c


def admin_routes(app: Litestar) -> list[tuple[str, str, tuple[str, ...] | str, bool]]:
    """(method, path with parameters filled in, declared access) of every route of the app
    under /admin, and whether it names an organisation; every other route must be a
    respondent's page or a static file."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith(api.PREFIX):
                continue  # api_routes: behind API keys
            if not route.path.startswith("/admin"):
                assert route.path == "/" or route.path.startswith(RESPONDENTS), (
                    f"{route.path}: not a respondents' page: declare its access")
                continue
            path, names_org = route.path, "{org:str}" in route.path
            for name, value in PARAMS.items():
                path = path.replace(f"{{{name}:str}}", value)
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                found.append((method, path, handler.opt.get(access.ACCESS), names_org))
    return sorted(found, key=lambda r: r[1] == "/admin/logout")  # signing out comes last


async def test_every_admin_route_refuses_anonymous_users_and_wrong_roles(
    admin_app: Litestar, settings: Settings
) -> None:
    routes = admin_routes(admin_app)
    assert len(routes) >= 12
    for _, path, declared, _ in routes:
        if path in PUBLIC:
            assert declared == "public", path
        else:
            assert isinstance(declared, tuple) and "admin" in declared, (path, declared)
    async with AsyncTestClient(app=admin_app) as anonymous:
        token = await csrf(anonymous)
        for method, path, declared, _ in routes:
            if declared == "public":
                continue
            response = await anonymous.request(method, path, data={"_csrf_token": token},
                                               follow_redirects=False)
            assert response.status_code == 303, (method, path, response.status_code)
            assert response.headers["location"].startswith("/admin/login?next="), path
    for name, (role, orgs) in ACCOUNTS.items():
        async with AsyncTestClient(app=admin_app) as client:
            assert (await sign_in(client, name)).status_code == 303
            token = await csrf(client)
            for method, path, declared, names_org in routes:
                if declared == "public":
                    continue
                response = await client.request(method, path, data={"_csrf_token": token},
                                                follow_redirects=False)
                allowed = role in declared and (
                    not names_org or role == "admin" or PARAMS["org"] in orgs)
                refused = response.status_code == 403
                assert refused != allowed, (name, method, path, response.status_code)
                assert response.status_code < 500, (name, method, path)


def api_routes(app: Litestar) -> list[tuple[str, str, Any]]:
    """(method, path with parameters filled in, declared access) of every API route."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if route.path.startswith(api.PREFIX):
                path = route.path.replace("{wave_id:str}", PARAMS["wave_id"])
                assert "{" not in path, f"{path}: give its parameter a value in PARAMS"
                for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                    found.append((method, path, handler.opt.get(api_access.ACCESS)))
    return found


async def test_every_api_route_refuses_anonymous_users_wrong_keys_and_clerks(
    admin_app: Litestar, settings: Settings
) -> None:
    routes = api_routes(admin_app)
    assert len(routes) >= 11
    async with opened(settings.database_url) as store:
        keys = {name: await new_key(store, name, "test") for name in ACCOUNTS}
        await disable_user(store, "lyu", "test")
    wrong = [{}, {"Authorization": "Bearer ssk_" + "x" * 43}, {"Authorization": "Basic cm9vdA=="},
             {"Authorization": f"Bearer {keys['lyu']}"},  # a disabled user's key
             {"Authorization": f"bearer {keys['root']}x"}]
    async with AsyncTestClient(app=admin_app) as client:
        for method, path, declared in routes:
            assert isinstance(declared, tuple) and "admin" in declared, (path, declared)
            for headers in wrong:
                response = await client.request(method, path, headers=headers)
                assert response.status_code == 401, (method, path, headers)
                assert response.json()["status_code"] == 401
            for name, (role, _) in ACCOUNTS.items():
                if name == "lyu":
                    continue
                response = await client.request(
                    method, path, headers={"Authorization": f"Bearer {keys[name]}"})
                refused = response.status_code in (401, 403)
                assert refused != (role in declared), (name, method, path, response.status_code)
                assert response.status_code < 500, (name, method, path)


async def test_an_analyst_of_elena_cannot_read_lyaskovets(client: Client, settings: Settings
                                                          ) -> None:
    await sign_in(client, "ana")
    own = await client.get("/admin/orgs/elena/waves/cs-baseline")
    assert own.status_code == 200 and "cs-baseline" in own.text
    other = await client.get("/admin/orgs/lyaskovets/waves/cs-baseline")
    assert other.status_code == 403 and "cs-baseline" not in other.text
    leaflet = await client.get("/admin/waves/cs-baseline/leaflet/lyaskovets")
    assert leaflet.status_code == 403
    dashboard = await client.get("/admin")
    assert dashboard.status_code == 200
    assert "/admin/orgs/elena/" in dashboard.text and "lyaskovets" not in dashboard.text


async def test_sign_in_cookie_and_sign_out(client: Client, settings: Settings) -> None:
    assert (await client.get("/admin", follow_redirects=False)).status_code == 303
    login_page = await client.get("/admin/login")
    assert "admin_session" not in login_page.headers.get("set-cookie", "")  # nothing kept yet
    wrong = await sign_in(client, "ana", "wrong password!")
    assert wrong.status_code == 400 and "Името или паролата са грешни" in wrong.text
    assert (await sign_in(client, "nobody")).status_code == 400
    response = await sign_in(client, "ana", next="/admin/orgs/elena/waves/cs-baseline")
    assert response.status_code == 303
    assert response.headers["location"] == "/admin/orgs/elena/waves/cs-baseline"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("admin_session=") and "HttpOnly" in cookie
    assert "SameSite=lax" in cookie and "Path=/admin" in cookie and "Secure" not in cookie
    first_id = client.cookies.get("admin_session")
    assert (await client.get("/admin")).status_code == 200
    assert (await sign_in(client, "ana")).status_code == 303  # again: a new session id
    assert client.cookies.get("admin_session") != first_id
    async with opened(settings.database_url) as store:
        keys = [await store.session_get(access.DatabaseSessions._key(k))
                for k in (first_id or "", client.cookies.get("admin_session") or "")]
    assert keys[0] is None and keys[1] is not None  # the old one is gone, ids kept hashed
    out = await client.post("/admin/logout", data={"_csrf_token": await csrf(client, "/admin")},
                            follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    assert (await client.get("/admin", follow_redirects=False)).status_code == 303
    assert (await sign_in(client, "ana", next="https://evil.example/")).headers[
        "location"] == "/admin"


async def test_the_cookie_is_secure_under_an_https_public_url(db_path: object) -> None:
    settings = settings_for(db_path, public_url="https://anketa.elena.bg")  # type: ignore[arg-type]
    await seed_wave(settings)
    await add_accounts(settings)
    async with AsyncTestClient(app=create_app(settings), base_url="https://testserver.local") as c:
        response = await sign_in(c, "ana")
        assert "Secure" in response.headers["set-cookie"]


async def test_failed_sign_ins_are_limited_per_account_and_per_client(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        assert (await sign_in(client, "ana", "wrong password!")).status_code == 400
    blocked = await sign_in(client, "ana")  # even the right password waits now
    assert blocked.status_code == 429 and "Твърде много неуспешни опити" in blocked.text
    assert (await sign_in(client, "root")).status_code == 303  # other accounts still work
    for i in range(15):
        await sign_in(client, f"guess{i}", "wrong password!")
    assert (await sign_in(client, "cleo")).status_code == 429  # this client: 20 failures
    clock = time.time() + 901  # 15 minutes later the limits have lifted by themselves
    monkeypatch.setattr(time, "time", lambda: clock)
    assert (await sign_in(client, "ana")).status_code == 303


async def test_sessions_end_when_idle_too_old_or_the_password_changes(
    db_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(db_path, session_idle_minutes=5, session_max_hours=1)  # type: ignore[arg-type]
    await seed_wave(settings)
    await add_accounts(settings)
    real = time.time
    async with AsyncTestClient(app=create_app(settings)) as c:
        await sign_in(c, "ana")
        assert (await c.get("/admin")).status_code == 200
        monkeypatch.setattr(time, "time", lambda: real() + 4 * 60)
        assert (await c.get("/admin")).status_code == 200  # used within 5 minutes: renewed
        monkeypatch.setattr(time, "time", lambda: real() + 10 * 60)
        assert (await c.get("/admin", follow_redirects=False)).status_code == 303  # idle
        monkeypatch.setattr(time, "time", real)
        await sign_in(c, "ana")
        for minutes in range(4, 64, 4):  # busy, but for more than an hour
            monkeypatch.setattr(time, "time", lambda m=minutes: real() + m * 60)
            status = (await c.get("/admin", follow_redirects=False)).status_code
        assert status == 303
        monkeypatch.setattr(time, "time", real)
        await sign_in(c, "ana")
        async with opened(settings.database_url) as store:
            await set_password(store, "ana", PASSWORD + "2", "test")
        assert (await c.get("/admin", follow_redirects=False)).status_code == 303


async def test_sign_ins_are_audited(client: Client, settings: Settings) -> None:
    await sign_in(client, "ana", "wrong password!")
    await sign_in(client, "nobody", "wrong password!")
    await sign_in(client, "ana")
    async with opened(settings.database_url) as store:
        entries = [(e.actor, e.action, e.detail) for e in await store.audit_entries()]
    assert entries[-3:] == [("ana", "sign-in-failed", "{}"),
                            ("-", "sign-in-failed", '{"account":"unknown"}'),
                            ("ana", "sign-in", "{}")]

"""The JSON API's limits, through HTTP: requests per key and per client address, in the shared
counters (so every process enforces one limit: ``test_shared_limits``); 429 with a JSON error
and ``Retry-After``, as the OpenAPI document says."""

from __future__ import annotations

from pathlib import Path

from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.services.users import add_user, new_key
from survey_service.settings import Settings
from survey_service.storage import opened
from tests.web.admin_helpers import PASSWORD, quick_argon2  # noqa: F401
from tests.web.exports_data import mini_settings, mini_wave

KEY_LIMIT, CLIENT_LIMIT, WINDOW = 3, 5, 3600


async def _setup(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    settings = mini_settings(tmp_path, api_key_limit=KEY_LIMIT, api_client_limit=CLIENT_LIMIT,
                             api_window_seconds=WINDOW)
    await mini_wave(settings)
    keys = {}
    async with opened(settings.database_url) as store:
        for name, role, orgs in (("ana", "analyst", ["elena"]), ("root", "admin", [])):
            await add_user(settings, store, name, role, orgs, PASSWORD, "test")
            keys[name] = await new_key(store, name, "test")
    return settings, keys


async def test_a_key_then_a_client_get_429_with_json_and_retry_after(tmp_path: Path) -> None:
    settings, keys = await _setup(tmp_path)

    async with AsyncTestClient(app=create_app(settings)) as client:
        async def get(name: str | None) -> object:
            headers = {"Authorization": f"Bearer {keys[name]}"} if name else {}
            return await client.get("/api/v1/surveys", headers=headers)

        assert [(await get("ana")).status_code for _ in range(KEY_LIMIT)] == [200] * KEY_LIMIT
        refused = await get("ana")
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/json")
        # one request per WINDOW / KEY_LIMIT seconds once the allowance is used up
        assert refused.headers["retry-after"] == str(WINDOW // KEY_LIMIT)
        assert refused.json() == {"status_code": 429, "detail": "too many requests with this "
                                  f"API key: try again in {WINDOW // KEY_LIMIT} s"}
        # another key from the same address goes on, until the address has made its 5
        # requests (the refused one counted for the address, not for the key)
        assert (await get("root")).status_code == 200
        by_address = await get("root")
        assert by_address.status_code == 429
        assert by_address.json()["detail"].startswith("too many requests from this address")
        assert int(by_address.headers["retry-after"]) == WINDOW // CLIENT_LIMIT
        # ... and so do requests without a key (counted before the key is looked at)
        assert (await get(None)).status_code == 429


async def test_requests_without_a_valid_key_count_for_the_address(tmp_path: Path) -> None:
    settings, keys = await _setup(tmp_path)
    async with AsyncTestClient(app=create_app(settings)) as client:
        bad = {"Authorization": "Bearer not-a-key"}
        statuses = [(await client.get("/api/v1/surveys", headers=bad)).status_code
                    for _ in range(CLIENT_LIMIT + 1)]
        assert statuses == [401] * CLIENT_LIMIT + [429]
        good = {"Authorization": f"Bearer {keys['root']}"}
        assert (await client.get("/api/v1/surveys", headers=good)).status_code == 429


async def test_the_openapi_document_gives_every_operation_its_429_and_retry_after(
        tmp_path: Path) -> None:
    settings, _ = await _setup(tmp_path)
    async with AsyncTestClient(app=create_app(settings)) as client:
        document = (await client.get("/schema/openapi.json")).json()
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert len(operations) == 11
    for operation in operations:
        refusal = operation["responses"]["429"]
        assert "Retry-After" in refusal["description"]
        assert refusal["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"}
        assert refusal["headers"]["Retry-After"]["required"] is True
        assert refusal["headers"]["Retry-After"]["schema"]["type"] == "integer"

"""Liveness and readiness: /readyz says when submissions would fail (a read-only database
file or folder) and recovers by itself when the cause goes away, without a restart."""

from __future__ import annotations

import os
from pathlib import Path

from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.settings import Settings


async def test_health_and_readiness_follow_the_database_file(
    settings: Settings, db_path: Path
) -> None:
    async with AsyncTestClient(app=create_app(settings)) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}
        mode = db_path.stat().st_mode
        os.chmod(db_path, 0o444)  # an operator's mistake (or a restore) while it runs
        try:
            refused = await client.get("/readyz")
            assert refused.status_code == 503
            assert refused.json()["reason"] == f"{db_path} is read-only"
            assert (await client.get("/healthz")).status_code == 200  # alive, not ready
        finally:
            os.chmod(db_path, mode)
        again = await client.get("/readyz")
        assert again.status_code == 200  # recovered without a restart
        folder_mode = db_path.parent.stat().st_mode
        os.chmod(db_path.parent, 0o555)
        try:
            assert "read-only" in (await client.get("/readyz")).json()["reason"]
        finally:
            os.chmod(db_path.parent, folder_mode)

"""The no-database ceiling for ``benchmarks/journeys.py``.

The very same app (``create_app``: routes, CSRF, form parsing, validation, page rendering and
the 303), served by uvicorn with the same options as ``survey-service serve``, but on a
:class:`NullStore`: waves and frozen form versions live in memory and submissions are
discarded at once. Whatever the real server does slower than this is the cost of storage.

    SURVEY_SECRET_KEY=... python benchmarks/ceiling.py --port 8001 --wave bench
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from survey_service.app import create_app
from survey_service.cli.serve import served
from survey_service.services.waves import open_wave
from survey_service.settings import Settings
from survey_service.storage.base import NewResponse, StoredResponse, TokenState, WaveCodes
from survey_service.storage.limits import MemoryLimits
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.waves import Wave
from survey_service.web.slow_clients import configure


class NullStore:
    """The :class:`~survey_service.storage.base.Store` protocol without a database."""

    def __init__(self) -> None:
        self._versions: dict[str, bytes] = {}
        self._structures: dict[str, bytes] = {}
        self._waves: dict[str, Wave] = {}
        self.discarded = 0
        self.applied: list[int] = []

    async def open(self) -> None:
        pass

    def client_limits(self) -> MemoryLimits:
        return MemoryLimits()  # the limit per client is checked, in this process's memory

    async def ready(self) -> str | None:
        return None

    async def close(self) -> None:
        pass

    async def migrate(self) -> list[int]:
        return []

    @property
    def commits(self) -> int:
        return 0

    async def save_form_version(self, survey_id: str, version: str, definition: bytes) -> None:
        self._versions.setdefault(version, definition)

    async def form_version(self, version: str) -> bytes | None:
        return self._versions.get(version)

    async def save_structure(self, version: str, definition: bytes) -> None:
        self._structures.setdefault(version, definition)

    async def structure(self, version: str) -> bytes | None:
        return self._structures.get(version)

    async def add_wave(self, wave: Wave) -> None:
        self._waves[wave.id] = wave

    async def update_wave(self, wave: Wave) -> None:
        self._waves[wave.id] = wave

    async def waves(self) -> list[Wave]:
        return list(self._waves.values())

    async def submit(self, response: NewResponse) -> None:
        self.discarded += 1

    async def import_responses(self, responses: list[NewResponse]) -> None:
        self.discarded += len(responses)

    # invitation tokens and sealed staff answers: not on the citizen journey, nothing kept
    async def add_tokens(self, wave_id: str, organisation: str, unit: str,
                         hashes: list[bytes]) -> None:
        pass

    async def token(self, code_hash: bytes) -> TokenState | None:
        return None

    async def revoke_token(self, code_hash: bytes) -> bool:
        return False

    async def token_counts(self, wave_id: str) -> dict[tuple[str, str], tuple[int, int]]:
        return {}

    async def save_disclosure_plan(self, key: str, plan: bytes) -> None:
        pass

    async def disclosure_plan(self, key: str) -> bytes | None:
        return None

    async def plan(self, name: str) -> None:
        return None  # no analysis plan frozen: opening a wave reads the files' own

    async def submit_sealed(self, code_hash: bytes, wave_id: str, sealed: bytes) -> bool:
        return False

    async def pending_count(self, wave_id: str) -> int:
        return 0

    async def mix_wave(
        self, wave_id: str, unseal: Callable[[bytes], NewResponse]
    ) -> int | None:
        return None

    async def check_key(self, fingerprint: bytes) -> bool:
        return True

    async def count_responses(self, wave_id: str | None = None) -> int:
        return 0

    async def responses(self, wave_id: str) -> list[StoredResponse]:
        return []

    async def stream_responses(
        self, wave_id: str, batch_size: int = 500
    ) -> AsyncIterator[list[StoredResponse]]:
        return
        yield

    async def organisation_counts(self, wave_id: str) -> dict[str, int]:
        return {}

    async def submitted(self, submission_key: str) -> bool:
        return False

    async def wave_codes(
        self, wave_id: str, organisation: str | None = None, groups: bool = False
    ) -> WaveCodes:
        return WaveCodes(b"", 0)


def seeded_store(settings: Settings, survey_id: str, wave_id: str) -> NullStore:
    """A store with one open wave of ``survey_id``, opened by the code of the CLI's
    ``waves open`` (so the same frozen form version, under the same content hash)."""
    store = NullStore()
    asyncio.run(open_wave(settings, store, survey_id, wave_id, "baseline", [], None, None))
    return store


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=None, help="listen address (default: SURVEY_HOST)")
    parser.add_argument("--port", type=int, default=None, help="port (default: SURVEY_PORT)")
    parser.add_argument("--survey", default="citizen-satisfaction")
    parser.add_argument("--wave", default="bench", help="id of the open wave kept in memory")
    args = parser.parse_args()

    settings = Settings.from_env()
    catalog = load_catalog(Path(settings.forms_dir))
    store = seeded_store(settings, args.survey, args.wave)
    app = served(create_app(settings, store=store, catalog=catalog))  # as serve runs it
    # the same uvicorn options as ``survey-service serve``
    log_config = uvicorn.config.LOGGING_CONFIG | {}
    log_config["formatters"] = dict(log_config["formatters"])
    log_config["formatters"]["access"] = {
        "()": "uvicorn.logging.AccessFormatter",
        "fmt": '%(levelprefix)s "%(request_line)s" %(status_code)s',
    }
    host, port = args.host or settings.host, args.port or settings.port
    print(f"ceiling (no database) serving on http://{host}:{port}/", flush=True)
    uvicorn.run(app, host=host, port=port, access_log=settings.access_log,
                log_config=log_config, server_header=False, proxy_headers=False, ws="none",
                # serve's protocol: uvicorn's httptools one, with the arrival deadlines
                http=configure(settings.header_timeout_seconds, settings.body_timeout_seconds))


if __name__ == "__main__":
    main()

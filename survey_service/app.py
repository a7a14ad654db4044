"""``create_app(settings)``: the Litestar application (no app state at module level)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.types import Message, Scope

from .anonymity import MixError, mix_closed_waves
from .registry import Registry
from .sealing import Sealer
from .settings import Settings
from .storage import open_store
from .storage.base import Store
from .surveys.loader import Catalog, load_catalog
from .web.assets import Assets, compression, static_file
from .web.errors import error_page, loggable
from .web.public import handlers as public_handlers
from .web.render import Renderer
from .web.staff import AttemptLimiter
from .web.staff import handlers as staff_handlers

log = logging.getLogger(__name__)

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        b"frame-ancestors 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]

access_log = logging.getLogger("survey_service.access")


def redact(path: str) -> str:
    """A request path fit for a log: invitation codes never reach a log."""
    return "/t/…" if path.startswith("/t/") and path != "/t/thanks" else path


async def log_access(message: Message, scope: Scope) -> None:
    """One line per request, without client address, query string or codes."""
    if message["type"] == "http.response.start":
        access_log.info(
            "%s %s %s",
            scope.get("method", ""),
            loggable(redact(scope.get("path", ""))),
            message["status"],
        )


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS:
            headers.add(name.decode(), value.decode())


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, catalog: Catalog | None = None
) -> Litestar:
    """Build the app. Forms are loaded (and validated) here, so a bad file stops start-up."""
    settings = settings or Settings.from_env()
    catalog = catalog or load_catalog(Path(settings.forms_dir))
    store = store or open_store(settings.database_url)
    registry = Registry(catalog, store, settings.wave_refresh_seconds)

    sealer = Sealer(settings.secret_key)
    kinds = {sid: loaded.survey.kind for sid, loaded in catalog.surveys.items()}

    unopenable: set[str] = set()

    async def mix_when_closed() -> None:
        """Mix the answers of staff waves that closed by their end date."""
        while True:
            try:
                if await mix_closed_waves(store, sealer, kinds, frozenset(unopenable)):
                    await registry.refresh(force=True)
            except MixError as exc:  # logged once; retried at the next start
                unopenable.update(exc.waves)
            except Exception:
                log.exception("mixing closed staff waves failed; will retry")
            await asyncio.sleep(max(settings.wave_refresh_seconds, 1.0))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await store.open()
        await registry.refresh(force=True)
        mixer = asyncio.create_task(mix_when_closed(), name="staff-mixer")
        try:
            yield
        finally:
            mixer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await mixer
            await store.close()

    assets = Assets()
    return Litestar(
        route_handlers=[
            *public_handlers,
            *staff_handlers,
            static_file,
        ],
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "store": store,
                "registry": registry,
                "renderer": Renderer(assets=assets),
                "assets": assets,
                "sealer": sealer,
                "attempts": AttemptLimiter(),
                "catalog": catalog,
            }
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            cookie_httponly=True,
            cookie_samesite="lax",
            cookie_secure=settings.public_url.startswith("https://"),
            exclude=["/api/"],
        ),
        before_send=[add_security_headers, *([log_access] if settings.access_log else [])],
        exception_handlers={Exception: error_page},
        compression_config=compression(),
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )

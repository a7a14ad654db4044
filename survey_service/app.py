"""``create_app(settings)``: the Litestar application (no app state at module level)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Response
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders, State
from litestar.exceptions import HTTPException
from litestar.static_files import create_static_files_router
from litestar.types import Message, Scope

from .anonymity import MixError, mix_closed_waves
from .i18n import normalise
from .registry import Registry
from .sealing import Sealer
from .settings import Settings
from .storage import open_store
from .storage.base import Store
from .surveys.loader import Catalog, load_catalog
from .web.messages import N_
from .web.public import handlers as public_handlers
from .web.public import html
from .web.render import Renderer
from .web.staff import AttemptLimiter
from .web.staff import handlers as staff_handlers

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "web" / "static"

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

# Error pages: status -> (heading, message), English message ids translated at render time.
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        N_("Something was wrong with the form"),
        N_("The answers could not be read. Please open the survey again from its link."),
    ),
    403: (
        N_("This page has expired"),
        N_(
            "For your security the form could not be accepted. Please go back, reload the "
            "page and send your answers again."
        ),
    ),
    404: (
        N_("Page not found"),
        N_("Check the address, or open the survey from its link or QR code."),
    ),
    413: (
        N_("Your answers are too long"),
        N_("Please go back, shorten your longest answer and send the form again."),
    ),
    500: (
        N_("Sorry, something went wrong"),
        N_("Your answers may not have been saved. Please try again in a few minutes."),
    ),
}
ERRORS[405] = ERRORS[404]


access_log = logging.getLogger("survey_service.access")


def redact(path: str) -> str:
    """A request path fit for a log: invitation codes never reach a log."""
    return "/t/…" if path.startswith("/t/") and path != "/t/thanks" else path


async def log_access(message: Message, scope: Scope) -> None:
    """One line per request, without client address, query string or codes."""
    if message["type"] == "http.response.start":
        access_log.info(
            "%s %s %s", scope.get("method", ""), redact(scope.get("path", "")), message["status"]
        )


async def add_security_headers(message: Message, scope: Scope) -> None:
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        for name, value in SECURITY_HEADERS:
            headers.add(name.decode(), value.decode())


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Render any error as a bilingual HTML page (JSON for the API)."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status >= 500:
        log.exception("error serving %s %s", request.method, request.url.path, exc_info=exc)
    if request.url.path.startswith("/api/"):
        detail = exc.detail if isinstance(exc, HTTPException) else "Internal server error"
        return Response({"status_code": status, "detail": detail}, status_code=status)
    lang = normalise(request.query_params.get("lang"))
    renderer: Renderer = request.app.state.renderer
    heading, message = ERRORS.get(status, ERRORS[500 if status >= 500 else 400])
    body = renderer.render(
        lang,
        "errors/error.html",
        heading=renderer.gettext(lang, heading),
        message=renderer.gettext(lang, message),
    )
    headers = {"cache-control": "no-store"}
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)
    return html(body, status, headers)


def create_app(
    settings: Settings | None = None, *, store: Store | None = None, catalog: Catalog | None = None
) -> Litestar:
    """Build the app. Forms are loaded (and validated) here, so a bad file stops start-up."""
    settings = settings or Settings.from_env()
    catalog = catalog or load_catalog(Path(settings.forms_dir))
    store = store or open_store(settings.database_url, pool_size=settings.db_pool_size)
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

    return Litestar(
        route_handlers=[
            *public_handlers,
            *staff_handlers,
            create_static_files_router(
                path="/static",
                directories=[STATIC],
                name="static",
                include_in_schema=False,
                cache_control=None,
            ),
        ],
        lifespan=[lifespan],
        state=State(
            {
                "settings": settings,
                "store": store,
                "registry": registry,
                "renderer": Renderer(),
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
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )

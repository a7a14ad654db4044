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
from litestar.datastructures import State
from litestar.middleware import DefineMiddleware

from . import __version__
from .cli import SurveyCLIPlugin
from .keyfile import fingerprint, mismatch_message
from .registry import Registry
from .rendering import Renderer
from .rendering.assets import Assets
from .sealing import Sealer
from .services import retention
from .services.catalog import survey_kinds
from .services.mixing import ClosedWaveMixer
from .settings import Settings
from .storage import open_store
from .storage.base import Store, StoreUnreachable
from .surveys.loader import Catalog, load_catalog
from .web import admin, api, respondents
from .web.assets import compression, static_file
from .web.body import FormBody
from .web.deps import Site, dependencies
from .web.errors import error_page
from .web.kiosks import KioskBook
from .web.limits import AttemptLimiter, ClientKeys, SubmissionLimiter
from .web.protection import CSRFGuard, SecurityHeaders

log = logging.getLogger(__name__)

#: How often a server started while its database was unreachable tries again.
RECONNECT_SECONDS = 2.0

def create_app(
    settings: Settings | None = None, *, store: Store | None = None, catalog: Catalog | None = None
) -> Litestar:
    """Build the app. Forms are loaded (and validated) here, so a bad file stops start-up."""
    settings = settings or Settings.from_env()
    catalog = catalog or load_catalog(Path(settings.forms_dir))
    store = store or open_store(settings.database_url, pool_size=settings.db_pool_size)
    registry = Registry(catalog, store, settings.wave_refresh_seconds)
    assets = Assets()
    client_keys = ClientKeys(settings.secret_key)
    counters = store.client_limits()  # shared by every process on this database
    site = Site(
        settings=settings,
        store=store,
        registry=registry,
        renderer=Renderer(assets=assets),
        sealer=Sealer(settings.secret_key),
        client_keys=client_keys,
        attempts=AttemptLimiter(keys=client_keys, counters=counters),
        submissions=SubmissionLimiter(
            settings.submit_limit, settings.submit_window_seconds, client_keys, counters
        ),
        kiosks=KioskBook(store, settings),
    )

    async def refresh() -> None:
        await registry.refresh(force=True)

    mixer = ClosedWaveMixer(
        store, site.sealer, survey_kinds(catalog), refresh, settings.wave_refresh_seconds
    )

    tasks: list[asyncio.Task[None]] = []

    async def connect() -> None:
        await store.open()
        try:
            if not await store.check_key(fingerprint(settings.secret_key)):
                raise RuntimeError(mismatch_message(settings.database_url))
            await registry.refresh(force=True)
        except BaseException:
            await store.close()
            raise
        tasks.append(asyncio.create_task(mixer.run(), name="staff-mixer"))
        tasks.append(asyncio.create_task(retention.every_day(settings, store), name="retention"))

    async def reconnect() -> None:
        """Open the store once its server is back (it was unreachable at start)."""
        told = False
        while True:
            await asyncio.sleep(RECONNECT_SECONDS)
            try:
                await connect()
            except StoreUnreachable as exc:
                log.debug("database still unreachable: %s", exc)
                continue
            except Exception:
                if not told:  # once: the same fault would otherwise repeat every few seconds
                    log.exception("the database answers but cannot be used; trying again")
                told = True
                continue
            log.info("database reachable again: serving every page")
            return

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            await connect()
        except StoreUnreachable as exc:
            # e.g. PostgreSQL not started yet: serve 503 (and /readyz says why) until it is
            log.warning("%s; serving 503 until it answers, trying every %.0f s", exc,
                        RECONNECT_SECONDS)
            tasks.append(asyncio.create_task(reconnect(), name="reconnect"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in list(tasks):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await counters.close()
            await store.close()

    csrf = CSRFConfig(
        secret=settings.secret_key,
        cookie_name="csrftoken",
        cookie_httponly=True,
        cookie_samesite="lax",
        cookie_secure=settings.public_url.startswith("https://"),
        exclude=["/api/"],
    )
    app = Litestar(
        route_handlers=[
            *respondents.route_handlers,
            admin.router(site),  # sign-in, sessions and the guard of every route (issue 10)
            api.router(),  # the read-only JSON API with API keys, in the OpenAPI document
            static_file,
        ],
        openapi_config=api.openapi_config(__version__),
        include_in_schema=False,  # pages are not an API: only /api/v1 is documented
        lifespan=[lifespan],
        dependencies=dependencies(site),
        state=State({"site": site, "catalog": catalog, "assets": assets}),
        exception_handlers={Exception: error_page},
        compression_config=compression(),
        # outermost first: the form body is parsed once, before the CSRF check reads it
        middleware=[
            DefineMiddleware(FormBody, max_bytes=settings.max_body_bytes),
            DefineMiddleware(CSRFGuard, config=csrf),
        ],
        request_max_body_size=settings.max_body_bytes,
        plugins=[SurveyCLIPlugin()],
        debug=False,
    )
    # around everything Litestar answers, 404s and error pages included (web/protection.py)
    app.asgi_handler = SecurityHeaders(app.asgi_handler, log=settings.access_log)
    return app

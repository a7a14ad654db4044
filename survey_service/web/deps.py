"""What handlers share: the ``site`` dependency (Litestar ``Provide``, one object for the
app's life; the citizen journey's handlers read it with :func:`site_of`, cheaper still),
named-route URLs, and per-request helpers.

The CSRF token is read with :func:`csrf_token` rather than injected: a per-request
dependency that takes the request cost about 80 µs per request (measured on the form page,
which then took twice as long), more than the whole page otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.utils.scope.state import ScopeState

from ..registry import Registry
from ..rendering import Renderer
from ..sealing import Sealer
from ..settings import Settings
from ..storage.base import Store
from .kiosks import KioskBook
from .limits import AttemptLimiter, ClientKeys, SubmissionLimiter


@dataclass(frozen=True)
class Site:
    """What a running app serves with, made once by ``create_app``."""

    settings: Settings
    store: Store
    registry: Registry
    renderer: Renderer
    sealer: Sealer
    client_keys: ClientKeys
    attempts: AttemptLimiter
    submissions: SubmissionLimiter
    kiosks: KioskBook
    _urls: dict[tuple[Any, ...], str] = field(default_factory=dict, repr=False)

    def url(
        self,
        request: Request[Any, Any, Any],
        name: str,
        query: Mapping[str, str] | None = None,
        **params: str,
    ) -> str:
        """The path of the route named ``name`` (Litestar's ``route_reverse``) with an
        optional query, remembered: the parameters and queries come only from the catalog
        and the fixed choices of language and channel, so there are few of them."""
        key = (name, *params.values(), *(query.items() if query else ()))
        url = self._urls.get(key)
        if url is None:
            if len(self._urls) > 10_000:
                self._urls.clear()
            path = request.app.route_reverse(name, **params)
            url = self._urls[key] = f"{path}?{urlencode(query)}" if query else path
        return url


#: The handler parameter type of the dependency: ``site: SiteDep``.
SiteDep = NamedDependency[Site]


def site_of(request: Request[Any, Any, Any]) -> Site:
    """The site, read from the app's state rather than injected: resolving even this cached
    dependency costs a handler ~13,000 instructions per request (``benchmarks/
    instructions.py``), so the citizen journey's handlers take it here."""
    site: Site = request.app.state.site
    return site


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The CSRF token Litestar set for this request ("" when there is none)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address, for attempt limits only (never stored or logged)."""
    return request.client.host if request.client else ""


def dependencies(site: Site) -> dict[str, Provide]:
    """The app-level dependencies: the same ``site`` for every request (cached)."""

    def provide_site() -> Site:
        return site

    return {
        "site": Provide(provide_site, use_cache=True, sync_to_thread=False),
    }

"""Dependencies every handler may ask for by name (Litestar ``Provide``): ``site`` (what the
app serves with) and ``csrf`` (this request's CSRF token)."""

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
from .limits import AttemptLimiter


@dataclass(frozen=True)
class Site:
    """What a running app serves with, made once by ``create_app``."""

    settings: Settings
    store: Store
    registry: Registry
    renderer: Renderer
    sealer: Sealer
    attempts: AttemptLimiter
    _paths: dict[tuple[str, ...], str] = field(default_factory=dict, repr=False)

    def url(
        self,
        request: Request[Any, Any, Any],
        name: str,
        query: Mapping[str, str] | None = None,
        **params: str,
    ) -> str:
        """The path of the route named ``name`` (Litestar's ``route_reverse``, remembered per
        name and parameters, which come only from the catalog) with an optional query."""
        key = (name, *(f"{k}={v}" for k, v in sorted(params.items())))
        path = self._paths.get(key)
        if path is None:
            if len(self._paths) > 10_000:
                self._paths.clear()
            path = self._paths[key] = request.app.route_reverse(name, **params)
        return f"{path}?{urlencode(query)}" if query else path


#: Handler parameter types for the two dependencies (``site: SiteDep``, ``csrf: CsrfDep``).
SiteDep = NamedDependency[Site]
CsrfDep = NamedDependency[str]


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The CSRF token Litestar set for this request ("" when there is none)."""
    token = ScopeState.from_scope(request.scope).csrf_token
    return token if isinstance(token, str) else ""


def client_address(request: Request[Any, Any, Any]) -> str:
    """The client's address, for attempt limits only (never stored or logged)."""
    return request.client.host if request.client else ""


def dependencies(site: Site) -> dict[str, Provide]:
    """The app-level dependencies: the same ``site`` for every request (cached), and the
    request's CSRF token."""

    def provide_site() -> Site:
        return site

    return {
        "site": Provide(provide_site, use_cache=True, sync_to_thread=False),
        "csrf": Provide(csrf_token, sync_to_thread=False),
    }

"""Who may use the JSON API: a read-only API key (``Authorization: Bearer KEY``, made by
``survey-service users key NAME``) of an enabled admin or analyst.

Every route declares its roles in its ``opt`` (:func:`roles`); the guard :func:`authorise` on
the whole API router answers 401 without a key or with a key that is unknown or whose user was
disabled, 403 to a role not declared (a clerk), 400 to a query parameter the route does not
know, and keeps the key's user for the handler.
Which organisations a user reads is :func:`organisation`'s check: an analyst only those
granted, the same rule as the administration pages.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.handlers.base import BaseRouteHandler

from ...services.reading import scope_of
from ...services.users import user_for_key
from ...storage.base import User
from ...surveys.loader import Catalog
from ...surveys.waves import Wave
from ..deps import Site

ACCESS = "api_access"
#: What a client without a valid key is told (RFC 6750).
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="survey-service"'}
#: Handler parameters that are not query parameters.
NOT_QUERY = frozenset({"self", "request", "site"})
#: Longest key looked at (a real key has 47 characters).
MAX_KEY = 200


def roles(*allowed: str) -> dict[str, Any]:
    """The ``opt`` of an API route for these roles (an admin may always use it)."""
    return {ACCESS: tuple(sorted({"admin", *allowed}))}


def bearer_key(header: str) -> str | None:
    scheme, _, key = header.strip().partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key or len(key) > MAX_KEY:
        return None
    return key


async def authorise(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
                    ) -> None:
    """The guard of every API route (see the module's docstring)."""
    access = handler.opt.get(ACCESS)
    if not isinstance(access, tuple) or not access:
        raise PermissionDeniedException("this route declares no access")
    key = bearer_key(connection.headers.get("authorization", ""))
    if key is None:
        raise NotAuthorizedException("an API key is required: Authorization: Bearer KEY",
                                     headers=CHALLENGE)
    site: Site = connection.app.state.site
    user = await user_for_key(site.store, key)
    if user is None:
        raise NotAuthorizedException("this API key is not valid (unknown, replaced, or its "
                                     "user was disabled)", headers=CHALLENGE)
    if user.role not in access:
        raise PermissionDeniedException(f"a {user.role} may not read this")
    known = set(handler.parsed_fn_signature.parameters) - NOT_QUERY - set(connection.path_params)
    unknown = sorted(set(connection.query_params) - known)
    if unknown:  # a misspelt option would otherwise be ignored without a word
        raise ValidationException(f"unknown parameters: {', '.join(unknown)[:200]} (known: "
                                  f"{', '.join(sorted(known)) or 'none'})")
    connection.scope.setdefault("state", {})["api_user"] = user


def key_user(request: Request[Any, Any, Any]) -> User:
    """The user :func:`authorise` let through."""
    user = request.scope.get("state", {}).get("api_user")
    if not isinstance(user, User):
        raise NotAuthorizedException("an API key is required", headers=CHALLENGE)
    return user


def organisation(user: User, wave: Wave, catalog: Catalog, asked: str | None) -> str | None:
    """The organisation the user reads in ``wave`` (None: the whole wave, admins only);
    403 for an organisation not granted to the user."""
    scope = scope_of(user, wave, catalog, asked)
    if scope is not None and user.role != "admin" and scope not in user.organisations:
        raise PermissionDeniedException(f"organisation '{scope}' is not granted to this key")
    return scope

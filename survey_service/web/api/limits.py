"""How often the API may be used: requests per key and per client address, in the store's
shared counters (:class:`~survey_service.storage.limits.ClientLimits`), so every process of a
deployment enforces one limit, as for sign-ins and submissions (:mod:`..limits`).

Every request to ``/api/v1`` counts once for its client, before its key is looked at (a
flood of made-up keys is refused too), and once for its key when the key is valid. A key is
known in the counters by a keyed hash of its user's name (a user has one key at a time), a
client by that of its address. A request a limit refuses counts nothing under that limit, so
the client may go on once ``Retry-After`` seconds have passed (a request refused for its key
did count for its client). The limits are set by ``SURVEY_API_KEY_LIMIT``,
``SURVEY_API_CLIENT_LIMIT`` and ``SURVEY_API_WINDOW_SECONDS``.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from ...storage.base import User
from ...storage.limits import Rule
from ..deps import Site
from ..limits import SubmissionLimiter


async def _take(site: Site, rule: Rule, who: str, whose: str) -> None:
    """Count one request of ``who`` under ``rule``, or refuse it (counting nothing)."""
    at = time.time()
    wait = await site.attempts.counters.take(rule, site.client_keys(who, rule.name, at), at)
    if wait:
        retry = SubmissionLimiter.retry_after(wait)
        raise TooManyRequestsException(f"too many requests {whose}: try again in {retry} s",
                                       headers={"retry-after": retry})


async def limit_client(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
                       ) -> None:
    """The first guard of the API: the requests of this client address."""
    site: Site = connection.app.state.site
    rule = Rule("api-client", site.settings.api_client_limit, site.settings.api_window_seconds)
    address = connection.client.host if connection.client else ""
    await _take(site, rule, address, "from this address")


async def limit_key(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
                    ) -> None:
    """The last guard of the API (the key was found valid): the requests of this key."""
    user = connection.scope.get("state", {}).get("api_user")
    if isinstance(user, User):
        site: Site = connection.app.state.site
        rule = Rule("api-key", site.settings.api_key_limit, site.settings.api_window_seconds)
        await _take(site, rule, user.name, "with this API key")

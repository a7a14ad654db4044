"""Who may use an administration page: sessions, the guard every route goes through, and the
limits on failed sign-ins.

**Sessions** are Litestar's server-side sessions kept in the database (:class:`DatabaseSessions`
over the Store), so that several app processes share them and signing out really ends one:
an encrypted client-side cookie would stay valid until it expires, whatever the server
knows. The cookie holds only a random id (256 bits); the database keeps its SHA-256, so a
copy of the database gives no live session. The cookie is ``HttpOnly``, ``SameSite=Lax``,
limited to ``/admin``, and ``Secure`` under an https public URL. A session ends when unused
for ``SURVEY_SESSION_IDLE_MINUTES`` (up to a minute less: an unchanged session's expiry is
written back at most once a minute per process, not on every page),
``SURVEY_SESSION_MAX_HOURS`` after sign-in, at sign-out, and when the user's password
changes or the user is disabled (the user's ``epoch`` moves).
Signing in always starts a new session id (no fixation). Nothing is stored for a visitor who
has not signed in.

**Every route declares who may use it** in its ``opt``: :data:`PUBLIC` or :func:`roles`. The
guard :func:`authorise`, on the whole administration router, refuses a route that declares
nothing, sends anonymous visitors to the sign-in page, answers 403 to a wrong role, and checks
an ``{org}`` path parameter against the organisations granted. An admin may use everything.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.response import Redirect
from litestar.stores.base import Store as LitestarStore
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.dataclass import extract_dataclass_items

from ...storage.base import Store, User
from ..deps import Site, client_address
from ..limits import AttemptLimiter

ACCESS = "access"
#: The ``opt`` of a page anybody may open (the sign-in page).
PUBLIC: dict[str, Any] = {ACCESS: "public"}
ROTATE = "rotate_session"
COOKIE = "admin_session"

log = logging.getLogger(__name__)


def roles(*allowed: str) -> dict[str, Any]:
    """The ``opt`` of a page for these roles (an admin may always use it)."""
    return {ACCESS: tuple(sorted({"admin", *allowed}))}


class SignInRequired(NotAuthorizedException):
    """Nobody is signed in (or the session ended): go to the sign-in page."""


def _seconds(value: int | dt.timedelta | None, default: int) -> float:
    if value is None:
        return default
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class DatabaseSessions(LitestarStore):
    """Litestar's session store interface over the Store's ``sessions`` table; keys are
    kept as SHA-256 hashes of the cookie's session id."""

    def __init__(self, store: Store, default_seconds: int) -> None:
        self.store, self.default = store, default_seconds

    @staticmethod
    def _key(key: str) -> bytes:
        return hashlib.sha256(key.encode()).digest()

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None
                  ) -> None:
        data = value.encode() if isinstance(value, str) else value
        expires = time.time() + _seconds(expires_in, self.default)
        try:
            await self.store.session_set(self._key(key), data, expires)
        except Exception as exc:  # the response is already being sent
            # A database that cannot take a write now (locked, full, read-only) must not turn
            # the page (often a 503 with a form kept) into a broken response: the session as
            # stored before stays, and the next request writes it again.
            log.warning("a session could not be stored now: %s", exc)

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        until = time.time() + _seconds(renew_for, self.default) if renew_for else None
        return await self.store.session_get(self._key(key), until)

    async def delete(self, key: str) -> None:
        await self.store.session_delete(self._key(key))

    async def delete_all(self) -> None:
        await self.store.session_delete(None)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        return None  # not kept apart from the data; Litestar's session middleware never asks


#: An unchanged session is written back (its idle expiry moved on) at most this often by a
#: process, so a reader of many pages waits for no database write per page; the idle limit
#: then ends a session between ``RENEW_SECONDS`` before and at its full length after last use.
RENEW_SECONDS = 60.0
_RENEWED: OrderedDict[str, float] = OrderedDict()  # session id -> when this process wrote it
_RENEWED_KEPT = 4096
LOADED = "session_loaded"


class SessionBackend(ServerSideSessionBackend):
    """Litestar's server-side sessions, but nothing stored (and no cookie) for an empty
    session, a fresh session id when a handler asks for one (at sign-in), and an unchanged
    session written back only every :data:`RENEW_SECONDS`."""

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]
                                   ) -> dict[str, Any]:
        if session_id := connection.cookies.get(self.config.key):
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                connection.scope.setdefault("state", {})[LOADED] = (session_id, data)
                return self.deserialize_data(data)
        return {}

    def _unchanged(self, scope_session: ScopeSession, session_id: str,
                   connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
        """Whether the database holds this very session, renewed by this process lately."""
        state = connection.scope.get("state", {})
        if state.get(ROTATE) or state.get(LOADED) != (
                session_id, self.serialize_data(scope_session, connection.scope)):
            return False
        return time.time() - _RENEWED.get(session_id, -RENEW_SECONDS) < RENEW_SECONDS

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        state = connection.scope.setdefault("state", {})
        if state.get(ROTATE):
            fresh = state.get("fresh_session_id") or self.generate_session_id()
            state["fresh_session_id"] = fresh
            return str(fresh)
        return super().get_session_id(connection)

    async def store_in_message(
        self,
        scope_session: ScopeSession,
        message: Message,
        connection: ASGIConnection[Any, Any, Any, Any],
    ) -> None:
        if not scope_session or scope_session is Empty:
            if connection.cookies.get(self.config.key, "null") != "null":
                await super().store_in_message(Empty, message, connection)  # forget it
            return
        session_id = self.get_session_id(connection)
        if self._unchanged(scope_session, session_id, connection):
            params = dict(extract_dataclass_items(self.config, exclude_none=True,
                                                  include=Cookie.__dict__.keys()))
            MutableScopeHeaders.from_message(message).add("Set-Cookie", Cookie(
                value=session_id, key=self.config.key, **params).to_header(header=""))
            return
        await super().store_in_message(scope_session, message, connection)
        _RENEWED[session_id] = time.time()
        _RENEWED.move_to_end(session_id)
        while len(_RENEWED) > _RENEWED_KEPT:
            _RENEWED.popitem(last=False)


@dataclass
class SessionConfig(ServerSideSessionConfig):
    """Sessions in the app's own database (its ``site.store``; Litestar copies middleware
    configurations, so the config holds no reference to a store)."""

    _backend_class = SessionBackend

    def get_store_from_app(self, app: Any) -> LitestarStore:
        return DatabaseSessions(app.state.site.store, self.max_age)


def session_config(site: Site) -> SessionConfig:
    idle = site.settings.session_idle_minutes * 60
    return SessionConfig(
        key=COOKIE,
        max_age=idle,
        path="/admin",
        httponly=True,
        samesite="lax",
        secure=site.settings.public_url.startswith("https://"),
    )


async def start_session(request: Request[Any, Any, Any], site: Site, user: User, lang: str
                        ) -> None:
    """Sign ``user`` in under a new session id (the previous one, if any, ends)."""
    old = request.cookies.get(COOKIE)
    if old and old != "null":
        await DatabaseSessions(site.store, 0).delete(old)
    request.scope.setdefault("state", {})[ROTATE] = True
    request.set_session({"user": user.name, "epoch": user.epoch, "at": time.time(),
                         "lang": lang})


async def current_user(connection: ASGIConnection[Any, Any, Any, Any], site: Site) -> User | None:
    """The user of a live session, or None (and the session is ended if it expired, the
    user was disabled or changed password)."""
    session = connection.scope.get("session")
    if not isinstance(session, dict) or "user" not in session:
        return None
    user = await site.store.user(str(session["user"]))
    max_age = site.settings.session_max_hours * 3600
    if (
        user is None
        or user.disabled
        or user.epoch != session.get("epoch")
        or time.time() - float(session.get("at", 0)) > max_age
    ):
        connection.scope["session"] = Empty
        return None
    return user


async def authorise(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
                    ) -> None:
    """The guard of every administration route (see the module's docstring)."""
    access = handler.opt.get(ACCESS)
    if access == "public":
        return
    if not isinstance(access, tuple) or not access:
        raise PermissionDeniedException("this page declares no access")
    site: Site = connection.app.state.site
    user = await current_user(connection, site)
    if user is None:
        raise SignInRequired()
    if user.role not in access:
        raise PermissionDeniedException()
    org = connection.path_params.get("org")
    if org is not None and user.role != "admin" and org not in user.organisations:
        raise PermissionDeniedException()
    connection.scope.setdefault("state", {})["user"] = user


def signed_in(request: Request[Any, Any, Any]) -> User:
    """The user :func:`authorise` let through."""
    user = request.scope.get("state", {}).get("user")
    if not isinstance(user, User):
        raise SignInRequired()
    return user


def to_sign_in(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Anonymous visitors of a page go to the sign-in page, and come back after it."""
    target = request.url.path if request.method == "GET" else "/admin"
    login = request.app.route_reverse("admin-login")
    return Redirect(f"{login}?{urlencode({'next': target})}", status_code=303)


class SignInLimits:
    """Failed sign-ins, in the store's shared counters: per account (5 in 15 minutes) and
    per client (20 in 15 minutes). A limit lifts by itself (one more try 3 minutes after the
    last failure, all of them 15 minutes after it), so an attacker can delay the rightful user,
    never lock the account for good."""

    def __init__(self, site: Site) -> None:
        keys, counters = site.client_keys, site.attempts.counters
        self.accounts = AttemptLimiter(per_client=5, overall=None, window=900.0, keys=keys,
                                       counters=counters, name="sign-in-account")
        self.clients = AttemptLimiter(per_client=20, overall=None, window=900.0, keys=keys,
                                      counters=counters, name="sign-in-client")

    async def blocked(self, request: Request[Any, Any, Any], name: str) -> bool:
        at = time.time()
        return any(await asyncio.gather(self.clients.blocked(client_address(request), at),
                                        self.accounts.blocked(name, at)))

    async def failed(self, request: Request[Any, Any, Any], name: str) -> None:
        at = time.time()
        await asyncio.gather(self.clients.failed(client_address(request), at),
                             self.accounts.failed(name, at))

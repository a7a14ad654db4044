"""Signing in and out of the administration pages."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect

from ...services import audit
from ...services.users import MAX_PASSWORD, authenticate
from ..deps import SiteDep
from .access import PUBLIC, SignInLimits, current_user, roles, signed_in, start_session
from .common import admin_lang, page

LimitsDep = NamedDependency[SignInLimits]


def _safe_next(target: str) -> str:
    """Only a page of the administration itself (no open redirect)."""
    ok = target.startswith("/admin") and "//" not in target and "\\" not in target
    return target if ok and target.isprintable() else "/admin"


class AccountController(Controller):
    """``/admin/login`` and ``/admin/logout``."""

    path = "/"

    @get("/login", name="admin-login", opt=PUBLIC)
    async def login_form(
        self, request: Request[Any, Any, Any], site: SiteDep, next: FromQuery[str] = "/admin"
    ) -> Response[Any]:
        """The sign-in form (a signed-in user goes straight on)."""
        if await current_user(request, site) is not None:
            return Redirect(_safe_next(next), status_code=303)
        return page(site, request, "admin/login.html", None, next=_safe_next(next), typed="",
                    error=None, error_list=[])

    @post("/login", name="admin-login-submit", opt=PUBLIC)
    async def login(
        self, request: Request[Any, Any, Any], site: SiteDep, limits: LimitsDep
    ) -> Response[Any]:
        """Check the name and password; a new session on success, the form again if not."""
        form = await request.form()
        name = str(form.get("name", "")).strip().lower()[:64]
        password = str(form.get("password", ""))[:MAX_PASSWORD]
        target = _safe_next(str(form.get("next", "/admin")))
        lang = admin_lang(request) if "lang" in request.query_params else str(
            form.get("_lang", "bg"))
        lang = lang if lang in ("bg", "en") else "bg"
        t = site.renderer.gettext
        if await limits.blocked(request, name):
            error = t(lang, "Too many failed sign-ins. Wait 15 minutes, then try again.")
            status = 429
        else:
            user = await authenticate(site.store, name, password) if name and password else None
            if user is not None:
                await start_session(request, site, user, lang)
                await audit.record(site.store, user.name, "sign-in", {})
                return Redirect(target, status_code=303)
            await limits.failed(request, name)
            known = await site.store.user(name) is not None if name else False
            await audit.record(site.store, name if known else "-", "sign-in-failed",
                               {} if known else {"account": "unknown"})
            error = t(lang, "The name or the password is wrong.")
            status = 400
        return page(site, request, "admin/login.html", None, status, lang=lang, next=target,
                    typed=name, error=error,
                    error_list=[{"item": "name", "message": error}])

    @post("/logout", name="admin-logout", opt=roles("analyst", "clerk"))
    async def logout(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """End the session here and now."""
        user = signed_in(request)
        request.clear_session()
        await audit.record(site.store, user.name, "sign-out", {})
        return Redirect(request.app.route_reverse("admin-login"), status_code=303)

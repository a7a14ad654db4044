"""What the administration pages share: their language and how a page is rendered."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response

from ...i18n import LANGUAGES, other_language
from ...storage.base import User
from ..deps import Site, csrf_token
from ..pages import NO_STORE, html


def admin_lang(request: Request[Any, Any, Any]) -> str:
    """``?lang=`` when given (and remembered in the session), else the session's, else bg."""
    asked = request.query_params.get("lang")
    session = request.scope.get("session")
    if asked in LANGUAGES:
        if isinstance(session, dict) and session.get("user") and session.get("lang") != asked:
            request.set_session({**session, "lang": asked})
        return str(asked)
    if isinstance(session, dict) and session.get("lang") in LANGUAGES:
        return str(session["lang"])
    return "bg"


def page(
    site: Site,
    request: Request[Any, Any, Any],
    template: str,
    user: User | None,
    status: int = 200,
    **context: Any,
) -> Response[bytes]:
    """An administration page (never cached), with the menu of the signed-in user and a
    link to the same page in the other language."""
    lang = context.pop("lang", None) or admin_lang(request)
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    query["lang"] = other_language(lang)
    switch = f"{request.url.path}?{urlencode(query)}"
    body = site.renderer.render(
        lang,
        template,
        user=user,
        csrf=csrf_token(request),
        switch_url=switch if request.method == "GET" else None,
        url=lambda name, **params: request.app.route_reverse(name, **params),
        **context,
    )
    return html(body, status, NO_STORE)

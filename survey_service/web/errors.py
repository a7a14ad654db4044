"""Error pages: any error as a bilingual HTML page (JSON under ``/api/``)."""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException

from ..i18n import normalise
from ..rendering import Renderer
from ..services.errors import Invalid, NotFound, Refused, ServiceError, Unavailable
from .messages import N_
from .pages import html

log = logging.getLogger(__name__)

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
#: How the web answers a service's domain error (the API gives its message as the detail).
SERVICE_STATUS: dict[type[ServiceError], int] = {
    NotFound: 404,
    Invalid: 400,
    Refused: 409,
    Unavailable: 503,
}


def status_of(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, ServiceError):
        return next((s for t, s in SERVICE_STATUS.items() if isinstance(exc, t)), 400)
    return 500


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Render any error as a bilingual HTML page (JSON for the API)."""
    status = status_of(exc)
    if status >= 500:
        log.exception("error serving %s %s", request.method, request.url.path, exc_info=exc)
    if request.url.path.startswith("/api/"):
        detail = "Internal server error"
        if isinstance(exc, HTTPException | ServiceError):
            detail = exc.detail if isinstance(exc, HTTPException) else str(exc)
        return Response({"status_code": status, "detail": detail}, status_code=status)
    lang = normalise(request.query_params.get("lang"))
    renderer: Renderer = request.app.state.site.renderer
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

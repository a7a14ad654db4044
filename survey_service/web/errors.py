"""Error pages: any exception becomes a short HTML page in the request's language (JSON for
the API), and the log gets a traceback only for the server's own faults.

What a client causes (a bad path, a malformed or altered form, a body cut short by a dropped
connection) is a 4xx and never writes a traceback: anyone could otherwise fill the disk.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, InternalServerException, ValidationException

from ..i18n import normalise
from ..rendering import Renderer
from ..services.errors import Invalid, NotFound, Refused, ServiceError, Unavailable
from ..storage.faults import one_line, unavailable
from .body import sent_form
from .messages import N_
from .pages import html

log = logging.getLogger("survey_service.app")

#: What Litestar raises (as a 500) when the client goes away before its body is read.
CLIENT_GONE = "client disconnected prematurely"

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
ERRORS[503] = (
    N_("The service is unavailable for a moment"),
    N_("Please try again in a few minutes. Every answer that reached the thank-you page is "
       "saved."),
)
ERRORS[405] = ERRORS[404]
#: Seconds a client is asked to wait when the database is away.
RETRY_AFTER = "30"
#: How the web answers a service's domain error (the API gives its message as the detail).
SERVICE_STATUS: dict[type[ServiceError], int] = {
    NotFound: 404,
    Invalid: 400,
    Refused: 409,
    Unavailable: 503,
}


class OneLinePerUpgrade(logging.Filter):
    """For uvicorn's log: the server has no WebSocket routes (``ws="none"``), so uvicorn
    follows "Unsupported upgrade request." with advice to install a WebSocket library; keep
    the first line only (a client's upgrade request must cost one line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("No supported WebSocket library detected")


#: Longest request path written to a log: the client chooses its length.
LOGGED_PATH = 200


def loggable(path: str) -> str:
    """A client's path fit for a one-line log: no invitation code (``/t/…``), control
    characters escaped (no forged lines), cut at :data:`LOGGED_PATH` characters."""
    if path.startswith("/t/") and path != "/t/thanks":
        return "/t/…"
    if not path.isprintable():
        path = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in path)
    return path if len(path) <= LOGGED_PATH else path[:LOGGED_PATH] + "…"


def request_language(request: Request[Any, Any, Any]) -> str:
    """The language the client was reading: ``?lang=`` or, for a form already parsed (a
    refused CSRF token, an altered form), its ``_lang`` field; Bulgarian otherwise."""
    lang = request.query_params.get("lang")
    if lang is None:
        form = sent_form(request.scope)
        if form is not None:
            value = form.get("_lang")
            lang = value if isinstance(value, str) else None
    return normalise(lang)


def status_of(exc: Exception) -> int:
    """The status to answer: a dropped connection is the client's doing (400), not ours."""
    if isinstance(exc, InternalServerException) and exc.detail == CLIENT_GONE:
        return 400
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, ServiceError):
        return next((s for t, s in SERVICE_STATUS.items() if isinstance(exc, t)), 400)
    if unavailable(exc):
        return 503
    return 500


def api_error(exc: Exception, status: int, away: bool = False) -> Response[Any]:
    """The API's JSON refusal: ``{"status_code", "detail"}`` (a malformed parameter named in
    the detail; the server's own faults never described), with the exception's headers (the
    ``WWW-Authenticate`` challenge of a 401; ``Retry-After`` while the database is away)."""
    detail = "Internal server error"
    if away:
        detail = "The database is unavailable for a moment: try again later"
    elif isinstance(exc, HTTPException) and status < 500:
        detail = exc.detail
        if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
            named = [f"{e.get('key')}: {e.get('message')}" for e in exc.extra
                     if isinstance(e, dict) and e.get("key")]
            detail = "invalid parameters: " + "; ".join(named) if named else detail
    elif isinstance(exc, ServiceError):
        detail = str(exc)
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    if away:
        headers["retry-after"] = RETRY_AFTER
    return Response({"status_code": status, "detail": detail}, status_code=status,
                    headers={**headers, "cache-control": "no-store"})


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Render any error as an HTML page in the request's language (JSON for the API)."""
    status = status_of(exc)
    away = unavailable(exc)
    if away:  # expected while the database is away: one line, no traceback
        log.warning("database unavailable, answered 503 to %s %s: %s", request.method,
                    loggable(request.url.path), one_line(exc))
    elif status >= 500:
        log.exception(
            "error serving %s %s", request.method, loggable(request.url.path), exc_info=exc
        )
    elif status == 400 and isinstance(exc, InternalServerException):
        log.debug("client went away before its request was read")
    if request.url.path.startswith("/api/"):
        return api_error(exc, status, away)
    lang = request_language(request)
    renderer: Renderer = request.app.state.site.renderer
    if away and (kept := resend_page(request, renderer, lang)) is not None:
        return kept
    heading, message = ERRORS.get(status, ERRORS[500 if status >= 500 else 400])
    body = renderer.render(
        lang,
        "errors/error.html",
        heading=renderer.gettext(lang, heading),
        message=renderer.gettext(lang, message),
    )
    headers = {"cache-control": "no-store"}
    if away:
        headers["retry-after"] = RETRY_AFTER
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)
    return html(body, status, headers)


#: Respondents' forms whose fields a 503 keeps for sending again (staff pages, citizen pages;
#: never an administrator's form, which may hold a password).
RESEND_PATHS = ("/t",)
RESEND_PREFIXES = ("/s/",)


def resend_page(
    request: Request[Any, Any, Any], renderer: Renderer, lang: str
) -> Response[Any] | None:
    """For a respondent's form sent while the database was away: 503 with every field sent kept
    (hidden) and a button that sends them again; ``None`` for any other request."""
    path = request.url.path
    form = sent_form(request.scope)
    if request.method != "POST" or form is None or not (
        path in RESEND_PATHS or path.startswith(RESEND_PREFIXES)
    ):
        return None
    fields = [(str(name), str(v)) for name, value in form.items()
              for v in (value if isinstance(value, list) else [value])]
    body = renderer.render(
        lang, "errors/resend.html",
        heading=renderer.gettext(lang, ERRORS[503][0]),
        message=renderer.gettext(lang, RESEND),
        action=path,
        fields=fields,
    )
    return html(body, 503, {"cache-control": "no-store", "retry-after": RETRY_AFTER})


RESEND = N_("Your answers could not be saved just now. Nothing you entered is lost: please press "
            "“Send again” in a minute.")


__all__ = [
    "ERRORS",
    "SERVICE_STATUS",
    "OneLinePerUpgrade",
    "error_page",
    "loggable",
    "request_language",
]

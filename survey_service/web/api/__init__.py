"""The read-only JSON API (``/api/v1``) for analysts and administrators, with API keys.

- ``access``: the ``Authorization: Bearer KEY`` guard and the organisation check;
- ``limits``: requests per client and per key (429 with ``Retry-After``);
- ``waves``: surveys, waves with counts, a wave's indicators, two waves compared;
- ``exports``: a wave's exports (CSV, xlsx, SPSS, Stata, codebook, JSON pages);
- ``schemas``: the msgspec Structs it answers with, described at ``/schema/openapi.json``.

Handlers are thin: what they read comes from ``services``. Errors are JSON
(``{"status_code", "detail"}``, ``web.errors``), never an HTML page. Nothing here imports
``web.admin`` or ``web.respondents``.
"""

from __future__ import annotations

from litestar import Router
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.types import ControllerRouterHandler

from .access import authorise
from .exports import ExportsController
from .limits import limit_client, limit_key
from .waves import WavesController

PREFIX = "/api/v1"
SECURITY = "apiKey"

route_handlers: list[ControllerRouterHandler] = [WavesController, ExportsController]


def router() -> Router:
    """``/api/v1``: every route behind :func:`~.access.authorise` and the limits of
    :mod:`.limits`, in the OpenAPI document."""
    return Router(PREFIX, route_handlers=route_handlers,
                  guards=[limit_client, authorise, limit_key],
                  include_in_schema=True, security=[{SECURITY: []}])


def openapi_config(version: str) -> OpenAPIConfig:
    """The OpenAPI document at ``/schema/openapi.json`` (and ``/schema``), and as YAML at
    ``/schema/openapi.yaml`` (the API only: pages are not in it). No viewer (Swagger, ReDoc,
    ...): Litestar's need inline scripts, which the Content-Security-Policy forbids on every
    page; any other ``/schema/...`` is a 404."""
    return OpenAPIConfig(
        title="survey-service API",
        version=version,
        description=(
            "Read-only access for analysts and administrators. Authenticate with "
            "`Authorization: Bearer KEY` (a key from `survey-service users key NAME`). An "
            "analyst's key reads only the organisations granted to the analyst."),
        path="/schema",
        components=Components(security_schemes={
            SECURITY: SecurityScheme(type="http", scheme="bearer",
                                     description="A key from `survey-service users key`"),
        }),
        use_handler_docstrings=False,
        create_examples=False,
        render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
    )

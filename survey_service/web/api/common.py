"""What the API's handlers share: the documented refusals of every route."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIHeader, OpenAPIResponse, OpenAPIType, Operation, Schema

from .schemas import Error


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(Error, description=description)


#: Refusals every route may answer (with an :class:`~.schemas.Error` body).
COMMON = {
    400: _spec("Malformed request: a parameter is missing, unknown or out of range"),
    401: _spec("No API key, or a key that is unknown, replaced or of a disabled user"),
    403: _spec("The key's user may not read this (its role, or an organisation not granted)"),
    404: _spec("No such survey, wave or organisation (or none the key may read)"),
    429: _spec("Too many requests with this key (SURVEY_API_KEY_LIMIT) or from this address "
               "(SURVEY_API_CLIENT_LIMIT) in SURVEY_API_WINDOW_SECONDS; Retry-After says "
               "after how many seconds to try again"),
}
#: ... and those of routes that read a wave's responses or figures.
READS = {
    **COMMON,
    409: _spec("Not available yet: a staff wave that is not closed and mixed, or a group "
               "too small to be shown"),
    503: _spec("The database cannot be read now; try again later"),
}
#: What a 429 says, besides its body (Litestar's extra responses carry no headers).
RETRY_AFTER = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER, minimum=1), required=True,
                            description="Seconds to wait before the next request is allowed")


@dataclass
class ApiOperation(Operation):
    """An API operation in the OpenAPI document, whose 429 carries ``Retry-After``."""

    def __post_init__(self) -> None:
        refusal = (self.responses or {}).get("429")
        if isinstance(refusal, OpenAPIResponse):
            refusal.headers = {**(refusal.headers or {}), "Retry-After": RETRY_AFTER}

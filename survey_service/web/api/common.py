"""What the API's handlers share: the documented refusals of every route."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec

from .schemas import Error


def _spec(description: str) -> ResponseSpec:
    return ResponseSpec(Error, description=description)


#: Refusals every route may answer (with an :class:`~.schemas.Error` body).
COMMON = {
    400: _spec("Malformed request: a parameter is missing, unknown or out of range"),
    401: _spec("No API key, or a key that is unknown, replaced or of a disabled user"),
    403: _spec("The key's user may not read this (its role, or an organisation not granted)"),
    404: _spec("No such survey, wave or organisation (or none the key may read)"),
}
#: ... and those of routes that read a wave's responses or figures.
READS = {
    **COMMON,
    409: _spec("Not available yet: a staff wave that is not closed and mixed, or a group "
               "too small to be shown"),
    503: _spec("The database cannot be read now; try again later"),
}

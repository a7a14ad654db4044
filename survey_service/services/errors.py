"""Domain errors of the service layer: each says in one sentence what is wrong.

Front ends turn them into their own messages: the CLI prints one line and exits non-zero, a
web page or an API answers 4xx. Services never raise a front end's exceptions.
"""

from __future__ import annotations


class ServiceError(Exception):
    """Something an operator or analyst asked for cannot be done; the message says why."""


class NotFound(ServiceError):
    """An unknown survey, wave, organisation, unit or code."""


class Refused(ServiceError):
    """The request is understood but not allowed in the present state (a closed wave, a
    wave with responses, an open staff wave's results...)."""


class Invalid(ServiceError):
    """A value given by the operator is malformed or out of range."""


class Unavailable(ServiceError):
    """Something the service needs is missing: the secret key, a frozen form version, a
    writable folder, or the right key for sealed answers."""

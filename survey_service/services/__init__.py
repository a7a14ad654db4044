"""The service layer: what the CLI, the web pages and a future API all call.

Each module is one capability over the store and the survey files (``waves``, ``tokens``,
``reports``, ``mixing``, ``demo``; ``catalog`` for the files and the frozen organisation
structures). Services take the settings and an open :class:`~survey_service.storage.base.Store`
and raise :class:`~survey_service.services.errors.ServiceError` subclasses with a one-line
message; each front end turns those into its own messages. Nothing here knows about HTTP or
the command line.
"""

from __future__ import annotations

from .errors import Invalid, NotFound, Refused, ServiceError, Unavailable

__all__ = ["Invalid", "NotFound", "Refused", "ServiceError", "Unavailable"]

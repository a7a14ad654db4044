"""The secret key that invitation codes and sealed staff answers depend on."""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..keyfile import database_file
from .errors import Unavailable


def require_lasting_secret(database_url: str, environ: Mapping[str, str] | None = None) -> None:
    """Refuse to work on codes or sealed answers with a key made up for this process only:
    it must be the server's: ``SURVEY_SECRET_KEY``, or the key kept beside an SQLite
    database file (which the server reads too)."""
    env = os.environ if environ is None else environ
    if not env.get("SURVEY_SECRET_KEY") and database_file(database_url) is None:
        raise Unavailable(
            "SURVEY_SECRET_KEY must be set (the same value as the server's): invitation codes "
            "and sealed staff answers depend on it"
        )

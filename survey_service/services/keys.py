"""The secret key that invitation codes and sealed staff answers depend on."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .errors import Unavailable


def require_lasting_secret(environ: Mapping[str, str] | None = None) -> None:
    """Refuse to work on codes or sealed answers with a key made up for this process only:
    it must be the server's ``SURVEY_SECRET_KEY``."""
    env = os.environ if environ is None else environ
    if not env.get("SURVEY_SECRET_KEY"):
        raise Unavailable(
            "SURVEY_SECRET_KEY must be set (the same value as the server's): invitation codes "
            "and sealed staff answers depend on it"
        )

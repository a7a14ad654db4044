"""The secret key when ``SURVEY_SECRET_KEY`` is not set: made once, kept beside the database.

On the first start without ``SURVEY_SECRET_KEY`` a random key is written to
``<database>.key`` (mode 0600) and the log says so once; every later start, and every command
of the CLI on the same database, reads the same file, so codes issued by ``tokens issue`` match
the server's and sealed staff answers can always be unsealed. The database keeps a fingerprint
of the key (:func:`fingerprint`, a keyed hash that reveals nothing of the key), and the store
refuses a key of another fingerprint once it holds codes or sealed answers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

MISMATCH = (
    "SURVEY_SECRET_KEY does not match this database: its invitation codes and sealed staff "
    "answers were made with another key and cannot be checked or unsealed with this one; use "
    "that key (without SURVEY_SECRET_KEY it is read from {path})"
)


def database_file(database_url: str) -> Path | None:
    """The database file of a ``sqlite:///`` URL (``None`` for an in-memory database)."""
    for prefix in ("sqlite:///", "sqlite://"):
        if database_url.startswith(prefix):
            path = database_url.removeprefix(prefix)
            return Path(path) if path and path != ":memory:" else None
    return None


def key_path(database_url: str) -> Path | None:
    db = database_file(database_url)
    return db.with_name(db.name + ".key") if db is not None else None


def load_or_create(database_url: str) -> str | None:
    """The key kept beside the database, made (0600) on first use; ``None`` for a database
    that is not a file. Raises ``ValueError`` naming the file if it cannot be read or made."""
    path = key_path(database_url)
    if path is None:
        return None
    try:
        try:
            return _read(path)
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return _read(path)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        raise ValueError(f"cannot read or create the secret key file {path}: {exc}") from exc
    log.warning(
        "SURVEY_SECRET_KEY is not set: created a secret key in %s (mode 0600); keep it, and "
        "keep it out of the database's backups",
        path,
    )
    return key


def _read(path: Path) -> str:
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ValueError(f"the secret key file {path} holds fewer than 32 characters")
    return key


def fingerprint(secret_key: str) -> bytes:
    """What the database keeps to recognise its key (reveals nothing of the key)."""
    return hmac.new(
        secret_key.encode(), b"survey-service key fingerprint", hashlib.sha256
    ).digest()[:16]


def mismatch_message(database_url: str) -> str:
    return MISMATCH.format(path=key_path(database_url) or "<database>.key")

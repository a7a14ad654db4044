"""All settings, read from the environment (``SURVEY_*``) into one documented object.

The README's settings table is checked against :data:`DOCS` by a test.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping

import msgspec

log = logging.getLogger(__name__)

#: Setting name -> what it does (the README table lists every one of these).
DOCS: dict[str, str] = {
    "database_url": "Where responses are stored: `sqlite:///path/to/file.sqlite3`, or "
    "`postgresql://user:password@host:5432/database` for several processes or machines.",
    "db_pool_size": "PostgreSQL only: connections each process keeps (at least 4): one writer "
    "for group commit, a quarter for long reads (exports, reports), the rest for point reads.",
    "forms_dir": "Folder with the survey files (`*.toml`) and `organisations.toml`.",
    "host": "Address `serve` listens on.",
    "port": "Port `serve` listens on.",
    "secret_key": "Secret for CSRF tokens (at least 32 characters). Set it in production; "
    "without it a random key is made at each start.",
    "public_url": "Base URL of the public site, used in printed links and QR codes.",
    "access_log": "`1` writes an access log line per request (never with client addresses).",
    "forwarded_allow_ips": "Addresses of a reverse proxy whose X-Forwarded-For is trusted "
    "(e.g. `127.0.0.1`), so that limits on wrong invitation codes count real clients.",
    "max_body_bytes": "Largest request body accepted; larger ones get 413.",
    "kiosk_idle_seconds": "A kiosk form untouched this long asks whether someone is still there, "
    "then clears itself.",
    "kiosk_restart_seconds": "Seconds the kiosk thank-you page waits before a fresh form "
    "(the person can stop or extend it).",
    "min_group": "Smallest group any staff figure, breakdown or export may describe "
    "(never below 5).",
    "wave_refresh_seconds": "How often a running server re-reads the waves that the CLI opens "
    "and closes.",
}


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = "sqlite:///data/survey.sqlite3"
    db_pool_size: int = 8
    forms_dir: str = "forms"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    access_log: bool = False
    forwarded_allow_ips: str = ""
    max_body_bytes: int = 256 * 1024
    kiosk_idle_seconds: int = 120
    kiosk_restart_seconds: int = 30
    wave_refresh_seconds: float = 2.0
    min_group: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``SURVEY_<NAME>`` variables; raise ``ValueError`` naming a bad one."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.__struct_fields__:
            value = env.get(f"SURVEY_{name.upper()}")
            if value is not None and value != "":
                raw[name] = value
        raw.update(overrides)
        try:
            settings = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ValueError(f"bad setting: {exc} (environment variables SURVEY_*)") from exc
        if settings.db_pool_size < 4:
            raise ValueError("SURVEY_DB_POOL_SIZE must be at least 4")
        if settings.min_group < 5:
            raise ValueError("SURVEY_MIN_GROUP must be at least 5")
        if not settings.secret_key:
            log.warning("SURVEY_SECRET_KEY is not set: using a random key for this process")
            settings = msgspec.structs.replace(settings, secret_key=secrets.token_urlsafe(32))
        elif len(settings.secret_key) < 32:
            raise ValueError("SURVEY_SECRET_KEY must be at least 32 characters long")
        return settings

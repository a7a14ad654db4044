"""All settings, read from the environment (``SURVEY_*``) into one documented object.

The README's settings table is checked against :data:`DOCS` by a test. Every setting is
checked when it is read (:meth:`Settings.from_env`): a bad one raises :class:`SettingsError`
with one line naming the variable and what it accepts, so a command stops before it does
anything.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec

log = logging.getLogger(__name__)

#: Setting name -> what it does (the README table lists every one of these).
DOCS: dict[str, str] = {
    "database_url": "Where responses are stored: `sqlite:///path/to/file.sqlite3`, or "
    "`postgresql://user:password@host:5432/database` for several processes or machines; an "
    "empty value is refused.",
    "db_pool_size": "PostgreSQL only: connections each process keeps (4 to 1000): one writer "
    "for group commit, a quarter for long reads (exports, reports), the rest for point reads.",
    "forms_dir": "Folder with the survey files (`*.toml`) and `organisations.toml`.",
    "host": "Address `serve` listens on: an IP address or a host name, without the port.",
    "port": "Port `serve` listens on (1 to 65535).",
    "secret_key": "Secret for CSRF tokens, invitation codes and sealed staff answers (at least "
    "32 characters). Without it a key is made on first start and kept beside the database "
    "(`<database>.key`, mode 0600).",
    "public_url": "Base URL of the public site, used in printed links and QR codes; by default "
    "`http://SURVEY_HOST:SURVEY_PORT` (`127.0.0.1` when listening on every address).",
    "access_log": "`1` writes an access log line per request (never with client addresses).",
    "forwarded_allow_ips": "Addresses of a reverse proxy whose X-Forwarded-For is trusted "
    "(e.g. `127.0.0.1`), so that limits on wrong invitation codes count real clients.",
    "max_body_bytes": "Largest request body accepted (16384 to 67108864); larger ones get 413.",
    "header_timeout_seconds": "A client must send a request's headers within this many seconds "
    "(1 to 600) of connecting, or gets 408 and is disconnected (slow clients hold connections).",
    "body_timeout_seconds": "A client must send a request's body within this many seconds "
    "(1 to 3600) of its headers, or gets 408 and is disconnected.",
    "kiosk_idle_seconds": "A kiosk form untouched this long (10 to 86400 seconds) asks whether "
    "someone is still there, then clears itself.",
    "kiosk_restart_seconds": "Seconds (1 to 3600) the kiosk thank-you page waits before a fresh "
    "form (the person can stop or extend it).",
    "submit_limit": "Citizen submissions one client may make in `SURVEY_SUBMIT_WINDOW_SECONDS` "
    "(1 to 100000); more get 429 with the form kept. Enrolled kiosks are exempt.",
    "submit_window_seconds": "The window (10 to 86400 seconds) of `SURVEY_SUBMIT_LIMIT`.",
    "api_key_limit": "Requests one API key may make to `/api/v1` in `SURVEY_API_WINDOW_SECONDS` "
    "(1 to 1000000); more get 429 with `Retry-After`.",
    "api_client_limit": "Requests one client address may make to `/api/v1` in "
    "`SURVEY_API_WINDOW_SECONDS`, whatever its keys (1 to 1000000); more get 429.",
    "api_window_seconds": "The window (1 to 86400 seconds) of the API's limits.",
    "min_group": "Smallest group any staff figure, breakdown or export may describe "
    "(5 to 1000).",
    "protection_level": "Width (1 to 50 points on a 0-100 scale, or that share of another "
    "scale) of the narrowest interval an attacker who knows every published figure and count "
    "may be able to prove for a hidden small group; a wave keeps the value of its plan.",
    "wave_refresh_seconds": "How often (0 to 3600 seconds) a running server re-reads the waves "
    "that the CLI opens and closes.",
    "retention_years": "Answers and the list of used staff codes are kept until 31 December of "
    "this many years (1 to 50) after the year a wave closes (the EU programme's rule for project "
    "documents), then deleted; shown in the privacy notice.",
    "retention_text_days": "Free-text answers of a wave are deleted this many days (1 to 36500) "
    "after it closes (`survey-service retention run`, and the server daily); the coded answers "
    "and every figure stay. A wave keeps the value it opened with (`waves set --retention-text`); "
    "shown in the privacy notice.",
    "retention_codes_days": "The list of a staff wave's invitation codes is replaced by its counts "
    "per unit this many days (1 to 36500) after the wave closes; a wave keeps the value it opened "
    "with (`waves set --retention-codes`); shown in the privacy notice.",
    "comments_review_days": "Within this many days (1 to 365) of a wave's end, analysts remove "
    "personal details from free-text answers; shown in the privacy notice.",
    "session_idle_minutes": "An administration session unused this long (5 to 1440 minutes) "
    "ends; the user signs in again.",
    "session_max_hours": "An administration session ends this long after sign-in (1 to 168 "
    "hours), however busy.",
    "paper_double_entry": "`1`: every paper questionnaire is typed in by two clerks; it counts "
    "once both agree, or once an administrator resolves their differences.",
}

#: Settings whose variable, when set to an empty string, is refused instead of meaning "unset"
#: (an empty database URL would otherwise silently use, or create, the default database).
NOT_EMPTY = frozenset({"database_url"})
MIN_SECRET_KEY = 32
#: Smallest and largest accepted ``min_group`` (also the bounds for a wave's own value).
MIN_GROUP_FLOOR, MIN_GROUP_CEILING = 5, 1000
_HOST_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$")
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 (names, not a bind)


class SettingsError(ValueError):
    """A setting that cannot be used; the message is one line naming the variable."""


#: Numeric settings and their sensible ranges (checked at start, named in the message).
class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = "sqlite:///data/survey.sqlite3"
    db_pool_size: Annotated[int, msgspec.Meta(ge=4, le=1000)] = 8
    forms_dir: str = "forms"
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65_535)] = 8000
    secret_key: str = ""
    #: empty: follows ``host`` and ``port`` (filled in when the settings are made)
    public_url: str = ""
    access_log: bool = False
    forwarded_allow_ips: str = ""
    max_body_bytes: Annotated[int, msgspec.Meta(ge=16 * 1024, le=64 * 1024 * 1024)] = 256 * 1024
    header_timeout_seconds: Annotated[int, msgspec.Meta(ge=1, le=600)] = 20
    body_timeout_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 60
    kiosk_idle_seconds: Annotated[int, msgspec.Meta(ge=10, le=24 * 3600)] = 120
    kiosk_restart_seconds: Annotated[int, msgspec.Meta(ge=1, le=3600)] = 30
    submit_limit: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 10
    submit_window_seconds: Annotated[int, msgspec.Meta(ge=10, le=24 * 3600)] = 600
    api_key_limit: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 600
    api_client_limit: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 1200
    api_window_seconds: Annotated[int, msgspec.Meta(ge=1, le=24 * 3600)] = 60
    wave_refresh_seconds: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 2.0
    min_group: Annotated[int, msgspec.Meta(ge=MIN_GROUP_FLOOR, le=MIN_GROUP_CEILING)] = 10
    protection_level: Annotated[float, msgspec.Meta(ge=1, le=50)] = 20.0
    retention_years: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5
    retention_text_days: Annotated[int, msgspec.Meta(ge=1, le=36_500)] = 365
    retention_codes_days: Annotated[int, msgspec.Meta(ge=1, le=36_500)] = 90
    comments_review_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    session_idle_minutes: Annotated[int, msgspec.Meta(ge=5, le=24 * 60)] = 30
    session_max_hours: Annotated[int, msgspec.Meta(ge=1, le=168)] = 10
    paper_double_entry: bool = False

    def __post_init__(self) -> None:
        if not self.public_url:
            msgspec.structs.force_setattr(self, "public_url", default_public_url(self))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``SURVEY_<NAME>`` variables; raise :class:`SettingsError` naming a bad one."""
        env = os.environ if environ is None else environ
        raw: dict[str, object] = {}
        for name in cls.__struct_fields__:
            value = env.get(f"SURVEY_{name.upper()}")
            if value is not None and name != "secret_key":
                value = value.strip()  # spaces around a value in an env file mean nothing
            if value is not None and (value != "" or name in NOT_EMPTY):
                raw[name] = value
        raw.update(overrides)
        try:
            settings = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise SettingsError(_explain(exc, raw, set(overrides))) from None
        _check_host(settings.host)
        _check_urls(settings, set(raw))
        if not settings.secret_key:
            from .keyfile import load_or_create

            key = load_or_create(settings.database_url)  # kept beside the database
            if key is None:
                log.warning("SURVEY_SECRET_KEY is not set: using a random key for this process")
                key = secrets.token_urlsafe(32)
            settings = msgspec.structs.replace(settings, secret_key=key)
        elif len(settings.secret_key) < MIN_SECRET_KEY:
            raise SettingsError(
                f"SURVEY_SECRET_KEY is too short ({len(settings.secret_key)} characters): "
                f"it must be at least {MIN_SECRET_KEY} characters long"
            )
        return settings


def default_public_url(settings: Settings) -> str:
    """Where the server listens, as printed on slips and QR codes when no public URL is set."""
    host = settings.host.strip()
    if host in _WILDCARD_HOSTS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host.replace('%', '%25')}]"  # an IPv6 address (and its zone)
    return f"http://{host}:{settings.port}"


def _variable(name: str, overridden: set[str]) -> str:
    return name if name in overridden else f"SURVEY_{name.upper()}"


def _explain(exc: msgspec.ValidationError, raw: Mapping[str, object], overridden: set[str]) -> str:
    """One line for a value msgspec refused: the variable, its value and what it accepts."""
    where = str(exc).rpartition(" - at `$.")[2]
    name = where.rstrip("`")
    if name not in Settings.__struct_fields__:
        return f"bad setting: {exc}"
    value = raw.get(name)
    shown = str(value) if str(value).isprintable() else repr(value)
    if name == "secret_key":
        shown = "…"  # never echo a secret
    return f"{_variable(name, overridden)}={shown} is not valid: expected {_accepted(name)}"


def _accepted(name: str) -> str:
    """What a setting accepts, from its type and its msgspec constraints."""
    struct = msgspec.inspect.type_info(Settings)
    assert isinstance(struct, msgspec.inspect.StructType)
    info: Any = next(f.type for f in struct.fields if f.name == name)
    if isinstance(info, msgspec.inspect.BoolType):
        return "1 or 0 (true or false)"
    if isinstance(info, msgspec.inspect.IntType | msgspec.inspect.FloatType):
        what = "a whole number" if isinstance(info, msgspec.inspect.IntType) else "a number"
        low, high = info.ge, info.le
        if low is not None and high is not None:
            return f"{what} from {low} to {high}"
        return what
    return "text"


def _check_host(host: str) -> None:
    """An IP address or a host name, without a port or a scheme."""
    if host in _WILDCARD_HOSTS or _HOST_NAME.match(host):
        return
    try:
        ipaddress.ip_address(host.removeprefix("[").removesuffix("]"))
    except ValueError:
        shown = host if host.isprintable() else repr(host)
        raise SettingsError(
            f"SURVEY_HOST={shown} is not valid: expected an IP address or a host name only "
            "(the port goes in SURVEY_PORT)"
        ) from None


def _check_urls(settings: Settings, given: set[str]) -> None:
    url = settings.database_url
    if not url:
        raise SettingsError(
            "SURVEY_DATABASE_URL is set but empty: unset it to use the default "
            "(sqlite:///data/survey.sqlite3) or give sqlite:///path/to/file.sqlite3"
        )
    sqlite_path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    postgres = url.startswith("postgresql://") and len(url) > len("postgresql://")
    if not (sqlite_path.strip() or postgres):
        if url.startswith("sqlite:///"):
            given_as = "the path of the file is missing"
        elif url.startswith("sqlite:"):
            given_as = "a file needs three slashes, four for an absolute path"
        elif "://" in url:  # the rest may hold a password: never echoed
            given_as = f"it starts with {url.partition('://')[0]}://"
        else:
            given_as = "it has no scheme"
        raise SettingsError(
            f"SURVEY_DATABASE_URL must be sqlite:///path/to/file.sqlite3 or "
            f"postgresql://host/database ({given_as})"
        )
    if "public_url" in given:
        try:
            parts = urlsplit(settings.public_url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query
        except ValueError:
            ok = False
        if not ok:
            raise SettingsError(
                f"SURVEY_PUBLIC_URL={settings.public_url} is not valid: expected an http:// or "
                "https:// address such as https://anketa.elena.bg"
            )

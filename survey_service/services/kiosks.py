"""Front-desk kiosks: enrol a device (a one-time link), list and revoke kiosks, and the
signed cookie an enrolled device holds.

Nobody can make their own device a kiosk (kiosk answers are exempt from the limit on
submissions per client, and are reported apart): an administrator runs ``kiosk enrol``,
which prints a link that works once, for a limited time, and is stored only as a SHA-256
hash (it is 256 random bits, so an unkeyed hash cannot be reversed). Opening it on the
device and confirming sets a long-lived ``HttpOnly`` cookie naming the kiosk, signed with
HMAC-SHA256 keyed by ``SURVEY_SECRET_KEY`` for this purpose only. A forged, altered or
revoked cookie, or one signed with another key, counts as no cookie: the device gets the
ordinary web form.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

from ..settings import Settings
from ..storage.base import Kiosk, Store
from .catalog import find_organisation, find_survey, load
from .errors import Invalid, NotFound, Refused

COOKIE = "kiosk"
#: Browsers keep a cookie at most 400 days (RFC 6265bis); a kiosk is enrolled again then.
COOKIE_SECONDS = 400 * 24 * 3600
_PURPOSE = b"survey-service kiosk cookie v1\x00"
_ID = re.compile(r"^[A-Za-z0-9_-]{22}$")
_LINK = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_LABEL = 60
MAX_HOURS = 24 * 7


def link_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def valid_link_token(token: str) -> bool:
    return bool(_LINK.match(token))


def _mac(secret_key: str, kiosk_id: str) -> str:
    digest = hmac.new(secret_key.encode(), _PURPOSE + kiosk_id.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def sign_cookie(secret_key: str, kiosk_id: str) -> str:
    """The cookie value of an enrolled kiosk: its id and a signature."""
    return f"{kiosk_id}.{_mac(secret_key, kiosk_id)}"


def cookie_kiosk_id(secret_key: str, value: str) -> str | None:
    """The kiosk id a cookie names if its signature is right (constant-time), else None."""
    kiosk_id, _, mac = value.partition(".")
    if not _ID.match(kiosk_id) or not hmac.compare_digest(mac, _mac(secret_key, kiosk_id)):
        return None
    return kiosk_id


def _check_label(label: str) -> str:
    label = " ".join(label.split())
    if not label or len(label) > MAX_LABEL or not label.isprintable():
        raise Invalid(f"a kiosk label needs 1 to {MAX_LABEL} printable characters")
    return label


async def enrol(
    settings: Settings,
    store: Store,
    organisation: str,
    survey_id: str | None = None,
    label: str | None = None,
    hours: int = 24,
) -> tuple[Kiosk, str]:
    """Register a kiosk and return it with its one-time enrolment link."""
    catalog = load(settings)
    find_organisation(catalog, organisation)
    if survey_id is not None and find_survey(catalog, survey_id).survey.kind != "citizen":
        raise Refused(f"survey '{survey_id}' is not a citizen survey: kiosks serve only those")
    if not 1 <= hours <= MAX_HOURS:
        raise Invalid(f"--valid-hours must be from 1 to {MAX_HOURS}")
    if label is None:
        used = {k.label for k in await store.kiosks() if not k.revoked}
        label = next(f"{organisation} kiosk {n}" for n in range(1, len(used) + 2)
                     if f"{organisation} kiosk {n}" not in used)
    token = secrets.token_urlsafe(32)
    kiosk = Kiosk(
        id=secrets.token_urlsafe(16),
        label=_check_label(label),
        organisation=organisation,
        survey_id=survey_id,
        link_expires=dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours),
    )
    if not await store.add_kiosk(kiosk, link_hash(token)):
        raise Refused(f"a kiosk labelled '{kiosk.label}' exists: revoke it or choose another label")
    return kiosk, f"{settings.public_url.rstrip('/')}/kiosk/enrol/{token}"


async def kiosks(store: Store) -> list[Kiosk]:
    return await store.kiosks()


async def revoke(store: Store, label: str) -> None:
    """Revoke a kiosk: its device gets the ordinary web form from the next refresh on."""
    if not await store.revoke_kiosk(" ".join(label.split())):
        raise NotFound(f"no kiosk in use is labelled '{label}' (see `survey-service kiosk list`)")


def state(kiosk: Kiosk, at: dt.datetime) -> str:
    """``enrolled``, ``waiting`` (link not used yet), ``expired`` (link unused) or
    ``revoked``."""
    if kiosk.revoked:
        return "revoked"
    if kiosk.enrolled:
        return "enrolled"
    return "waiting" if kiosk.link_expires > at else "expired"

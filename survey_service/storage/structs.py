"""The records the store keeps besides responses and codes: kiosks, fieldwork days, frozen
plans, accounts, audit entries and paper entries (re-exported by :mod:`.base`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import msgspec


class Kiosk(msgspec.Struct, frozen=True, kw_only=True):
    """A front-desk device an administrator enrolled (or will, with its one-time link)."""

    id: str  # random; the device's signed cookie names it
    label: str
    organisation: str
    survey_id: str | None  # None: every citizen survey of the organisation
    link_expires: dt.datetime  # the enrolment link works once, until then
    enrolled: bool = False
    revoked: bool = False


class FieldworkDay(msgspec.Struct, frozen=True, kw_only=True):
    """One day of fieldwork of a wave at one organisation (counts only; ``None``: not
    counted): paper forms handed out, visitors counted, participants of a training event."""

    wave_id: str
    organisation: str
    day: dt.date
    handed_out: int | None = None
    visitors: int | None = None
    attended: int | None = None
    source: str = "clerk"  # clerk (typed in) | queue (the queue system's export)
    entered_by: str = ""


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """An analysis plan frozen once and never rewritten (e.g. the project's confirmatory
    family): its definition, the definition's content hash, when and by which wave it was
    frozen."""

    name: str
    hash: str
    definition: bytes
    frozen: dt.datetime
    wave_id: str | None = None


class User(msgspec.Struct, frozen=True, kw_only=True):
    """An account of the administration side (admin, analyst or clerk)."""

    name: str
    role: str  # admin | analyst | clerk
    organisations: list[str] = []  # the organisations granted (admins: every one)
    password_hash: str
    key_hash: bytes | None = None  # SHA-256 of the read-only API key
    disabled: bool = False
    epoch: int = 0  # raised to end every session of the user (password change, disable)
    created: str = ""


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the append-only audit log; ``hash`` covers ``prev`` and the fields."""

    seq: int
    at: str
    actor: str
    action: str
    detail: str  # JSON object
    prev: bytes
    hash: bytes


class PaperEntry(msgspec.Struct, frozen=True):
    """One clerk's typing of a numbered paper questionnaire, waiting for double entry."""

    wave_id: str
    number: str
    clerk: str
    response: bytes  # the validated NewResponse, JSON


#: The hash of an audit entry from the previous hash and its fields (``services.audit``).
AuditChain = Callable[[bytes, int, str, str, str, str], bytes]

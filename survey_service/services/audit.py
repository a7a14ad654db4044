"""The audit log: who did what and when (sign-ins, wave changes, codes, exports, imports, user
changes), append-only and hash-chained.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own fields, so
editing or deleting an entry breaks every hash after it, and :func:`verify` says where. The
last entries can be cut off without a trace in the file alone: ``audit verify`` prints the
number and hash of the last entry, which an operator can note elsewhere (a dated e-mail) and
compare later.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from typing import Any

import msgspec

from ..storage.base import AuditEntry, Store

_encode = msgspec.json.Encoder(order="sorted").encode


def chain(prev: bytes, seq: int, at: str, actor: str, action: str, detail: str) -> bytes:
    """The hash of an entry: SHA-256 of the previous hash and the entry's fields."""
    return hashlib.sha256(prev + _encode([seq, at, actor, action, detail])).digest()


def cli_actor() -> str:
    """Who runs a command: ``cli:`` and the operating-system user."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


async def record(store: Store, actor: str, action: str, detail: dict[str, Any]) -> AuditEntry:
    """Append one entry: ``actor`` (a user name, or ``cli:...``), ``action`` (a short verb such
    as ``wave-close`` or ``export``) and a JSON-able ``detail``."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return await store.append_audit(at, actor, action, _encode(detail).decode(), chain)


class Verdict(msgspec.Struct, frozen=True):
    count: int
    head: str  # hex hash of the last entry ("" when empty)
    problem: str | None = None  # the first broken entry, in one line


def check(entries: list[AuditEntry]) -> Verdict:
    """Walk the chain from the first entry: numbers without gaps, each entry pointing at the
    previous hash, and each hash matching its fields."""
    prev = b""
    for expected, entry in enumerate(entries, start=1):
        if entry.seq != expected:
            return Verdict(len(entries), "", f"audit entry {expected} is missing")
        if entry.prev != prev:
            return Verdict(len(entries), "", f"audit entry {entry.seq} does not follow entry "
                           f"{entry.seq - 1}: an entry was changed or removed")
        fields = (entry.seq, entry.at, entry.actor, entry.action, entry.detail)
        if chain(prev, *fields) != entry.hash:
            return Verdict(len(entries), "", f"audit entry {entry.seq} was changed after it "
                           "was written")
        prev = entry.hash
    return Verdict(len(entries), prev.hex())


async def verify(store: Store) -> Verdict:
    return check(await store.audit_entries())

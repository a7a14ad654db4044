"""Accounts of the administration side: add, list, disable, API keys, passwords, sign-in.

Passwords are hashed with argon2id (argon2-cffi); an API key is shown once and only its
SHA-256 is stored (a key has 256 random bits, so a fast hash is enough). Every change is
written to the audit log.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import re
import secrets

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..settings import Settings
from ..storage.base import Store, User
from . import audit
from .catalog import find_organisation, load
from .errors import Invalid, NotFound, Refused

ROLES = ("admin", "analyst", "clerk")
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD, MAX_PASSWORD = 12, 1024
KEY_PREFIX = "ssk_"

#: argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane): about 0.1 s on a
#: small server; stored hashes carry their parameters, so raising them later rehashes on sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: Verified against when the name is unknown, so that a wrong name costs as long as a wrong
#: password (no telling which names exist by the time taken).
_DUMMY = _hasher.hash(secrets.token_urlsafe(16))


def key_hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _check_password(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(f"a password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters")


async def find_user(store: Store, name: str) -> User:
    user = await store.user(name)
    if user is None:
        raise NotFound(f"unknown user '{name}'")
    return user


async def add_user(
    settings: Settings,
    store: Store,
    name: str,
    role: str,
    organisations: list[str],
    password: str,
    actor: str,
) -> User:
    """Create an account. Analysts and clerks need at least one organisation; an admin has
    every organisation."""
    if not NAME.match(name):
        raise Invalid(f"user name '{name}' must be lower-case letters, digits, '.', '_' or '-'")
    if role not in ROLES:
        raise Invalid(f"unknown role '{role}' (known: {', '.join(ROLES)})")
    catalog = load(settings)
    for org in organisations:
        find_organisation(catalog, org)
    if role == "admin":
        organisations = []
    elif not organisations:
        raise Invalid(f"an {role} needs at least one organisation (--org)")
    _check_password(password)
    user = User(
        name=name,
        role=role,
        organisations=sorted(set(organisations)),
        password_hash=_hasher.hash(password),
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    if not await store.add_user(user):
        raise Refused(f"user '{name}' already exists")
    await audit.record(store, actor, "user-add",
                       {"user": name, "role": role, "organisations": user.organisations})
    return user


async def disable_user(store: Store, name: str, actor: str) -> User:
    """Disable an account: its sessions end and its API key stops working."""
    user = await find_user(store, name)
    if user.disabled:
        raise Refused(f"user '{name}' is already disabled")
    user = msgspec.structs.replace(user, disabled=True, key_hash=None, epoch=user.epoch + 1)
    await store.update_user(user)
    await audit.record(store, actor, "user-disable", {"user": name})
    return user


async def new_key(store: Store, name: str, actor: str) -> str:
    """A new read-only API key for the user (the previous one stops working); returned once."""
    user = await find_user(store, name)
    if user.disabled:
        raise Refused(f"user '{name}' is disabled")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    await store.update_user(msgspec.structs.replace(user, key_hash=key_hash(key)))
    await audit.record(store, actor, "user-key", {"user": name})
    return key


async def set_password(store: Store, name: str, password: str, actor: str) -> User:
    """Change a password; every session of the user ends."""
    _check_password(password)
    user = await find_user(store, name)
    user = msgspec.structs.replace(
        user, password_hash=_hasher.hash(password), epoch=user.epoch + 1
    )
    await store.update_user(user)
    await audit.record(store, actor, "user-password", {"user": name})
    return user


async def authenticate(store: Store, name: str, password: str) -> User | None:
    """The enabled account with this name and password, or None (as slowly either way)."""
    user = await store.user(name) if NAME.match(name) else None
    try:
        # argon2 takes tens of milliseconds of CPU: off the event loop
        await asyncio.to_thread(
            _hasher.verify, user.password_hash if user else _DUMMY, password[:MAX_PASSWORD]
        )
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user = msgspec.structs.replace(user, password_hash=_hasher.hash(password))
        await store.update_user(user)
    return user


async def user_for_key(store: Store, key: str) -> User | None:
    """The enabled account of an API key (for the read-only API), or None."""
    user = await store.user_by_key(key_hash(key)) if key.startswith(KEY_PREFIX) else None
    return user if user is not None and not user.disabled else None

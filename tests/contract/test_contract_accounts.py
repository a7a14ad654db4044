"""Contract: accounts, sessions, the audit log, paper questionnaires and counts per day."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import msgspec

from survey_service.storage import Store
from survey_service.storage.base import PaperEntry, User

from .conftest import DAY, add_wave, response


def _user(name: str = "ana", **fields: object) -> User:
    values: dict[str, object] = {
        "name": name, "role": "analyst", "organisations": ["elena"],
        "password_hash": "$argon2id$x", "created": "2026-12-01", **fields,
    }
    return msgspec.convert(values, User)


async def test_users_are_added_once_read_back_and_updated(store: Store) -> None:
    assert await store.add_user(_user())
    assert not await store.add_user(_user(role="admin"))  # the name is taken: unchanged
    assert await store.user("ana") == _user()
    assert await store.user("nobody") is None
    await store.add_user(_user("bob", role="clerk", organisations=["elena", "lyaskovets"]))
    assert [u.name for u in await store.users()] == ["ana", "bob"]
    changed = msgspec.structs.replace(
        _user(), disabled=True, epoch=3, key_hash=b"k" * 32, password_hash="$argon2id$y")
    await store.update_user(changed)
    assert await store.user("ana") == changed
    assert await store.user_by_key(b"k" * 32) == changed
    assert await store.user_by_key(b"z" * 32) is None
    assert (await store.user("bob")) == _user(
        "bob", role="clerk", organisations=["elena", "lyaskovets"])


async def test_sessions_expire_renew_and_end(store: Store) -> None:
    now = time.time()
    await store.session_set(b"a", b"data-a", now + 60)
    await store.session_set(b"b", b"data-b", now + 60)
    await store.session_set(b"old", b"gone", now - 1)
    assert await store.session_get(b"a") == b"data-a"
    assert await store.session_get(b"old") is None  # expired
    await store.session_set(b"a", b"data-a2", now + 60)  # replaced
    assert await store.session_get(b"a", renew_until=now - 1) == b"data-a2"
    assert await store.session_get(b"a") is None  # its expiry moved into the past
    await store.session_delete(b"b")
    assert await store.session_get(b"b") is None
    await store.session_set(b"c", b"c", now + 60)
    await store.session_delete(None)
    assert await store.session_get(b"c") is None


def _chain(prev: bytes, seq: int, at: str, actor: str, action: str, detail: str) -> bytes:
    return hashlib.sha256(prev + f"{seq}|{at}|{actor}|{action}|{detail}".encode()).digest()


async def test_the_audit_log_is_numbered_and_chained(store: Store) -> None:
    first = await store.append_audit("t1", "ana", "sign-in", "{}", _chain)
    second = await store.append_audit("t2", "bob", "wave-close", '{"wave": "w"}', _chain)
    assert (first.seq, first.prev) == (1, b"")
    assert first.hash == _chain(b"", 1, "t1", "ana", "sign-in", "{}")
    assert (second.seq, second.prev) == (2, first.hash)
    assert await store.audit_entries() == [first, second]
    assert await store.audit_entries(limit=1) == [second]


async def test_a_paper_number_is_stored_once_per_wave(store: Store) -> None:
    await add_wave(store, "w")
    await add_wave(store, "w2")
    assert not await store.paper_number_used("w", "0001")
    assert await store.submit_paper(response("k1", channel="paper"), "0001")
    assert await store.paper_number_used("w", "0001")
    assert not await store.paper_number_used("w2", "0001")
    assert await store.submit_paper(response("k1", channel="paper"), "0001")  # a double POST
    assert not await store.submit_paper(response("k2", channel="paper"), "0001")
    assert await store.submit_paper(response("k3", "w2", channel="paper"), "0001")
    assert await store.count_responses("w") == 1
    assert await store.submitted("k1") and not await store.submitted("k2")


async def test_responses_are_counted_per_organisation_and_day(store: Store) -> None:
    await add_wave(store, "w")
    later = DAY + dt.timedelta(days=1)
    for key, org, day in [("a", "elena", DAY), ("b", "elena", DAY), ("c", "elena", later),
                          ("d", "lyaskovets", None)]:
        await store.submit(response(key, organisation=org, day=day))
    assert await store.response_days("w") == {
        ("elena", DAY): 2, ("elena", later): 1, ("lyaskovets", None): 1}
    assert await store.response_days("other") == {}


async def test_paper_entries_wait_per_clerk_until_deleted(store: Store) -> None:
    a = PaperEntry("w", "0001", "ana", b'{"a": 1}')
    b = PaperEntry("w", "0001", "bob", b'{"a": 2}')
    other = PaperEntry("w2", "0001", "ana", b"{}")
    assert await store.add_paper_entry(b) and await store.add_paper_entry(a)
    assert not await store.add_paper_entry(PaperEntry("w", "0001", "ana", b"again"))
    assert await store.add_paper_entry(other)
    assert await store.paper_entries("w", "0001") == [a, b]
    assert await store.paper_entries() == [a, b, other]
    assert await store.paper_entries("w2") == [other]
    await store.delete_paper_entries("w", "0001")
    assert await store.paper_entries() == [other]

"""Contract: invitation codes and sealed staff answers, through the public methods only."""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec
import pytest

from survey_service.storage import NewResponse, Store, opened
from survey_service.storage.base import StoreUnavailable, TokenState

from .conftest import add_wave, response

CODES = [bytes([n]) * 32 for n in range(1, 6)]


async def test_codes_are_added_looked_up_revoked_and_counted(store: Store) -> None:
    await add_wave(store, "staff")
    await store.add_tokens("staff", "elena", "finance", CODES[:3])
    await store.add_tokens("staff", "elena", "admin", CODES[3:])
    assert await store.token(CODES[0]) == TokenState("staff", "elena", "finance", False)
    assert await store.token(b"x" * 32) is None
    assert await store.revoke_token(CODES[0])
    assert not await store.revoke_token(CODES[0])  # already unusable
    assert not await store.revoke_token(b"x" * 32)
    assert await store.token(CODES[0]) == TokenState("staff", "elena", "finance", True)
    assert await store.token_counts("staff") == {
        ("elena", "admin"): (2, 0),
        ("elena", "finance"): (3, 1),
    }
    assert await store.token_counts("none") == {}


async def test_a_code_seals_one_answer_and_nothing_is_readable_before_the_mix(
    store: Store,
) -> None:
    await add_wave(store, "staff")
    await add_wave(store, "other")
    await store.add_tokens("staff", "elena", "finance", CODES[:2])
    outcomes = await asyncio.gather(
        *(store.submit_sealed(CODES[0], "staff", b"sealed") for _ in range(10))
    )
    assert sorted(outcomes) == [False] * 9 + [True]
    assert not await store.submit_sealed(CODES[1], "other", b"sealed")  # another wave's code
    assert not await store.submit_sealed(b"x" * 32, "staff", b"sealed")  # unknown code
    assert await store.pending_count("staff") == 1
    assert (await store.token(CODES[0])) == TokenState("staff", "elena", "finance", True)
    assert (await store.token(CODES[1])) == TokenState("staff", "elena", "finance", False)
    assert await store.count_responses("staff") == 0
    assert (await store.wave_codes("staff", groups=True)).count == 0


async def test_a_closed_wave_takes_no_sealed_answer(store: Store) -> None:
    wave = await add_wave(store, "staff")
    await store.add_tokens("staff", "elena", "finance", CODES[:1])
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    await store.update_wave(msgspec.structs.replace(wave, closed=past))
    assert not await store.submit_sealed(CODES[0], "staff", b"sealed")
    assert await store.pending_count("staff") == 0


async def test_mixing_moves_every_sealed_answer_once(store: Store) -> None:
    wave = await add_wave(store, "staff")
    await store.add_tokens("staff", "elena", "finance", CODES)
    for n, code in enumerate(CODES):
        sealed = msgspec.json.encode(
            response(f"staff-{n:02d}-xxxxxxxxxxxxxxx", wave_id="staff", day=None, unit="finance",
                     answers={"n": n})
        )
        assert await store.submit_sealed(code, "staff", sealed)
    await store.update_wave(msgspec.structs.replace(wave, closed=dt.datetime.now(dt.UTC)))

    def unseal(blob: bytes) -> NewResponse:
        return msgspec.json.decode(blob, type=NewResponse)

    assert await store.mix_wave("staff", unseal) == len(CODES)
    assert await store.pending_count("staff") == 0
    rows = await store.responses("staff")
    assert sorted(r.answers["n"] for r in rows) == list(range(len(CODES)))  # type: ignore[type-var]
    assert {(r.unit, r.day) for r in rows} == {("finance", None)}
    [mixed] = [w for w in await store.waves() if w.id == "staff"]
    assert mixed.mixed
    assert await store.mix_wave("staff", unseal) is None  # once only: mixed already
    assert await store.mix_wave("none", unseal) is None  # no such wave: nothing mixed
    assert await store.count_responses("staff") == len(CODES)


async def test_the_key_fingerprint_is_kept_and_another_refused_once_codes_exist(
    store: Store,
) -> None:
    assert await store.check_key(b"first-key-fingerprint")
    assert await store.check_key(b"first-key-fingerprint")
    assert await store.check_key(b"second-key-fingerprint")  # nothing depends on a key yet
    await add_wave(store, "staff")
    await store.add_tokens("staff", "elena", "finance", CODES[:1])
    assert not await store.check_key(b"first-key-fingerprint")  # the codes need the second
    assert await store.check_key(b"second-key-fingerprint")


async def test_two_stores_on_one_database_mix_a_wave_once(url: str, store: Store) -> None:
    wave = await add_wave(store, "staff")
    await store.add_tokens("staff", "elena", "finance", CODES)
    for n, code in enumerate(CODES):
        sealed = msgspec.json.encode(
            response(f"staff-{n:02d}-xxxxxxxxxxxxxxx", wave_id="staff", day=None, unit="finance")
        )
        assert await store.submit_sealed(code, "staff", sealed)
    await store.update_wave(msgspec.structs.replace(wave, closed=dt.datetime.now(dt.UTC)))

    def unseal(blob: bytes) -> NewResponse:
        return msgspec.json.decode(blob, type=NewResponse)

    async with opened(url) as other:  # another process's store, e.g. the CLI's
        mixed = await asyncio.gather(store.mix_wave("staff", unseal),
                                     other.mix_wave("staff", unseal))
    assert sorted(mixed, key=str) == [len(CODES), None]
    assert await store.count_responses("staff") == len(CODES)


async def test_a_sealed_answer_to_a_closed_store_is_refused_as_unavailable(url: str) -> None:
    async with opened(url) as store:
        await add_wave(store, "staff")
        await store.add_tokens("staff", "elena", "finance", CODES[:1])
    with pytest.raises(StoreUnavailable):
        await store.submit_sealed(CODES[0], "staff", b"sealed")

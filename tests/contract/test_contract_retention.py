"""Retention on every engine: free-text answers leave the responses (and paper entries), code
lists become counts per unit, and everything else stays."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from survey_service.storage import Store
from survey_service.storage.base import PaperEntry, WaveCodes

from .conftest import add_wave, response

AT = dt.datetime(2027, 3, 1, 9, 30, tzinfo=dt.UTC)


def by_row(codes: WaveCodes) -> list[tuple[Any, ...]]:
    """A wave's codes and groups, one tuple per response, in an order of their own (rows
    come in no particular order)."""
    width = len(codes.codes) // codes.count
    return sorted(zip([codes.codes[i:i + width] for i in range(0, len(codes.codes), width)],
                      codes.organisations, codes.channels, codes.units, codes.panels,
                      codes.days, strict=True), key=repr)


async def test_a_purge_of_text_keeps_every_other_answer_and_the_codes(store: Store) -> None:
    await add_wave(store, "w", retention_text=30)
    await add_wave(store, "other")
    await store.import_responses([
        response(f"k-{n}-xxxxxxxxxxxxxxxxxxx", answers={"overall": 4, "comments": f"secret {n}",
                                                        "topics": ["a"]},
                 codes=bytes([n, 0, 0, 0]))
        for n in range(5)
    ] + [response("k-plain-xxxxxxxxxxxxxxxx", answers={"overall": 2}, codes=bytes(4)),
         response("k-other-xxxxxxxxxxxxxxxx", wave_id="other",
                  answers={"comments": "stays in another wave"})])
    entry = b'{"version": "v1", "answers": {"comments": "typed on paper", "overall": 3}}'
    assert await store.add_paper_entry(PaperEntry("w", "0001", "clerk-a", entry))
    codes = by_row(await store.wave_codes("w", groups=True))

    assert await store.purge_text("w", {"v1": ["comments", "not-asked"]}, AT) == 5
    answers = sorted((r.answers for r in await store.responses("w")), key=repr)
    assert answers == sorted([{"overall": 4, "topics": ["a"]}] * 5 + [{"overall": 2}], key=repr)
    assert by_row(await store.wave_codes("w", groups=True)) == codes
    assert (await store.responses("other"))[0].answers == {"comments": "stays in another wave"}
    (paper,) = await store.paper_entries("w")
    assert b"typed on paper" not in paper.response and b'"overall":3' in paper.response
    wave = {w.id: w for w in await store.waves()}["w"]
    assert wave.text_purged == AT and wave.codes_purged is None and wave.retention_text == 30
    assert await store.purge_text("w", {"v1": ["comments"]}, AT) == 0  # nothing left


async def test_a_purge_of_codes_keeps_their_counts_per_unit(store: Store) -> None:
    await add_wave(store, "staff")
    await store.add_tokens("staff", "elena", "finance", [bytes([n]) * 32 for n in range(6)])
    await store.add_tokens("staff", "elena", "it", [bytes([n]) * 32 for n in range(6, 9)])
    for n in (0, 1, 7):
        assert await store.revoke_token(bytes([n]) * 32)
    counts = await store.token_counts("staff")
    assert counts == {("elena", "finance"): (6, 2), ("elena", "it"): (3, 1)}

    assert await store.purge_codes("staff", AT) == 9
    assert await store.token_counts("staff") == counts
    assert await store.token(bytes([3]) * 32) is None  # the code is gone
    # codes issued later (a purge run early by mistake, then more slips) add up
    await store.add_tokens("staff", "elena", "it", [b"z" * 32])
    assert await store.purge_codes("staff", AT) == 1
    assert await store.token_counts("staff") == {**counts, ("elena", "it"): (4, 1)}
    assert {w.id: w for w in await store.waves()}["staff"].codes_purged == AT


class Crash(Exception):
    """The purge stopped between two chunks (the process killed, the database away)."""


async def test_a_purge_stopped_between_chunks_is_consistent_and_a_rerun_finishes_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_wave(store, "w", retention_text=30)
    await store.import_responses([
        response(f"k-{n:02d}-xxxxxxxxxxxxxxxxxxx",
                 answers={"overall": n % 5 + 1, "comments": f"secret {n}"})
        for n in range(25)] + [response("k-plain-xxxxxxxxxxxxxxxx", answers={"overall": 1})])
    for n in range(5):
        entry = f'{{"version": "v1", "answers": {{"comments": "paper {n}", "overall": 3}}}}'
        assert await store.add_paper_entry(PaperEntry("w", f"{n:04d}", "clerk-a",
                                                       entry.encode()))
    original = {r.id: r.answers for r in await store.responses("w")}
    monkeypatch.setattr(store, "purge_chunk", 4)
    chunk = store._purge_text_chunk  # type: ignore[attr-defined]
    calls = 0

    async def dies_after_three(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise Crash
        return await chunk(*args)

    monkeypatch.setattr(store, "_purge_text_chunk", dies_after_three)
    with pytest.raises(Crash):
        await store.purge_text("w", {"v1": ["comments"]}, AT)

    # every response is either as submitted or without its text, nothing else changed
    after = {r.id: r.answers for r in await store.responses("w")}
    assert after.keys() == original.keys()
    purged = {k for k, a in after.items() if a != original[k]}
    first = sorted(original)[:12]  # three chunks of four, in the order of the (hex) ids
    assert purged == {k for k in first if "comments" in original[k]}
    for key, answers in after.items():
        assert answers in (original[key],
                           {k: v for k, v in original[key].items() if k != "comments"})
    assert all(b"paper" not in e.response for e in await store.paper_entries("w"))
    assert {w.id: w for w in await store.waves()}["w"].text_purged is None  # not done

    monkeypatch.setattr(store, "_purge_text_chunk", chunk)
    assert await store.purge_text("w", {"v1": ["comments"]}, AT) == 25 - len(purged)
    assert all("comments" not in r.answers for r in await store.responses("w"))
    assert sorted(r.answers["overall"] for r in await store.responses("w")) == sorted(
        a["overall"] for a in original.values())
    assert {w.id: w for w in await store.waves()}["w"].text_purged == AT

"""Paper questionnaires typed in by clerks, once or twice (``SURVEY_PAPER_DOUBLE_ENTRY``).

With double entry, the first clerk's entry waits; a second clerk types the same numbered
questionnaire without seeing the first. When both agree, the response is stored; when they
differ, both wait side by side until an administrator keeps one of them. A number stored once
is refused afterwards, and the same clerk cannot give both entries."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from ..storage.base import NewResponse, PaperEntry, Store
from . import audit

Outcome = Literal["stored", "first", "matched", "mismatch", "used", "same-clerk", "waiting"]
_decode = msgspec.json.Decoder(NewResponse).decode


async def check_number(store: Store, wave_id: str, number: str, clerk: str) -> Outcome | None:
    """Why this clerk may not type in this number now, or None."""
    if await store.paper_number_used(wave_id, number):
        return "used"
    entries = await store.paper_entries(wave_id, number)
    if any(e.clerk == clerk for e in entries):
        return "same-clerk"
    if len(entries) >= 2:
        return "waiting"
    return None


async def enter(store: Store, response: NewResponse, number: str, clerk: str, double: bool
                ) -> Outcome:
    """Store a typed-in questionnaire (single entry), or take it as one of two entries."""
    if not double:
        return "stored" if await store.submit_paper(response, number) else "used"
    refused = await check_number(store, response.wave_id, number, clerk)
    if refused is not None:
        return refused
    entries = await store.paper_entries(response.wave_id, number)
    if entries:
        first = _decode(entries[0].response)
        if first.answers == response.answers:
            stored = await store.submit_paper(first, number)
            await store.delete_paper_entries(response.wave_id, number)
            return "matched" if stored else "used"
    entry = PaperEntry(response.wave_id, number, clerk, msgspec.json.encode(response))
    if not await store.add_paper_entry(entry):
        return "same-clerk"
    return "mismatch" if entries else "first"


def differences(entries: list[PaperEntry]) -> list[tuple[str, Any, Any]]:
    """(question id, first entry's answer, second entry's answer) where the two differ."""
    a, b = (_decode(e.response).answers for e in entries[:2])
    return [(q, a.get(q), b.get(q)) for q in sorted({*a, *b}) if a.get(q) != b.get(q)]


async def mismatches(store: Store) -> list[tuple[str, str, list[PaperEntry]]]:
    """Questionnaires whose two entries differ: (wave, number, the two entries)."""
    grouped: dict[tuple[str, str], list[PaperEntry]] = {}
    for entry in await store.paper_entries():
        grouped.setdefault((entry.wave_id, entry.number), []).append(entry)
    return [(w, n, e) for (w, n), e in grouped.items() if len(e) >= 2]


async def resolve(store: Store, wave_id: str, number: str, keep: str, actor: str) -> bool:
    """Keep the entry of clerk ``keep``: store it and forget both; False if there is none."""
    chosen = [e for e in await store.paper_entries(wave_id, number) if e.clerk == keep]
    if len(await store.paper_entries(wave_id, number)) < 2 or not chosen:
        return False
    await store.submit_paper(_decode(chosen[0].response), number)
    await store.delete_paper_entries(wave_id, number)
    await audit.record(store, actor, "paper-resolve",
                       {"wave": wave_id, "number": number, "kept": keep})
    return True

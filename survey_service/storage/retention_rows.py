"""What a purge (retention) does to one stored row, whatever the engine: the answers to the
free-text items taken out of a response's answers or of a waiting paper entry."""

from __future__ import annotations

from typing import Any

import msgspec

#: Rows a purge of free text changes per write transaction (each engine's ``purge_chunk``).
PURGE_CHUNK = 1000

_decode = msgspec.json.Decoder(dict[str, Any]).decode
_encode = msgspec.json.Encoder().encode


def without_text(answers: bytes, items: list[str]) -> bytes | None:
    """The answers (JSON) without ``items``, or ``None`` when none of them was answered."""
    values = _decode(answers)
    if not any(item in values for item in items):
        return None
    return _encode({k: v for k, v in values.items() if k not in items})


def paper_without_text(entry: bytes, items: dict[str, list[str]]) -> bytes | None:
    """A paper entry (a response, JSON) without the free-text answers of its version."""
    values = _decode(entry)
    answers = values.get("answers")
    drop = items.get(str(values.get("version")), [])
    if not isinstance(answers, dict) or not any(item in answers for item in drop):
        return None
    values["answers"] = {k: v for k, v in answers.items() if k not in drop}
    return _encode(values)

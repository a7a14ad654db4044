"""Plain words for msgspec's validation errors in survey files: where (the question or row
id nearest to the error's path) and what (a missing translation, an unknown field...)."""

from __future__ import annotations

import re
from typing import Any

from .model import LANGS

_PATH_PART = re.compile(r"\.(\w+)|\[(\d+)\]|\[(\"[^\"]*\"|'[^']*')\]")


def error_location(raw: Any, path: str) -> tuple[str | None, str]:
    """Find the innermost question/row id on a msgspec error path like ``$.sections[0]...``."""
    node = raw
    found: str | None = None
    for m in _PATH_PART.finditer(path):
        key: Any = m.group(1) or (int(m.group(2)) if m.group(2) else m.group(3)[1:-1])
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            break
        if (
            isinstance(node, dict)
            and isinstance(node.get("id"), str)
            and ("kind" in node or "text" in node)
        ):
            found = node["id"]
    return found, path


def friendly(message: str) -> str:
    m = re.match(r"Object missing required field `(\w+)`", message)
    if m and m.group(1) in LANGS:
        return f"missing translation: no '{m.group(1)}' text"
    if m:
        return f"missing required field '{m.group(1)}'"
    m = re.match(r"Object contains unknown field `(\w+)`", message)
    if m:
        return f"unknown field '{m.group(1)}'"
    m = re.match(r"Invalid enum value '([^']*)'", message)
    if m:
        return f"unknown value '{m.group(1)}'"
    return message

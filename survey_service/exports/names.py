"""Variable names that SPSS and Stata accept, shortened deterministically (EXPORTS.md).

SPSS: at most 64 bytes, a letter first, no reserved word. Stata: at most 32 characters,
a letter or ``_`` first. A name that is too long keeps its start and gets ``_`` and six hex
digits of its SHA-1, so the same column always gets the same name; the codebook lists them.
"""

from __future__ import annotations

import hashlib
import re

_NOT_NAME = re.compile(r"[^A-Za-z0-9_]")
SPSS_RESERVED = {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO",
                 "WITH"}
#: Stata's limit on a variable or value label's length.
STATA_LABEL = 80


def _shorten(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:6]
    return f"{name[: limit - 7]}_{digest}"


def spss_name(column: str) -> str:
    name = _NOT_NAME.sub("_", column)
    if not name[:1].isalpha() or name.upper() in SPSS_RESERVED:
        name = "v_" + name
    return _shorten(name, 64)


def stata_name(column: str) -> str:
    name = _NOT_NAME.sub("_", column)
    if not (name[:1].isalpha() or name[:1] == "_"):
        name = "v_" + name
    return _shorten(name, 32)


def unique(names: list[str]) -> list[str]:
    """Names made unique by a numeric suffix (only needed if two shortenings collide)."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.lower() in seen:
            n += 1
            candidate = f"{name[:-3]}_{n}" if len(name) > 28 else f"{name}_{n}"
        seen.add(candidate.lower())
        out.append(candidate)
    return out


def stata_label(text: str) -> str:
    """A label cut to Stata's 80 characters (with an ellipsis when cut)."""
    return text if len(text) <= STATA_LABEL else text[: STATA_LABEL - 1] + "…"

"""Invitation codes for staff surveys (pure domain).

A code is 13 random symbols of Crockford's base-32 alphabet (65 bits from ``secrets``) and one
check symbol (Luhn mod 32, which catches every single mistyped symbol and every swap of two
neighbours but the rare pair that differs by 16), written in groups for typing:
``ABCD-EFGH-JKMN-PQ``. Reading is case-insensitive, ignores spaces and hyphens, and takes
``O`` for ``0`` and ``I``/``L`` for ``1``. Codes are stored only as keyed hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from enum import Enum

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})
RANDOM_SYMBOLS = 13  # 65 bits
LENGTH = RANDOM_SYMBOLS + 1


class CodeProblem(Enum):
    MALFORMED = "malformed"  # wrong length or symbols: cannot be one of our codes
    TYPO = "typo"  # the check symbol does not match: a symbol was mistyped


def _check_symbol(values: list[int]) -> int:
    """Luhn mod N (N = 32) over the values, giving the value of the check symbol."""
    n = len(ALPHABET)
    factor, total = 2, 0
    for value in reversed(values):
        addend = factor * value
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return (n - total % n) % n


def new_code() -> str:
    """A fresh code, grouped for printing."""
    values = [secrets.randbelow(len(ALPHABET)) for _ in range(RANDOM_SYMBOLS)]
    values.append(_check_symbol(values))
    return format_code("".join(ALPHABET[v] for v in values))


def format_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise(typed: str) -> str | CodeProblem:
    """The canonical code for what was typed, or what is wrong with it."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\u00a0\t")
    if len(cleaned) != LENGTH or any(ch not in _VALUE for ch in cleaned):
        return CodeProblem.MALFORMED
    values = [_VALUE[ch] for ch in cleaned]
    if _check_symbol(values[:-1]) != values[-1]:
        return CodeProblem.TYPO
    return "".join(ALPHABET[v] for v in values)


def code_hash(code: str, key: str) -> bytes:
    """The keyed hash under which a (canonical) code is stored."""
    return hmac.new(key.encode(), b"invitation-code:" + code.encode(), hashlib.sha256).digest()


PANEL_MIN, PANEL_MAX = 6, 40


def normalise_panel(typed: str) -> str | None:
    """A self-made panel code, upper-cased, without spaces or punctuation; ``None`` if it is
    too short or too long to be useful."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    return cleaned if PANEL_MIN <= len(cleaned) <= PANEL_MAX else None


def panel_hash(code: str, key: str, survey_id: str) -> bytes:
    """A slow keyed hash (scrypt, salt derived from the secret key and the survey), so that
    the same code pairs a person's answers across the waves of a survey while the code itself
    is never stored. Self-made codes have little entropy: whoever holds the secret key and a
    staff list can still try to guess them, so the panel is off unless a wave turns it on."""
    salt = hmac.new(key.encode(), b"panel:" + survey_id.encode(), hashlib.sha256).digest()
    return hashlib.scrypt(code.encode(), salt=salt, n=2**14, r=8, p=1, dklen=16)

"""Sealing of pending staff answers (AES-256-GCM, key derived from ``SURVEY_SECRET_KEY``).

Staff answers are kept sealed in the ``pending`` table while their wave is open, and are mixed
into the responses table in random order only when the wave closes. Someone holding copies of
the database files but not the secret key sees only opaque blobs while the wave is open.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


class Sealer:
    def __init__(self, secret_key: str, purpose: str = "pending-staff-answers") -> None:
        key = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()
        self._aead = AESGCM(key)

    def seal(self, data: bytes, context: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, data, context)

    def unseal(self, sealed: bytes, context: bytes = b"") -> bytes:
        return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], context)

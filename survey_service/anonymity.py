"""Staff anonymity: sealing answers while a wave is open, mixing them when it closes.

While a staff (or training) wave is open, each submission marks its invitation code used and
stores the answers sealed (AES-GCM) in ``pending``, in the same transaction. Nothing readable
about the answers exists in the database until the wave closes. Then all its answers are
unsealed, shuffled and written to ``responses`` in one transaction, the pending rows are
deleted (``secure_delete``), and the file is rewritten (``VACUUM``, WAL truncated), so the
responses carry no trace of the order or the time in which they came.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import msgspec

from .sealing import Sealer
from .storage.base import NewResponse, Store
from .surveys.waves import Wave, now

log = logging.getLogger(__name__)
TOKEN_KINDS = ("staff", "training")
_decoder = msgspec.json.Decoder(NewResponse)


def seal_response(sealer: Sealer, response: NewResponse) -> bytes:
    return sealer.seal(msgspec.json.encode(response), response.wave_id.encode())


def unsealer(sealer: Sealer, wave_id: str) -> Callable[[bytes], NewResponse]:
    def unseal(blob: bytes) -> NewResponse:
        return _decoder.decode(sealer.unseal(blob, wave_id.encode()))

    return unseal


def results_available(wave: Wave, survey_kind: str) -> bool:
    """Whether figures may be computed from a wave: staff and training waves only once they
    are closed and mixed (two reports minutes apart must not reveal one person's answers)."""
    if survey_kind not in TOKEN_KINDS:
        return True
    return wave.state(now()) == "closed" and wave.mixed


class MixError(Exception):
    """A closed wave's sealed answers could not be opened (wrong SURVEY_SECRET_KEY)."""

    def __init__(self, message: str, waves: list[str]) -> None:
        super().__init__(message)
        self.waves = waves


async def mix_closed_waves(
    store: Store, sealer: Sealer, kinds: Mapping[str, str], skip: frozenset[str] = frozenset()
) -> list[str]:
    """Mix every closed, unmixed staff or training wave. ``kinds``: survey id -> kind.

    A wave whose answers cannot be unsealed (another key) is left as it is, logged, and
    reported with :class:`MixError` after the other waves are mixed."""
    from cryptography.exceptions import InvalidTag

    mixed, failed = [], []
    at = now()
    for wave in await store.waves():
        if (
            kinds.get(wave.survey_id) in TOKEN_KINDS
            and not wave.mixed
            and (wave.state(at) == "closed")
        ):
            try:
                count = await store.mix_wave(wave.id, unsealer(sealer, wave.id))
            except InvalidTag:
                log.error(
                    "cannot unseal the answers of wave %s: SURVEY_SECRET_KEY is not the "
                    "key they were sealed with",
                    wave.id,
                )
                failed.append(wave.id)
                continue
            log.info("mixed %d responses of closed wave %s", count, wave.id)
            mixed.append(wave.id)
    if failed:
        raise MixError(
            f"the answers of {', '.join(failed)} cannot be unsealed: SURVEY_SECRET_KEY is not "
            "the key the server sealed them with (the waves stay closed and unmixed; run "
            "`waves close` again with the right key)",
            failed,
        )
    return mixed

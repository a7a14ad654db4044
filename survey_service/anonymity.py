"""Staff anonymity: sealing answers while a wave is open, mixing them when it closes.

While a staff (or training) wave is open, each submission marks its invitation code used and
stores the answers sealed (AES-GCM) in the wave's own pending file, under the same write lock.
Every sealed blob of a form version has the same length: the answers are padded, before
sealing, to the size of the largest answers the form allows (:func:`padded_size`), so the
blobs' sizes say nothing about who wrote what. Nothing readable about the answers exists until
the wave closes. Then all its answers are unsealed, shuffled and written to ``responses`` in
one transaction that also marks the wave mixed, and the wave's pending file is destroyed, so
the responses carry no trace of the order or the time in which they came.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable, Mapping

import msgspec

from .sealing import Sealer
from .storage.base import NewResponse, Store
from .surveys.answers import Answer
from .surveys.coding import scored_items
from .surveys.model import Survey
from .surveys.waves import Wave, now

log = logging.getLogger(__name__)
TOKEN_KINDS = ("staff", "training")
_decoder = msgspec.json.Decoder(NewResponse)


_PADDED = b"\x01"  # first byte of a padded plaintext (an unpadded one starts with "{")
_LENGTH = struct.Struct(">I")
_ID_ROOM = 128  # characters allowed for an organisation or unit id in the padded size


def _worst_answers(survey: Survey) -> dict[str, Answer]:
    """Answers with the longest encoding each question allows (every question answered)."""
    worst: dict[str, Answer] = {}
    for section in survey.sections:
        for q in section.questions:
            if q.kind in ("likert", "matrix"):
                for item in q.item_ids():
                    worst[item] = 99
            elif q.kind == "nps":
                worst[q.id] = 10
            elif q.kind == "single":
                worst[q.id] = max((o.code for o in q.options), key=len, default="")
            elif q.kind == "multi":
                worst[q.id] = [o.code for o in q.options]
            elif q.kind == "number":
                worst[q.id] = max((q.min or 0, q.max or 0), key=lambda v: len(str(v)))
            elif q.kind == "text":
                # a character takes at most 4 bytes in msgspec's JSON (UTF-8; quotes and
                # backslashes take 2; control characters are removed before storing)
                worst[q.id] = "\U0001f600" * q.max_length
            elif q.kind == "date":
                worst[q.id] = "2000-01-01"
    return worst


_SIZES: dict[int, tuple[Survey, int]] = {}


def padded_size(survey: Survey) -> int:
    """The length every sealed plaintext of this form version is padded to: the largest
    possible encoding of a response (free text at its ``max_length``, organisation and unit ids
    up to 128 characters, a panel hash), rounded up to a whole KiB."""
    cached = _SIZES.get(id(survey))
    if cached is not None and cached[0] is survey:
        return cached[1]
    worst = NewResponse(
        submission_key="k" * 22,
        wave_id="",  # not in the plaintext's length: the wave is the same for every blob
        version="v" * 64,
        organisation="o" * _ID_ROOM,
        unit="u" * _ID_ROOM,
        channel="kiosk",
        lang="bg",
        day=None,
        answers=_worst_answers(survey),
        codes=b"\xff" * (4 * len(scored_items(survey))),
        panel=b"\xff" * 32,
    )
    size = 1 + _LENGTH.size + len(msgspec.json.encode(worst))
    size = -(-size // 1024) * 1024
    _SIZES[id(survey)] = (survey, size)
    return size


def seal_response(sealer: Sealer, response: NewResponse, size: int) -> bytes:
    """Seal a response padded to ``size`` bytes (see :func:`padded_size`), so that every
    sealed blob of a wave has the same length."""
    data = msgspec.json.encode(msgspec.structs.replace(response, wave_id=""))
    plain = _PADDED + _LENGTH.pack(len(data)) + data
    if len(plain) > size:
        raise ValueError(f"a response of {len(plain)} bytes does not fit the padded size {size}")
    return sealer.seal(plain + bytes(size - len(plain)), response.wave_id.encode())


def unsealer(sealer: Sealer, wave_id: str) -> Callable[[bytes], NewResponse]:
    def unseal(blob: bytes) -> NewResponse:
        plain = sealer.unseal(blob, wave_id.encode())
        if plain[:1] == _PADDED:
            (length,) = _LENGTH.unpack_from(plain, 1)
            plain = plain[1 + _LENGTH.size : 1 + _LENGTH.size + length]
        response = _decoder.decode(plain)
        return msgspec.structs.replace(response, wave_id=wave_id)

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
    Returns the waves this call mixed (not those another process mixed meanwhile).

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
            started = time.perf_counter()
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
            if count is None:  # another process (the server or `waves close`) mixed it
                continue
            log.info(
                "mixed %d responses of closed wave %s in %.3f s",
                count,
                wave.id,
                time.perf_counter() - started,
            )
            mixed.append(wave.id)
    if failed:
        raise MixError(
            f"the answers of {', '.join(failed)} cannot be unsealed: SURVEY_SECRET_KEY is not "
            "the key the server sealed them with (the waves stay closed and unmixed; run "
            "`waves close` again with the right key)",
            failed,
        )
    return mixed

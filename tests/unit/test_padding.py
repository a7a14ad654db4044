"""Sealed staff answers: one length per form version, whatever was answered."""

from __future__ import annotations

import pytest

from survey_service.anonymity import _worst_answers, padded_size, seal_response, unsealer
from survey_service.sealing import Sealer
from survey_service.storage.base import NewResponse
from survey_service.surveys.loader import load_catalog
from tests.conftest import FORMS, SECRET


def _response(answers: dict[str, object], **kw: object) -> NewResponse:
    values: dict[str, object] = {
        "submission_key": "s" * 22, "wave_id": "staff-2026", "version": "v" * 16,
        "organisation": "elena", "unit": "finance", "channel": "web", "lang": "bg",
        "day": None, "answers": answers, **kw,
    }  # fmt: skip
    return NewResponse(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("survey_id", ["staff-survey", "training-evaluation"])
def test_every_sealed_answer_of_a_form_has_the_same_length(survey_id: str) -> None:
    survey = load_catalog(FORMS).surveys[survey_id].survey
    size = padded_size(survey)
    sealer = Sealer(SECRET)
    worst = _worst_answers(survey)
    assert any(isinstance(v, str) and len(v) >= 100 for v in worst.values())  # free text
    shortest = _response({})
    longest = _response(worst, organisation="o" * 128, unit="u" * 128, panel=b"\xff" * 16,
                        lang="en", channel="kiosk")  # fmt: skip
    blobs = [seal_response(sealer, r, size) for r in (shortest, longest)]
    assert len(blobs[0]) == len(blobs[1]) == size + 28  # nonce and tag
    unseal = unsealer(sealer, "staff-2026")
    assert unseal(blobs[0]) == shortest and unseal(blobs[1]) == longest
    with pytest.raises(ValueError, match="does not fit"):
        seal_response(sealer, _response({**worst, "extra": "x" * size}), size)


def test_answers_sealed_before_the_padding_still_open() -> None:
    import msgspec

    sealer = Sealer(SECRET)
    old = _response({"q": 3})
    blob = sealer.seal(msgspec.json.encode(old), b"staff-2026")
    assert unsealer(sealer, "staff-2026")(blob) == old

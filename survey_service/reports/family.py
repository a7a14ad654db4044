"""The project's confirmatory family (pure): the indicators of every confirmatory expected
result with a change target, across all surveys, adjusted together with Holm.

The family is frozen (stored with its hash and date) when the first follow-up wave opens, so
an expected result added or re-marked later does not change the adjusted p of the others.
Until every member has its figures, a member without a p-value counts as p = 1: the family
size never shrinks, and a result met now stays met when the others arrive (Holm's adjusted p
only falls as other p-values fall).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import msgspec

from .. import indicators as ind
from ..surveys.model import ProjectResult

PLAN_NAME = "project-confirmatory-family"
Member = tuple[str, str]  # (survey id, indicator id)


class Family(msgspec.Struct, frozen=True):
    """The members, in the order of the expected-results file."""

    members: list[Member]


def confirmatory_family(results: Sequence[ProjectResult]) -> Family:
    """Every (survey, indicator) of a confirmatory change target, once, in file order."""
    members: list[Member] = []
    for result in results:
        for m in result.measures:
            key = (m.survey, m.indicator)
            if m.confirmatory and m.target.change_at_least is not None and key not in members:
                members.append(key)
    return Family(members)


def encode_family(family: Family) -> tuple[bytes, str]:
    """The family's canonical JSON and its content hash."""
    data = msgspec.json.encode(family)
    return data, hashlib.sha256(data).hexdigest()[:16]


def decode_family(data: bytes) -> Family:
    return msgspec.json.decode(data, type=Family)


def holm_family(family: Family, p: Mapping[Member, float | None]) -> dict[Member, float]:
    """Holm-adjusted p of every member; a member without a p-value counts as p = 1."""
    raw = [p.get(m) for m in family.members]
    adjusted = ind.adjust_pvalues([1.0 if v is None else v for v in raw], "holm")
    return {m: float(a) for m, a in zip(family.members, adjusted, strict=True)
            if isinstance(a, float)}

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
from ..surveys.loader import Catalog
from ..surveys.model import ExpectedResult, ProjectResult, Target

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


ANALYSIS_PLAN = "project-analysis-plan"


class PlannedResult(msgspec.Struct, frozen=True):
    """An expected result's indicator as the plan fixed it: target and confirmatory flag."""

    id: str
    survey: str
    indicator: str
    change_at_least: float | None
    at_least: float | None
    confirmatory: bool


class AnalysisPlan(msgspec.Struct, frozen=True, omit_defaults=True):
    """The analysis plan frozen when the first follow-up wave opens (issue #19 §3): the
    confirmatory family, every expected result with its target and confirmatory flag, each
    survey's adjustment set, and its comparison group's organisations (§4; left out of the
    encoding when there is none, so a plan without one keeps its hash)."""

    family: list[Member]
    results: list[PlannedResult]
    adjust_for: dict[str, list[str]]
    shown_both_ways: dict[str, list[str]]
    comparison: dict[str, list[str]] = {}


def analysis_plan(catalog: Catalog) -> AnalysisPlan:
    """The plan the files give now."""
    results = [PlannedResult(m.id, m.survey, m.indicator, m.target.change_at_least,
                             m.target.at_least, m.confirmatory)
               for r in catalog.project_results for m in r.measures]
    analyses = {s: loaded.survey.analysis for s, loaded in sorted(catalog.surveys.items())}
    return AnalysisPlan(
        family=confirmatory_family(catalog.project_results).members,
        results=results,
        adjust_for={s: list(a.adjust_for) for s, a in analyses.items() if a is not None},
        shown_both_ways={s: list(a.shown_both_ways) for s, a in analyses.items()
                         if a is not None},
        comparison={c.survey: list(c.organisations) for c in catalog.comparisons},
    )


def encode_plan(plan: AnalysisPlan) -> tuple[bytes, str]:
    data = msgspec.json.encode(plan)
    return data, hashlib.sha256(data).hexdigest()[:16]


def decode_plan(data: bytes) -> AnalysisPlan:
    return msgspec.json.decode(data, type=AnalysisPlan)


def follow_plan(results: Sequence[ExpectedResult], plan: AnalysisPlan
                ) -> tuple[list[ExpectedResult], set[str]]:
    """The expected results with the plan's targets and confirmatory flags, and the ids of
    those the files now give otherwise: added after the plan was frozen (then exploratory)
    or with another target or confirmatory flag (the plan's are used)."""
    planned = {(r.id, r.survey, r.indicator): r for r in plan.results}
    out: list[ExpectedResult] = []
    changed: set[str] = set()
    for result in results:
        p = planned.get((result.id, result.survey, result.indicator))
        if p is None:
            changed.add(result.id)
            out.append(msgspec.structs.replace(result, confirmatory=False))
            continue
        target = Target(change_at_least=p.change_at_least, at_least=p.at_least)
        if target != result.target or p.confirmatory != result.confirmatory:
            changed.add(result.id)
        out.append(msgspec.structs.replace(result, target=target, confirmatory=p.confirmatory))
    return out, changed

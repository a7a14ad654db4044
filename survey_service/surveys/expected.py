"""Checks of ``forms/expected-results.toml`` against the surveys (pure): every result rests on
declared indicators of surveys that exist, with a target that can be read one way only."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from .model import (
    Benchmark,
    ComparisonGroup,
    ExpectedResult,
    ExpectedResultsFile,
    ResultEntry,
    Survey,
)


def check_results(
    results: Sequence[ResultEntry], surveys: Mapping[str, Survey], broken: Collection[str]
) -> list[str]:
    """One message per problem, naming the result (``broken``: surveys whose own files were
    refused; their results are not checked again)."""
    out: list[str] = []
    seen: set[str] = set()
    for result in results:
        where = f"result '{result.id}'"
        if result.id in seen:
            out.append(f"{where}: duplicate id")
        seen.add(result.id)
        out += [f"{where}: {p}" for p in _shape(result)]
        measures = result.expand()
        if len({(m.survey, m.indicator) for m in measures}) < len(measures):
            out.append(f"{where}: an indicator is named twice")
        for measure in measures:
            out += [f"{where}: {p}" for p in _measure_problems(measure, surveys, broken)]
    return out


def _shape(result: ResultEntry) -> list[str]:
    single = (result.survey, result.indicator, result.target)
    if result.measures and any(v is not None for v in single):
        return ["give either survey, indicator and target, or [[results.measures]], not both"]
    if not result.measures and any(v is None for v in single):
        return ["needs survey, indicator and target (or [[results.measures]])"]
    return []


def _measure_problems(
    result: ExpectedResult, surveys: Mapping[str, Survey], broken: Collection[str]
) -> list[str]:
    out: list[str] = []
    target = result.target
    if target.change_at_least is None and target.at_least is None:
        out.append("the target needs change_at_least or at_least")
    elif result.confirmatory and target.change_at_least is None:
        out.append(f"indicator '{result.indicator}': a level target (at_least alone) has no "
                   "test, so it cannot be confirmatory: set confirmatory = false")
    survey = surveys.get(result.survey)
    if survey is None:
        if result.survey not in broken:
            out.append(f"unknown survey '{result.survey}'")
        return out
    indicator = next((i for i in survey.indicators if i.id == result.indicator), None)
    if indicator is None:
        out.append(f"survey '{result.survey}' has no indicator '{result.indicator}'")
    elif indicator.kind == "nps":
        out.append("NPS is exploratory and never a target "
                   "(people cannot choose another municipality)")
    if survey.kind == "training" and target.change_at_least is not None:
        out.append(f"indicator '{result.indicator}': a training evaluation has no baseline, "
                   "so its target is a level (at_least), not a change")
    return out


def check_comparisons(comparisons: Sequence[ComparisonGroup], surveys: Mapping[str, Survey],
                      organisations: Collection[str], broken: Collection[str]) -> list[str]:
    """``[[comparisons]]``: one per survey, of a survey with a baseline, naming known
    organisations."""
    out: list[str] = []
    seen: set[str] = set()
    for group in comparisons:
        where = f"comparison group of '{group.survey}'"
        if group.survey in seen:
            out.append(f"{where}: declared twice (list every organisation in one entry)")
        seen.add(group.survey)
        survey = surveys.get(group.survey)
        if survey is None and group.survey not in broken:
            out.append(f"{where}: unknown survey '{group.survey}'")
        elif survey is not None and survey.kind == "training":
            out.append(f"{where}: a training survey has no baseline and follow-up to compare")
        if not group.organisations:
            out.append(f"{where}: name at least one organisation")
        for org in group.organisations:
            if org not in organisations:
                out.append(f"{where}: unknown organisation '{org}'")
        if len(set(group.organisations)) < len(group.organisations):
            out.append(f"{where}: an organisation is named twice")
    return out


#: the indicators a benchmark can be set beside (a change in points of a mean or a share)
BENCHMARK_KINDS = ("index", "percent_positive", "share", "mean")


def check_benchmarks(benchmarks: Sequence[Benchmark], surveys: Mapping[str, Survey],
                     broken: Collection[str]) -> list[str]:
    """``[[benchmarks]]``: one per indicator of a survey with a baseline, with a source."""
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for b in benchmarks:
        where = f"benchmark of '{b.survey}' / '{b.indicator}'"
        if (b.survey, b.indicator) in seen:
            out.append(f"{where}: declared twice")
        seen.add((b.survey, b.indicator))
        if not (b.source.bg.strip() and b.source.en.strip()):
            out.append(f"{where}: give its source in both languages")
        survey = surveys.get(b.survey)
        if survey is None:
            if b.survey not in broken:
                out.append(f"{where}: unknown survey '{b.survey}'")
            continue
        if survey.kind == "training":
            out.append(f"{where}: a training survey has no baseline and follow-up to compare")
        indicator = next((i for i in survey.indicators if i.id == b.indicator), None)
        if indicator is None:
            out.append(f"{where}: survey '{b.survey}' has no indicator '{b.indicator}'")
        elif indicator.kind not in BENCHMARK_KINDS:
            out.append(f"{where}: a benchmark applies to {', '.join(BENCHMARK_KINDS)} "
                       f"indicators, not {indicator.kind}")
    return out


def check_context(data: ExpectedResultsFile, surveys: Mapping[str, Survey],
                  organisations: Collection[str], broken: Collection[str]) -> list[str]:
    """The comparison groups and benchmarks of the file."""
    return [*check_comparisons(data.comparisons, surveys, organisations, broken),
            *check_benchmarks(data.benchmarks, surveys, broken)]

"""Load and validate ``forms/*.toml`` into a :class:`Catalog` (pure domain, reads files only).

Every problem is a :class:`FormProblem` naming the file, the question id (when there is one)
and what is wrong, so that ``forms check`` and ``serve`` can say why a file was refused.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from .checks import (
    SNAKE,
    check_analysis,
    check_meaningless,
    check_show_if_values,
    validate_question,
)
from .decode_errors import error_location, friendly
from .expected import check_context, check_results
from .model import (
    LANGS,
    Benchmark,
    ComparisonGroup,
    ExpectedResult,
    ExpectedResultsFile,
    Organisation,
    OrganisationsFile,
    ProjectResult,
    Question,
    Survey,
    Text,
)
from .reading import UnreadableFile, read_toml
from .share import check_index_population, check_share

SLUG = re.compile(r"^[a-z][a-z0-9-]*$")
ORGANISATIONS_FILE = "organisations.toml"
EXPECTED_RESULTS_FILE = "expected-results.toml"
#: Files in forms/ that are not surveys.
NOT_SURVEYS = {ORGANISATIONS_FILE, EXPECTED_RESULTS_FILE}


@dataclass(frozen=True)
class FormProblem:
    file: str
    question: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: question '{self.question}'" if self.question else self.file
        return f"{where}: {self.message}"


class CatalogError(Exception):
    """Raised when forms cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[FormProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedSurvey:
    survey: Survey
    file: str
    version: str  # content hash of the canonical definition


@dataclass
class Catalog:
    surveys: dict[str, LoadedSurvey] = field(default_factory=dict)
    organisations: dict[str, Organisation] = field(default_factory=dict)
    #: one entry per indicator an expected result rests on (what a survey's report uses)
    expected_results: list[ExpectedResult] = field(default_factory=list)
    #: the project's expected results, each with every indicator it rests on
    project_results: list[ProjectResult] = field(default_factory=list)
    #: context: comparison groups outside the project, external benchmarks
    comparisons: list[ComparisonGroup] = field(default_factory=list)
    benchmarks: list[Benchmark] = field(default_factory=list)


def survey_version(survey: Survey) -> str:
    """Content hash of a survey's canonical form: comments and layout of the file do not count."""
    return hashlib.sha256(encode_survey(survey)).hexdigest()[:16]


def encode_survey(survey: Survey) -> bytes:
    return msgspec.json.encode(survey)


def decode_survey(data: bytes) -> Survey:
    return msgspec.json.decode(data, type=Survey)


def _decode(path: Path, type_: type[Any]) -> tuple[Any, list[FormProblem]]:
    name = path.name
    try:
        raw = read_toml(path)
    except UnreadableFile as exc:
        return None, [FormProblem(name, None, str(exc))]
    try:
        return msgspec.convert(raw, type_), []
    except RecursionError:
        return None, [FormProblem(name, None, "arrays or tables are nested too deeply")]
    except msgspec.ValidationError as exc:
        text = str(exc)
        question = None
        if " - at `" in text:
            message, _, rest = text.rpartition(" - at `")
            question, where = error_location(raw, rest.rstrip("`"))
            text = f"{friendly(message)} (at {where})"
        return None, [FormProblem(name, question, text)]


def _check_texts(obj: Any, file: str, question: str | None, out: list[FormProblem]) -> None:
    """Every Text must have a non-blank Bulgarian and English version."""
    if isinstance(obj, Text):
        for lang in LANGS:
            if not getattr(obj, lang).strip():
                out.append(FormProblem(file, question, f"missing translation: empty '{lang}' text"))
    elif isinstance(obj, Question):
        for name in obj.__struct_fields__:
            _check_texts(getattr(obj, name), file, obj.id, out)
    elif isinstance(obj, msgspec.Struct):
        for name in obj.__struct_fields__:
            _check_texts(getattr(obj, name), file, question, out)
    elif isinstance(obj, list):
        for item in obj:
            _check_texts(item, file, question, out)
    elif isinstance(obj, dict):
        for item in obj.values():
            _check_texts(item, file, question, out)


def check_survey(survey: Survey, file: str) -> list[FormProblem]:
    """Semantic checks that a schema cannot express."""
    out: list[FormProblem] = []

    def bad(question: str | None, message: str) -> None:
        out.append(FormProblem(file, question, message))

    if not SLUG.match(survey.id):
        bad(None, f"survey id '{survey.id}' must be lower-case letters, digits and hyphens")
    if Path(file).stem != survey.id:
        bad(None, f"survey id '{survey.id}' must match the file name '{Path(file).stem}.toml'")
    if not survey.sections:
        bad(None, "the survey has no sections")
    _check_texts(survey, file, None, out)
    check_meaningless(survey, bad)
    for name, scale in survey.scales.items():
        if not 2 <= scale.points <= 8:
            bad(None, f"scale '{name}' must have 2 to 8 labelled points, not {scale.points}")

    seen: dict[str, str] = {}
    section_of: dict[str, int] = {}
    questions_by_id: dict[str, Question] = {}
    section_ids: set[str] = set()
    for s_index, section in enumerate(survey.sections):
        if section.id in section_ids:
            bad(None, f"duplicate section id '{section.id}'")
        section_ids.add(section.id)
        if not section.questions:
            bad(None, f"section '{section.id}' has no questions")
        for q in section.questions:
            for item in [q.id, *(r.id for r in q.rows)]:
                if not SNAKE.match(item):
                    bad(
                        q.id,
                        f"id '{item}' must be snake_case (a-z, 0-9, _), starting with a letter",
                    )
                if item in seen:
                    bad(q.id, f"duplicate id '{item}' (already used by question '{seen[item]}')")
                seen.setdefault(item, q.id)
            validate_question(survey, q, bad)
            if q.show_if is not None and q.show_if.question:
                target = q.show_if.question
                if target not in questions_by_id:
                    later = survey.question(target) is not None
                    bad(
                        q.id,
                        f"show_if refers to {'a later' if later else 'an unknown'} "
                        f"question '{target}'; it may only depend on an earlier section",
                    )
                elif section_of[target] == s_index:
                    bad(
                        q.id,
                        f"show_if refers to question '{target}' in the same section; "
                        "it may only depend on an earlier section (pages work without JavaScript)",
                    )
                else:
                    check_show_if_values(survey, q, questions_by_id[target], bad)
            questions_by_id[q.id] = q
            section_of[q.id] = s_index
    if not out:
        _check_indicators(survey, bad)
        check_analysis(survey, bad)
    return out


def indicator_items(survey: Survey, indicator_id: str) -> list[str]:
    """The item ids an indicator of ``survey`` is computed from (listed, then by dimension)."""
    from .coding import scored_items

    ind = next(i for i in survey.indicators if i.id == indicator_id)
    chosen = list(ind.items)
    for item in scored_items(survey):
        if item.dimension in ind.dimensions and item.id not in chosen:
            chosen.append(item.id)
    return chosen


def _check_indicators(survey: Survey, bad: Any) -> None:
    from .coding import scored_items

    kinds = {item.id: item.kind for item in scored_items(survey)}
    seen: set[str] = set()
    for ind in survey.indicators:
        where = f"indicator '{ind.id}'"
        if not SNAKE.match(ind.id):
            bad(None, f"{where}: id must be snake_case")
        if ind.id in seen:
            bad(None, f"{where}: duplicate indicator id")
        seen.add(ind.id)
        for dim in ind.dimensions:
            if dim not in survey.dimensions:
                bad(None, f"{where}: unknown dimension '{dim}'")
        for item in ind.items:
            if item not in kinds:
                bad(None, f"{where}: unknown or unscored item '{item}'")
        if ind.kind == "share" or ind.share is not None:
            if ind.kind != "share":
                bad(None, f"{where}: share applies only to share indicators")
            check_share(survey, ind, bad)
            continue
        items = indicator_items(survey, ind.id)
        if not items:
            bad(None, f"{where}: no items (list items or dimensions)")
            continue
        if ind.kind == "index":
            check_index_population(survey, ind, items, bad)
        wanted = "nps" if ind.kind == "nps" else "likert"
        wrong = [i for i in items if kinds.get(i) not in (wanted, None)]
        if wrong:
            bad(None, f"{where}: a {ind.kind} indicator needs {wanted} items, not {wrong}")
        if ind.kind in ("mean", "nps") and len(items) != 1:
            bad(None, f"{where}: a {ind.kind} indicator takes exactly one item")


def load_survey(path: Path) -> tuple[LoadedSurvey | None, list[FormProblem]]:
    survey, problems = _decode(path, Survey)
    if survey is None:
        return None, problems
    problems = check_survey(survey, path.name)
    if problems:
        return None, problems
    return LoadedSurvey(survey, path.name, survey_version(survey)), []


def load_organisations(path: Path) -> tuple[dict[str, Organisation], list[FormProblem]]:
    data, problems = _decode(path, OrganisationsFile)
    if data is None:
        return {}, problems
    out: dict[str, Organisation] = {}
    for org in data.organisations:
        if not SLUG.match(org.id):
            problems.append(
                FormProblem(path.name, None, f"organisation id '{org.id}' must be a slug")
            )
        if org.id in out:
            problems.append(FormProblem(path.name, None, f"duplicate organisation id '{org.id}'"))
        _check_texts(org, path.name, None, problems)
        problems += _check_structures(org, path.name)
        out[org.id] = org
    if not out:
        problems.append(FormProblem(path.name, None, "no organisations defined"))
    return out, problems


def _check_structures(org: Organisation, file: str) -> list[FormProblem]:
    out: list[FormProblem] = []
    seen: dict[str, set[str]] = {}
    for structure in org.structures:
        where = f"organisation '{org.id}', structure '{structure.id}'"
        if structure.id in seen:
            out.append(FormProblem(file, None, f"{where}: duplicate structure id"))
        units = [u.id for u in structure.units]
        for unit in structure.units:
            if not SNAKE.match(unit.id):
                out.append(FormProblem(file, None, f"{where}: unit id '{unit.id}' must be "
                                       "snake_case"))
            if unit.head_count < 0:
                out.append(FormProblem(file, None, f"{where}: unit '{unit.id}' has a negative "
                                       "head count"))
        if len(set(units)) != len(units):
            out.append(FormProblem(file, None, f"{where}: duplicate unit ids"))
        if structure.previous is not None:
            before = seen.get(structure.previous)
            if before is None:
                out.append(FormProblem(file, None, f"{where}: previous structure "
                                       f"'{structure.previous}' is not listed before it"))
            else:
                for old, new in structure.mapping.items():
                    if old not in before or new not in units:
                        out.append(FormProblem(file, None, f"{where}: mapping '{old}' -> "
                                               f"'{new}' names an unknown unit"))
        elif structure.mapping:
            out.append(FormProblem(file, None, f"{where}: a mapping needs 'previous'"))
        seen[structure.id] = set(units)
    return out


def check_catalog(forms_dir: Path) -> tuple[Catalog, list[FormProblem]]:
    """Load every survey and the organisations; return what loaded and every problem."""
    catalog = Catalog()
    problems: list[FormProblem] = []
    if not forms_dir.is_dir():
        return catalog, [FormProblem(str(forms_dir), None, "forms directory not found")]
    catalog.organisations, org_problems = load_organisations(forms_dir / ORGANISATIONS_FILE)
    problems += org_problems
    results_path = forms_dir / EXPECTED_RESULTS_FILE
    broken: set[str] = set()  # ids of the surveys whose files were refused (id = file name)
    for path in sorted(forms_dir.glob("*.toml")):
        if path.name in NOT_SURVEYS:
            continue
        loaded, found = load_survey(path)
        problems += found
        if found:
            broken.add(path.stem)
        if loaded is not None:
            if loaded.survey.id in catalog.surveys:
                problems.append(
                    FormProblem(path.name, None, f"duplicate survey id '{loaded.survey.id}'")
                )
            catalog.surveys[loaded.survey.id] = loaded
    if results_path.exists() or results_path.is_symlink():
        data, found = _decode(results_path, ExpectedResultsFile)
        problems += found
        if data is not None:
            catalog.expected_results = [m for r in data.results for m in r.expand()]
            catalog.project_results = [ProjectResult(r.id, r.text, r.expand())
                                       for r in data.results]
            catalog.comparisons = list(data.comparisons)
            catalog.benchmarks = list(data.benchmarks)
            problems += _check_expected_results(data, catalog, broken)
    return catalog, problems


def _check_expected_results(
    data: ExpectedResultsFile, catalog: Catalog, broken: set[str]
) -> list[FormProblem]:
    """Check the expected results against the surveys that loaded; a result of a survey whose
    file was refused is not checked (that file's own problem is reported instead)."""
    out: list[FormProblem] = []
    for result in data.results:
        _check_texts(result, EXPECTED_RESULTS_FILE, None, out)
    surveys = {k: v.survey for k, v in catalog.surveys.items()}
    messages = (*check_results(data.results, surveys, broken),
                *check_context(data, surveys, set(catalog.organisations), broken))
    return out + [FormProblem(EXPECTED_RESULTS_FILE, None, m) for m in messages]


def load_catalog(forms_dir: Path) -> Catalog:
    """Load the catalog or raise :class:`CatalogError` listing every problem."""
    catalog, problems = check_catalog(forms_dir)
    if problems:
        raise CatalogError(problems)
    return catalog

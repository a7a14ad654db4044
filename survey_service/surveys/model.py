"""Survey definitions as immutable msgspec Structs (pure domain: no I/O).

A survey file in ``forms/`` decodes into :class:`Survey`. Every question has a stable
snake_case ``id`` that becomes a column of the raw-response CSV. Texts come in both
Bulgarian and English (:class:`Text`).
"""

from __future__ import annotations

from typing import Literal

import msgspec

QuestionKind = Literal["likert", "matrix", "single", "multi", "nps", "number", "text", "date"]
SurveyKind = Literal["citizen", "staff", "training"]
Lang = Literal["bg", "en"]
LANGS: tuple[Lang, ...] = ("bg", "en")

#: Stored code of the "don't know / not applicable" answer of a likert item or matrix row.
#: It is a code of its own (never missing) and is excluded from every score.
DONT_KNOW = 9


class Text(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A user-facing text in both languages."""

    bg: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" else self.bg


class Corrects(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An editorial change declared by the survey's author: the earlier wording(s) that the
    current text corrects without changing its meaning (a typo, punctuation). An item whose
    only change between two form versions is declared here stays comparable across them."""

    bg: str | list[str] | None = None
    en: str | list[str] | None = None

    def earlier(self, lang: str) -> list[str]:
        value = self.en if lang == "en" else self.bg
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)


class Option(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One choice of a ``single`` or ``multi`` question."""

    code: str
    label: Text
    corrects: Corrects | None = None


class Scale(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A labelled agreement or satisfaction scale, 1 = most negative."""

    labels: list[Text]
    dont_know: Text | None = None

    @property
    def points(self) -> int:
        return len(self.labels)


class Row(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One likert row of a ``matrix``; stored as its own column named ``id``."""

    id: str
    text: Text
    dimension: str | None = None
    reverse: bool = False
    corrects: Corrects | None = None


class ShowIf(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Show a question only when an earlier answer (``question``) is one of ``any_of``,
    and/or only in waves of the phases in ``phase`` (e.g. ``["follow-up"]``: an item that
    only makes sense after the restructuring). Both given: both must hold. The phase is the
    wave's, known before the first page (:func:`~.phases.for_phase`)."""

    question: str = ""
    any_of: list[str | int] = []
    phase: list[str] = []


class Question(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    kind: QuestionKind
    text: Text
    corrects: Corrects | None = None
    hint: Text | None = None
    required: bool = False
    show_if: ShowIf | None = None
    dimension: str | None = None
    reverse: bool = False
    # likert and matrix
    scale: str | None = None
    dont_know: bool = False
    rows: list[Row] = []
    # single and multi
    options: list[Option] = []
    max_choices: int | None = None
    # number
    min: int | None = None
    max: int | None = None
    # text
    max_length: int = 1000
    multiline: bool = True
    personal_data_note: bool = True
    # date
    min_date: str | None = None
    max_date: str | None = None
    # nps end labels
    low_label: Text | None = None
    high_label: Text | None = None
    # knowledge check (single): the code of the right answer; the question is then scored
    correct: str | None = None
    # retrospective then-and-now rating (matrix): the id of the earlier matrix that asks the
    # same rows about "before the course"; this one asks them about "now" (paired by position)
    then_of: str | None = None

    def item_ids(self) -> list[str]:
        """The stored columns of this question (a matrix stores one per row)."""
        if self.kind == "matrix":
            return [row.id for row in self.rows]
        return [self.id]


class Section(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A page of the form; ``show_if`` is evaluated between pages, on the server."""

    id: str
    title: Text
    questions: list[Question]
    intro: Text | None = None


IndicatorKind = Literal["index", "percent_positive", "mean", "nps", "share"]


class ShareDef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Which answers a ``share`` indicator counts: option codes of a ``single`` question
    (``any_of``), or an inclusive range of a ``number`` question (``min`` and/or ``max``)."""

    any_of: list[str] = []
    min: int | None = None
    max: int | None = None


class IndicatorDef(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An indicator computed from a survey's items (see INDICATORS in the README).

    ``index``: mean of respondent composites on 0-100 (CSQI, driver scores, engagement);
    ``percent_positive``: mean over the items of % positive (CSAT, theme scores);
    ``mean``: mean of the raw scale of one item (e.g. effort on 1-7); ``nps``: net promoter score;
    ``share``: % of valid answers of one single-choice or number item that ``share`` accepts
    (e.g. % who waited 20 minutes or less), compared like ``percent_positive`` of one item.
    Items are listed by id, or taken from ``dimensions`` (every item of those dimensions).
    """

    id: str
    kind: IndicatorKind
    label: Text
    items: list[str] = []
    dimensions: list[str] = []
    share: ShareDef | None = None


class Analysis(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How a change between waves is adjusted for who answered (issue #19 §1), frozen with
    the form version when a wave opens. Each name is ``organisation``, ``mode`` (the answering
    channel: web, kiosk, paper) or the id of a single-choice question (e.g. ``service``).
    ``shown_both_ways``: variables whose adjustment is shown separately, without and with
    them (a contact channel, since moving people to e-services is itself an aim). The report's
    composition table shows every variable named here."""

    adjust_for: list[str] = []
    shown_both_ways: list[str] = []
    composition: list[str] = []  # also shown in the composition table, not adjusted for


class Survey(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: str
    kind: SurveyKind
    title: Text
    intro: Text
    sections: list[Section]
    minutes: int = 5
    scales: dict[str, Scale] = {}
    dimensions: dict[str, Text] = {}
    indicators: list[IndicatorDef] = []
    analysis: Analysis | None = None
    #: surveys with the same scope pair their panel codes with each other's (one salt): a
    #: training event's evaluation, its knowledge check and the transfer survey months later
    panel_scope: str | None = None

    @property
    def panel_salt(self) -> str:
        """What the panel hash is salted with: the scope, or the survey's own id."""
        return self.panel_scope or self.id

    def questions(self) -> list[Question]:
        return [q for s in self.sections for q in s.questions]

    def question(self, question_id: str) -> Question | None:
        for q in self.questions():
            if q.id == question_id:
                return q
        return None

    def scale_of(self, question: Question) -> Scale:
        assert question.scale is not None
        return self.scales[question.scale]


class Unit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A directorate or department, with the number of staff it has (for response rates)."""

    id: str
    name: Text
    head_count: int


class Structure(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One version of an organisation's structure. ``mapping`` maps the unit ids of the
    ``previous`` structure to the units of this one, so reports can compare across the
    restructuring."""

    id: str
    units: list[Unit]
    previous: str | None = None
    mapping: dict[str, str] = {}

    def unit(self, unit_id: str) -> Unit | None:
        return next((u for u in self.units if u.id == unit_id), None)


class Organisation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An administration that runs surveys; its privacy contacts appear in the notice."""

    id: str
    name: Text
    address: Text
    email: str
    phone: str = ""
    dpo_email: str = ""
    complaints: Text | None = None
    structures: list[Structure] = []

    def structure(self, structure_id: str | None = None) -> Structure | None:
        """A structure by id, or the newest (last listed) one."""
        if structure_id is None:
            return self.structures[-1] if self.structures else None
        return next((s for s in self.structures if s.id == structure_id), None)


class OrganisationsFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    organisations: list[Organisation]


class Target(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What an expected result asks of an indicator: a rise of at least ``change_at_least``
    points from baseline to follow-up, and/or a follow-up level of at least ``at_least``
    (tiered statuses: ``reports.status``)."""

    change_at_least: float | None = None
    at_least: float | None = None


class ExpectedResult(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One of the project's expected results, tied to an indicator of a survey."""

    id: str
    text: Text
    survey: str
    indicator: str
    target: Target
    #: false unless the file says true: a result added later never joins the Holm family
    confirmatory: bool = False


class MeasureEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One indicator an expected result rests on, as written in the file; ``confirmatory``
    unset takes the result's."""

    survey: str
    indicator: str
    target: Target
    confirmatory: bool | None = None


class ResultEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An expected result as written in ``forms/expected-results.toml``: either one indicator
    (``survey``, ``indicator``, ``target``) or several (``[[results.measures]]``)."""

    id: str
    text: Text
    survey: str | None = None
    indicator: str | None = None
    target: Target | None = None
    confirmatory: bool = False
    measures: list[MeasureEntry] = []

    def expand(self) -> list[ExpectedResult]:
        """One :class:`ExpectedResult` per indicator the result rests on (same id)."""
        if self.measures:
            n = len(self.measures)
            return [
                ExpectedResult(
                    # a survey's own report shows one of them: say so beside the result
                    id=self.id, text=Text(bg=f"({i}/{n}) {self.text.bg}",
                                          en=f"({i}/{n}) {self.text.en}")
                    if n > 1 else self.text,
                    survey=m.survey, indicator=m.indicator, target=m.target,
                    confirmatory=self.confirmatory if m.confirmatory is None else m.confirmatory,
                )
                for i, m in enumerate(self.measures, start=1)
            ]
        if self.survey is None or self.indicator is None or self.target is None:
            return []
        return [ExpectedResult(id=self.id, text=self.text, survey=self.survey,
                               indicator=self.indicator, target=self.target,
                               confirmatory=self.confirmatory)]


class ProjectResult(msgspec.Struct, frozen=True):
    """An expected result of the project and every indicator it rests on: it is met when
    every one of them meets its target."""

    id: str
    text: Text
    measures: list[ExpectedResult]


class ComparisonGroup(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Organisations outside the project surveyed with the same questionnaire, in waves of
    their own, at the project's baseline and follow-up (issue #19 §4): the report shows the
    difference of the two changes as context (difference-in-differences), never as an
    effect. ``text`` says what the comparison is (shown beside it)."""

    survey: str
    organisations: list[str]
    text: Text | None = None


class Benchmark(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An external figure of an indicator at the time of each wave (e.g. a national survey),
    with its ``source``: the report shows the project's change less the benchmark's as
    context (issue #19 §4), taking the benchmark as exact."""

    survey: str
    indicator: str
    baseline: float
    follow_up: float
    source: Text


class ExpectedResultsFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    results: list[ResultEntry]
    comparisons: list[ComparisonGroup] = []
    benchmarks: list[Benchmark] = []

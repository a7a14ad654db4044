"""The answers of an imported row, fast: each question's cells are judged once per distinct
value and the verdict reused for every row that repeats them.

A question's answers depend only on its own cells (``surveys.answers.validate_question``
reads no other field) and on whether it is shown. So :class:`RowAnswers` keeps, per
question, what the web form's own check made of each distinct set of its cells: the clean
answers, or "refused". A row whose questions are all clean this way gets exactly the answers
``imports.validate_row`` would give it (in the same order); a row with anything else (a cell
that is refused, a non-empty cell of a question not shown) gets ``None``, and the caller
judges that row with ``validate_row``, which says every reason. Nothing is accepted here that
the check refuses: every verdict comes from the check itself.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..exports.columns import Column
from ..surveys.answers import Answers, FieldError, is_visible, validate_question
from ..surveys.model import Question, Survey
from .import_reasons import OPTION_CELL, Reason

#: Each item column's place in a row, the column, and its labels (casefolded label -> code).
Plan = list[tuple[int, Column, dict[str, str] | None]]
#: Distinct cell values remembered per question (free text rarely repeats: bounded memory).
MAX_REMEMBERED = 4096


@dataclass(frozen=True)
class BadCell:
    row: int  # as numbered in the file (the header is row 1)
    column: str
    value: str
    reason: Reason

    @property
    def why(self) -> str:
        """The reason in English (``reason.say(lang)`` in another language)."""
        return str(self.reason)


def read_form(plan: Plan, number: int, row: Sequence[str], bad: list[BadCell]
              ) -> dict[str, list[str]]:
    """The row's cells as a web form would send them (labels turned into codes, an option
    column into the list of chosen options); an option cell other than 1, 0 or empty is a bad
    cell."""
    form: dict[str, list[str]] = {}
    width = len(row)
    for i, c, labels in plan:
        raw = row[i] if i < width else ""
        if c.option is not None:
            value = raw.strip()
            chosen = form.setdefault(c.item, [])
            if value == "1":
                chosen.append(c.option)
            elif value not in ("", "0"):
                bad.append(BadCell(number, c.name, value, Reason(OPTION_CELL)))
        elif c.kind == "text":  # typed text keeps its inner spacing and newlines
            form[c.item] = [raw]
        else:
            value = raw.strip()
            form[c.item] = [labels.get(value.casefold(), value) if labels else value]
    return form


class _Question:
    """One question: where its cells are, and the verdicts on the cells seen so far."""

    __slots__ = ("cells", "conditional", "empty", "lists", "plan", "question", "seen", "survey")

    def __init__(self, survey: Survey, question: Question, plan: Plan) -> None:
        self.survey = survey
        self.question = question
        self.plan = plan
        places = [i for i, _, _ in plan]
        #: the question's cells of a row: one string for one column, else a tuple
        self.cells: Callable[[Sequence[str]], Any] = (
            operator.itemgetter(*places) if places else (lambda row: ""))
        self.empty: Any = ("",) * len(places) if len(places) > 1 else ""
        self.conditional = question.show_if is not None
        self.lists = question.kind == "multi"
        #: cells -> the clean answers in the check's order, or None (refused)
        self.seen: dict[Any, Answers | None] = {}

    def judge(self, row: Sequence[str], cells: Any) -> Answers | None:
        """What the web form's check makes of these cells (remembered)."""
        bad: list[BadCell] = []
        form = read_form(self.plan, 0, row, bad)
        out: Answers = {}
        errors: list[FieldError] = []
        validate_question(self.survey, self.question, form, out, errors)
        verdict = None if bad or errors else out
        if len(self.seen) < MAX_REMEMBERED:
            self.seen[cells] = verdict
        return verdict


class RowAnswers:
    """Call with a row (its cells as text) for its answers, or ``None`` when the row must be
    judged cell by cell (``validate_row``) because something in it is refused or unusual."""

    def __init__(self, survey: Survey, plan: Plan) -> None:
        by_question: dict[str, Plan] = {}
        for entry in plan:
            by_question.setdefault(entry[1].question, []).append(entry)
        self.width = max((i + 1 for i, _, _ in plan), default=0)
        #: in the form's order: runs of plain questions (one column each, always shown, one
        #: answer that is no list) read with one getter, or a page read question by question
        self.steps: list[tuple[Callable[[Sequence[str]], Any] | None, list[_Question]]] = []
        run: list[_Question] = []
        for section in survey.sections:
            questions = [_Question(survey, q, by_question.get(q.id, []))
                         for q in section.questions]
            if any(q.conditional for q in questions):
                self._close(run)
                self.steps.append((None, questions))
                continue
            for q in questions:
                if len(q.plan) == 1 and not q.lists:
                    run.append(q)
                else:
                    self._close(run)
                    self.steps.append((None, [q]))
        self._close(run)

    def _close(self, run: list[_Question]) -> None:
        if len(run) > 1:
            self.steps.append((operator.itemgetter(*(q.plan[0][0] for q in run)), list(run)))
        elif run:
            self.steps.append((None, list(run)))
        run.clear()

    def __call__(self, row: Sequence[str]) -> Answers | None:
        if len(row) < self.width:  # a short row: its missing cells are empty
            row = [*row, *[""] * (self.width - len(row))]
        answers: Answers = {}
        update = answers.update
        for cells_of, questions in self.steps:
            if cells_of is None:
                if not _page(questions, row, answers):
                    return None
                continue
            for q, cells in zip(questions, cells_of(row), strict=True):
                try:
                    verdict = q.seen[cells]
                except KeyError:
                    verdict = q.judge(row, cells)
                if verdict is None:
                    return None
                update(verdict)
        return answers


def _page(questions: list[_Question], row: Sequence[str], answers: Answers) -> bool:
    """Read some questions of one page into ``answers``; False if the row must be judged
    cell by cell."""
    # which questions are shown is decided before any of the page is read
    shown = [not q.conditional or is_visible(q.question, answers) for q in questions]
    for q, visible in zip(questions, shown, strict=True):
        cells = q.cells(row)
        if not visible:
            if cells != q.empty:  # an answer where the question was not asked
                return False
            continue
        try:
            verdict = q.seen[cells]
        except KeyError:
            verdict = q.judge(row, cells)
        if verdict is None:
            return False
        if q.lists:  # a list of each row's own
            for item, value in verdict.items():
                answers[item] = list(value) if isinstance(value, list) else value
        else:
            answers.update(verdict)
    return True

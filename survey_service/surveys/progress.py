"""The step counter of a survey whose pages depend on earlier answers (pure domain).

GOV.UK's question-pages pattern: "Only include the total number of questions if you can do so
reliably." A page shown only for some answers (the desk page, after "At the desk") makes the
total uncertain until that answer is given. So the counter gives the pages this respondent can
still see: exactly once every condition of a later page is decided by answers already given,
and as an upper bound ("of up to 5") before. The total therefore never grows as the respondent
goes forward: it only stays, or shrinks when a branch is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answers import Answers, is_visible, visible_questions
from .model import Question, Survey


@dataclass(frozen=True)
class Progress:
    """``position``: this page's number among the pages shown; ``total``: the pages this
    respondent will see at most; ``exact``: whether ``total`` is certain."""

    position: int
    total: int
    exact: bool


def progress(survey: Survey, step: int, answers: Answers) -> Progress:
    """The counter for page ``step``, given the answers of the pages before it."""
    page_of = {
        item: index
        for index, section in enumerate(survey.sections)
        for q in section.questions
        for item in (q.id, *q.item_ids())
    }

    def decided(q: Question) -> bool:
        """Whether ``q``'s condition depends only on answers already given (earlier pages)."""
        return q.show_if is None or page_of.get(q.show_if.question, step) < step

    def may_show(q: Question) -> bool:
        return not decided(q) or is_visible(q, answers)

    def must_show(q: Question) -> bool:
        return decided(q) and is_visible(q, answers)

    shown_before = sum(1 for s in survey.sections[:step] if visible_questions(s, answers))
    later = survey.sections[step + 1 :]
    at_most = sum(1 for s in later if any(may_show(q) for q in s.questions))
    at_least = sum(1 for s in later if any(must_show(q) for q in s.questions))
    position = shown_before + 1
    return Progress(position, position + at_most, at_most == at_least)


__all__ = ["Progress", "progress"]

"""Questions asked only in waves of some phases (``show_if = { phase = ["follow-up"] }``).

The wave's phase is known before the first page, so it is decided once per wave, not per
answer: :func:`for_phase` gives the survey as a wave of that phase asks it, without the
questions of other phases (a section left empty is skipped like one whose questions are all
hidden) and with the phase part of every other condition dropped. Pages, validation, progress
and the paper questionnaire use that survey; a response is still coded against the whole
form version (a question not asked is missing, as a skipped one).
"""

from __future__ import annotations

import msgspec

from .model import Question, Survey

#: (survey object, phase) -> the survey for that phase; surveys live as long as the catalog.
_made: dict[tuple[int, str], tuple[Survey, Survey]] = {}


def asked_in(question: Question, phase: str | None) -> bool:
    """Whether ``question`` belongs to a wave of ``phase`` (None: every phase)."""
    cond = question.show_if
    return cond is None or not cond.phase or phase is None or phase in cond.phase


def _without_phase(question: Question) -> Question:
    cond = question.show_if
    if cond is None or not cond.phase:
        return question
    rest = msgspec.structs.replace(cond, phase=[]) if cond.question else None
    return msgspec.structs.replace(question, show_if=rest)


def for_phase(survey: Survey, phase: str | None) -> Survey:
    """The survey as a wave of ``phase`` asks it (``survey`` itself if no question depends on
    the phase, or with ``phase`` None)."""
    if phase is None or not any(
            q.show_if is not None and q.show_if.phase for s in survey.sections
            for q in s.questions):
        return survey
    key = (id(survey), phase)
    found = _made.get(key)
    if found is not None and found[0] is survey:
        return found[1]
    sections = [
        msgspec.structs.replace(section, questions=[
            _without_phase(q) for q in section.questions if asked_in(q, phase)])
        for section in survey.sections
    ]
    made = msgspec.structs.replace(survey, sections=sections)
    if len(_made) > 1000:
        _made.clear()
    _made[key] = (survey, made)
    return made

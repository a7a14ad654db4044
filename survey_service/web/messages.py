"""Respondent-facing field error messages (English message ids, translated by gettext)."""

from __future__ import annotations

from ..surveys.answers import FieldError
from ..surveys.model import Survey


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


REQUIRED_BY_KIND = {
    "likert": N_("Select an answer"),
    "single": N_("Select an answer"),
    "nps": N_("Select a number from 0 to 10"),
    "multi": N_("Select at least one option"),
    "number": N_("Enter a number"),
    "text": N_("Enter your answer"),
    "date": N_("Enter a date"),
}

MESSAGES = {
    "required_row": N_("Select an answer for this statement"),
    "invalid_choice": N_("Select one of the options shown"),
    "too_many": N_("Select no more than %(max)s options"),
    "not_a_whole_number": N_("Enter a whole number, for example 2"),
    "number_range": N_("Enter a number from %(min)s to %(max)s"),
    "too_long": N_("Your answer must be %(max)s characters or fewer; it has %(count)s"),
    "invalid_date": N_("Enter a real date, for example 25.11.2026"),
    "date_range": N_("Enter a date from %(min)s to %(max)s"),
}


def message_id(survey: Survey, error: FieldError) -> str:
    if error.code == "required":
        q = survey.question(error.question)
        return REQUIRED_BY_KIND.get(q.kind if q else "", N_("Select an answer"))
    return MESSAGES.get(error.code, N_("Check this answer"))


def label_of(survey: Survey, error: FieldError, lang: str) -> str:
    """The question (or matrix row) text an error belongs to, for the error summary."""
    q = survey.question(error.question)
    if q is None:
        return error.item
    for row in q.rows:
        if row.id == error.item:
            return row.text.get(lang)
    return q.text.get(lang)

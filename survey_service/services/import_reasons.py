"""Why an import refuses a cell or a file, in either language.

A reason is an English message id (``%(name)s`` placeholders, marked for the catalogue) and
its values. Services keep reasons as they are; each front end says them in its language: the
CLI in English (its one-line errors), the dashboard in the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_, translations
from ..surveys.answers import FieldError
from .errors import Invalid, Refused

#: Why a value is refused, by the code of the web form's check (``surveys.answers``).
FIELD_REASONS = {
    "required": N_("required, but empty"),
    "required_row": N_("required, but empty"),
    "invalid_choice": N_("not one of the codes or labels of this question"),
    "too_many": N_("more options chosen than allowed (%(max)s)"),
    "not_a_whole_number": N_("not a whole number"),
    "number_range": N_("outside %(min)s..%(max)s"),
    "too_long": N_("longer than %(max)s characters (%(count)s)"),
    "invalid_date": N_("not a date (YYYY-MM-DD or DD.MM.YYYY)"),
    "date_range": N_("outside %(min)s..%(max)s"),
}
REQUIRED = N_("required, but empty")
TWICE = N_("this column is there twice")
NO_UNITS = N_("citizen waves have no units")
NOT_A_QUESTION = N_("not a question of this wave's form version")
NOT_A_STAFF_QUESTION = N_(
    "not a question of this wave's form version (staff imports take no free text)")
NO_QUESTION = N_("no column is a question of this wave")
OPTION_CELL = N_("must be 1 (chosen), 0 or empty")
NOT_ASKED = N_("not asked: shown only when %(question)s is one of %(codes)s")
NOT_AN_ORGANISATION = N_("not an organisation of this wave")
NOT_A_UNIT = N_("not a unit of this organisation in this wave")
SAME_ID = N_("the same response_id is on an earlier row")
OTHER_VERSION = N_("another form version (this wave's is %(version)s)")
NOT_A_CHANNEL = N_("not one of %(values)s")
NOT_A_LANGUAGE = N_("not bg or en")
NOT_AN_ID = N_("not an id (letters, digits, . _ -; at most 64)")
STAFF_DAY = N_("staff responses carry no day")
NOT_A_DAY = N_("not a date (YYYY-MM-DD)")
FUTURE = N_("in the future")
STAFF_OPEN = N_("wave '%(wave)s' is open: staff answers come in sealed, one code each; "
                "import into it once it is closed")


@dataclass(frozen=True)
class Reason:
    """A message id and its values."""

    message: str
    params: dict[str, Any] = field(default_factory=dict, hash=False)

    def say(self, lang: str = "en", **more: Any) -> str:
        """The reason in ``lang`` (``more`` adds values, e.g. the file's name)."""
        return translations(lang).gettext(self.message) % (self.params | more)

    def __str__(self) -> str:
        return self.say()


class UnreadableFile(Invalid):
    """The file cannot be read as a table (nothing was checked)."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


class NotNow(Refused):
    """The wave takes no import in its present state."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


def field_reason(error: FieldError) -> Reason:
    """Why a web-form check refuses a cell."""
    return Reason(FIELD_REASONS.get(error.code, error.code), dict(error.params))

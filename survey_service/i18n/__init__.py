"""Translations: gettext catalogs (``.po`` in this folder) compiled in memory at start.

Message ids are the English texts; ``bg/LC_MESSAGES/messages.po`` holds the Bulgarian ones.
Survey texts themselves come from the survey files, which carry both languages.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from importlib import resources

from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = ("bg", "en")
DEFAULT_LANGUAGE = "bg"
DOMAIN = "messages"


def po_path(lang: str) -> str:
    return str(resources.files("survey_service.i18n") / lang / "LC_MESSAGES" / f"{DOMAIN}.po")


@cache
def translations(lang: str) -> NullTranslations:
    """The compiled catalog for ``lang`` (English needs none: message ids are English)."""
    if lang == "en":
        return NullTranslations()
    with open(po_path(lang), "rb") as f:
        catalog = read_po(f, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def normalise(lang: str | None) -> str:
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def other_language(lang: str) -> str:
    """The language a page's language switch offers (the other of Bulgarian and English)."""
    return "en" if lang == "bg" else "bg"


def fmt_date(value: dt.date, lang: str) -> str:
    return format_date(
        value, format="long" if lang == "en" else "d MMMM y 'г.'", locale=Locale(lang)
    )


def fmt_number(value: float, lang: str) -> str:
    return format_decimal(value, locale=Locale(lang))


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message

"""Jinja2 rendering: one environment per language, and a cache of pre-rendered pages.

Rendering a form page costs far more than serving it, so the first page of each
(form version, language, organisation, channel) is rendered once with placeholders for the
per-request parts (CSRF token, submission key), which are filled in by string replacement.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..i18n import LANGUAGES, fmt_date, other_language, translations
from ..surveys.model import DONT_KNOW, Question, Survey, Text
from .assets import Assets

#: The templates: inside the installed package (a wheel), else beside it (the source tree).
TEMPLATES = next(
    p
    for p in (
        Path(__file__).resolve().parents[1] / "templates",
        Path(__file__).resolve().parents[2] / "templates",
    )
    if p.is_dir()
)
LANGUAGE_NAMES = {"bg": "Български", "en": "English"}
CSRF_SLOT = "\x00csrf\x00"
KEY_SLOT = "\x00key\x00"


def _choices(lang: str) -> Any:
    """Template helper: (value, label) pairs of a question's answers, "don't know" excluded."""

    def choices(survey: Survey, q: Question) -> list[tuple[str, str]]:
        if q.kind in ("single", "multi"):
            return [(o.code, o.label.get(lang)) for o in q.options]
        if q.kind == "nps":
            return [(str(n), str(n)) for n in range(11)]
        return [(str(i), label.get(lang)) for i, label in enumerate(survey.scale_of(q).labels, 1)]

    return choices


#: An invitation code as printed (``ABCD-EFGH-JKMN-PQ``): never broken at its hyphens.
_CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}\b")


def nowrap_codes(text: str) -> Markup:
    """Template filter: ``text`` escaped, with every code in it kept on one line."""
    escaped = str(escape(text))  # a code has no character that escaping changes
    return Markup(_CODE.sub(r'<span class="nowrap">\g<0></span>', escaped))  # noqa: S704


def _text_filter(lang: str) -> Any:
    def t(value: Text | None) -> str:
        return value.get(lang) if value is not None else ""

    return t


class Renderer:
    def __init__(self, templates: Path = TEMPLATES, assets: Assets | None = None) -> None:
        self.assets = assets or Assets()
        self.envs: dict[str, jinja2.Environment] = {}
        for lang in LANGUAGES:
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(templates)),
                autoescape=True,
                trim_blocks=True,
                lstrip_blocks=True,
                undefined=jinja2.StrictUndefined,
                extensions=["jinja2.ext.i18n"],
            )
            env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
            env.filters["t"] = _text_filter(lang)
            env.filters["nowrap_codes"] = nowrap_codes
            env.globals["choices"] = _choices(lang)
            env.globals["static"] = self.assets.url
            env.globals.update(
                lang=lang,
                dk_code=DONT_KNOW,
                other_lang=other_language(lang),
                other_lang_name=LANGUAGE_NAMES[other_language(lang)],
            )
            self.envs[lang] = env
        self._cache: dict[tuple[Any, ...], str] = {}
        self._slotted: dict[tuple[Any, ...], tuple[bytes, ...]] = {}

    def gettext(self, lang: str, message: str, **params: Any) -> str:
        text = translations(lang).gettext(message)
        return text % params if params else text

    def render(self, lang: str, template: str, **context: Any) -> str:
        context.setdefault("error_list", [])
        context.setdefault("switch_url", None)
        context.setdefault("kiosk", False)
        context.setdefault("staff", False)
        context.setdefault("org", None)
        context.setdefault("site_name", self.gettext(lang, "Municipal surveys"))
        return self.envs[lang].get_template(template).render(**context)

    def cached(
        self,
        cache_key: tuple[Any, ...],
        lang: str,
        template: str,
        make_context: Callable[[], dict[str, Any]] | None = None,
        **context: Any,
    ) -> str:
        """A page rendered once per ``cache_key``; ``make_context`` is called only then."""
        page = self._cache.get(cache_key)
        if page is None:
            extra = make_context() if make_context is not None else {}
            page = self._cache[cache_key] = self.render(lang, template, **context, **extra)
        return page

    def slotted(
        self,
        cache_key: tuple[Any, ...],
        lang: str,
        template: str,
        make_context: Callable[[], dict[str, Any]],
    ) -> tuple[bytes, ...]:
        """A page rendered once with the CSRF and key slots, split into encoded pieces
        (text, slot, text, slot, ...) so that filling it in is one ``join``."""
        parts = self._slotted.get(cache_key)
        if parts is None:
            page = self.cached(cache_key, lang, template, make_context)
            parts = self._slotted[cache_key] = tuple(p.encode() for p in _SLOTS.split(page))
        return parts


_SLOTS = re.compile(f"({re.escape(CSRF_SLOT)}|{re.escape(KEY_SLOT)})")
_CSRF_B, _KEY_B = CSRF_SLOT.encode(), KEY_SLOT.encode()


def fill(parts: tuple[bytes, ...], csrf: str, key: str) -> bytes:
    """Put the per-request values into a pre-rendered page."""
    values = {_CSRF_B: csrf.encode(), _KEY_B: key.encode()}
    return b"".join(values.get(p, p) if i % 2 else p for i, p in enumerate(parts))


def show_if_labels(survey: Survey, lang: str) -> Any:
    """Template helper: the labels of the answers a ``show_if`` condition names."""

    def labels(q: Question) -> list[str]:
        assert q.show_if is not None
        target = survey.question(q.show_if.question)
        if target is None:
            return []
        out = []
        for value in q.show_if.any_of:
            if target.kind in ("single", "multi"):
                out += [o.label.get(lang) for o in target.options if o.code == value]
            elif target.kind == "likert" and isinstance(value, int):
                out.append(survey.scale_of(target).labels[value - 1].get(lang))
            else:
                out.append(str(value))
        return out

    return labels


def long_date(value: dt.date | dt.datetime, lang: str) -> str:
    return fmt_date(value if isinstance(value, dt.date) else value.date(), lang)

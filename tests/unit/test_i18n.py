"""Every user-facing message has its Bulgarian text, and the catalog is up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from survey_service.i18n import fmt_date, po_path, translations

ROOT = Path(__file__).resolve().parents[2]


def _catalog():  # type: ignore[no-untyped-def]
    with open(po_path("bg"), "rb") as f:
        return read_po(f, locale="bg")


def test_every_message_has_a_bulgarian_translation() -> None:
    catalog = _catalog()
    missing = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert missing == [] and fuzzy == []


def test_catalog_holds_every_message_of_code_and_templates(tmp_path: Path) -> None:
    """Re-extract the messages: none may be missing from the Bulgarian catalog."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [Path(sys.executable).with_name("pybabel"), "extract", "-F", "babel.cfg",
         "-k", "N_", "-k", "t:2", "-k", "gettext:2", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with open(pot, "rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    known = {m.id for m in _catalog() if m.id}
    assert sorted(extracted - known) == []


def test_bulgarian_texts_are_used() -> None:
    assert translations("bg").gettext("Continue") == "Продължете"
    assert translations("en").gettext("Continue") == "Continue"


def test_dates_are_formatted_for_the_locale() -> None:
    import datetime as dt

    assert fmt_date(dt.date(2026, 12, 1), "bg") == "1 декември 2026 г."
    assert fmt_date(dt.date(2026, 12, 1), "en") == "December 1, 2026"

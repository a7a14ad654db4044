"""Fixtures for running the operator's commands: a copy of the forms and their environment."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FORMS, SECRET


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    """A copy of the shipped forms that a test may change."""
    folder = tmp_path / "forms"
    shutil.copytree(FORMS, folder)
    return folder


@pytest.fixture
def env(tmp_path: Path, forms_dir: Path) -> dict[str, str]:
    """The environment of a command: a database of its own, the forms copy, the key."""
    return {"SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SURVEY_SECRET_KEY": SECRET, "SURVEY_FORMS_DIR": str(forms_dir)}


@pytest.fixture(autouse=True)
def no_pages_kept_from_another_test() -> None:
    """Kept report pages live in this process, keyed by waves, versions and filters, not by
    database (a process serves one): tests that build the same waves in databases of their
    own must not see each other's pages."""
    from survey_service.services import report_pages
    from survey_service.web.admin import kept_pages

    report_pages._READ.clear()
    kept_pages.forget()

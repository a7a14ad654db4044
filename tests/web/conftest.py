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

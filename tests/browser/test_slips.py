"""The printable slips of invitation codes render: eight slips with readable codes and QR codes
on an A4 page (a screenshot and a PDF are kept under test-output/)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import FORMS, SECRET

pytestmark = pytest.mark.browser


def test_printable_slips_render(browser: Browser, output: Path, tmp_path: Path) -> None:
    cli = str(Path(sys.executable).with_name("survey-service"))
    env = {**os.environ, "SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "SURVEY_SECRET_KEY": SECRET, "SURVEY_FORMS_DIR": str(FORMS),
           "SURVEY_PUBLIC_URL": "https://anketa.elena.bg"}
    subprocess.run([cli, "waves", "open", "staff-survey", "--id", "slips", "--org", "elena"],
                   env=env, check=True, capture_output=True)
    subprocess.run([cli, "tokens", "issue", "slips", "--org", "elena", "--unit", "finance",
                    "--count", "8", "--out", str(tmp_path / "out")],
                   env=env, check=True, capture_output=True)
    [sheet] = (tmp_path / "out").glob("*.html")
    context = browser.new_context(viewport={"width": 794, "height": 1123})  # A4 at 96 dpi
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    page.goto(sheet.as_uri())
    slips = page.locator(".slip")
    assert slips.count() == 8
    for i in range(8):
        box = slips.nth(i).locator("svg").bounding_box()
        assert box is not None and box["width"] > 80 and box["height"] > 80
        code = slips.nth(i).locator(".code").inner_text()
        assert len(code.replace("-", "")) == 14
    assert "https://anketa.elena.bg/staff" in page.content()
    page.screenshot(path=str(output / "screenshots" / "staff-slips.png"), full_page=True)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    (output / "staff-slips.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
    context.close()
    assert [u for u in requested if not u.startswith("file://")] == []

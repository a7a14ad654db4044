"""HTML to PDF with Debian's Chromium (print to PDF through Playwright; never a downloaded
browser). The page's fonts (DejaVu, with Cyrillic) are embedded by Chromium as subsets, so
the Bulgarian text of the PDF is real, searchable text.

Playwright is optional at run time (``pip install 'survey-service[pdf]'``); without it, or
without Chromium, :func:`html_to_pdf` raises :class:`PdfUnavailable` saying what is missing.
"""

from __future__ import annotations

import asyncio
import os
import shutil

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
#: At most this many PDFs are printed at once (each Chromium takes ~100 MB).
_SLOTS = asyncio.Semaphore(2)


class PdfUnavailable(Exception):
    """This installation cannot print PDFs (no Playwright or no Chromium)."""


def chromium() -> str | None:
    """Chromium's path: ``SURVEY_CHROMIUM`` when set, else Debian's."""
    given = os.environ.get("SURVEY_CHROMIUM")
    if given:
        return given if os.access(given, os.X_OK) else None
    found = next((p for p in CANDIDATES if os.access(p, os.X_OK)), None)
    return found or shutil.which("chromium")


async def html_to_pdf(html: str, *, timeout_ms: int = 30_000) -> bytes:
    """Print a self-contained HTML page (styles inline, no external resources) as A4."""
    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        raise PdfUnavailable("PDF needs Playwright: pip install 'survey-service[pdf]'") from exc
    executable = chromium()
    if executable is None:
        raise PdfUnavailable("PDF needs Chromium (Debian: apt-get install chromium)")
    async with _SLOTS, async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable,
                                          args=["--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page(java_script_enabled=False)
            await page.route("**/*", lambda route: route.abort())  # nothing from outside
            await page.set_content(html, wait_until="load", timeout=timeout_ms)
            await page.emulate_media(media="print")
            return await page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                                  margin={"top": "15mm", "bottom": "15mm", "left": "12mm",
                                          "right": "12mm"})
        finally:
            await browser.close()

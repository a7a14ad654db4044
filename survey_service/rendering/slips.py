"""The A4 sheet of invitation slips (code, link and QR code) to print and cut out."""

from __future__ import annotations

from collections.abc import Sequence

from ..surveys.model import Organisation
from ..surveys.waves import Wave
from .pages import Renderer


def qr_svg(url: str) -> str:
    """An inline SVG QR code (segno), for printing on slips."""
    import segno

    return str(segno.make(url, error="m").svg_inline(scale=2, border=2, omitsize=False))


def code_url(base_url: str, code: str) -> str:
    """The link printed on a slip (and in its QR code)."""
    return f"{base_url.rstrip('/')}/t/{code}"


def render_slips(
    renderer: Renderer,
    codes: Sequence[str],
    base_url: str,
    org: Organisation,
    wave: Wave,
    unit: str,
) -> str:
    """One slip per code, in Bulgarian with an English line, as a printable HTML page."""
    slips = [(code, code_url(base_url, code), qr_svg(code_url(base_url, code))) for code in codes]
    return renderer.render(
        "bg",
        "staff/slips.html",
        slips=slips,
        org=org,
        wave=wave,
        staff_url=f"{base_url.rstrip('/')}/staff",
        unit=unit,
    )

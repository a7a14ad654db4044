"""HTML responses shared by every audience: a page, and the one-message page."""

from __future__ import annotations

from typing import Any

from litestar import Response

from ..rendering import Renderer

NO_STORE = {"cache-control": "no-store"}
HTML = "text/html"


def html(
    body: str | bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    data = body.encode() if isinstance(body, str) else body
    return Response(data, status_code=status, media_type=HTML, headers=headers or {})


def message_page(
    renderer: Renderer,
    lang: str,
    heading: str,
    paragraphs: list[str],
    links: list[tuple[str, str]] | None = None,
    status: int = 200,
    switch_url: str | None = None,
    **extra: Any,
) -> Response[bytes]:
    """A heading, some paragraphs and links (never cached by the browser)."""
    return html(
        renderer.render(
            lang,
            "pages/message.html",
            heading=heading,
            paragraphs=paragraphs,
            links=links or [],
            switch_url=switch_url,
            **extra,
        ),
        status,
        NO_STORE,
    )

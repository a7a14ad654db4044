"""Rendering shared by every front end: Jinja2 pages (the web) and printable slips (the CLI).

Nothing here knows about HTTP; the web layer and the services both use it.
"""

from __future__ import annotations

from .pages import CSRF_SLOT, KEY_SLOT, TEMPLATES, Renderer, fill, long_date, show_if_labels

__all__ = ["CSRF_SLOT", "KEY_SLOT", "TEMPLATES", "Renderer", "fill", "long_date", "show_if_labels"]

"""Administration side: analysts and administrators, who sign in.

Empty for now. Sign-in, the dashboard per survey, reports comparing waves and the CSV
exports go here, as Litestar controllers over the same shared pieces as the respondents' side
(``web.deps``, ``web.pages``, ``web.errors``) and the service layer (``services``), under
``/admin`` with their own guard. Nothing here imports ``web.respondents``.
"""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

#: The administration's controllers (none yet); ``create_app`` mounts them.
route_handlers: list[ControllerRouterHandler] = []

"""The audit log, for admins (``/admin/audit``)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get

from ...services.audit import check
from ..deps import SiteDep
from .access import roles, signed_in
from .common import page

SHOWN = 200


class AuditController(Controller):
    path = "/audit"

    @get("/", name="admin-audit", opt=roles())
    async def entries(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """The latest entries, newest first, and whether the whole chain is intact."""
        everything = await site.store.audit_entries()
        verdict = check(everything)
        return page(site, request, "admin/audit.html", signed_in(request),
                    entries=list(reversed(everything[-SHOWN:])), verdict=verdict, shown=SHOWN)

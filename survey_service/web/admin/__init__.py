"""Administration side: administrators, analysts and clerks, who sign in (``/admin``).

- ``access``: sessions in the database, the guard every route passes, sign-in limits;
- ``account``: sign-in and sign-out;
- ``dashboard``: waves per organisation, opening and closing waves, codes, leaflets;
- ``paper``: clerks typing in paper questionnaires (once, or twice and resolved);
- ``exports``: downloads of a wave's exports; ``imports``: uploads of earlier questionnaires;
- ``audit_log``: the audit log;
- ``reports``: report pages with charts, and their CSV, JSON and PDF;
- ``publish``: putting a closed wave's results on the public results page;
- ``fieldwork``: forms handed out and visitors counted per day; ``plan``: answers needed.

Nothing here imports ``web.respondents``.
"""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.types import ControllerRouterHandler

from ..deps import Site
from .access import SignInLimits, authorise, session_config, to_sign_in
from .account import AccountController
from .audit_log import AuditController
from .dashboard import DashboardController
from .exports import ExportController, OrgExportController
from .fieldwork import FieldworkController
from .imports import ImportController
from .paper import DoubleEntryController, PaperController
from .plan import PlanController
from .publish import PublishController
from .reports import OrgReportController, ReportController

#: The administration's controllers; :func:`router` mounts them under ``/admin``.
route_handlers: list[ControllerRouterHandler] = [
    AccountController, DashboardController, PaperController, DoubleEntryController,
    AuditController, ExportController, OrgExportController, ImportController,
    PublishController, FieldworkController, PlanController, ReportController,
    OrgReportController]


def router(site: Site) -> Router:
    """``/admin``: every route behind :func:`~.access.authorise`, with sessions."""
    limits = SignInLimits(site)

    def provide_limits() -> SignInLimits:
        return limits

    return Router(
        "/admin",
        route_handlers=route_handlers,
        guards=[authorise],
        middleware=[session_config(site).middleware],
        dependencies={"limits": Provide(provide_limits, use_cache=True, sync_to_thread=False)},
        exception_handlers={NotAuthorizedException: to_sign_in},
    )

"""BENCHMARK ONLY, NO SIGN-IN: the real app (``create_app``) with the export controller
mounted at ``/bench-unguarded/exports/...`` without any guard, so that
``benchmarks/exports.py`` can measure the streamed CSV through a real uvicorn server before
the administration's sign-in exists. Never serve this app to anyone.

    uvicorn --factory benchmarks.export_app:create
"""

from __future__ import annotations

from litestar import Litestar, Router

from survey_service.app import create_app
from survey_service.web.admin.exports import ExportController


def create() -> Litestar:
    app = create_app()
    app.register(Router("/bench-unguarded", route_handlers=[ExportController]))
    return app

"""Importing questionnaires collected before the service existed (admins): a CSV or xlsx file
laid out like the wide export, uploaded to a wave. Every row is checked like a web submission
(``services.imports``); nothing is stored unless the whole file is clean, and the bad cells
are listed in the page (row, column, value, why). A check without storing ("check only") is
the default, so that a file is first checked and then imported. Each attempt is audited."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from ...services import audit
from ...services.errors import ServiceError
from ...services.import_reasons import Reason
from ...services.imports import ImportRefused, import_file
from ..deps import SiteDep
from ..messages import N_
from .access import roles, signed_in
from .common import admin_lang, page

#: Largest file accepted (a baseline of many thousand questionnaires fits in a few MB).
MAX_UPLOAD = 32 * 1024 * 1024
#: Bad cells shown in the page (the count of the rest is given).
SHOWN = 200
SUFFIXES = (".csv", ".xlsx")
TEMPLATE = "admin/import.html"
CHOOSE = N_("Choose a CSV or Excel (.xlsx) file laid out like the wave's CSV export.")
BAD = N_("%(n)s cells of %(file)s are not valid: nothing was imported.")
#: What the page shows when nothing else is said.
BLANK: dict[str, Any] = {"error": None, "problems": [], "more": 0, "bad": 0, "refusal": None,
                         "result": None, "file": ""}


class ImportController(Controller):
    """``/waves/{wave_id}/import``: the upload form and the upload."""

    path = "/waves/{wave_id:str}/import"

    @get("/", name="admin-import", opt=roles())
    async def form(self, request: Request[Any, Any, Any], site: SiteDep, wave_id: FromPath[str]
                   ) -> Response[Any]:
        """The upload form ("check only" ticked)."""
        await _wave(site, wave_id)
        return _page(site, request, signed_in(request), wave_id=wave_id,
                    dry_run=True)

    @post("/", name="admin-import-upload", opt=roles(), request_max_body_size=MAX_UPLOAD)
    async def upload(self, request: Request[Any, Any, Any], site: SiteDep, wave_id: FromPath[str]
                     ) -> Response[Any]:
        """Check (and unless "check only", store) the uploaded file; the page again with
        the outcome, or with the bad cells (400)."""
        user = signed_in(request)
        await _wave(site, wave_id)
        form = await request.form()
        dry_run = str(form.get("dry_run", "")) == "1"
        upload = form.get("file")
        context: dict[str, Any] = {"wave_id": wave_id, "dry_run": dry_run}
        name = upload.filename if isinstance(upload, UploadFile) else ""
        suffix = Path(name).suffix.lower()
        data = b""
        if isinstance(upload, UploadFile):
            data = await upload.read()
            await upload.close()
        if not data or suffix not in SUFFIXES:
            return _page(site, request, user, 400, **context, error="choose")
        folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="survey-import-"))
        try:
            path = folder / f"upload{suffix}"
            await asyncio.to_thread(path.write_bytes, data)
            try:
                result = await import_file(site.settings, site.store, wave_id, path, dry_run)
            except ImportRefused as exc:
                await audit.record(site.store, user.name, "import", {
                    "wave": wave_id, "refused": len(exc.problems), "dry_run": dry_run})
                return _page(site, request, user, 400, **context,
                            problems=exc.problems[:SHOWN], more=len(exc.problems) - SHOWN,
                            bad=len(exc.problems), file=name)
            except ServiceError as exc:
                reason = getattr(exc, "reason", None)
                return _page(site, request, user, 409, **context,
                            refusal=reason if isinstance(reason, Reason) else str(exc),
                            file=name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        await audit.record(site.store, user.name, "import", {
            "wave": wave_id, "rows": result.rows, "stored": result.stored,
            "dry_run": result.dry_run})
        return _page(site, request, user, **context, result=result,
                    file=name)


def _page(site: Any, request: Request[Any, Any, Any], user: Any, status: int = 200,
          **context: Any) -> Response[Any]:
    """The page, with the error summary of what went wrong (in the page's language)."""
    context = BLANK | context
    lang = admin_lang(request)
    errors = []
    if context["error"]:
        errors.append({"item": "file", "message": site.renderer.gettext(lang, CHOOSE)})
    if context["problems"]:
        errors.append({"item": "problems", "message": site.renderer.gettext(lang, BAD) % {
            "n": context["bad"], "file": context["file"]}})
    refusal = context["refusal"]
    if isinstance(refusal, Reason):  # said in the page's language, naming the upload
        context["refusal"] = refusal = refusal.say(lang, file=context["file"])
    if refusal:
        errors.append({"item": "file", "message": refusal})
    context["problems"] = [{"row": p.row, "column": p.column, "value": p.value,
                            "why": p.reason.say(lang)} for p in context["problems"]]
    return page(site, request, TEMPLATE, user, status, error_list=errors, lang=lang,
                **context)


async def _wave(site: Any, wave_id: str) -> None:
    if wave_id not in {w.id for w in await site.store.waves()}:
        raise NotFoundException()

"""Publishing a closed wave's results on the public results page, and taking them off (the
button on the wave's page; ``results publish|unpublish`` do the same from the command line)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect

from ...i18n import N_
from ...services import audit
from ...services.errors import ServiceError
from ...services.publish import publish_wave, unpublish_wave
from ..deps import SiteDep
from .access import roles, signed_in
from .common import admin_lang, page


class PublishController(Controller):
    """``POST /waves/{wave}/publish`` and ``/unpublish`` (admins)."""

    path = "/waves"

    async def _change(self, request: Request[Any, Any, Any], site: SiteDep, wave_id: str,
                      publish: bool) -> Response[Any]:
        if all(w.id != wave_id for w in await site.store.waves()):
            raise NotFoundException()
        form = await request.form()
        org = str(form.get("org", "")).strip()
        user = signed_in(request)
        try:
            if publish:
                await publish_wave(site.store, wave_id, user.name)
            else:
                await unpublish_wave(site.store, wave_id)
        except ServiceError as exc:
            lang = admin_lang(request)
            heading = (N_("The results were not published") if publish
                       else N_("The results were not taken off the public page"))
            return page(site, request, "admin/message.html", user, 409,
                        heading=site.renderer.gettext(lang, heading), text=str(exc))
        await audit.record(site.store, user.name,
                           "results-publish" if publish else "results-unpublish",
                           {"wave": wave_id})
        if org in site.registry.catalog.organisations:
            target = request.app.route_reverse("admin-wave-org", org=org, wave_id=wave_id)
        else:
            target = request.app.route_reverse("admin-dashboard")
        return Redirect(target, status_code=303)

    @post("/{wave_id:str}/publish", name="admin-wave-publish", opt=roles())
    async def publish(self, request: Request[Any, Any, Any], site: SiteDep,
                      wave_id: FromPath[str]) -> Response[Any]:
        """Put the wave's results on the public results page."""
        return await self._change(request, site, wave_id, True)

    @post("/{wave_id:str}/unpublish", name="admin-wave-unpublish", opt=roles())
    async def unpublish(self, request: Request[Any, Any, Any], site: SiteDep,
                        wave_id: FromPath[str]) -> Response[Any]:
        """Take the wave's results off the public results page."""
        return await self._change(request, site, wave_id, False)

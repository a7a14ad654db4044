"""The one-time kiosk enrolment link's two pages (which kiosk a device is: ``web/kiosks.py``).

``GET /kiosk/enrol/TOKEN`` only shows what the link will do (a link previewer or a prefetch
must not spend it); the button posts, with the CSRF token, and the POST spends the link and
sets the cookie. See :mod:`survey_service.services.kiosks`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect

from ...i18n import normalise
from ...services import kiosks as service
from ..deps import SiteDep, csrf_token
from ..pages import NO_STORE, html, message_page


def _invalid(site: Any, lang: str) -> Response[bytes]:
    t = site.renderer.gettext
    return message_page(
        site.renderer,
        lang,
        t(lang, "This enrolment link cannot be used"),
        [t(lang, "It was used already, it expired, or its kiosk was revoked. Ask the "
                 "administrator for a new link (survey-service kiosk enrol).")],
        status=404,
    )


class KioskController(Controller):
    """``/kiosk/enrol/TOKEN``: make this device a kiosk, once."""

    path = "/kiosk"

    @get("/enrol/{token:str}", name="kiosk-enrol")
    async def show(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        token: FromPath[str],
        lang: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """What the link will do, and the button that does it."""
        lang = normalise(lang)
        kiosk = (
            await site.store.kiosk_link(service.link_hash(token))
            if service.valid_link_token(token)
            else None
        )
        at = dt.datetime.now(dt.UTC)
        if kiosk is None or service.state(kiosk, at) != "waiting":
            return _invalid(site, lang)
        org = site.registry.catalog.organisations.get(kiosk.organisation)
        t = site.renderer.gettext
        where = org.name.get(lang) if org else kiosk.organisation
        page = site.renderer.render(
            lang,
            "pages/kiosk_enrol.html",
            heading=t(lang, "Make this device a front-desk kiosk"),
            paragraphs=[
                t(lang, "This device will become the kiosk “%(label)s” of %(org)s. Its survey "
                        "forms will clear themselves after each person and be counted as "
                        "answered at the front desk.", label=kiosk.label, org=where),
                t(lang, "The link works only once. Open it on the kiosk itself."),
            ],
            form_action=site.url(request, "kiosk-enrolled", token=token),
            csrf=csrf_token(request),
        )
        return html(page, headers=NO_STORE)

    @post("/enrol/{token:str}", name="kiosk-enrolled")
    async def enrol(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        token: FromPath[str],
        lang: FromQuery[str | None] = None,
    ) -> Response[Any]:
        """Spend the link, set the device's kiosk cookie and open its form."""
        lang = normalise(lang)
        kiosk = (
            await site.store.enrol_kiosk(service.link_hash(token), dt.datetime.now(dt.UTC))
            if service.valid_link_token(token)
            else None
        )
        if kiosk is None:
            return _invalid(site, lang)
        cookie = site.kiosks.enrolled(kiosk)
        registry = site.registry
        await registry.refresh()
        surveys = [kiosk.survey_id] if kiosk.survey_id else [
            sid for sid, loaded in registry.catalog.surveys.items()
            if loaded.survey.kind == "citizen"
        ]
        links = [
            (
                site.url(request, "survey-form", {"org": kiosk.organisation}, survey_id=sid),
                registry.catalog.surveys[sid].survey.title.get(lang),
            )
            for sid in surveys
            if sid in registry.catalog.surveys
        ]
        if len(links) == 1:
            return Redirect(links[0][0], status_code=303, cookies=[cookie])
        t = site.renderer.gettext
        response = message_page(
            site.renderer,
            lang,
            t(lang, "This device is now a front-desk kiosk"),
            [t(lang, "Choose the survey it shows:")],
            links,
        )
        response.cookies.append(cookie)
        return response

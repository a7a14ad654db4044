"""The site's own pages: the start page (surveys open now), the privacy notice, the
accessibility statement, and a liveness probe."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery

from ...i18n import normalise, other_language
from ...rendering import TEMPLATES, long_date
from ...services.retention import periods
from ...surveys.waves import today_in_sofia
from ..deps import SiteDep
from ..pages import html, message_page
from .citizen import form_url


def statement_facts(lang: str) -> dict[str, Any]:
    """The accessibility statement's dates and reply time, from its data file (not code)."""
    path = TEMPLATES / "pages" / "accessibility.toml"
    facts: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    return {k: long_date(v, lang) if isinstance(v, dt.date) else v for k, v in facts.items()}


class InfoController(Controller):
    """``/``, ``/privacy``, ``/accessibility`` and ``/health``."""

    path = "/"

    @get("/", name="home")
    async def home(
        self, request: Request[Any, Any, Any], site: SiteDep, lang: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """Start page: the surveys open now, per organisation."""
        registry, renderer = site.registry, site.renderer
        lang = normalise(lang)
        await registry.refresh()
        links = []
        for wave in registry.open_waves():
            loaded = registry.catalog.surveys.get(wave.survey_id)
            survey = registry.survey_version(wave.version)
            if loaded is None or survey is None or survey.kind != "citizen":
                continue
            links += [
                (
                    form_url(site, request, survey.id, o.id, lang),
                    f"{survey.title.get(lang)} – {o.name.get(lang)}",
                )
                for o in registry.catalog.organisations.values()
                if wave.covers(o.id)
            ]
        t = renderer.gettext
        paragraphs = [
            t(lang, "Tell us how we served you. The surveys are anonymous and take a few minutes.")
        ]
        if not links:
            paragraphs.append(t(lang, "There is no survey open at the moment."))
        return message_page(
            renderer,
            lang,
            t(lang, "Municipal surveys"),
            paragraphs,
            links,
            switch_url=site.url(request, "home", {"lang": other_language(lang)}),
        )

    @get("/privacy", name="privacy")
    async def privacy(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        lang: FromQuery[str | None] = None,
        org: FromQuery[str | None] = None,
        kiosk: FromQuery[str | None] = None,
        staff: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Privacy notice (GDPR Art. 13), with what staff surveys keep when asked by staff
        pages."""
        lang = normalise(lang)
        organisation = site.registry.catalog.organisations.get(org or "")
        is_staff = staff == "1"
        query = {"lang": other_language(lang), **({"org": organisation.id} if organisation else {})}
        if is_staff:
            query["staff"] = "1"
        registry, settings = site.registry, site.settings
        await registry.refresh()
        # the smallest group of the open staff or training waves (each keeps its own threshold)
        groups = [
            w.min_group
            for w in registry.open_waves()
            if (organisation is None or w.covers(organisation.id))
            and (s := registry.survey_version(w.version)) is not None
            and s.kind != "citizen"
        ]
        min_group = min(groups) if groups else settings.min_group
        # the longest retention periods of the open waves (each keeps its own)
        kept = [periods(w, settings) for w in registry.open_waves()
                if organisation is None or w.covers(organisation.id)]
        text_days = max((t for t, _ in kept), default=settings.retention_text_days)
        codes_days = max((c for _, c in kept), default=settings.retention_codes_days)
        this_year = today_in_sofia().year
        return html(
            site.renderer.cached(
                (
                    "privacy",
                    lang,
                    organisation.id if organisation else None,
                    kiosk == "1",
                    is_staff,
                    min_group,
                    this_year,
                    text_days,
                    codes_days,
                ),
                lang,
                "pages/privacy.html",
                org=organisation,
                kiosk=kiosk == "1",
                staff=is_staff,
                organisations=list(registry.catalog.organisations.values()),
                min_group=min_group,
                retention_years=settings.retention_years,
                comments_days=settings.comments_review_days,
                text_days=text_days,
                codes_days=codes_days,
                this_year=this_year,
                switch_url=site.url(request, "privacy", query),
            )
        )

    @get("/accessibility", name="accessibility")
    async def accessibility(
        self,
        request: Request[Any, Any, Any],
        site: SiteDep,
        lang: FromQuery[str | None] = None,
        kiosk: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """Accessibility statement (EU Web Accessibility Directive)."""
        lang = normalise(lang)
        return html(
            site.renderer.cached(
                ("accessibility", lang, kiosk == "1"),
                lang,
                "pages/accessibility.html",
                kiosk=kiosk == "1",
                organisations=list(site.registry.catalog.organisations.values()),
                facts=statement_facts(lang),
                site=site.settings.public_url,
                switch_url=site.url(request, "accessibility", {"lang": other_language(lang)}),
            )
        )

    @get(["/health", "/healthz"], name="health", include_in_schema=False)
    async def health(self) -> dict[str, str]:
        """Liveness probe: the process answers."""
        return {"status": "ok"}

    @get("/readyz", name="ready", include_in_schema=False, cache_control=None)
    async def ready(self, site: SiteDep) -> Response[dict[str, str]]:
        """Readiness probe: the database takes submissions now (reachable, writable, room on
        its disk, migrations current). 503 with the reason otherwise; it recovers by itself
        when the cause goes away (no restart)."""
        problem = await site.store.ready()
        if problem is None:
            return Response({"status": "ready"}, headers={"cache-control": "no-store"})
        return Response(
            {"status": "unavailable", "reason": problem},
            status_code=503,
            headers={"cache-control": "no-store", "retry-after": "10"},
        )

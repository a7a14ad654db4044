"""The plan for admins (``/admin/plan``, issue #19 §2): the change to detect, power, design
effect, expected response rate and visitors per day in, responses needed, forms to hand out and
fieldwork days out, per target. The same service as ``survey-service plan``
(:func:`~survey_service.services.plan.compute_plan`); a GET form, as it changes nothing."""

from __future__ import annotations

import math
from typing import Any

from litestar import Controller, Request, Response, get

from ...services.errors import ServiceError
from ...services.plan import compute_plan
from ..deps import Site, SiteDep
from ..messages import N_
from .access import roles, signed_in
from .common import admin_lang, page

#: field -> (lowest, highest, whether the lowest is allowed, message)
LIMITS: dict[str, tuple[float, float, bool, str]] = {
    "change": (0, 100, False, N_("Type a change above 0 and up to 100 points.")),
    "power": (50, 99.9, True, N_("Type a power from 50 to 99.9 %.")),
    "deff": (1, 10, True, N_("Type a design effect from 1 to 10.")),
    "response_rate": (0, 100, False, N_("Type a response rate above 0 and up to 100 %.")),
    "visitors_per_day": (0, 1_000_000, False, N_("Type the visitors per day as a number above 0.")),
}
FIELDS = ("survey", "org", "baseline", *LIMITS)


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ".").replace(" ", "").removesuffix("%"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read(site: Site, lang: str, query: dict[str, str]) -> tuple[dict[str, float | None],
                                                                  list[dict[str, str]]]:
    """The numbers typed (empty: the default) and an error per field that is not one."""
    numbers: dict[str, float | None] = {}
    errors = []
    for name, (low, high, low_ok, message) in LIMITS.items():
        text = query.get(name, "").strip()
        value = _number(text) if text else None
        if text and (value is None or value > high or value < low or (
                value == low and not low_ok)):
            errors.append({"item": name, "message": site.renderer.gettext(lang, message)})
        numbers[name] = value
    if query.get("survey") not in site.registry.catalog.surveys:
        errors.insert(0, {"item": "survey", "message": site.renderer.gettext(
            lang, "Choose a survey.")})
    org = query.get("org", "")
    if org and org not in site.registry.catalog.organisations:
        errors.append({"item": "org", "message": site.renderer.gettext(
            lang, "Choose an organisation from the list.")})
    return numbers, errors


class PlanController(Controller):
    path = "/plan"

    @get("/", name="admin-plan", opt=roles())
    async def plan(self, request: Request[Any, Any, Any], site: SiteDep) -> Response[Any]:
        """The form; with a survey chosen, the plan of each of its targets below it."""
        lang = admin_lang(request)
        query = {k: str(request.query_params.get(k, "")).strip() for k in FIELDS}
        catalog = site.registry.catalog
        context: dict[str, Any] = {
            "typed": query, "surveys": list(catalog.surveys.values()),
            "organisations": list(catalog.organisations.values()), "result": None,
            "error_list": [], "errors": {}}
        if not query["survey"]:
            return page(site, request, "admin/plan.html", signed_in(request), **context)
        numbers, errors = read(site, lang, query)
        if not errors:
            rate, power = numbers["response_rate"], numbers["power"]
            try:
                context["result"] = await compute_plan(
                    site.settings, site.store, query["survey"],
                    baseline=query["baseline"] or None, organisation=query["org"] or None,
                    change=numbers["change"], power=0.8 if power is None else power / 100,
                    deff=numbers["deff"], response_rate=None if rate is None else rate / 100,
                    visitors_per_day=numbers["visitors_per_day"], lang=lang)
            except ServiceError as exc:
                prefix = site.renderer.gettext(lang, "The plan could not be made:")
                errors.append({"item": "baseline" if query["baseline"] else "survey",
                               "message": f"{prefix} {exc}"})
        context["error_list"] = errors
        context["errors"] = {e["item"]: e["message"] for e in errors}
        return page(site, request, "admin/plan.html", signed_in(request),
                    400 if errors else 200, **context)

"""``survey-service plan``: responses needed per wave, and the smallest detectable changes."""

from __future__ import annotations

import click

from ..i18n import translations
from ..services.plan import Plan, check_options, compute_plan
from .base import cell, echo_json, echo_table, settings, with_store


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def plan_table(plan: Plan, lang: str) -> None:
    _ = translations(lang).gettext
    click.echo(_("Plan for %(survey)s: power %(power)s, α %(alpha)s (confirmatory: α/%(k)s "
                 "under Holm), design effect %(deff)s") % {
        "survey": plan.survey, "power": f"{plan.power:g}", "alpha": f"{plan.alpha:g}",
        "k": plan.family, "deff": f"{plan.deff:g}"})
    header = [_("target"), _("change"), _("SD or baseline share"), _("source"), _("n per wave"),
              _("responses"), _("forms"), _("days"), _("baseline n"), _("detectable change")]
    if plan.population is not None:
        header += [_("n per wave (FPC)"),
                   _("detectable (FPC, N = %(n)s)") % {"n": plan.population}]
    rows = []
    for r in plan.rows:
        spread = _num(r.sd) if r.method == "t" else _num(r.baseline_percent) + " %"
        row = [r.id + (" *" if r.confirmatory else ""), _num(r.change), spread,
               _("baseline") if r.source == "baseline" else _("assumed"),
               _num(r.n), cell(r.responses), cell(r.forms), cell(r.days), cell(r.baseline_n),
               _num(r.detectable)]
        if plan.population is not None:
            row += [_num(r.n_fpc), _num(r.detectable_fpc)]
        rows.append(row)
    echo_table(header, rows)
    click.echo(_("* confirmatory. Responses = n × design effect; forms = responses / response "
                 "rate; days = forms / visitors per day."))
    for r in plan.rows:
        if r.note:
            click.echo(f"{r.id}: {r.note}")


@click.command("plan")
@click.argument("survey_id")
@click.option("--baseline", default=None, help="Baseline wave: SDs, proportions and n from it.")
@click.option("--org", "organisation", default=None, help="Only this organisation.")
@click.option("--change", type=float, default=None,
              help="Change to detect in points (default: each target's).")
@click.option("--power", type=float, default=0.8, show_default=True)
@click.option("--deff", type=float, default=None,
              help="Design effect of clustered fieldwork (default 1.4; 1 for staff censuses).")
@click.option("--response-rate", "response_rate", type=float, default=None,
              help="Expected share of forms handed out that come back (0-1).")
@click.option("--visitors-per-day", "visitors_per_day", type=float, default=None,
              help="Visitors counted per day (each offered a form).")
@click.option("--lang", type=click.Choice(["bg", "en"]), default="bg", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def plan(survey_id: str, baseline: str | None, organisation: str | None,
         change: float | None, power: float, deff: float | None,
         response_rate: float | None,
         visitors_per_day: float | None, lang: str, fmt: str) -> None:
    """How many responses each wave needs for each target (80 % power, α = .05, α/k for the
    k confirmatory results under Holm), and after a baseline the smallest detectable change."""
    check_options(power=power, deff=deff, response_rate=response_rate,
                  visitors_per_day=visitors_per_day, change=change)
    config = settings()
    result = with_store(config, lambda store: compute_plan(
        config, store, survey_id, baseline=baseline, organisation=organisation,
        change=change, power=power, deff=deff, response_rate=response_rate,
        visitors_per_day=visitors_per_day, lang=lang))
    if fmt == "json":
        echo_json(result)
    else:
        plan_table(result, lang)

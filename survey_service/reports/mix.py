"""The report's "adjusted change" section (issue #19 §1): each index and percent-positive
indicator's change beside the crude one, adjusted for who answered in each wave, by the
adjustment set the follow-up's frozen form version declares (``[analysis]``).

Per indicator: direct standardisation to the pooled mix (with the Kitagawa split of the crude
change into change in mix and change within groups), and regression adjustment (OLS for
indices and multi-item percentages on each respondent's share; logit with the average
marginal effect for single-item percentages); then the regression once more with the
variables ``shown_both_ways``. Standard errors are clustered by fieldwork day
(:mod:`survey_service.indicators.adjust_mix`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..i18n import translations
from ..indicators.adjust_mix import (
    AdjustedChange,
    collapse_cells,
    kitagawa_split,
    regression_adjust,
    standardise,
)
from ..indicators.composition import Composition, composition
from ..indicators.result import NotComputable
from ..surveys.coding import MISSING
from .adjusted_plan import Guard
from .comparability import Plan
from .data import WaveMatrix
from .kinds import points_of
from .rows import Row

ADJUSTED_KINDS = ("index", "percent_positive")


def respondent_groups(m: WaveMatrix, name: str) -> npt.NDArray[np.str_] | None:
    """Each respondent's group by ``organisation``, ``mode`` (the answering channel) or a
    single-choice question (its option code; "-" when not answered); ``None`` if unknown."""
    if name == "organisation":
        return m.organisations if m.grouped else None
    if name == "mode":
        return m.channels if m.grouped else None
    column, spec = m.raw(name), m.item(name)
    if column is None or spec is None or spec.kind != "single":
        return None
    names = np.asarray(["-", *spec.options], dtype=np.str_)
    return names[np.where(column == MISSING, 0, np.clip(column, 0, len(spec.options)))]


def _outcome(m: WaveMatrix, kind: str, items: list[str]
             ) -> tuple[npt.NDArray[np.float64], bool] | None:
    """Each respondent's value (NaN when not computable) and whether it is 0/1."""
    points = points_of(m, items)
    if isinstance(points, NotComputable):
        return None
    reverse = [bool(m.item(i).reverse) for i in items]  # type: ignore[union-attr]
    matrix = m.likert_columns(items)
    if kind == "index":
        return ind.composite_scores(matrix, points, reverse), False
    valid = (matrix >= 1) & (matrix <= points)
    values = np.where(reverse, points + 1 - matrix, matrix)
    positive = (valid & (values > (points + 1) / 2)).sum(axis=1)
    count = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(count > 0, positive / count, np.nan)
    return share, len(items) == 1


#: each respondent's value of an index or percent-positive indicator (the comparison group's
#: difference-in-differences uses the same outcome)
respondent_outcome = _outcome


def pool_groups(a: WaveMatrix, b: WaveMatrix, names: list[str]
                ) -> tuple[dict[str, npt.NDArray[np.int64]], npt.NDArray[np.int64] | None,
                           list[str]]:
    """Each adjustment variable's group of every respondent of both waves, coded once as
    integers; each respondent's fieldwork day (None: not known); the variables not known in
    both waves."""
    covariates: dict[str, npt.NDArray[np.int64]] = {}
    missing: list[str] = []
    for name in names:
        ga, gb = respondent_groups(a, name), respondent_groups(b, name)
        if ga is None or gb is None:
            missing.append(name)
        else:  # coded once as integers: every model of every indicator reuses them
            covariates[name] = _codes(np.concatenate([ga, gb]))
    days = None
    if a.days is not None and b.days is not None:
        joined = np.concatenate([a.days, b.days])
        days = np.where(joined == "", -1 - np.arange(joined.size), _codes(joined))
    return covariates, days, missing


def _codes(labels: npt.NDArray[np.str_]) -> npt.NDArray[np.int64]:
    """``np.unique(labels, return_inverse=True)[1]`` (codes in sorted order of the labels)
    by a dictionary of the few distinct labels instead of a sort of every string."""
    values = labels.tolist()
    index = {v: i for i, v in enumerate(sorted(set(values)))}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))


def _row(base: Row, result: AdjustedChange | NotComputable, test: str, scale: float,
         _: Callable[[str], str]) -> Row:
    row = Row(section="adjusted", id=base.id, label=base.label, kind=base.kind)
    if isinstance(result, NotComputable):
        row.add_note(result.reason)
        return row
    row.change = scale * result.change
    row.ci_low, row.ci_high = scale * result.ci_low, scale * result.ci_high
    row.p, row.test = result.p, test
    row.n_baseline, row.n_follow_up = result.n1, result.n2
    if result.baseline is not None and result.follow_up is not None:
        row.baseline, row.follow_up = scale * result.baseline, scale * result.follow_up
    if result.collapsed:
        row.add_note(_("%(n)s small cells (under 20 answers in a wave) merged into coarser "
                       "ones; standardised over %(cells)s cells")
                     % {"n": len(result.collapsed), "cells": result.cells})
    if result.method == "linear probability":
        row.test = _("linear probability")
        row.add_note(_("the logit did not converge (a group answered all alike)"))
    return row


def adjusted_rows(a: WaveMatrix, b: WaveMatrix, plans: Mapping[str, Plan],
                  indicator_rows: Mapping[str, Row], lang: str, guard: Guard | None = None,
                  min_group: int = 10) -> list[Row]:
    """The section's rows (none when the survey declares no adjustment set); with a
    ``guard``, an indicator's rows that would narrow a small group are shown without figures
    (:mod:`.adjusted_plan`)."""
    analysis = b.survey.analysis
    if analysis is None or not analysis.adjust_for:
        return []
    _: Callable[[str], str] = translations(lang).gettext
    names = list(analysis.adjust_for)
    both = [n for n in analysis.shown_both_ways if n not in names]
    covariates, days, missing = pool_groups(a, b, [*names, *both])
    declared = {k: v for k, v in covariates.items() if k in names}
    wave = np.concatenate([np.zeros(a.n, dtype=bool), np.ones(b.n, dtype=bool)])
    rows: list[Row] = []
    kitagawa_cells: npt.NDArray[np.int64] | None = None  # of every respondent: computed once
    withheld = _("not shown: it would reveal a group of fewer than %(n)s people") % {
        "n": min_group}
    for indicator, plan in plans.items():
        base = indicator_rows.get(indicator)
        if plan.definition.kind not in ADJUSTED_KINDS or base is None or base.change is None:
            continue
        outcomes = [_outcome(m, plan.definition.kind, plan.items) for m in (a, b)]
        if outcomes[0] is None or outcomes[1] is None:
            continue
        y = np.concatenate([outcomes[0][0], outcomes[1][0]])
        binary = outcomes[0][1]
        scale = 1.0 if plan.definition.kind == "index" else 100.0
        st = standardise(y, wave, declared, days)
        st_row = _row(base, st, _("standardised"), scale, _)
        if isinstance(st, AdjustedChange) and kitagawa_cells is None:
            kitagawa_cells = collapse_cells(declared, wave).codes
        if guard is not None and not guard.allows(
                indicator, plan.definition.kind, plan.items, y, binary, declared,
                kitagawa_cells if isinstance(st, AdjustedChange) else None):
            regression = Row(section="adjusted", id=base.id, label=base.label, kind=base.kind,
                             test=_("logit AME") if binary else _("regression"))
            for row in (st_row, regression):
                bare = row.without_figures(withheld)
                bare.test = row.test
                rows.append(bare)
            continue
        if isinstance(st, AdjustedChange) and kitagawa_cells is not None:
            split = kitagawa_split(y, wave, kitagawa_cells)
            if not isinstance(split, NotComputable):
                st_row.add_note(_("crude change %(crude)+.1f = change in mix %(mix)+.1f + change "
                                  "within groups %(within)+.1f") % {
                    "crude": scale * split.crude, "mix": scale * split.mix,
                    "within": scale * split.within})
        rows.append(st_row)
        method = _("logit AME") if binary else _("regression")
        points = 1.0 if binary else scale  # the logit's AME comes in points
        rows.append(_row(base, regression_adjust(y, wave, declared, days, binary=binary),
                         method, points, _))
        if both and all(n in covariates for n in both):
            wider = {**declared, **{n: covariates[n] for n in both}}
            row = _row(base, regression_adjust(y, wave, wider, days, binary=binary),
                       f"{method} + {', '.join(both)}", points, _)
            if guard is not None and not guard.quiet(indicator, plan.items):
                bare = row.without_figures(withheld)  # not in the attacker's model
                bare.test, row = row.test, bare
            rows.append(row)
    if rows:
        note = _("adjusted for %(names)s; standard errors clustered by fieldwork day") % {
            "names": ", ".join(declared)}
        if missing:
            note += "; " + _("not available in both waves: %(names)s") % {
                "names": ", ".join(missing)}
        rows[0].add_note(note)
    return rows


def composition_tables(a: WaveMatrix, b: WaveMatrix) -> list[Composition]:
    """Who answered in each wave, per variable the follow-up's ``[analysis]`` names."""
    analysis = b.survey.analysis
    if analysis is None:
        return []
    names = dict.fromkeys([*analysis.adjust_for, *analysis.shown_both_ways,
                           *analysis.composition])
    out = []
    for name in names:
        ga, gb = respondent_groups(a, name), respondent_groups(b, name)
        if ga is not None and gb is not None:
            out.append(composition(name, ga, gb))
    return out


def composition_lines(tables: list[Composition], lang: str) -> list[str]:
    """The composition tables as text: % of each wave per group, and the chi-square test."""
    if not tables:
        return []
    _ = translations(lang).gettext
    lines = [_("Who answered (percent of each wave; chi-square test of a difference in mix)")]
    for t in tables:
        test = ""
        if t.p is not None:
            p = "< 0.001" if t.p < 0.001 else f"= {t.p:.3f}"
            test = f"chi2({t.df}) = {t.chi2 or 0.0:.1f}, p {p}"
        if t.sparse:
            test += "; " + _("many expected counts under 5: read the p with care")
        lines.append(f"  {t.variable}: {test}")
        na, nb = sum(t.baseline) or 1, sum(t.follow_up) or 1
        for group, ca, cb in zip(t.groups, t.baseline, t.follow_up, strict=True):
            lines.append(f"    {group[:30]:<30}  {100 * ca / na:5.1f} %  {100 * cb / nb:5.1f} %")
    lines.append("")
    return lines

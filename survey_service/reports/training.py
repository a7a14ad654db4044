"""The pooled training report (issue #19 §5; pure: arrays in, figures out): per event (a wave
of a training survey) and in total, the participants (from the attendance recorded, else the
codes issued), the responses and response rate, each declared indicator with its 95 % CI, the
knowledge score and the retrospective then-and-now change. It needs no baseline and no
follow-up. With the waves of a knowledge check taken before the course, the scores before and
after are compared: Welch's t over everyone, and a paired t over the participants who gave the
same self-made panel code both times.

An event with fewer responses than the smallest group shows no figures of its own; its
answers still count in the total.
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from .. import indicators as ind
from ..i18n import translations
from ..indicators.result import Estimate, NotComputable
from ..surveys.answers import Answers
from ..surveys.knowledge import right_positions, then_now_pairs
from ..surveys.loader import indicator_items
from ..surveys.model import Survey
from .data import WaveMatrix
from .kinds import wave_side
from .panel import panel_pairs

FloatArray = npt.NDArray[np.float64]


class Figure(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One figure of an event (or of the total) with its 95 % CI."""

    id: str
    label: str
    kind: str
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    note: str | None = None


class Event(msgspec.Struct, kw_only=True, omit_defaults=True):
    wave: str  # "" for the total
    responses: int
    participants: int | None = None
    participants_from: str = ""  # "attendance" (recorded per day) or "codes" (issued)
    response_rate: float | None = None  # %
    figures: list[Figure] = []
    note: str | None = None


class Change(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Before against after (knowledge score or then-and-now rating), 0–100 points."""

    test: str  # "welch_t" (everyone) or "paired_t" (the same people)
    n_before: int
    n_after: int
    before: float | None = None
    after: float | None = None
    change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    statistic: float | None = None
    p: float | None = None
    note: str | None = None


class Choice(msgspec.Struct, kw_only=True):
    """One option of a multiple-choice question, pooled over the events: the share (%) of
    those who answered the question that chose it (e.g. what got in the way), for everyone
    (``group`` empty) and for each answer to the survey's ``role`` question (participants,
    line managers); ``percent`` is None for a group with fewer answers than the smallest
    group (or whose figures would reveal such a group by subtraction)."""

    question: str
    text: str
    option: str
    label: str
    n: int  # answered the question
    percent: float | None
    group: str = ""  # a code of the ``role`` question; "" for everyone
    group_label: str = ""


class TrainingReport(msgspec.Struct, kw_only=True):
    survey: str
    waves: list[str]
    lang: str
    min_group: int
    events: list[Event]
    total: Event
    knowledge: list[Change] = []  # before the course against after it
    then_now: Change | None = None  # retrospective self-rating, the same people
    pre_waves: list[str] = []
    choices: list[Choice] = []  # multiple-choice questions, every event together


def knowledge_scores(m: WaveMatrix) -> FloatArray:
    """Each respondent's share (0–100) of knowledge questions answered right; NaN for one
    who answered none (see :mod:`survey_service.surveys.knowledge`)."""
    right = right_positions(m.survey)
    if not right or m.n == 0:
        return np.full(m.n, np.nan)
    codes = np.stack([m.codes[:, m.items[q]] for q in right], axis=1)
    answered = (codes > 0).sum(axis=1)
    correct = (codes == np.asarray(list(right.values()))).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(answered > 0, 100.0 * correct / len(right), np.nan)


def then_now_scores(m: WaveMatrix) -> tuple[FloatArray, FloatArray] | None:
    """Each respondent's "before" and "now" composites (0–100), or None without pairs."""
    pairs = then_now_pairs(m.survey)
    if not pairs:
        return None
    then_items, now_items = [a for a, _ in pairs], [b for _, b in pairs]
    spec = m.item(then_items[0])
    assert spec is not None
    points = spec.points
    return (ind.composite_scores(m.likert_columns(then_items), points),
            ind.composite_scores(m.likert_columns(now_items), points))


def paired(before: FloatArray, after: FloatArray, lang: str, min_group: int) -> Change:
    """Paired t test of after − before over the pairs with both values."""
    from scipy import stats

    _ = translations(lang).gettext
    ok = ~(np.isnan(before) | np.isnan(after))
    n = int(ok.sum())
    out = Change(test="paired_t", n_before=n, n_after=n)
    if n < max(min_group, 2):
        out.note = _("fewer than %(n)s pairs: not shown") % {"n": min_group}
        return out
    a, b = before[ok], after[ok]
    out.before, out.after = float(a.mean()), float(b.mean())
    out.change = out.after - out.before
    if np.ptp(b - a) == 0:
        out.note = _("every pair changed by the same amount: no test")
        return out
    test = stats.ttest_rel(b, a)
    ci = test.confidence_interval(0.95)
    out.ci_low, out.ci_high = float(ci.low), float(ci.high)
    out.statistic, out.p = float(test.statistic), float(test.pvalue)
    return out


def unpaired(before: FloatArray, after: FloatArray, lang: str, min_group: int) -> Change:
    """Welch's t test of the mean after against the mean before (everyone with a value)."""
    from scipy import stats

    _ = translations(lang).gettext
    a, b = before[~np.isnan(before)], after[~np.isnan(after)]
    out = Change(test="welch_t", n_before=int(a.size), n_after=int(b.size))
    if min(a.size, b.size) < max(min_group, 2):
        out.note = _("fewer than %(n)s answers before or after: not shown") % {"n": min_group}
        return out
    out.before, out.after = float(a.mean()), float(b.mean())
    out.change = out.after - out.before
    if a.var() == 0 and b.var() == 0:
        out.note = _("every answer is the same: no test")
        return out
    test = stats.ttest_ind(b, a, equal_var=False)
    ci = test.confidence_interval(0.95)
    out.ci_low, out.ci_high = float(ci.low), float(ci.high)
    out.statistic, out.p = float(test.statistic), float(test.pvalue)
    return out


def pool(matrices: list[WaveMatrix]) -> WaveMatrix:
    """The responses of several waves of one form version as one matrix."""
    first = matrices[0]
    if any(m.wave.version != first.wave.version for m in matrices):
        raise ValueError("the waves were asked on different form versions")
    panels = [m.panels if m.panels is not None else np.full(m.n, None, dtype=object)
              for m in matrices]
    return WaveMatrix(
        first.wave, first.survey, np.concatenate([m.codes for m in matrices]), first.items,
        np.concatenate([m.organisations for m in matrices]),
        np.concatenate([m.channels for m in matrices]),
        np.concatenate([m.units for m in matrices]),
        np.concatenate(panels) if any(m.panels is not None for m in matrices) else None,
        all(m.grouped for m in matrices))


def _estimate(figure: Figure, estimate: Estimate | NotComputable) -> None:
    if isinstance(estimate, NotComputable):
        figure.note = estimate.reason
    else:
        figure.value, figure.ci_low, figure.ci_high = (estimate.value, estimate.ci_low,
                                                       estimate.ci_high)
        figure.n = estimate.n


def figures(m: WaveMatrix, lang: str, min_group: int = 1) -> list[Figure]:
    """Every declared indicator of the survey, the knowledge score and the then-and-now
    ratings of one matrix (an event, or every event pooled); a figure that rests on fewer
    answers than ``min_group`` keeps only its n."""
    _ = translations(lang).gettext
    out = []
    for definition in m.survey.indicators:
        figure = Figure(id=definition.id, label=definition.label.get(lang), kind=definition.kind)
        side = wave_side(definition.kind, m, indicator_items(m.survey, definition.id),
                         definition=definition)
        if isinstance(side, NotComputable):
            figure.note = side.reason
        else:
            low, high = side.ci
            figure.value, figure.ci_low, figure.ci_high = side.value, low, high
            figure.n = getattr(side.figure, "n", None)
        out.append(figure)
    if right_positions(m.survey):
        figure = Figure(id="knowledge_score", kind="index",
                        label=_("Knowledge check: share of questions answered right (0–100)"))
        _estimate(figure, ind.mean_estimate(knowledge_scores(m)))
        out.append(figure)
    scores = then_now_scores(m)
    if scores is not None:
        for name, values, label in (
                ("then", scores[0], _("Self-rating before the training (0–100)")),
                ("now", scores[1], _("Self-rating now (0–100)"))):
            figure = Figure(id=f"self_rating_{name}", kind="index", label=label)
            _estimate(figure, ind.mean_estimate(values))
            out.append(figure)
    for figure in out:
        if figure.n is not None and figure.n < min_group:
            figure.value = figure.ci_low = figure.ci_high = None
            figure.note = _("fewer than %(n)s answers: not shown") % {"n": min_group}
    return out


def event(m: WaveMatrix, participants: int | None, source: str, lang: str, min_group: int,
          wave: str | None = None, hide: str | None = None) -> Event:
    """One event's (or the total's) figures; none shown under the smallest group, nor when
    an organisation (``hide``) has fewer answers than that in it."""
    _ = translations(lang).gettext
    found = Event(wave=m.wave.id if wave is None else wave, responses=m.n,
                  participants=participants, participants_from=source if participants else "")
    if participants:
        found.response_rate = 100 * m.n / participants
        if m.n > participants:
            found.note = _("more responses than participants recorded: check the attendance")
    if m.n < min_group:
        found.note = _("fewer than %(n)s responses: figures not shown (counted in the "
                       "total)") % {"n": min_group}
        return found
    if hide is not None:
        found.note = _("%(org)s has fewer than %(n)s responses in this event: figures shown "
                       "only per organisation (--org)") % {"org": hide, "n": min_group}
        return found
    found.figures = figures(m, lang, min_group)
    return found


def knowledge_change(before: WaveMatrix, after: WaveMatrix, lang: str, min_group: int
                     ) -> list[Change]:
    """Knowledge scores before against after: everyone (Welch), and the panel pairs."""
    sa, sb = knowledge_scores(before), knowledge_scores(after)
    out = [unpaired(sa, sb, lang, min_group)]
    ia, ib = panel_pairs(before.panels, after.panels)
    if ia.size or (before.panels is not None and after.panels is not None):
        out.append(paired(sa[ia], sb[ib], lang, min_group))
    return out


#: A single-choice question of this id says who is answering (the transfer survey's
#: participants and line managers): multiple-choice questions are shown for each answer too.
ROLE = "role"


def _groups(survey: Survey, answers: list[Answers], lang: str
            ) -> list[tuple[str, str, list[Answers]]]:
    """Everyone, then the respondents of each answer to the ``role`` question (if any)."""
    out: list[tuple[str, str, list[Answers]]] = [("", "", answers)]
    role = survey.question(ROLE)
    if role is not None and role.kind == "single":
        out += [(o.code, o.label.get(lang), [a for a in answers if a.get(ROLE) == o.code])
                for o in role.options]
    return out


def choices(survey: Survey, answers: list[Answers], lang: str, min_group: int) -> list[Choice]:
    """Each option of each multiple-choice question: the share of those who answered the
    question that chose it, for everyone and per role (none shown when fewer than
    ``min_group`` answered it; no role shown when any role with answers has fewer, since
    everyone less the others would reveal it)."""
    out = []
    groups = _groups(survey, answers, lang)
    for q in survey.questions():
        if q.kind != "multi":
            continue
        given = {code: [a[q.id] for a in group if isinstance(a.get(q.id), list) and a[q.id]]
                 for code, _label, group in groups}
        if len(given[""]) < min_group:
            continue
        small = any(0 < len(g) < min_group for g in given.values())
        for code, label, _group in groups:
            if code and not given[code]:
                continue
            for option in q.options:
                chosen = sum(option.code in g for g in given[code])  # type: ignore[operator]
                n = len(given[code])
                shown = not (code and small)
                out.append(Choice(question=q.id, text=q.text.get(lang), option=option.code,
                                  label=option.label.get(lang), n=n, group=code,
                                  group_label=label,
                                  percent=100 * chosen / n if shown else None))
    return out

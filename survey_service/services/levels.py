"""Levels of indicators on one or several waves of a survey, pooled (a training evaluation's
events, or a follow-up wave for a level target): each indicator's value with its 95 % CI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..anonymity import TOKEN_KINDS
from ..i18n import N_, translations
from ..reports.comparability import plan_indicators
from ..reports.data import WaveMatrix, wave_matrix
from ..reports.kinds import Side, wave_side
from ..settings import Settings
from ..storage.base import Store
from ..surveys.loader import decode_survey
from ..surveys.versions import diff_versions
from ..surveys.waves import Wave, now
from .errors import Unavailable


@dataclass(frozen=True)
class Level:
    """An indicator's level over ``waves``, or why there is none (``reason``)."""

    waves: list[str]
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    reason: str | None = None
    note: str | None = None


NO_WAVE = {
    "baseline": N_("no baseline wave yet"),
    "follow-up": N_("no follow-up wave yet"),
    "training": N_("no training wave yet"),
}
NOT_CLOSED = {
    "baseline": N_("baseline wave %(wave)s not closed yet"),
    "follow-up": N_("follow-up wave %(wave)s not closed yet"),
    "training": N_("training wave %(wave)s not closed yet"),
}
NOT_MIXED = N_("wave %(wave)s closed but its answers not mixed yet (run: waves close %(wave)s)")


def not_ready(wave: Wave | None, role: str, kind: str, lang: str) -> str | None:
    """Why a wave (of ``role``: baseline, follow-up, training) cannot give figures yet."""
    _ = translations(lang).gettext
    if wave is None:
        return _(NO_WAVE[role])
    if wave.state(now()) != "closed":
        return _(NOT_CLOSED[role]) % {"wave": wave.id}
    if kind in TOKEN_KINDS and not wave.mixed:
        return _(NOT_MIXED) % {"wave": wave.id}
    return None


def _usable(wave: Wave, kind: str) -> bool:
    return wave.state(now()) == "closed" and (kind not in TOKEN_KINDS or wave.mixed)


async def small_organisation(
    store: Store, waves: Sequence[Wave], min_group: int, lang: str
) -> str | None:
    """Why all organisations together cannot be shown: one of them has fewer than
    ``min_group`` responses in one of the waves (its answers would follow by subtraction)."""
    _ = translations(lang).gettext
    for wave in waves:
        for org, n in sorted((await store.organisation_counts(wave.id)).items()):
            if n < min_group:
                return _("organisation %(org)s has only %(n)s responses in wave %(wave)s "
                         "(fewer than %(min)s): all organisations together would reveal its "
                         "answers") % {"org": org, "n": n, "wave": wave.id, "min": min_group}
    return None


async def wave_levels(
    settings: Settings, store: Store, survey_id: str, waves: Sequence[Wave], role: str,
    scope: str | None, lang: str,
) -> dict[str, Level] | str:
    """Every indicator's level over the closed ``waves`` answered on the newest of their
    form versions (for ``scope``: one organisation, or None for all), or why none."""
    _ = translations(lang).gettext
    if not waves:
        return _(NO_WAVE[role])
    kind_of = {}
    for wave in waves:
        definition = await store.form_version(wave.version)
        if definition is None:
            raise Unavailable(f"form version {wave.version} of '{wave.id}' is missing")
        kind_of[wave.id] = decode_survey(definition)
    ready = [w for w in waves if _usable(w, kind_of[w.id].kind)]
    if not ready:
        return not_ready(waves[-1], role, kind_of[waves[-1].id].kind, lang) or ""
    newest = ready[-1].version
    used = [w for w in ready if w.version == newest]
    survey = kind_of[used[0].id]
    notes = []
    if len(used) < len(waves):
        left = [w.id for w in waves if w not in used]
        notes.append(_("left out: %(waves)s (not closed yet, or another form version)")
                     % {"waves": ", ".join(left)})
    min_group = max([settings.min_group, *(w.min_group for w in used)])
    ids = [w.id for w in used]
    if scope is None:
        small = await small_organisation(store, used, min_group, lang)
        if small is not None:
            return small
    matrices = [wave_matrix(w, survey, await store.wave_codes(w.id, scope)) for w in used]
    m = _pooled(matrices)
    plans, _refused = plan_indicators(survey, survey, diff_versions(survey, survey), lang)
    out: dict[str, Level] = {}
    for indicator in survey.indicators:
        plan = plans.get(indicator.id)
        if m.n < min_group:
            out[indicator.id] = Level(ids, reason=_(
                "fewer than %(n)s respondents in a wave: not shown") % {"n": min_group})
            continue
        if plan is None:
            out[indicator.id] = Level(ids, reason=_("not computable"))
            continue
        side = wave_side(indicator.kind, m, plan.items, reliability=indicator.kind == "index",
                         definition=indicator)
        value = getattr(side, "value", None)
        if value is None:
            out[indicator.id] = Level(ids, reason=getattr(side, "reason", _("not computable")))
            continue
        n = side.n_used if isinstance(side, Side) else m.n  # the answers used (issue #11)
        if n < min_group:
            out[indicator.id] = Level(ids, reason=_(
                "fewer than %(n)s answers in a wave: not shown") % {"n": min_group})
            continue
        low, high = side.ci  # type: ignore[union-attr]
        out[indicator.id] = Level(ids, value, low, high, n, note="; ".join(notes) or None)
    return out


def _pooled(matrices: list[WaveMatrix]) -> WaveMatrix:
    first = matrices[0]
    if len(matrices) == 1:
        return first
    return WaveMatrix(
        wave=first.wave, survey=first.survey,
        codes=np.concatenate([m.codes for m in matrices]), items=first.items,
        organisations=np.concatenate([m.organisations for m in matrices]),
        channels=np.concatenate([m.channels for m in matrices]),
        units=np.concatenate([m.units for m in matrices]), grouped=False,
    )

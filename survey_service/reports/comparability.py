"""What of two waves can be compared, decided from their frozen form versions
(:func:`survey_service.surveys.versions.diff_versions`): each item, and each indicator over
the items comparable in both versions.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from ..i18n import N_, translations
from ..surveys.loader import indicator_items
from ..surveys.model import LANGS, IndicatorDef, Survey, Text
from ..surveys.versions import Change, FormDiff, ItemChange

CHANGES: dict[Change, str] = {
    "added": N_("not asked in the baseline"),
    "removed": N_("not asked in the follow-up"),
    "kind": N_("the kind of question changed"),
    "reworded": N_("the question was reworded"),
    "rescaled": N_("the scale, its labels or the range changed"),
    "options": N_("the options changed (codes added, removed or relabelled)"),
    "reverse": N_("reverse scoring changed"),
    "dont_know": N_("\"don't know\" was offered in one wave only"),
    "dimension": N_("the dimension changed"),
    "show_if": N_("it was asked of different people (show_if changed)"),
    "correct": N_("the right answer of the knowledge question changed"),
    "then_of": N_("the then-and-now pair changed (then_of)"),
}


class Difference(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An item or indicator that differs between the waves' form versions, why, and (items)
    its wording in each wave when that differs."""

    id: str
    reason: str
    baseline: str | None = None
    follow_up: str | None = None


@dataclass(frozen=True)
class Plan:
    """How one indicator is compared: over ``items`` (comparable in both versions), leaving
    out ``left_out`` of the ``declared`` items."""

    definition: IndicatorDef
    items: list[str]
    declared: int
    left_out: list[str]


def wordings(before: Text | None, after: Text | None, lang: str
             ) -> tuple[str | None, str | None]:
    """An item's wording in each wave, in the report's language; when only the other language
    changed, in that language, marked with its code (a Bulgarian report of an English edit
    would otherwise show the same text twice)."""
    shown = lang
    if before is not None and after is not None and before.get(lang) == after.get(lang):
        shown = next((other for other in LANGS if before.get(other) != after.get(other)), lang)
    mark = f"[{shown}] " if shown != lang else ""

    def text(t: Text | None) -> str | None:
        return None if t is None else mark + t.get(shown)

    return text(before), text(after)


def item_difference(change: ItemChange, lang: str) -> Difference:
    _ = translations(lang).gettext
    if change.comparable:
        reason = _("editorial change declared in the survey file: still comparable")
    else:
        reason = "; ".join(_(CHANGES[c]) for c in change.changes)
    baseline, follow_up = wordings(change.before, change.after, lang)
    return Difference(id=change.item, reason=reason, baseline=baseline, follow_up=follow_up)


def _declaration(definition: IndicatorDef) -> tuple[object, ...]:
    return (definition.kind, sorted(definition.items), sorted(definition.dimensions),
            definition.share)


def plan_indicators(
    a: Survey, b: Survey, diff: FormDiff, lang: str
) -> tuple[dict[str, Plan], list[Difference]]:
    """The comparable indicators of two versions, and why the others are not comparable."""
    _ = translations(lang).gettext
    plans: dict[str, Plan] = {}
    refused: list[Difference] = []
    for definition in a.indicators:
        other = next((i for i in b.indicators if i.id == definition.id), None)
        if other is None:
            refused.append(Difference(id=definition.id,
                                      reason=_("not declared in the follow-up form version")))
            continue
        if _declaration(other) != _declaration(definition):
            refused.append(Difference(id=definition.id, reason=_(
                "its declared kind, items or dimensions differ between the waves")))
            continue
        items_a, items_b = indicator_items(a, definition.id), indicator_items(b, definition.id)
        declared = list(dict.fromkeys([*items_a, *items_b]))
        used = [i for i in items_a if i in items_b and diff.comparable(i)]
        left_out = [i for i in declared if i not in used]
        if not used or (left_out and definition.kind in ("mean", "nps")):
            refused.append(Difference(id=definition.id, reason=_(
                "none of its items is comparable: %(items)s") % {"items": ", ".join(left_out)}))
            continue
        plans[definition.id] = Plan(definition, used, len(declared), left_out)
    for definition in b.indicators:
        if all(d.id != definition.id for d in a.indicators):
            refused.append(Difference(id=definition.id,
                                      reason=_("not declared in the baseline form version")))
    return plans, refused

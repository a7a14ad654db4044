"""What changed between two frozen form versions of a survey, item by item (pure domain).

An item (a question, or a row of a matrix) is comparable across two versions only if nothing
that changes its meaning changed: its kind, its text in either language (the matrix's own text
too), its scale and the scale's labels, its options (added, removed or relabelled codes), its
range, ``reverse``, ``dont_know``, its dimension, and the ``show_if`` that decides who was
asked, and how it is scored: a knowledge question's right answer (``correct``) and the
"then" matrix a then-and-now matrix is paired with (``then_of``). A change of wording that
the survey's author declares editorial (``corrects`` in the survey file, naming the earlier
text) keeps the item comparable; the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .model import LANGS, Corrects, Option, Question, Row, Survey, Text

Change = Literal[
    "added", "removed", "kind", "reworded", "rescaled", "options", "reverse", "dont_know",
    "dimension", "show_if", "correct", "then_of",
]
#: How each kind of change is named to an operator or analyst.
CHANGE_NAMES: dict[Change, str] = {
    "added": "added",
    "removed": "removed",
    "kind": "kind of question changed",
    "reworded": "reworded",
    "rescaled": "rescaled",
    "options": "options changed",
    "reverse": "reverse scoring changed",
    "dont_know": "\"don't know\" offered in one version only",
    "dimension": "dimension changed",
    "show_if": "asked of different people (show_if)",
    "correct": "right answer changed (correct)",
    "then_of": "then-and-now pair changed (then_of)",
}


@dataclass(frozen=True)
class ItemChange:
    """How one item differs between an earlier and a later form version. ``changes`` are the
    changes of meaning (empty: only an editorial change of wording, still comparable)."""

    item: str
    changes: tuple[Change, ...]
    details: tuple[str, ...] = ()
    editorial: bool = False
    before: Text | None = None  # the wording that differs, as in the earlier version
    after: Text | None = None  # and as in the later one

    @property
    def comparable(self) -> bool:
        return not self.changes


@dataclass(frozen=True)
class FormDiff:
    """Every item that differs between two versions (items that did not change are absent)."""

    items: dict[str, ItemChange] = field(default_factory=dict)
    #: items that an indicator of the earlier version is computed from
    scored: frozenset[str] = frozenset()

    def comparable(self, item: str) -> bool:
        change = self.items.get(item)
        return change is None or change.comparable

    def of(self, change: Change) -> list[str]:
        return [i for i, c in self.items.items() if change in c.changes]

    @property
    def breaking(self) -> list[ItemChange]:
        """Changes that break a comparison with the earlier version: an item kept but changed
        in meaning, or an item that an indicator relied on removed."""
        return [
            c for c in self.items.values()
            if c.changes and (c.changes != ("added",))
            and (c.changes != ("removed",) or c.item in self.scored)
        ]


@dataclass(frozen=True)
class _Item:
    """An item of one version, with what decides its meaning."""

    question: Question
    row: Row | None

    @property
    def text(self) -> Text:
        return self.row.text if self.row else self.question.text


def _items(survey: Survey) -> dict[str, _Item]:
    out: dict[str, _Item] = {}
    for q in survey.questions():
        if q.kind == "matrix":
            out.update({r.id: _Item(q, r) for r in q.rows})
        else:
            out[q.id] = _Item(q, None)
    return out


def _corrected(old: Text, new: Text, corrects: Corrects | None) -> tuple[bool, bool]:
    """(changed, every change declared editorial) for a text of two versions."""
    differ = [lang for lang in LANGS if old.get(lang) != new.get(lang)]
    if not differ:
        return False, True
    declared = corrects is not None and all(
        old.get(lang) in corrects.earlier(lang) for lang in differ
    )
    return True, declared


def _scale(survey: Survey, q: Question, dont_know_too: bool) -> tuple[object, ...]:
    """The scale's labels (and its "don't know" label when both versions offer it)."""
    scale = survey.scales.get(q.scale or "")
    if scale is None:
        return ()
    labels = tuple((t.bg, t.en) for t in scale.labels)
    dont_know = scale.dont_know if dont_know_too else None
    return labels, (dont_know.bg, dont_know.en) if dont_know else None


def _range(q: Question) -> tuple[object, ...]:
    low = (q.low_label.bg, q.low_label.en) if q.low_label else None
    high = (q.high_label.bg, q.high_label.en) if q.high_label else None
    return q.min, q.max, low, high


def _option_changes(old: list[Option], new: list[Option]) -> list[str]:
    """Descriptions of option changes (each version decodes its codes with its own options, so
    a new order alone changes nothing)."""
    before, after = {o.code: o for o in old}, {o.code: o for o in new}
    out: list[str] = []
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    if added:
        out.append(f"options added: {', '.join(added)}")
    if removed:
        out.append(f"options removed: {', '.join(removed)}")
    relabelled = [
        code for code in before if code in after
        and _corrected(before[code].label, after[code].label, after[code].corrects) == (True, False)
    ]
    if relabelled:
        out.append(f"options relabelled: {', '.join(relabelled)}")
    return out


def _show_if(survey: Survey, q: Question) -> tuple[object, ...] | None:
    """Who is asked: the condition, and the labels of the answers it names (an option
    relabelled under the same code asks other people), and who was asked that question."""
    if q.show_if is None:
        return None
    target = survey.question(q.show_if.question)
    labels = {o.code: (o.label.bg, o.label.en) for o in target.options} if target else {}
    values = sorted(q.show_if.any_of, key=str)
    upstream = _show_if(survey, target) if target is not None else None  # who saw the target
    return (q.show_if.question, tuple(values), tuple(labels.get(str(v)) for v in values),
            upstream)


def _compare(old_survey: Survey, new_survey: Survey, item: str, old: _Item, new: _Item
             ) -> ItemChange | None:
    changes: list[Change] = []
    details: list[str] = []
    before = after = None
    editorial = False
    qa, qb = old.question, new.question
    if qa.kind != qb.kind or (old.row is None) != (new.row is None):
        changes.append("kind")
        details.append(f"kind of question changed ({qa.kind} -> {qb.kind})")
    texts = [(qa.text, qb.text, qb.corrects)]
    if old.row is not None and new.row is not None:
        texts.insert(0, (old.row.text, new.row.text, new.row.corrects))
    for text_a, text_b, corrects in texts:
        changed, declared = _corrected(text_a, text_b, corrects)
        if changed and before is None:
            before, after = text_a, text_b
        if changed and declared:
            editorial = True
        elif changed:
            changes.append("reworded")
            details.append("reworded")
            before, after = text_a, text_b
            break
    both = qa.dont_know and qb.dont_know
    if qa.kind in ("likert", "matrix") and _scale(old_survey, qa, both) != _scale(
        new_survey, qb, both
    ):
        changes.append("rescaled")
        details.append(f"scale or its labels changed ({qa.scale} -> {qb.scale})")
    if _range(qa) != _range(qb):
        changes.append("rescaled")
        details.append("range or end labels changed")
    if qa.kind in ("single", "multi") and qb.kind in ("single", "multi"):
        described = _option_changes(qa.options, qb.options)
        labels_b = {o.code: o for o in qb.options}
        editorial = editorial or any(
            _corrected(o.label, labels_b[o.code].label, labels_b[o.code].corrects) == (True, True)
            for o in qa.options if o.code in labels_b
        )
        if described:
            changes.append("options")
            details += described
    rev_a = old.row.reverse if old.row else qa.reverse
    rev_b = new.row.reverse if new.row else qb.reverse
    if rev_a != rev_b:
        changes.append("reverse")
        details.append(f"reverse scoring {'removed' if rev_a else 'added'}")
    if qa.dont_know != qb.dont_know:
        changes.append("dont_know")
        details.append(f"\"don't know\" {'removed' if qa.dont_know else 'added'}")
    dim_a = old.row.dimension if old.row else qa.dimension
    dim_b = new.row.dimension if new.row else qb.dimension
    if dim_a != dim_b:
        changes.append("dimension")
        details.append(f"dimension changed ({dim_a} -> {dim_b})")
    if qa.correct != qb.correct:
        changes.append("correct")
        details.append(f"right answer changed ({qa.correct} -> {qb.correct})")
    if qa.then_of != qb.then_of:
        changes.append("then_of")
        details.append(f"then-and-now pair changed ({qa.then_of} -> {qb.then_of})")
    if _show_if(old_survey, qa) != _show_if(new_survey, qb):
        changes.append("show_if")
        details.append("asked of different people (show_if changed)")
    if not changes and not editorial:
        return None
    return ItemChange(item, tuple(dict.fromkeys(changes)), tuple(details), editorial,
                      before, after)


def diff_versions(earlier: Survey, later: Survey) -> FormDiff:
    """Every item that differs between two form versions of one survey, and how."""
    from .loader import indicator_items

    old, new = _items(earlier), _items(later)
    out: dict[str, ItemChange] = {}
    for item, spec in old.items():
        if item not in new:
            out[item] = ItemChange(item, ("removed",), ("not asked in the later version",),
                                   before=spec.text)
            continue
        change = _compare(earlier, later, item, spec, new[item])
        if change is not None:
            out[item] = change
    for item, spec in new.items():
        if item not in old:
            out[item] = ItemChange(item, ("added",), ("not asked in the earlier version",),
                                   after=spec.text)
    scored = frozenset(i for d in earlier.indicators for i in indicator_items(earlier, d.id))
    return FormDiff(out, scored)


def describe(diff: FormDiff) -> list[str]:
    """The changes as lines for an operator (English), grouped by kind of change."""
    lines = []
    for kind in CHANGE_NAMES:
        items = diff.of(kind)
        if kind == "options":  # which codes: the author may have meant only a new label
            items = [
                f"{i} ({'; '.join(d for d in diff.items[i].details if d.startswith('options'))})"
                for i in items
            ]
        if items:
            lines.append(f"{CHANGE_NAMES[kind]}: {', '.join(items)}")
    editorial = [c.item for c in diff.items.values() if c.comparable and c.editorial]
    if editorial:
        lines.append(f"editorial changes declared (still comparable): {', '.join(editorial)}")
    return lines


@dataclass(frozen=True)
class NewVersionCheck:
    """What a new wave's form version changes against the earlier waves of its survey."""

    previous: str | None  # the wave just before
    diff: FormDiff | None  # against the previous wave's version
    #: earlier wave id -> items whose comparison with it the new version breaks
    breaking: dict[str, list[str]]
    #: the part of ``breaking`` that the previous wave's version did not break already (what
    #: an operator must confirm; a wave on the same version as the previous one adds nothing)
    new_breaks: dict[str, list[str]] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """For the operator (English)."""
        out = []
        if self.previous is not None and self.diff is not None and self.diff.items:
            out.append(f"changes since wave {self.previous}:")
            out += [f"  {line}" for line in describe(self.diff)]
        for wave, items in self.breaking.items():
            out.append(f"not comparable with wave {wave}: {', '.join(items)}")
        return out


def check_new_version(earlier: list[tuple[str, Survey]], current: Survey) -> NewVersionCheck:
    """Compare ``current`` with the frozen versions of the earlier waves (oldest first, as
    (wave id, definition))."""
    diffs = {wave: diff_versions(survey, current) for wave, survey in earlier}
    breaking = {
        wave: [c.item for c in diff.breaking] for wave, diff in diffs.items() if diff.breaking
    }
    previous = earlier[-1] if earlier else None
    new_breaks = {}
    for wave, survey in earlier:
        already = (
            {c.item for c in diff_versions(survey, previous[1]).breaking} if previous else set()
        )
        fresh = [item for item in breaking.get(wave, []) if item not in already]
        if fresh:
            new_breaks[wave] = fresh
    return NewVersionCheck(
        previous[0] if previous else None,
        diffs.get(previous[0]) if previous else None,
        breaking,
        new_breaks,
    )

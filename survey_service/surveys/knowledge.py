"""Knowledge checks and retrospective then-and-now ratings of training surveys (issue #19 §5;
pure domain).

A knowledge question is a ``single`` question with ``correct`` set to the code of its right
answer: a respondent's knowledge score is the share (0–100) of the knowledge questions they
answered right, counting a question left unanswered as wrong once they answered any (a
respondent who answered none has no score). A then-and-now pair is a ``matrix`` with
``then_of`` naming an earlier matrix of the same scale and as many rows: row *i* of the
earlier one rates "before the course", row *i* of this one "now".
"""

from __future__ import annotations

from collections.abc import Callable

from .model import Question, Survey

Bad = Callable[[str | None, str], None]


def knowledge_questions(survey: Survey) -> list[Question]:
    """The scored questions of a knowledge check, in the form's order."""
    return [q for q in survey.questions() if q.correct is not None]


def right_positions(survey: Survey) -> dict[str, int]:
    """Question id -> the stored code (the option's position, 1..n) of the right answer."""
    out = {}
    for q in knowledge_questions(survey):
        codes = [o.code for o in q.options]
        if q.correct in codes:
            out[q.id] = codes.index(q.correct) + 1
    return out


def then_now_pairs(survey: Survey) -> list[tuple[str, str]]:
    """(row of the "then" matrix, row of the "now" matrix) for every then-and-now pair."""
    pairs = []
    for now in survey.questions():
        then = survey.question(now.then_of) if now.then_of else None
        if then is not None:
            pairs += [(a.id, b.id) for a, b in zip(then.rows, now.rows, strict=False)]
    return pairs


def check_correct(survey: Survey, q: Question, bad: Bad) -> None:
    """``correct``: only on a single question, naming one of its options."""
    if q.correct is None:
        return
    if q.kind != "single":
        bad(q.id, f"correct (a knowledge check's right answer) applies only to single, not "
                  f"{q.kind}")
    elif q.correct not in {o.code for o in q.options}:
        bad(q.id, f"correct '{q.correct}' is not one of the options' codes")
    elif q.show_if is not None:
        bad(q.id, "a knowledge question is asked of everyone: drop its show_if")


def check_then_now(survey: Survey, bad: Bad) -> None:
    """``then_of``: an earlier matrix of the same scale and as many rows, named once."""
    earlier: list[str] = []
    named: dict[str, str] = {}
    for q in survey.questions():
        if q.then_of is not None:
            then = survey.question(q.then_of)
            if q.kind != "matrix":
                bad(q.id, f"then_of applies only to matrix, not {q.kind}")
            elif then is None or then.id not in earlier:
                where = "a later" if then is not None else "an unknown"
                bad(q.id, f"then_of names {where} question '{q.then_of}': the \"then\" matrix "
                          "comes first")
            elif then.kind != "matrix" or then.then_of is not None:
                bad(q.id, f"then_of must name a matrix that asks about before ('{then.id}' "
                          "does not)")
            elif then.scale != q.scale or len(then.rows) != len(q.rows):
                bad(q.id, f"then_of: '{then.id}' and '{q.id}' need the same scale and as many "
                          "rows (row by row: then and now)")
            elif q.then_of in named:
                bad(q.id, f"then_of: '{q.then_of}' is the \"then\" of '{named[q.then_of]}' "
                          "already")
            else:
                named[q.then_of] = q.id
        earlier.append(q.id)

"""The step counter (issue 8: "Step 1 of 4", then "Step 2 of 5" after "At the desk"): the
total is exact once no later page waits on an answer not yet given, an upper bound before,
and never grows as the respondent goes forward."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import numpy as np

from survey_service.demo import BASELINE, generate
from survey_service.surveys.answers import Answers, visible_questions
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.model import Option, Question, Section, ShowIf, Survey, Text
from survey_service.surveys.progress import Progress, progress

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _t(s: str) -> Text:
    return Text(bg=s, en=s)


def _single(qid: str, show_if: ShowIf | None = None) -> Question:
    options = [Option(code=c, label=_t(c)) for c in ("yes", "no")]
    return Question(id=qid, kind="single", text=_t(qid), options=options, show_if=show_if)


def _page(pid: str, *questions: Question) -> Section:
    return Section(id=pid, title=_t(pid), questions=list(questions))


#: Page 2 only after a = yes; page 3 only after b = yes (b is on page 2); page 4 always.
CHAIN = Survey(
    id="chain",
    kind="citizen",
    title=_t("chain"),
    intro=_t("chain"),
    sections=[
        _page("p1", _single("a")),
        _page("p2", _single("b", ShowIf("a", ["yes"]))),
        _page("p3", _single("c", ShowIf("b", ["yes"]))),
        _page("p4", _single("d")),
    ],
)


def walk(survey: Survey, answers: Answers) -> list[tuple[int, Progress]]:
    """The counter of every page a respondent with these (complete) answers sees."""
    page_of = {
        item: i for i, s in enumerate(survey.sections) for q in s.questions for item in q.item_ids()
    }
    seen = []
    for step, section in enumerate(survey.sections):
        before = {k: v for k, v in answers.items() if page_of[k] < step}
        if visible_questions(section, before):
            seen.append((step, progress(survey, step, before)))
    return seen


def assert_honest(seen: list[tuple[int, Progress]]) -> None:
    pages = len(seen)
    totals = [p.total for _, p in seen]
    assert [p.position for _, p in seen] == list(range(1, pages + 1))
    assert all(later <= earlier for earlier, later in itertools.pairwise(totals)), totals
    assert all(total >= pages for total in totals)  # an upper bound, never an underestimate
    assert all(p.total == pages for _, p in seen if p.exact)  # exact means exact
    assert seen[-1][1].exact and seen[-1][1].total == pages


def test_the_citizen_survey_at_the_desk_and_elsewhere() -> None:
    """Six pages: the contact (when), the contact (what, how, finished?), quality, in person
    (desk or mayoralty only), overall, about you (everyone). The in-person page waits on the
    channel, asked on page 2; everything but "about you" waits on the date asked on page 1."""
    survey = load_catalog(FORMS).surveys["citizen-satisfaction"].survey
    desk = walk(survey, {"contact_when": "today", "channel": "desk", "wait_minutes": "up_to_20"})
    assert [(p.position, p.total, p.exact) for _, p in desk] == [
        (1, 6, False),
        (2, 6, False),
        (3, 6, True),
        (4, 6, True),
        (5, 6, True),
        (6, 6, True),
    ]
    online = walk(survey, {"contact_when": "past_month", "channel": "online"})
    assert [(p.position, p.total, p.exact) for _, p in online] == [
        (1, 6, False),
        (2, 6, False),
        (3, 5, True),
        (4, 5, True),
        (5, 5, True),
    ]
    # a contact more than 12 months ago: only the optional "about you" page follows
    screened_out = walk(survey, {"contact_when": "over_year"})
    assert [(p.position, p.total, p.exact) for _, p in screened_out] == [
        (1, 6, False),
        (2, 2, True),
    ]


def test_every_demo_respondent_sees_an_honest_counter() -> None:
    """400 synthetic respondents of the shipped citizen survey, every path they take."""
    survey = load_catalog(FORMS).surveys["citizen-satisfaction"].survey
    chunks = generate(
        survey,
        400,
        BASELINE,
        np.random.default_rng(3),
        wave_id="w",
        version="v",
        organisations=["elena"],
        days=[dt.date(2026, 3, 2)],
    )
    lengths = set()
    for response in (r for chunk in chunks for r in chunk):
        seen = walk(survey, response.answers)
        assert_honest(seen)
        lengths.add(len(seen))
    assert lengths == {2, 5, 6}  # all three paths were taken


def test_a_chain_of_conditions_narrows_the_bound_page_by_page() -> None:
    """Page 3 depends on page 2, which depends on page 1: each answer can only lower the
    bound, and an answer on the page shown does not count until it is sent."""
    for a, b in itertools.product(("yes", "no"), ("yes", "no")):
        answers: Answers = {"a": a, "d": "yes"} | ({"b": b} if a == "yes" else {})
        assert_honest(walk(CHAIN, answers))
    assert [(p.position, p.total, p.exact) for _, p in walk(CHAIN, {"a": "yes", "b": "no"})] == [
        (1, 4, False),
        (2, 4, False),
        (3, 3, True),
    ]
    # the answer to page 2 typed but shown again (with an error elsewhere): still undecided
    assert progress(CHAIN, 1, {"a": "yes", "b": "no"}) == Progress(2, 4, False)

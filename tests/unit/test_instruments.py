"""The shipped questionnaires as instruments (issue #18): Bulgarian and English say the same
kind of thing, agreement items are positive, composites are asked of everyone they describe, the
routing screens out old contacts and routes outcome items, and the wording corrections stay."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from survey_service.surveys.answers import next_section
from survey_service.surveys.loader import indicator_items, load_catalog
from survey_service.surveys.model import Question, Survey, Text

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(ROOT / "forms")
SURVEYS = {k: v.survey for k, v in CATALOG.surveys.items()}
CITIZEN, STAFF = SURVEYS["citizen-satisfaction"], SURVEYS["staff-survey"]
TRAINING = SURVEYS["training-evaluation"]
IN_SCOPE = ["today", "past_month", "past_year"]

AGREE_BG = ["Напълно несъгласен", "Несъгласен", "Нито съгласен, нито несъгласен", "Съгласен",
            "Напълно съгласен"]
AGREE_EN = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
            "Strongly agree"]


def texts(obj: object, where: str = "") -> Iterator[tuple[str, Text]]:
    """Every Text of a structure, with a path naming where it is."""
    if isinstance(obj, Text):
        yield where, obj
    elif isinstance(obj, msgspec.Struct):
        name = getattr(obj, "id", None)
        for field in obj.__struct_fields__:
            yield from texts(getattr(obj, field), f"{where}/{name or ''}.{field}")
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from texts(item, where)
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield from texts(item, f"{where}/{key}")


def agree_items(survey: Survey) -> Iterator[tuple[str, Text]]:
    """(id, text) of every statement answered on an agreement scale."""
    for q in survey.questions():
        if q.scale in ("agree", "effort"):
            if q.kind == "matrix":
                yield from ((r.id, r.text) for r in q.rows)
            else:
                yield q.id, q.text


@pytest.mark.parametrize("survey_id", sorted(SURVEYS))
def test_bulgarian_and_english_are_the_same_kind_of_sentence(survey_id: str) -> None:
    for where, text in texts(SURVEYS[survey_id]):
        bg, en = text.bg.strip(), text.en.strip()
        assert bg and en, where
        # a question stays a question, a statement a statement, a label a label
        for mark in "?.:":
            assert bg.endswith(mark) == en.endswith(mark), (where, bg, en)
        # the same figures (minutes, ages, years, thresholds) in both languages
        assert sorted(re.findall(r"\d+", bg)) == sorted(re.findall(r"\d+", en)), (where, bg, en)
        # Bulgarian typography: „…“ only, balanced; no straight or English quotes
        assert not re.search("[\"'“”]", bg.replace("“", "", bg.count("„"))), (where, bg)
        assert bg.count("„") == bg.count("“"), (where, bg)


def test_overall_satisfaction_asks_about_this_service_in_both_languages() -> None:
    q = CITIZEN.question("overall_satisfaction")
    assert q is not None
    assert q.text.bg == "Като цяло доколко сте доволни от обслужването, което получихте?"
    assert "received" in q.text.en and "municipality" not in q.text.en


#: Surveys with agreement items: every one but the knowledge check (right answers only).
AGREEING = sorted(s for s in SURVEYS if s != "training-knowledge")


@pytest.mark.parametrize("survey_id", AGREEING)
def test_one_agreement_and_one_satisfaction_scale_everywhere(survey_id: str) -> None:
    survey = SURVEYS[survey_id]
    agree = survey.scales["agree"]
    assert [t.bg for t in agree.labels] == AGREE_BG
    assert [t.en for t in agree.labels] == AGREE_EN
    assert agree.dont_know == Text("Не мога да преценя / не се отнася за мен",
                                   "Don't know / not applicable")
    if "satisfaction" in survey.scales:
        assert survey.scales["satisfaction"] == CITIZEN.scales["satisfaction"]


NEGATION_BG = re.compile(r"(^|\s)(не|без|нито|никога|няма)(\s|$)", re.IGNORECASE)
NEGATION_EN = re.compile(r"\b(not|no|never|without|nobody|none)\b|n't", re.IGNORECASE)


@pytest.mark.parametrize("survey_id", AGREEING)
def test_no_negated_or_reverse_worded_agreement_items(survey_id: str) -> None:
    survey = SURVEYS[survey_id]
    items = list(agree_items(survey))
    assert items
    for item, text in items:
        assert not NEGATION_BG.search(text.bg), (item, text.bg)
        assert not NEGATION_EN.search(text.en), (item, text.en)
    assert not [q.id for q in survey.questions() if q.reverse]
    assert not [r.id for q in survey.questions() for r in q.rows if r.reverse]


def test_the_negation_check_would_catch_the_old_wording() -> None:
    assert NEGATION_BG.search("Не чаках дълго, докато ме обслужат.")
    assert NEGATION_EN.search("I did not have to wait long to be served.")


def _question_of(survey: Survey, item: str) -> Question:
    return next(q for q in survey.questions() if q.id == item or item in q.item_ids())


@pytest.mark.parametrize("survey_id", sorted(SURVEYS))
def test_every_composite_is_asked_of_everyone_it_describes(survey_id: str) -> None:
    survey = SURVEYS[survey_id]
    for definition in survey.indicators:
        if definition.kind != "index":
            continue
        conditions = {repr(_question_of(survey, i).show_if)
                      for i in indicator_items(survey, definition.id)}
        assert len(conditions) == 1, (definition.id, conditions)


def test_csqi_rests_only_on_items_everyone_in_scope_is_asked() -> None:
    items = indicator_items(CITIZEN, "csqi")
    assert len(items) >= 6
    for item in items:
        cond = _question_of(CITIZEN, item).show_if
        assert cond is not None and cond.question == "contact_when", item
        assert sorted(map(str, cond.any_of)) == sorted(IN_SCOPE)
    csqi = next(i for i in CITIZEN.indicators if i.id == "csqi")
    assert "outcome" not in csqi.dimensions and "on_site" not in csqi.dimensions
    assert "everyone" in csqi.label.en or "every respondent" in csqi.label.en


def test_old_contacts_are_screened_out_and_outcomes_need_a_finished_matter() -> None:
    sections = [s.id for s in CITIZEN.sections]
    assert sections[0] == "contact" and [q.id for q in CITIZEN.sections[0].questions] == [
        "contact_when"]
    old = {"contact_when": "over_year"}
    assert next_section(CITIZEN, 0, old) == sections.index("about")
    recent = {"contact_when": "today", "channel": "phone", "matter_finished": "in_progress"}
    assert next_section(CITIZEN, 0, recent) == sections.index("visit")
    # an open matter: the outcome items and the number of contacts are not shown
    for item in ("got_what_needed", "deadline_met", "documents_correct", "visit_count"):
        cond = _question_of(CITIZEN, item).show_if
        assert cond is not None and (cond.question, cond.any_of) == (
            "matter_finished", ["finished"]), item
    # every question after page 1 depends, directly or through another, on the screen
    for section in CITIZEN.sections[1:-1]:
        for q in section.questions:
            assert q.show_if is not None and q.show_if.question in (
                "contact_when", "matter_finished", "channel"), q.id


def test_new_citizen_options_and_items() -> None:
    def codes(question: str) -> list[str]:
        q = CITIZEN.question(question)
        assert q is not None
        return [o.code for o in q.options]

    assert {"mayoralty", "post"} <= set(codes("channel"))
    assert "other_person" in codes("respondent_type")
    online = next(o for o in CITIZEN.question("channel").options if o.code == "online")  # type: ignore[union-attr]
    assert online.label.bg == "По интернет (електронна услуга или имейл)"
    desks = CITIZEN.question("desks_count")
    assert desks is not None and desks.kind == "number"
    shares = {i.id: i for i in CITIZEN.indicators if i.kind == "share"}
    assert {"waited_20_or_less", "one_contact", "one_desk"} <= set(shares)


def test_nps_is_exploratory_and_never_a_target() -> None:
    nps = next(i for i in CITIZEN.indicators if i.kind == "nps")
    assert "exploratory" in nps.label.en
    targeted = {(r.survey, r.indicator) for r in CATALOG.expected_results}
    assert ("citizen-satisfaction", nps.id) not in targeted


SELF_REPORT = ["role", "workload", "resources", "learning", "learning_useful", "engagement"]


def test_staff_self_report_items_have_no_dont_know() -> None:
    for qid in SELF_REPORT:
        q = STAFF.question(qid)
        assert q is not None and not q.dont_know, qid
    for qid in ("distribution", "coordination", "citizens", "senior_leadership"):
        assert STAFF.question(qid).dont_know, qid  # type: ignore[union-attr]


def test_staff_leadership_split_and_new_items() -> None:
    dims = {r.id: r.dimension for q in STAFF.questions() for r in q.rows}
    assert {"change_managed_well", "change_for_better"} <= {
        i for i, d in dims.items() if d == "leadership"}
    assert any(d == "my_manager" for d in dims.values())
    assert dims.get("distribution_between_units") == "work_distribution"
    useful = STAFF.question("learning_useful")
    assert useful is not None and useful.show_if is not None
    assert useful.show_if.question == "took_training"
    eei = next(i for i in STAFF.indicators if i.id == "eei")
    assert "CSPS-style" in eei.label.en and "CSPS" in eei.label.bg


def test_staff_form_cannot_single_out_a_new_hire() -> None:
    ids = {q.id for q in STAFF.questions()}
    assert not {i for i in ids if re.fullmatch(r"(tenure|age|gender|unit|job|service_years)\w*", i)}


def test_double_barrelled_items_are_split() -> None:
    rows = {r.id: r.text for s in SURVEYS.values() for q in s.questions() for r in q.rows}
    for old in ("clear_explanations", "coordination_processes", "recognition_fair"):
        assert old not in rows
    assert {"reaction_trainer_clear", "reaction_trainer_knowledge"} <= set(rows)
    assert {"coordination_route_clear", "coordination_roles_clear"} <= set(rows)
    assert {"recognition_appraisal_fair", "recognition_pay_fair"} <= set(rows)
    for item in ("staff_knowledgeable", "reaction_trainer_clear", "forms_clear"):
        assert " и " not in rows[item].bg and " and " not in rows[item].en, item
    # the building for disabled people; finding the desk is its own item
    assert "гише" not in rows["premises_accessible"].bg.split("(")[0]
    assert "desk_easy_to_find" in rows


# Corrections of the native editor: (wrong, why) that must not come back anywhere in Bulgarian.
FORBIDDEN = [
    ("благосъстояние", "wellbeing is „благополучие“"),
    ("Гражданите не се налага", "grammar"),
    ("Откога работите", "„От колко години работите“ (and the question is dropped)"),
    ("65 или повече", "„65 и повече години“"),
    ("Онлайн (е-услуга", "„По интернет (електронна услуга или имейл)“"),
    ("GDPR", "„ОРЗД“ in Bulgarian"),
    ("в шифрован вид", "codes are „в необратимо кодиран вид“"),
    ("Вашият личен код", "„Код за достъп до анкетата“"),
    ("атестация", "„годишното оценяване“"),
    ("наградите", "„допълнителните възнаграждения“"),
    ("въпросник", "one term: анкета / анкетна карта"),
    ("формуляр", "one term: анкета / анкетна карта"),
    ("Категорично", "agreement scale, not a yes/no scale"),
]


def bulgarian_strings() -> Iterator[tuple[str, str]]:
    for survey_id, survey in SURVEYS.items():
        for where, text in texts(survey):
            yield f"{survey_id}{where}", text.bg
    for org in CATALOG.organisations.values():
        for where, text in texts(org):
            yield f"organisations{where}", text.bg
    for result in CATALOG.expected_results:
        yield f"expected-results/{result.id}", result.text.bg
    from babel.messages.pofile import read_po

    with (ROOT / "survey_service/i18n/bg/LC_MESSAGES/messages.po").open("rb") as f:
        for message in read_po(f):
            if message.id:
                yield f"messages.po: {message.id!s:.50}", str(message.string)
    for path in (ROOT / "templates").rglob("*.html"):
        yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def test_bulgarian_wording_corrections_stay() -> None:
    found = [(where, wrong, why) for where, text in bulgarian_strings()
             for wrong, why in FORBIDDEN if wrong.lower() in text.lower()
             and not (wrong == "GDPR" and where.startswith("templates/"))]
    assert not found, found


def test_catalogue_uses_bulgarian_quotes() -> None:
    for where, text in bulgarian_strings():
        if where.startswith("templates/"):
            continue
        assert "„" not in text or text.count("„") == text.count("“"), where
        assert not re.search(r"[„“][^„“]*”", text), where

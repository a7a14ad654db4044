"""The privacy notice (GDPR Art. 13), the accessibility statement (model of Implementing
Decision (EU) 2018/1523) and the paper questionnaire, as the service serves them (issue #18)."""

from __future__ import annotations

import html as html_lib
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from survey_service.app import create_app
from survey_service.rendering import TEMPLATES, long_date
from survey_service.settings import Settings
from survey_service.surveys.loader import load_catalog
from survey_service.surveys.waves import today_in_sofia
from tests.conftest import FORMS, SURVEY, hidden_fields, settings_for
from tests.web.test_staff import issue, open_staff_wave, staff_answers

CATALOG = load_catalog(FORMS)

#: What every privacy notice must say, by section, in each language.
PRIVACY: dict[str, dict[str, list[str]]] = {
    "bg": {
        "controller": ["Администратор на лични данни", "Община Елена",
                       "ул. „Йордан Ковачев“ № 2, 5070 Елена", "obshtina@elena.bg",
                       "dpo@elena.bg"],
        "legal basis": ["чл. 6, параграф 1, буква „д“ от ОРЗД",
                        "чл. 24 от Наредбата за административното обслужване",
                        "Анкета за служителите на общинската администрация",
                        "не може да даде свободно съгласие", "Оценка на обучението"],
        "voluntary": ["Участието е доброволно", "годишното оценяване"],
        "recipients": ["чл. 28 от ОРЗД", "чл. 26 от ОРЗД", "управляващият орган",
                       "извън Европейския съюз", "профилиране"],
        "retention": ["Срок на съхранение", "до 31 декември на 7-ата година",
                      "в срок до 21 дни", "Свободните текстови отговори (коментарите): 200 дни",
                      "използван: 45 дни след приключването"],
        "rights": ["чл. 15–18 от ОРЗД", "чл. 21 от ОРЗД", "чл. 11, параграф 2 от ОРЗД"],
        "КЗЛД": ["Комисията за защита на личните данни (КЗЛД)",
                 "София 1592, бул. „Проф. Цветан Лазаров“ № 2"],
    },
    "en": {
        "controller": ["Data controller", "Elena Municipality", "2 Yordan Kovachev Street",
                       "obshtina@elena.bg", "dpo@elena.bg"],
        "legal basis": ["Article 6(1)(e) GDPR", "Article 24 of the Ordinance on Administrative "
                        "Services", "Survey of the municipal administration's employees",
                        "cannot give consent freely", "Training evaluation"],
        "voluntary": ["Taking part is voluntary", "annual appraisal"],
        "recipients": ["Article 28 GDPR", "Article 26 GDPR", "managing authority",
                       "outside the European Union", "profiling"],
        "retention": ["How long we keep the data", "until 31 December, 7 years after the year",
                      "within 21 days", "Free-text answers (comments): 200 days after",
                      "whether each was used: 45 days after"],
        "rights": ["Articles 15 to 18 GDPR", "Article 21 GDPR", "Article 11(2) GDPR"],
        "КЗЛД": ["Commission for Personal Data Protection (КЗЛД)",
                 "2 Prof. Tsvetan Lazarov Blvd., Sofia 1592"],
    },
}


def text_of(page: str) -> str:
    """The visible text of a page (tags dropped, entities decoded, spaces collapsed)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture
def notice_settings(db_path: Path) -> Settings:
    return settings_for(db_path, retention_years=7, comments_review_days=21, min_group=7,
                        retention_text_days=200, retention_codes_days=45)


@pytest.mark.parametrize("lang", ["bg", "en"])
@pytest.mark.parametrize("staff", [False, True])
async def test_privacy_notice_has_every_section_in_both_languages(
    notice_settings: Settings, lang: str, staff: bool
) -> None:
    await open_staff_wave(notice_settings)  # opened with a smallest group of 7
    # the server now runs with the default 10: the wave keeps its own 7
    settings = settings_for(Path(notice_settings.database_url.removeprefix("sqlite:///")),
                            retention_years=7, comments_review_days=21)
    async with AsyncTestClient(app=create_app(settings)) as client:
        url = f"/privacy?org=elena&lang={lang}" + ("&staff=1" if staff else "")
        page = await client.get(url)
    assert page.status_code == 200
    text = text_of(page.text)
    for section, phrases in PRIVACY[lang].items():
        for phrase in phrases:
            assert phrase in text, (lang, section, phrase)
    year = today_in_sofia().year
    assert f"{year + 7}" in text  # the rule shown as a date too
    for anchor in ("controller", "citizens", "staff", "training", "voluntary", "recipients",
                   "retention", "rights", "complaints"):
        assert f'id="{anchor}"' in page.text, anchor
    window = "one window" if lang == "en" else "съществува един риск"
    threshold = "at least 7 people" if lang == "en" else "поне 7 души"
    assert (window in text) is staff and (threshold in text) is staff
    assert "at least 10" not in text and "поне 10" not in text
    assert "day you were born" not in text and "деня, в който сте родени" not in text


async def test_staff_pages_link_to_the_staff_section_and_keep_complaints_out(
    settings: Settings,
) -> None:
    await open_staff_wave(settings)
    [code] = await issue(settings, 1)
    org = CATALOG.organisations["elena"]
    assert org.complaints is not None
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get(f"/t/{code}")
        assert "&amp;staff=1#staff" in page.text  # the form's own privacy link
        for _ in range(8):  # walk to the comment field
            if 'name="comments"' in page.text:
                break
            fields = {**hidden_fields(page.text), **staff_answers(page.text), "_action": "next"}
            page = await client.post("/t", data=fields)
        assert 'name="comments"' in page.text
        assert org.complaints.bg not in html_lib.unescape(page.text)
        citizen = await client.get("/privacy?org=elena")
    assert "&amp;staff=1" not in citizen.text


async def test_citizen_comment_field_keeps_the_complaints_note(client: Any) -> None:
    from tests.conftest import FULL_ANSWERS

    page = await client.get(f"/s/{SURVEY}?org=elena")
    fields = {**hidden_fields(page.text), **FULL_ANSWERS, "_step": "4", "_action": "next"}
    last = await client.post(f"/s/{SURVEY}", data=fields)
    org = CATALOG.organisations["elena"]
    assert org.complaints is not None and org.complaints.bg in html_lib.unescape(last.text)


STATEMENT = {
    "bg": ["чл. 58в от Закона за електронното управление", "Директива (ЕС) 2016/2102",
           "Статус на съответствие", "EN 301 549 V3.2.1", "частично съответствие",
           "Недостъпно съдържание", "Изготвяне на декларацията", "Метод: самооценка",
           "Обратна връзка и данни за контакт", "Център за административно обслужване",
           "ул. „Йордан Ковачев“ № 2", "в срок до 14 дни", "Процедура по прилагане",
           "Министерството на електронното управление"],
    "en": ["Article 58c of the Electronic Governance Act", "Directive (EU) 2016/2102",
           "Compliance status", "EN 301 549 V3.2.1", "partially compliant",
           "Non-accessible content", "Preparation of this statement", "Method: self-assessment",
           "Feedback and contact information", "Centre for Administrative Services",
           "2 Yordan Kovachev Street", "within 14 days", "Enforcement procedure",
           "Ministry of Electronic Governance"],
}


@pytest.mark.parametrize("lang", ["bg", "en"])
async def test_accessibility_statement_sections_and_dates_from_its_file(
    client: Any, lang: str
) -> None:
    page = await client.get(f"/accessibility?lang={lang}")
    assert page.status_code == 200
    text = text_of(page.text)
    for phrase in STATEMENT[lang]:
        assert phrase in text, phrase
    facts = tomllib.loads((TEMPLATES / "pages" / "accessibility.toml").read_text("utf-8"))
    assert long_date(facts["prepared"], lang) in text
    assert long_date(facts["reviewed"], lang) in text
    assert "http://127.0.0.1:8000" in text  # the site covered: SURVEY_PUBLIC_URL
    info = Path(__file__).resolve().parents[2] / "survey_service/web/respondents/info.py"
    source = info.read_text(encoding="utf-8")
    assert "dt.date(20" not in source  # no date of the statement in Python


async def test_paper_questionnaire_prints_no_ids_explains_the_star_and_informs(
    client: Any,
) -> None:
    page = await client.get(f"/s/{SURVEY}/paper?org=elena")
    text = text_of(page.text)
    survey = CATALOG.surveys[SURVEY].survey
    for q in survey.questions():
        for item in q.item_ids():
            assert not re.search(rf"\b{item}\b", text), item
    assert "отбелязани със *" in text
    assert "Администратор на лични данни: Община Елена" in text
    assert "КЗЛД" in text and "/privacy?org=elena" in text
    # conditions point to question numbers and quote answers the Bulgarian way
    assert "Попълнете тази част само ако на въпрос 1 сте отговорили „Днес“, „През" in text
    assert "“" not in text.replace("„", "").replace("“", "", text.count("„"))
    english = text_of((await client.get(f"/s/{SURVEY}/paper?org=elena&lang=en")).text)
    assert "Answer this part only if your answer to question 1 was “Today”, “In the" in english
    assert "Questions marked with * are required" in english

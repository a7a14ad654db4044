"""Issue 17: a question whose meaning changed between two waves' frozen form versions is never
silently compared. Each test edits the shipped survey file as an author would, freezes both
versions (the definition a wave stores), and reports a baseline on one against a follow-up on
the other."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_service.reports.render import to_csv, to_table
from survey_service.reports.report import Report, Row, build_report
from survey_service.surveys.loader import decode_survey, encode_survey, load_survey
from survey_service.surveys.model import Survey
from survey_service.surveys.versions import diff_versions
from tests.unit.test_report import CATALOG, FORMS, demo

FILE = "citizen-satisfaction.toml"
POLITE = 'en = "Staff were polite."'
COURTESY = ["staff_courteous", "treated_fairly"]
QUALITY_ROWS = ["info_easy_to_find", "forms_clear", "time_reasonable", "staff_knowledgeable",
                "staff_explained", "staff_courteous", "treated_fairly"]
OUTCOME_ROWS = ["got_what_needed", "deadline_met", "documents_correct"]
ON_SITE_ROWS = ["desk_easy_to_find", "waiting_acceptable", "premises_accessible"]
# the last row of the outcome matrix, shown only for finished matters
DOCUMENTS_CORRECT = ('  { id = "documents_correct", dimension = "outcome", text = { bg = '
                     '"Документът или отговорът, който получих, беше верен.", en = "The document '
                     'or answer I received was correct." } },\n')
# the condition of the on-site matrix (visitors only)
ON_SITE_IF = ('required = true\nshow_if = { question = "channel", any_of = ["desk", '
              '"mayoralty"] }\ntext = { bg = "Доколко сте съгласни със следните твърдения за '
              'мястото')


def frozen(tmp_path: Path, *edits: tuple[str, str]) -> Survey:
    """The survey file with ``edits`` applied, loaded, checked and frozen as a wave stores it."""
    folder = tmp_path / f"v{len(list(tmp_path.glob('v*')))}"
    folder.mkdir()
    text = (FORMS / FILE).read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    (folder / FILE).write_text(text, encoding="utf-8")
    loaded, problems = load_survey(folder / FILE)
    assert loaded is not None, problems
    return decode_survey(encode_survey(loaded.survey))


def two_waves(tmp_path: Path, *edits: tuple[str, str], n: int = 300) -> Report:
    before, after = frozen(tmp_path), frozen(tmp_path, *edits)
    a, b = demo(before, "baseline", n, 31), demo(after, "follow-up", n, 32, follow=True)
    return build_report(a, b, CATALOG.expected_results, lang="en", min_group=10)


def refused(report: Report) -> dict[str, str]:
    return {d.id: d.reason for d in report.not_comparable}


def row(report: Report, row_id: str, section: str = "indicator") -> Row:
    return next(r for r in report.rows if r.id == row_id and r.section == section)


def items(report: Report) -> set[str]:
    return {r.id for r in report.rows if r.section == "item"}


def test_unchanged_versions_compare_everything(tmp_path: Path) -> None:
    report = two_waves(tmp_path)
    assert report.not_comparable == [] and report.editorial == []
    assert {"staff_courteous", "premises_accessible"} <= items(report)
    assert row(report, "driver_courtesy").left_out is None


def test_reworded_in_english_is_not_comparable_and_shows_both_wordings(tmp_path: Path) -> None:
    """The issue's case: the same id, the same scale, the opposite statement."""
    report = two_waves(tmp_path, (POLITE, 'en = "Staff were rude."'))
    assert refused(report)["staff_courteous"] == "the question was reworded"
    change = next(d for d in report.not_comparable if d.id == "staff_courteous")
    assert (change.baseline, change.follow_up) == ("Staff were polite.", "Staff were rude.")
    assert "staff_courteous" not in items(report)
    # the composites go on over the items still comparable, and say which they left out
    courtesy = row(report, "driver_courtesy")
    assert courtesy.left_out == "staff_courteous"
    assert (courtesy.items_used, courtesy.items_declared) == (1, 2)
    assert courtesy.note and "left out" in courtesy.note and courtesy.baseline is not None
    fair = row(report, "treated_fairly", "item")  # driver_courtesy is now treated_fairly alone
    # (items are not standardised to the organisation mix: compare with the crude figure)
    crude = courtesy.crude_baseline if courtesy.crude_baseline is not None else courtesy.baseline
    assert crude == pytest.approx(25 * (fair.mean_baseline - 1))  # type: ignore[operator]
    csqi = row(report, "csqi")
    assert (csqi.items_used, csqi.items_declared) == (6, 7)
    focus = row(report, "citizen_focus", "expected")  # csqi's expected result
    assert focus.status is not None and focus.status != "not computable"
    assert focus.note and "rests on 6 of the 7 declared items" in focus.note
    text = to_table(report)
    assert "(on 6 of 7 items)" in text
    assert "baseline: Staff were polite." in text
    assert "follow-up: Staff were rude." in text


def test_reworded_in_bulgarian_only_is_not_comparable(tmp_path: Path) -> None:
    report = two_waves(tmp_path, ('"Служителите бяха любезни."',
                                  '"Служителите бяха груби."'))
    assert refused(report)["staff_courteous"] == "the question was reworded"
    assert "staff_courteous" not in items(report)


def test_matrix_text_reworded_makes_every_row_not_comparable(tmp_path: Path) -> None:
    report = two_waves(tmp_path, ("How much do you agree with these statements about the "
                                  "service you received?", "Which of these went wrong?"))
    assert set(QUALITY_ROWS) <= set(refused(report))
    assert refused(report)["driver_courtesy"].startswith("none of its items is comparable")
    # every item of csqi is a row of that matrix; the other matrices' rows stay comparable
    assert refused(report)["csqi"].startswith("none of its items is comparable")
    assert set(OUTCOME_ROWS + ON_SITE_ROWS) <= items(report)
    assert row(report, "driver_outcome").left_out is None


def test_rescaled_labels_are_not_comparable(tmp_path: Path) -> None:
    report = two_waves(tmp_path, ('{ bg = "Нито съгласен, нито несъгласен", en = "Neither agree '
                                  'nor disagree" },\n  { bg = "Съгласен", en = "Agree" },\n  '
                                  '{ bg = "Напълно съгласен", en = "Strongly agree" },\n]\n'
                                  'dont_know',
                                  '{ bg = "Нито съгласен, нито несъгласен", en = "Neither agree '
                                  'nor disagree" },\n  { bg = "Да", en = "Agree" },\n  '
                                  '{ bg = "Напълно да", en = "Completely agree" },\n]\n'
                                  'dont_know'))
    reasons = refused(report)
    assert reasons["staff_courteous"] == "the scale, its labels or the range changed"
    assert reasons["premises_accessible"] == reasons["staff_courteous"]
    assert {"overall_satisfaction", "effort"} <= items(report)  # other scales: untouched


def test_options_added_removed_relabelled(tmp_path: Path) -> None:
    report = two_waves(
        tmp_path,
        ('  { code = "property"', '  { code = "waste", label = { bg = "Отпадъци", en = "Waste" '
                                  '} },\n  { code = "property"'),
        ('  { code = "over_40", label = { bg = "Повече от 40 минути", en = "More than 40 '
         'minutes" } },\n', ''),
        ('en = "For a business or organisation"', 'en = "For a public body"'),
    )
    reasons = refused(report)
    assert reasons["service"].startswith("the options changed")
    assert reasons["wait_minutes"].startswith("the options changed")
    assert reasons["respondent_type"].startswith("the options changed")
    diff = diff_versions(frozen(tmp_path), frozen(
        tmp_path, ('en = "For a business or organisation"', 'en = "For a public body"')))
    assert diff.items["respondent_type"].details == ("options relabelled: business",)


def test_reverse_scoring_changed(tmp_path: Path) -> None:
    report = two_waves(tmp_path, ('{ id = "staff_courteous", dimension = "courtesy",',
                                  '{ id = "staff_courteous", dimension = "courtesy", '
                                  'reverse = true,'))
    assert refused(report) == {"staff_courteous": "reverse scoring changed"}


def test_dont_know_offered_in_one_wave_only(tmp_path: Path) -> None:
    report = two_waves(tmp_path, ('dont_know = true\n' + ON_SITE_IF, ON_SITE_IF))
    reasons = refused(report)
    assert reasons.pop("driver_on_site").startswith("none of its items is comparable")
    assert reasons == dict.fromkeys(ON_SITE_ROWS, "\"don't know\" was offered in one wave only")
    assert row(report, "csqi").left_out is None


def test_dimension_changed(tmp_path: Path) -> None:
    report = two_waves(tmp_path, ('{ id = "treated_fairly", dimension = "courtesy"',
                                  '{ id = "treated_fairly", dimension = "competence"'))
    assert refused(report)["treated_fairly"] == "the dimension changed"
    assert row(report, "driver_courtesy").left_out == "treated_fairly"
    assert row(report, "driver_competence").left_out == "treated_fairly"


def test_show_if_that_decides_who_was_asked(tmp_path: Path) -> None:
    report = two_waves(tmp_path, (ON_SITE_IF, ON_SITE_IF.replace('"mayoralty"',
                                                                 '"mayoralty", "phone"')))
    assert refused(report)["premises_accessible"].startswith("it was asked of different people")
    # the condition's answer relabelled under the same code asks other people too
    relabelled = two_waves(tmp_path, ('en = "At a desk in the municipal building"',
                                      'en = "At any desk, including the post office"'))
    assert "premises_accessible" in refused(relabelled)
    assert "wait_minutes" in refused(relabelled)


def test_added_and_removed_items(tmp_path: Path) -> None:
    report = two_waves(tmp_path, (DOCUMENTS_CORRECT, ''))
    assert refused(report)["documents_correct"] == "not asked in the follow-up"
    assert row(report, "driver_outcome").left_out == "documents_correct"


def test_declared_editorial_change_stays_comparable_and_the_report_says_so(
    tmp_path: Path,
) -> None:
    report = two_waves(tmp_path, (POLITE, 'en = "Staff were polite!" }, '
                                  'corrects = { en = "Staff were polite."'))
    assert report.not_comparable == []
    assert [d.id for d in report.editorial] == ["staff_courteous"]
    item = row(report, "staff_courteous", "item")
    assert item.baseline is not None and item.p is not None
    assert item.wording_baseline == "Staff were polite."
    assert item.wording_follow_up == "Staff were polite!"
    assert row(report, "driver_courtesy").left_out is None
    text = to_table(report)
    assert "declared in the survey file (still comparable)" in text
    assert "staff_courteous, as asked in the follow-up: Staff were polite!" in text
    assert "Staff were polite!" in to_csv(report)
    # undeclared, the same edit is a rewording
    plain = two_waves(tmp_path, (POLITE, 'en = "Staff were polite!"'))
    assert "staff_courteous" in refused(plain)


def test_a_declaration_must_name_the_replaced_text(tmp_path: Path) -> None:
    """``corrects`` naming a text other than the earlier one declares nothing."""
    report = two_waves(tmp_path, (POLITE, 'en = "Staff were polite!" }, '
                                  'corrects = { en = "Staff were polit."'))
    assert "staff_courteous" in refused(report)


def test_a_breakdown_compares_only_comparable_items(tmp_path: Path) -> None:
    from survey_service.reports.breakdown import breakdown

    before, after = frozen(tmp_path), frozen(tmp_path, (POLITE, 'en = "Staff were rude."'))
    a, b = demo(before, "a", 300, 1), demo(after, "b", 300, 2, follow=True)
    result = breakdown(a, b, "organisation", lang="en", min_group=10)
    same = breakdown(a, demo(before, "b", 300, 2, follow=True), "organisation", lang="en",
                     min_group=10)
    value = result.rows[0].baseline.values["driver_courtesy"]
    assert value is not None and value != same.rows[0].baseline.values["driver_courtesy"]


@pytest.mark.parametrize("corrects, problem", [
    ('{ en = "Staff were polite!" }', "is the same as the current one"),
    ('{ en = "Staff were kind." }', "differs too much"),
    ("{}", "names no earlier text"),
])
def test_forms_check_refuses_a_wrong_declaration(
    tmp_path: Path, corrects: str, problem: str
) -> None:
    text = (FORMS / FILE).read_text(encoding="utf-8").replace(
        POLITE + " }", 'en = "Staff were polite!" }, corrects = ' + corrects)
    (tmp_path / FILE).write_text(text, encoding="utf-8")
    loaded, problems = load_survey(tmp_path / FILE)
    assert loaded is None
    assert any(problem in str(p) and "staff_courteous" in str(p) for p in problems), problems


def test_a_new_version_names_items_added_removed_reworded_rescaled(tmp_path: Path) -> None:
    from survey_service.surveys.versions import check_new_version

    base = frozen(tmp_path)
    new = frozen(
        tmp_path,
        (POLITE, 'en = "Staff were rude."'),
        (DOCUMENTS_CORRECT, '  { id = "staff_helpful", dimension = "outcome", text = { bg = '
                            '"Помогнаха ми.", en = "Staff helped me." } },\n'),
        ('{ bg = "Много доволен", en = "Very satisfied" }',
         '{ bg = "Изключително доволен", en = "Extremely satisfied" }'),
    )
    check = check_new_version([("w1", base), ("w2", base)], new)
    assert check.previous == "w2"
    assert check.lines() == [
        "changes since wave w2:",
        "  added: staff_helpful",
        "  removed: documents_correct",
        "  reworded: staff_courteous",
        "  rescaled: overall_satisfaction",
        "not comparable with wave w1: staff_courteous, documents_correct, overall_satisfaction",
        "not comparable with wave w2: staff_courteous, documents_correct, overall_satisfaction",
    ]
    assert check.new_breaks == check.breaking
    # a wave on the version the previous wave already had adds nothing to confirm
    again = check_new_version([("w1", base), ("w2", new)], new)
    assert again.diff is not None and again.diff.items == {}
    assert again.breaking == {"w1": ["staff_courteous", "documents_correct",
                                     "overall_satisfaction"]}
    assert again.new_breaks == {}
    # only an added item breaks nothing
    added = frozen(tmp_path, (DOCUMENTS_CORRECT, DOCUMENTS_CORRECT + '  { id = "staff_helpful", '
                              'dimension = "outcome", text = { bg = "Помогнаха ми.", en = "Staff '
                              'helped me." } },\n'))
    assert check_new_version([("w1", base)], added).breaking == {}


def test_a_bulgarian_report_shows_an_english_only_rewording_in_english(tmp_path: Path) -> None:
    before, after = frozen(tmp_path), frozen(tmp_path, (POLITE, 'en = "Staff were rude."'))
    report = build_report(demo(before, "a", 100, 1), demo(after, "b", 100, 2), [], lang="bg")
    change = next(d for d in report.not_comparable if d.id == "staff_courteous")
    assert change.reason == "въпросът е преформулиран"
    assert (change.baseline, change.follow_up) == ("[en] Staff were polite.",
                                                   "[en] Staff were rude.")
    assert "Не е сравнимо:" in to_table(report)


def test_a_declaration_may_list_several_earlier_texts(tmp_path: Path) -> None:
    """Two corrections in a row: the third version still compares with the first."""
    first = frozen(tmp_path)
    third = frozen(tmp_path, (POLITE, 'en = "Staff were, polite!" }, corrects = '
                              '{ en = ["Staff were polite.", "Staff were polite!"]'))
    change = diff_versions(first, third).items["staff_courteous"]
    assert change.comparable and change.editorial


def test_who_saw_the_condition_counts_too() -> None:
    """premises_accessible is shown to desk visitors; if the channel question itself is asked
    of fewer people, so is premises_accessible."""
    import msgspec

    from survey_service.surveys.model import ShowIf
    from tests.unit.test_report import CITIZEN

    def narrowed(q):  # type: ignore[no-untyped-def]
        if q.id != "channel":
            return q
        return msgspec.structs.replace(q, show_if=ShowIf(question="service",
                                                         any_of=["local_taxes"]))

    later = msgspec.structs.replace(CITIZEN, sections=[
        msgspec.structs.replace(s, questions=[narrowed(q) for q in s.questions])
        for s in CITIZEN.sections])
    diff = diff_versions(CITIZEN, later)
    assert {"channel", "premises_accessible", "wait_minutes"} <= set(diff.of("show_if"))
    assert "staff_courteous" not in diff.items


def test_a_breakdown_by_changed_services_says_so(tmp_path: Path) -> None:
    from survey_service.reports.breakdown import breakdown, breakdown_table

    before = frozen(tmp_path)
    after = frozen(tmp_path, ('en = "Local taxes and fees"', 'en = "Local taxes, fees and fines"'))
    a, b = demo(before, "a", 300, 1), demo(after, "b", 300, 2, follow=True)
    result = breakdown(a, b, "service", lang="en", min_group=10)
    assert [d.id for d in result.not_comparable] == ["service"]
    assert "service: the options changed" in breakdown_table(result, "en")
    assert breakdown(a, b, "channel", lang="en", min_group=10).not_comparable == []


def test_a_number_range_changed(tmp_path: Path) -> None:
    finished = '\nshow_if = { question = "matter_finished"'  # visit_count, not desks_count
    report = two_waves(tmp_path, ("min = 1\nmax = 20" + finished, "min = 1\nmax = 5" + finished))
    assert refused(report) == {"visit_count": "the scale, its labels or the range changed",
                               # the share indicator on it ("% finished in one contact")
                               "one_contact": "none of its items is comparable: visit_count"}

"""Fieldwork arithmetic (issue #19 §1): AAPOR-style response rates from the counts recorded per
day, the waves' windows and seasons compared, and the queue system's CSV read."""

from __future__ import annotations

import datetime as dt

import pytest

from survey_service.reports.fieldwork import WaveFieldwork, months, rates, season_warnings, window
from survey_service.services.errors import Invalid
from survey_service.services.fieldwork import parse_count, parse_day, parse_queue_csv
from survey_service.storage.base import FieldworkDay

D = dt.date


def day(d: dt.date, org: str = "elena", **counts: int | None) -> FieldworkDay:
    return FieldworkDay(wave_id="w", organisation=org, day=d, **counts)


def test_response_rates_follow_their_definitions() -> None:
    days = [day(D(2026, 3, 2), handed_out=20, visitors=200),
            day(D(2026, 3, 3), handed_out=10, visitors=100),
            day(D(2026, 3, 4), handed_out=5),  # visitors not counted that day
            day(D(2026, 3, 2), "lyaskovets", visitors=50)]
    counts = {("elena", "paper", "2026-03-02"): 12, ("elena", "web", "2026-03-02"): 8,
              ("elena", "paper", "2026-03-03"): 6, ("elena", "kiosk", "2026-03-04"): 3,
              ("elena", "paper", "2026-03-09"): 2,  # typed in later: still the wave's paper
              ("lyaskovets", "web", "2026-03-02"): 5}
    elena = rates("elena", days, counts)
    assert (elena.days, elena.handed_out, elena.visitors, elena.paper, elena.responses) == (
        3, 35, 300, 20, 31)
    assert elena.rr_paper == pytest.approx(100 * 20 / 35)  # RR1 paper: back / handed out
    assert elena.contact_rate == pytest.approx(100 * 30 / 300)  # CON1 on days with both
    assert elena.responses_counted_days == 26  # 3-02 and 3-03 only
    assert elena.rr_visitors == pytest.approx(100 * 26 / 300)
    everyone = rates("", days, counts)
    assert everyone.visitors == 350 and everyone.responses_counted_days == 31
    assert everyone.rr_visitors == pytest.approx(100 * 31 / 350)
    lyaskovets = rates("lyaskovets", days, counts)
    assert lyaskovets.handed_out is None and lyaskovets.rr_paper is None
    assert lyaskovets.contact_rate is None and lyaskovets.rr_visitors == pytest.approx(10.0)


def test_nothing_counted_gives_no_rate() -> None:
    empty = rates("elena", [], {("elena", "web", "2026-03-02"): 4})
    assert (empty.rr_paper, empty.contact_rate, empty.rr_visitors) == (None, None, None)
    assert empty.responses == 4


def waves(a: tuple[D, D], b: tuple[D, D]) -> tuple[WaveFieldwork, WaveFieldwork]:
    return (WaveFieldwork(wave="base", starts=a[0], ends=a[1], window_from="wave", rates=[]),
            WaveFieldwork(wave="follow", starts=b[0], ends=b[1], window_from="wave", rates=[]))


def test_the_demo_seasons_are_flagged_in_both_languages() -> None:
    a, b = waves((D(2026, 3, 2), D(2026, 4, 30)), (D(2026, 10, 1), D(2026, 11, 20)))
    en = season_warnings(a, b, "en")
    assert len(en) == 2
    assert "March, April, Q1, Q2" in en[0] and "October, November, Q4" in en[0]
    assert "Only base falls in the local-tax season" in en[1]
    bg = season_warnings(a, b, "bg")
    assert "март, април" in bg[0] and "октомври, ноември" in bg[0]
    assert "данъчния сезон" in bg[1] or "местните данъци" in bg[1]


def test_the_same_season_a_year_apart_is_not_flagged() -> None:
    a, b = waves((D(2026, 10, 1), D(2026, 11, 20)), (D(2027, 10, 5), D(2027, 11, 25)))
    assert season_warnings(a, b, "en") == []


def test_windows_of_different_length_are_flagged() -> None:
    a, b = waves((D(2026, 10, 1), D(2026, 10, 10)), (D(2027, 10, 1), D(2027, 10, 31)))
    (warning,) = season_warnings(a, b, "en")
    assert "10 days" in warning and "31 days" in warning


def test_a_window_comes_from_the_wave_else_the_days_else_the_responses() -> None:
    days = [day(D(2026, 3, 9)), day(D(2026, 3, 2))]
    assert window(D(2026, 3, 1), D(2026, 3, 31), days, []) == (
        D(2026, 3, 1), D(2026, 3, 31), "wave")
    assert window(None, None, days, ["2026-01-01"]) == (D(2026, 3, 2), D(2026, 3, 9),
                                                        "fieldwork")
    assert window(None, None, [], ["2026-05-02", "", "2026-04-30"]) == (
        D(2026, 4, 30), D(2026, 5, 2), "responses")
    assert window(None, None, [], []) == (None, None, "")
    a, b = waves((D(2026, 3, 1), D(2026, 3, 2)), (D(2026, 3, 1), D(2026, 3, 2)))
    b.starts = None
    assert "unknown" in season_warnings(a, b, "en")[0]


def test_months_of_a_window() -> None:
    assert months(D(2026, 11, 20), D(2027, 2, 1)) == [1, 2, 11, 12]
    assert months(D(2026, 3, 31), D(2026, 4, 1)) == [3, 4]


def test_queue_csv_with_semicolons_bulgarian_dates_and_headers() -> None:
    text = "\ufeffДата;Посетители;Анкети\n02.03.2026;310;40\n03.03.2026 г.;295;\n\n"
    assert parse_queue_csv(text, "elena") == [("elena", D(2026, 3, 2), 310, 40),
                                             ("elena", D(2026, 3, 3), 295, None)]
    text = "organisation,date,tickets\nelena,2026-03-02,10\nlyaskovets,2026-03-02,7\n"
    assert parse_queue_csv(text, None) == [("elena", D(2026, 3, 2), 10, None),
                                          ("lyaskovets", D(2026, 3, 2), 7, None)]


@pytest.mark.parametrize(("text", "org", "message"), [
    ("", "elena", "the file is empty"),
    ("when,who\n1,2\n", "elena", "line 1: the header needs a date column"),
    ("date,visitors\n2026-03-02,10\n", None, "no organisation column"),
    ("date,visitors\n2026-13-02,10\n", "elena", "line 2: '2026-13-02' is not a date"),
    ("date,visitors\n2026-03-02,ten\n", "elena", "line 2: visitors 'ten' is not a whole"),
    ("date,visitors\n2026-03-02,-4\n", "elena", "line 2: visitors -4 is out of range"),
    ("date,visitors\n2026-03-02,1\n02.03.2026,2\n", "elena", "line 3: elena 2026-03-02 is in"),
    ("date,visitors\n", "elena", "a header but no days"),
])
def test_a_bad_queue_csv_is_refused_with_its_line(text: str, org: str | None,
                                                  message: str) -> None:
    with pytest.raises(Invalid, match=message):
        parse_queue_csv(text, org)


def test_days_and_counts_as_typed() -> None:
    assert parse_day(" 2026-03-02 ") == D(2026, 3, 2) == parse_day("2.3.2026")
    assert parse_count("x", " ") is None and parse_count("x", "1 200") == 1200
    with pytest.raises(Invalid, match="out of range"):
        parse_count("x", "100001")

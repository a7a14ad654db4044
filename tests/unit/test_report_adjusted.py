"""The report's "adjusted change" section (#19 §1) on two waves that differ only in who
answered: the crude change is all mix, the adjusted changes are ~0, and the Kitagawa split
puts the whole crude change into the mix."""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest

from survey_service.reports.data import WaveMatrix, wave_matrix
from survey_service.reports.render import to_table
from survey_service.reports.report import build_report
from survey_service.storage.base import WaveCodes
from survey_service.surveys.coding import encode_codes
from survey_service.surveys.loader import indicator_items, load_catalog
from survey_service.surveys.model import Analysis
from survey_service.surveys.waves import Wave

FORMS = Path(__file__).resolve().parents[2] / "forms"
CITIZEN = load_catalog(FORMS).surveys["citizen-satisfaction"].survey
CSQI = indicator_items(CITIZEN, "csqi")
RNG = np.random.default_rng(19)


def _answers(service: str, n: int) -> list[dict[str, object]]:
    """Tax visitors score 25 on average (codes 1 and 3 in turn; 1 in 4 satisfied), the others
    75 (codes 3 and 5; 3 in 4 satisfied)."""
    code, satisfied = (2, 1) if service == "local_taxes" else (4, 3)
    return [{"service": service, **dict.fromkeys(CSQI, code + (1 if i % 2 else -1)),
             "overall_satisfaction": 5 if i % 4 < satisfied else 2} for i in range(n)]


def _wave(wave_id: str, n_tax: int, n_other: int) -> WaveMatrix:
    answers = _answers("local_taxes", n_tax) + _answers("civil_registration", n_other)
    n = len(answers)
    data = WaveCodes(b"".join(encode_codes(CITIZEN, a) for a in answers),  # type: ignore[arg-type]
                     n, ["elena"] * n, (["web"] * 4 + ["paper"] * 4) * (n // 8),
                     [None] * n, [None] * n,
                     [f"2026-03-{d:02d}" for d in RNG.integers(1, 29, n)])
    return wave_matrix(Wave(id=wave_id, survey_id=CITIZEN.id, version="v"), CITIZEN, data)


def test_a_change_of_mix_only_is_crude_not_adjusted() -> None:
    a, b = _wave("a", 120, 40), _wave("b", 40, 120)
    report = build_report(a, b, [], lang="en", items=False)
    crude = {r.id: r for r in report.rows if r.section == "indicator"}
    assert crude["csqi"].change == pytest.approx(25.0)  # 37.5 → 62.5
    assert crude["csat"].change == pytest.approx(25.0)  # 37.5 % → 62.5 %
    adjusted = [r for r in report.rows if r.section == "adjusted"]
    csqi = [r for r in adjusted if r.id == "csqi"]
    csat = [r for r in adjusted if r.id == "csat"]
    assert [r.test for r in csqi] == ["standardised", "regression", "regression + channel"]
    assert [r.test for r in csat] == ["standardised", "logit AME", "logit AME + channel"]
    for row in csqi + csat:
        assert row.change == pytest.approx(0, abs=1e-6), row
        assert row.ci_low is not None and row.ci_low < 0 < (row.ci_high or 0)
    assert csqi[0].baseline == pytest.approx(50.0) and csqi[0].follow_up == pytest.approx(50.0)
    assert "crude change +25.0 = change in mix +25.0 + change within groups +0.0" in (
        csqi[0].note or "")
    assert "standard errors clustered by fieldwork day" in (adjusted[0].note or "")
    assert "Change adjusted for who answered" in to_table(report)


def test_no_adjusted_section_without_an_adjustment_set() -> None:
    a, b = _wave("a", 60, 20), _wave("b", 20, 60)
    plain = msgspec.structs.replace(CITIZEN, analysis=None)
    a.survey = b.survey = plain
    assert not [r for r in build_report(a, b, [], items=False).rows if r.section == "adjusted"]
    b.survey = msgspec.structs.replace(CITIZEN, analysis=Analysis(adjust_for=["service"]))
    rows = [r for r in build_report(a, b, [], lang="en", items=False).rows
            if r.section == "adjusted"]
    assert {r.test for r in rows} == {"standardised", "regression", "logit AME"}


def _demo(wave_id: str, follow: bool, seed: int) -> WaveMatrix:
    import datetime as dt

    from survey_service.demo import BASELINE, FOLLOW_UP, generate

    days = [dt.date(2026, 3, 2) + dt.timedelta(days=d) for d in range(40)]
    rows = [r for chunk in generate(CITIZEN, 1500, FOLLOW_UP if follow else BASELINE,
                                    np.random.default_rng(seed), wave_id=wave_id, version="v",
                                    organisations=["elena", "lyaskovets"], days=days)
            for r in chunk]
    data = WaveCodes(b"".join(r.codes for r in rows), len(rows),
                     [r.organisation for r in rows], [r.channel for r in rows],
                     [None] * len(rows), [None] * len(rows),
                     [r.day.isoformat() if r.day else None for r in rows])
    return wave_matrix(Wave(id=wave_id, survey_id=CITIZEN.id, version="v"), CITIZEN, data)


def test_the_demo_waves_differ_in_mix_so_crude_and_adjusted_differ() -> None:
    """The demo's baseline falls in local-tax season with more paper forms: part of its crude
    change is a change of who answered."""
    a, b = _demo("a", False, 31), _demo("b", True, 32)
    tax = [float((m.raw("service") == 2).mean()) for m in (a, b)]  # local_taxes: option 2
    assert tax[0] > tax[1] + 0.15
    report = build_report(a, b, [], lang="en", items=False)
    crude = {r.id: r.change for r in report.rows if r.section == "indicator"}
    for indicator in ("csqi", "driver_courtesy"):
        st = next(r for r in report.rows if r.section == "adjusted" and r.id == indicator)
        assert st.change is not None and crude[indicator] is not None
        assert crude[indicator] - st.change > 1.0, (indicator, crude[indicator], st.change)
        assert "change in mix +" in (st.note or "")


def test_the_report_shows_who_answered_with_a_chi_square() -> None:
    from scipy import stats

    a, b = _wave("a", 120, 40), _wave("b", 40, 120)
    report = build_report(a, b, [], lang="en", items=False)
    tables = {t.variable: t for t in report.composition}
    assert list(tables) == ["service", "organisation", "mode", "channel", "respondent_type"]
    service = tables["service"]
    assert service.groups == ["civil_registration", "local_taxes"]
    assert service.baseline == [40, 120] and service.follow_up == [120, 40]
    chi2, p, _, _ = stats.chi2_contingency([[40, 120], [120, 40]], correction=False)
    assert service.chi2 == pytest.approx(chi2) and service.p == pytest.approx(p)
    assert tables["organisation"].p is None  # one municipality: nothing to test
    text = to_table(report)
    assert "Who answered" in text and "service: chi2(1) = 80.0, p < 0.001" in text

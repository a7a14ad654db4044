"""The NPS bands the report pages draw are planned (reports/band_plan.py) as answer
distributions are: a band of 1 or 2 answers of an organisation is not drawn, and cannot be
recovered from the bands drawn for all organisations and the other one (subtraction), nor
from the NPS shown."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from survey_service.reports.band_plan import band_problem, bands_key, plan_bands
from survey_service.reports.data import WaveMatrix
from survey_service.reports.disclosure import WavePlan, add_figures, new_plan, wave_figures
from survey_service.reports.distribution_plan import Found, attack_distribution
from survey_service.reports.pinned import pinned_cells
from tests.unit.test_report import CITIZEN, demo

NPS, ITEM = "nps", "recommend"


def scenario() -> WaveMatrix:
    """Elena 20 people: one detractor (0), ten passives (7), nine promoters (10); Lyaskovets
    20: five detractors, five passives, ten promoters (all organisations: six detractors)."""
    m = demo(CITIZEN, "w1", 40, 1)
    codes = m.codes.copy()
    codes[:, m.items[ITEM]] = [0] + [7] * 10 + [10] * 9 + [0] * 5 + [7] * 5 + [10] * 10
    orgs = ["elena"] * 20 + ["lyaskovets"] * 20
    return dataclasses.replace(m, codes=codes, organisations=np.asarray(orgs, dtype=np.str_),
                               channels=np.asarray(["web"] * 40, dtype=np.str_),
                               _likert_columns={}, _factors={}, memo={})


@pytest.fixture(scope="module")
def planned() -> tuple[WaveMatrix, WavePlan]:
    m = scenario()
    wave = new_plan(m, [], 10, 20.0)
    add_figures(wave, m, [f for f in wave_figures(CITIZEN) if f.key == NPS])
    assert not set(wave.report_cells) & set(wave.hidden[NPS])  # NPS shown: all, each org
    return m, wave


def _attack(wave: WavePlan, m: WaveMatrix, hidden: list[int]) -> list[Found]:
    """The small bands, given the NPS and the bands drawn outside ``hidden``."""
    p = band_problem(wave, m, NPS)
    assert p is not None
    nps = {i: p.shapes[0].value(p.sums[0], p.cells[j]) for j, i in enumerate(wave.report_cells)}
    drawn = {i: (100 * p.counts[j] / p.counts[j].sum()).tolist()
             for j, i in enumerate(wave.report_cells) if i not in hidden}
    return attack_distribution(wave, m, bands_key(NPS), {NPS: nps}, drawn,  # type: ignore[dict-item]
                               p)


def test_hidden_alone_the_small_band_is_recovered_by_subtraction(
        planned: tuple[WaveMatrix, WavePlan]) -> None:
    m, wave = planned
    elena = wave.labels["organisation:elena"]
    found = _attack(wave, m, [elena])
    assert [(cell, band, count) for cell, band, count, *_ in found] == [(elena, 1, 1)]
    low, high, published = found[0].low, found[0].high, found[0].shown
    assert not published and (low, high) == pytest.approx((5.0, 5.0), abs=1e-3)  # 1 of 20
    assert _attack(wave, m, [])[0].shown  # drawn regardless of the plan: published


def test_planned_the_small_band_is_hidden_and_keeps_its_interval(
        planned: tuple[WaveMatrix, WavePlan]) -> None:
    m, wave = planned
    plan = WavePlan(wave=wave.wave, min_group=10, protection=20.0, atoms=wave.atoms,
                    cells=wave.cells, labels=wave.labels, report_cells=wave.report_cells)
    assert plan_bands(plan, wave, m) and not plan_bands(plan, wave, m)
    hidden = plan.hidden[bands_key(NPS)]
    elena = wave.labels["organisation:elena"]
    assert elena in hidden and len(hidden) >= 2  # and a complement: no subtraction
    assert plan.primary[bands_key(NPS)] == [elena]
    for f in _attack(wave, m, hidden):  # 20 answers: 3 answers (15 points) below the level
        assert not f.shown and f.need == pytest.approx(15.0) and f.high - f.low >= f.need - 1e-6


def test_an_nps_near_its_end_pins_its_own_small_band_and_is_hidden_there() -> None:
    """Elena: one detractor, two passives, seventeen promoters (NPS +80): the NPS alone leaves
    room for at most two detractors, so the one lies within 0-10 %. The wave plan hides
    Elena's NPS (and a complement), so the band cannot be narrowed."""
    m = scenario()
    codes = m.codes.copy()
    codes[:20, m.items[ITEM]] = [0] + [7] * 2 + [10] * 17
    m = dataclasses.replace(m, codes=codes, _likert_columns={}, _factors={}, memo={})
    wave = new_plan(m, [], 10, 20.0)
    figures = [f for f in wave_figures(CITIZEN) if f.key == NPS]
    elena = wave.labels["organisation:elena"]
    assert pinned_cells(wave, m, figures) == {NPS: {elena}}
    unpinned = new_plan(m, [], 10, 20.0)
    add_figures(unpinned, m, figures)  # as before: Elena's NPS shown, its band pinned
    assert elena not in unpinned.hidden[NPS]
    found = [f for f in _attack(unpinned, m, list(wave.report_cells)) if f[0] == elena]
    assert any(f.high - f.low < f.need for f in found if f.point == 1)
    add_figures(wave, m, figures, pinned_cells(wave, m, figures))
    assert elena in wave.primary[NPS] and elena in wave.hidden[NPS]
    assert len(set(wave.hidden[NPS]) & set(wave.report_cells)) >= 2  # and a complement
    p = band_problem(wave, m, NPS)
    assert p is not None
    nps = {i: p.shapes[0].value(p.sums[0], p.cells[j]) for j, i in enumerate(wave.report_cells)
           if i not in wave.hidden[NPS]}
    for f in attack_distribution(wave, m, bands_key(NPS), {NPS: nps}, {},  # type: ignore[dict-item]
                                 p):
        assert f.high - f.low >= f.need - 1e-6, f

"""Issue #14: small groups stay hidden across everything the service publishes. An auditor
collects every output of the scenario's two staff waves (every command, option, order and
format) and attacks it with linear programming, knowing every published figure, every count
that ``waves status`` printed during fieldwork, and the scales' bounds."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from survey_service.indicators.disclosure import Shape, interval
from survey_service.reports.disclosure import Disclosure
from tests.web.disclosure_scenario import AFTER, BEFORE, MAPPING, PEOPLE, STAFF, build, run

LEVEL = 20.0
ORDERS = [(BEFORE, AFTER), (AFTER, BEFORE)]
ORGS: list[str | None] = [None, "elena", "lyaskovets"]
BYS: list[str | None] = [None, "organisation", "unit", "mode", "channel", "service"]
Unit = tuple[str, str]
Published = dict[tuple[str, str], list[tuple[frozenset[Unit], float]]]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, str]]:
    return build(tmp_path_factory.mktemp("disclosure"))


def _units(wave: str, org: str | None = None) -> frozenset[Unit]:
    return frozenset(u for u in PEOPLE[wave] if org is None or u[0] == org)


def _group(wave: str, group: str, by: str, org: str | None, mapped: bool) -> frozenset[Unit]:
    """The people a breakdown's group holds, from the scenario's own knowledge."""
    if by == "organisation":
        return _units(wave, group)
    if by in ("mode", "channel"):  # every staff answer comes in on the web: one group
        return _units(wave, org)
    o, name = group.split("/")
    if mapped:  # the baseline's old units merged into the follow-up's structure
        return frozenset(u for u in _units(wave, o) if MAPPING[u[1]] == name)
    return frozenset({(o, name)})


def outputs(settings: Any) -> tuple[Published, list[str], int]:
    """Every report and breakdown, in every order, scope and format: the figures the JSON
    shows, and the text of the other formats."""
    shown: Published = defaultdict(list)
    texts: list[str] = []
    count = 0
    for baseline, follow_up in ORDERS:
        for org in ORGS:
            for by in BYS:
                args = ["report", STAFF, "--baseline", baseline, "--follow-up", follow_up,
                        "--lang", "en"]
                args += ["--org", org] if org else []
                args += ["--by", by] if by else []
                code, out = run(settings, *args, "--format", "json")
                if code != 0:
                    assert "Error" in out and "Traceback" not in out
                    continue
                count += 1
                data = json.loads(out)
                _collect(shown, data, baseline, follow_up, org, by)
                for fmt in ("csv", "table"):
                    code, text = run(settings, *args, "--format", fmt)
                    assert code == 0
                    texts.append(text)
                    _same_figures(data, text, fmt, by)
    return shown, texts, count


def _collect(shown: Published, data: dict[str, Any], baseline: str, follow_up: str,
             org: str | None, by: str | None) -> None:
    if by is None:
        for row in data["rows"]:
            if row["section"] != "indicator":
                continue
            for side, wave in (("baseline", baseline), ("follow_up", follow_up)):
                if row.get(side) is not None:
                    shown[(wave, row["id"])].append((_units(wave, org), row[side]))
        return
    for row in data["rows"]:  # a breakdown: each group's figure per wave (and changes)
        for k, (figure, wave) in enumerate(zip(row["waves"], data["waves"], strict=True)):
            mapped = k == 0 and wave == BEFORE  # into the follow-up's structure
            if figure.get("value") is not None:
                atoms = _group(wave, row["group"], by, org, mapped)
                shown[(wave, row["indicator"])].append((atoms, figure["value"]))


def _same_figures(data: dict[str, Any], text: str, fmt: str, by: str | None) -> None:
    """The CSV and the table show no group, count or figure the JSON does not."""
    if by is None:
        return
    shown_n = {str(w["n"]) for row in data["rows"] for w in row["waves"] if w.get("n")}
    if fmt == "csv":
        for line in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))):
            assert not line["n"] or line["n"] in shown_n
            assert not line["value"] or any(
                str(w.get("value")) == line["value"] for r in data["rows"] for w in r["waves"])


def valid(wave: str, unit: Unit, figure: str) -> int:
    people, _, dont_know = PEOPLE[wave][unit]
    return people - dont_know if figure == "theme_coordination" else people


def shape(wave: str, figure: str, counts: dict[Unit, int] | None = None
          ) -> tuple[list[Unit], Shape]:
    units = sorted(PEOPLE[wave])
    if figure == "eei":  # weights: respondents (from waves status when given: L5)
        w = [[float((counts or {}).get(u, PEOPLE[wave][u][0]))] for u in units]
        return units, Shape(np.asarray(w), 0.0, 100.0)
    w = [[float(valid(wave, u, figure))] * 4 for u in units]  # 4 coordination items
    return units, Shape(np.asarray(w), 0.0, 1.0, 100.0)


def attack(shown: Published, wave: str, figure: str, target: frozenset[Unit],
           counts: dict[Unit, int] | None = None) -> tuple[float, float]:
    units, s = shape(wave, figure, counts)
    index = {u: i for i, u in enumerate(units)}
    published = [(tuple(sorted(index[u] for u in atoms)), value)
                 for atoms, value in shown.get((wave, figure), [])]
    return interval(s, published, tuple(sorted(index[u] for u in target)))


def small_cells(wave: str, figure: str) -> list[Unit]:
    return [u for u in sorted(PEOPLE[wave]) if valid(wave, u, figure) < 10]


@pytest.fixture(scope="module")
def published(scenario: tuple[Any, dict[str, str]]) -> tuple[Published, list[str], int]:
    return outputs(scenario[0])


def test_no_output_recovers_or_narrows_a_small_group(
    scenario: tuple[Any, dict[str, str]], published: tuple[Published, list[str], int]
) -> None:
    """The auditor: every output the CLI produces, attacked together."""
    shown, _, count = published
    # both orders x 3 scopes x report and 3 breakdowns; --by service is refused (a staff
    # survey has no service question to break down by)
    assert count == 24
    for wave in (BEFORE, AFTER):
        for figure in ("eei", "theme_coordination"):
            for unit in small_cells(wave, figure):
                target = frozenset({unit})
                assert all(atoms != target for atoms, _ in shown[(wave, figure)])
                low, high = attack(shown, wave, figure, target)
                assert high - low >= LEVEL - 1e-6, (wave, figure, unit, low, high)
    code, out = run(scenario[0], "disclosure", "audit", BEFORE, AFTER)
    assert code == 0, out
    # --by service and --by channel refused on a staff survey; the audit also reads the
    # breakdowns by the staff form's single-choice questions (3 scopes x 3 questions with the
    # follow-up-only one, once per pair of waves), which the CLI loop above does not ask for,
    # and each wave's report pages (3 scopes x 2 waves) for their answer distributions, and
    # the trend over both waves (3 scopes)
    assert "42 outputs read" in out


def test_l1_linked_totals_do_not_give_a_unit_hidden_in_another_table(
    published: tuple[Published, list[str], int]
) -> None:
    """The all-organisation unit breakdown and each organisation's show the same cells, so
    organisation totals minus visible units leave every small unit wide open."""
    shown, _, _ = published
    for wave in (BEFORE, AFTER):
        units = [atoms for atoms, _ in shown[(wave, "eei")] if len(atoms) == 1]
        for org in ("elena", "lyaskovets"):
            mine = {a for a in units if next(iter(a))[0] == org}
            assert mine, (wave, org)
    for unit in ((BEFORE, ("lyaskovets", "management")), (BEFORE, ("elena", "management"))):
        low, high = attack(shown, unit[0], "eei", frozenset({unit[1]}))
        assert (low, high) != pytest.approx((0.0, 0.0), abs=1e-3)
        assert high - low >= LEVEL - 1e-6


def test_l2_swapped_waves_and_the_same_wave_twice(
    scenario: tuple[Any, dict[str, str]], published: tuple[Published, list[str], int]
) -> None:
    settings = scenario[0]
    code, out = run(settings, "report", STAFF, "--baseline", BEFORE, "--follow-up", BEFORE)
    assert code == 1 and "cannot be both the baseline and the follow-up" in out
    shown, _, _ = published
    raw = {atoms for atoms, _ in shown[(BEFORE, "eei")]}
    assert frozenset({("elena", "admin_services"), ("elena", "local_taxes")}) in raw  # mapped
    # shown raw when the waves are swapped, it would give local taxes by subtraction
    assert frozenset({("elena", "admin_services")}) not in raw
    tables = {_units(BEFORE), *(_units(BEFORE, o) for o in ("elena", "lyaskovets"))}
    tables |= {frozenset({u}) for u in PEOPLE[BEFORE]}
    tables |= {_group(BEFORE, f"{o}/{new}", "unit", o, True) for (o, old) in PEOPLE[BEFORE]
               for new in {MAPPING[old]}}
    for (wave, _), cells in shown.items():  # no order or option made another table
        assert wave != BEFORE or {atoms for atoms, _ in cells} <= tables
    for unit in (("elena", "local_taxes"), ("elena", "management")):
        low, high = attack(shown, BEFORE, "eei", frozenset({unit}))
        assert high - low >= LEVEL - 1e-6, (unit, low, high)


def test_l3_a_figure_hidden_for_few_valid_answers_gets_a_complement(
    published: tuple[Published, list[str], int]
) -> None:
    """Elena's citizen services: 12 people, 8 of them "don't know" on coordination."""
    shown, _, _ = published
    unit = ("elena", "citizen_services")
    cells = {atoms for atoms, _ in shown[(AFTER, "theme_coordination")]}
    assert frozenset({unit}) not in cells
    assert frozenset({unit}) in {a for a, _ in shown[(AFTER, "eei")]}  # 12 people: shown
    hidden = [u for u in _units(AFTER, "elena") if frozenset({u}) not in cells]
    assert unit in hidden and len(hidden) >= 2  # hidden with at least one more of its table
    low, high = attack(shown, AFTER, "theme_coordination", frozenset({unit}))
    assert high - low >= LEVEL - 1e-6, (low, high)


def test_l4_units_pooled_at_the_bottom_of_the_scale_are_not_pinned(
    published: tuple[Published, list[str], int]
) -> None:
    """Elena's management (4) and local taxes (6) answered all 1s: their score is 0, and
    nothing published may prove it (nor any interval under 20 points)."""
    shown, _, _ = published
    for unit in (("elena", "management"), ("elena", "local_taxes")):
        for figure in ("eei", "theme_coordination"):
            low, high = attack(shown, BEFORE, figure, frozenset({unit}))
            assert low == pytest.approx(0.0, abs=1e-3) and high >= LEVEL


def test_l5_counts_printed_by_waves_status_are_assumed_known(
    scenario: tuple[Any, dict[str, str]], published: tuple[Published, list[str], int]
) -> None:
    """Response counts per unit stay public (administrators follow fieldwork with them): the
    protection holds for an attacker who takes every count from `waves status`."""
    _, status = scenario
    shown, _, _ = published
    for wave in (BEFORE, AFTER):
        live = json.loads(status[wave])
        assert live["state"] == "open"
        counts = {(u["organisation"], u["unit"]): u["used"] for u in live["units"]}
        assert counts == {u: n for u, (n, _, _) in PEOPLE[wave].items()}
        for unit in small_cells(wave, "eei"):
            low, high = attack(shown, wave, "eei", frozenset({unit}), counts)
            assert high - low >= LEVEL - 1e-6


def test_the_audit_fails_when_an_output_ignores_the_plan(
    scenario: tuple[Any, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outputs that show every figure the plan hides: the audit names a cell and exits 1."""
    monkeypatch.setattr(Disclosure, "indicator_hidden", lambda *a, **k: False)
    code, out = run(scenario[0], "disclosure", "audit", BEFORE)
    assert code == 1, out
    assert "narrower than the protection level" in out and "Traceback" not in out


def test_the_audit_reads_trends_and_fails_when_one_ignores_the_plan(
    scenario: tuple[Any, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Trends are outputs too: one drawn without the waves' plans (the report and the
    breakdowns still following them) is caught by the audit alone."""
    import survey_service.services.trend as trend_service

    real = trend_service.build_trend
    monkeypatch.setattr(trend_service, "build_trend",
                        lambda *a, **k: real(*a, **{**k, "disclosure": None}))
    code, out = run(scenario[0], "disclosure", "audit", BEFORE)
    assert code == 1, out
    assert "narrower than the protection level" in out and "Traceback" not in out


def test_trend_sets_cover_every_set_holding_an_audited_wave() -> None:
    from survey_service.services.audit_trends import TREND_WAVES, trend_sets

    assert list(trend_sets(["a", "b", "c"], {"b"})) == [
        ["a", "b"], ["b", "c"], ["a", "b", "c"]]
    many = [f"w{n:02d}" for n in range(TREND_WAVES + 2)]
    runs = list(trend_sets(many, {"w00"}))
    assert runs and all(r[0] == "w00" for r in runs)  # consecutive runs from the audited wave
    assert max(len(r) for r in runs) == len(many)

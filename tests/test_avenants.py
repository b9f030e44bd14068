"""Avenants state new values, as an avenant's text does.

"Le plafond par équipe est porté à 120 000 €": ``team_cap: 120000`` puts the cap at
120 000 € from the avenant's date, whatever it was; ``total`` and ``years[].ae/cp`` likewise;
left out, an amount is unchanged.  ``carry_overs`` keep their meaning (amounts moved from a
year to the next).  ``check`` re-runs the convention rules on the convention as amended by
each avenant in turn, and names the avenant that breaks one.

Each case adds avenants to the reference convention (6 teams, cap 125 000 €, envelope
750 000 €, AE 2019 = 120 000 €, AE 2020 = 630 000 €, CP 2019 = 0 €, CP 2020 = 750 000 €).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from delegation_cli.core.model import Convention
from delegation_cli.store.convention import load_convention

from .conftest import Cli, eur, line_of, write_convention

NO_AVENANT = "avenants: []"


def with_avenants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, avenants: str) -> tuple[Convention, list[str], str]:
    """The seed with ``avenants`` in place of ``avenants: []``: the convention, the rendered
    problems of ``check`` and the text."""
    _, text = write_convention(tmp_path, (NO_AVENANT, "avenants:\n" + avenants.strip("\n")))
    monkeypatch.chdir(tmp_path)
    loaded = load_convention(Path("c.yaml"))
    assert loaded.convention is not None
    return loaded.convention, [p.render() for p in loaded.problems], text


def at_number(text: str, number: int) -> str:
    """``LINE:COL`` where step findings on avenant ``number`` point: the start of its mapping
    (its ``number:`` key, or the ``{`` of a flow mapping)."""
    line = line_of(text, f"number: {number}")
    source = text.splitlines()[line - 1]
    return f"{line}:{source.index('{' if '{' in source else 'number') + 1}"


def test_a_cap_raised_to_120000_is_120000(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conv, problems, text = with_avenants(tmp_path, monkeypatch, """
  - number: 1
    date: 2020-03-01
    team_cap: 120000
""")
    assert conv.limits_at(dt.date(2020, 2, 29)).team_cap == 125_000_00
    assert conv.limits_at(dt.date(2020, 3, 1)).team_cap == 120_000_00  # not 245 000 €
    assert conv.limits_at(dt.date(2020, 3, 1)).total == 750_000_00  # left out: unchanged
    # 6 teams × 120 000 € no longer cover the unchanged envelope: check says which avenant.
    assert problems == [
        f"c.yaml:{at_number(text, 1)}: error: after avenant n° 1, the envelope {eur('750 000,00 €')} "
        f"exceeds 6 teams × {eur('120 000,00 €')} = {eur('720 000,00 €')} (expected envelope ≤ teams × cap)",
    ]


def test_the_cap_in_the_report_is_the_new_value(cli: Cli, tmp_path: Path) -> None:
    write_convention(tmp_path, (NO_AVENANT, "avenants:\n"
                                "  - {number: 1, date: 2020-03-01, team_cap: 130000, total: 780000,\n"
                                "     years: [{year: 2020, ae: 660000, cp: 780000}]}"), name="convention.yaml")
    result = cli("report", "--month", "2020-06", "--format", "json")
    assert result.exit_code == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    assert {t["cap"] for t in data["teams"]} == {"130000.00"}
    assert data["convention"]["avenants_in_force"] == [1]
    assert [(y["year"], y["ae_open"], y["cp_open"]) for y in data["years"]] == [
        (2019, "120000.00", "0.00"), (2020, "660000.00", "780000.00")]


def test_raising_ae_2020_and_the_envelope_together_is_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conv, problems, _ = with_avenants(tmp_path, monkeypatch, """
  - number: 1
    date: 2020-03-01
    object: "Abondement de 30 000 € en 2020"
    team_cap: 130000
    total: 780000
    years:
      - {year: 2020, ae: 660000, cp: 780000}
""")
    assert problems == []
    before, after = conv.limits_at(dt.date(2020, 2, 29)), conv.limits_at(dt.date(2020, 3, 1))
    assert (before.team_cap, before.total, before.ae, before.cp) == (
        125_000_00, 750_000_00, {2019: 120_000_00, 2020: 630_000_00}, {2019: 0, 2020: 750_000_00})
    assert (after.team_cap, after.total, after.ae, after.cp) == (
        130_000_00, 780_000_00, {2019: 120_000_00, 2020: 660_000_00}, {2019: 0, 2020: 780_000_00})
    # What the exports post on the avenant's date: the new values less those in force.
    assert conv.year_changes(conv.avenants[0]) == ((2020, 30_000_00, 30_000_00),)


def test_an_avenant_breaking_the_envelope_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conv, problems, text = with_avenants(tmp_path, monkeypatch, """
  - number: 1
    date: 2020-03-01
    team_cap: 130000
    total: 780000
    years:
      - {year: 2020, ae: 660000, cp: 780000}
  - number: 2
    date: 2020-06-01
    years:
      - {year: 2020, ae: 700000}
""")
    assert problems == [
        f"c.yaml:{at_number(text, 2)}: error: after avenant n° 2, the schedule opens "
        f"{eur('820 000,00 €')} of AE and {eur('780 000,00 €')} of CP for an envelope of "
        f"{eur('780 000,00 €')} (expected Σ AE = Σ CP = envelope; change the envelope with the years)",
    ]
    assert conv.limits_at(dt.date(2020, 6, 1)).ae[2020] == 700_000_00
    assert conv.year_changes(conv.avenants[1]) == ((2020, 40_000_00, 0),)


def test_an_envelope_left_below_the_caps_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, problems, text = with_avenants(tmp_path, monkeypatch, """
  - number: 1
    date: 2020-03-01
    team_cap: 140000
""")
    assert problems == [
        f"c.yaml:{at_number(text, 1)}: warning: after avenant n° 1, 6 teams × {eur('140 000,00 €')} = "
        f"{eur('840 000,00 €')} differs from the envelope {eur('750 000,00 €')} (expected teams × cap = envelope)",
    ]


def test_an_avenant_that_changes_nothing_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, problems, text = with_avenants(tmp_path, monkeypatch, """
  - number: 1
    date: 2020-03-01
    team_cap: 125000
    total: 750000
    years:
      - {year: 2020, ae: 630000}
  - number: 2
    date: 2020-04-01
    object: "Avenant sans montant"
""")
    message = ("warning: avenant n° {n} changes nothing: every amount it states is already the one "
               "in force, and it carries nothing over (expected a new team cap, envelope, AE or CP, "
               "or a carry-over)")
    assert problems == [f"c.yaml:{at_number(text, n)}: {message.format(n=n)}" for n in (1, 2)]


def test_restating_an_earlier_avenant_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, problems, text = with_avenants(tmp_path, monkeypatch, """
  - {number: 1, date: 2020-03-01, team_cap: 130000, total: 780000, years: [{year: 2020, ae: 660000, cp: 780000}]}
  - {number: 2, date: 2020-04-01, team_cap: 130000}
""")
    assert [p.split(": ", 1)[0] for p in problems] == [f"c.yaml:{at_number(text, 2)}"]
    assert "avenant n° 2 changes nothing" in problems[0]


def test_a_carry_over_alone_is_a_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    conv, problems, _ = with_avenants(tmp_path, monkeypatch, """
  - {number: 1, date: 2020-01-15, carry_overs: [{from_year: 2019, ae: 20000}]}
""")
    assert problems == []
    assert conv.limits_at(dt.date(2020, 1, 15)).ae == {2019: 120_000_00, 2020: 650_000_00}
    assert conv.carried_out("ae", 2019) == 20_000_00


def test_a_year_restated_after_a_carry_over_keeps_the_carry_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The amount an avenant states is the year's own; what was carried into it comes on top.
    conv, problems, _ = with_avenants(tmp_path, monkeypatch, """
  - {number: 1, date: 2020-01-15, carry_overs: [{from_year: 2019, ae: 20000}]}
  - {number: 2, date: 2020-03-01, team_cap: 130000, total: 780000, years: [{year: 2020, ae: 660000, cp: 780000}]}
""")
    assert problems == []
    assert conv.limits_at(dt.date(2020, 3, 1)).ae == {2019: 120_000_00, 2020: 680_000_00}


@pytest.mark.parametrize("field", ["team_cap: -10000", "total: -10000"])
def test_a_negative_amount_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str) -> None:
    _, text = write_convention(tmp_path, (NO_AVENANT, f"avenants:\n  - number: 1\n    date: 2020-03-01\n    {field}"))
    monkeypatch.chdir(tmp_path)
    key = field.split(":")[0]
    line = line_of(text, field)
    assert [p.render() for p in load_convention(Path("c.yaml")).problems] == [
        f"c.yaml:{line}:{len(key) + 7}: error: avenants.0.{key}: -10000 is negative (expected an "
        "amount ≥ 0 in euros with at most 2 decimals)",
    ]


def test_the_example_avenant_keeps_its_meaning() -> None:
    from .conftest import SECOND

    conv = load_convention(SECOND).convention
    assert conv is not None
    before, after = conv.limits_at(dt.date(2023, 1, 15)), conv.limits_at(dt.date(2023, 1, 16))
    assert (before.team_cap, before.total) == (80_000_00, 320_000_00)
    assert (after.team_cap, after.total) == (90_000_00, 360_000_00)
    assert (before.ae[2024], before.cp[2024]) == (40_000_00, 80_000_00)
    assert (after.ae[2024], after.cp[2024]) == (80_000_00, 120_000_00)
    assert after.ae[2023] == 160_000_00 + 15_000_50  # the carry-over from 2022
    assert conv.year_changes(conv.avenants[0]) == ((2024, 40_000_00, 40_000_00),)

"""Avenants change the cast of teams: a team added from the avenant's date with a cap of its
own, a team whose support ends (``until``), the common cap introduced or removed; every
convention rule re-run after each avenant; the report shows each team's cap in force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import MINI, Cli, eur

# MINI: alpha and beta, cap 600 each, envelope 1 000 €, AE 2021 = 400 € (50 € carried over to
# 2022 by avenant n° 1 of 10/01/2022), AE 2022 = 600 €.  Avenant n° 2 of 01/02/2022 adds gamma
# with a cap of 300 € and ends beta's support on 31/03/2022.
AVENANT_2 = ("  - {number: 2, date: 2022-02-01, object: Nouvelle équipe, teams: [{id: gamma, name: Gamma, "
             "cap: 300}, {id: beta, until: 2022-03-31}]}\n")
CAST = MINI.replace("ledger: mini.ledger\n", AVENANT_2 + "ledger: mini.ledger\n")


@pytest.fixture
def cast(cli: Cli, tmp_path: Path) -> Cli:
    assert CAST != MINI
    (tmp_path / "convention.yaml").write_text(CAST, encoding="utf-8")
    return cli


def test_the_amended_cast_is_valid_and_rechecked_after_the_avenant(cast: Cli) -> None:
    result = cast("check")
    assert result.exit_code == 0
    # MINI's 2 × 600 already exceed its 1 000; after avenant n° 2 the caps are 600 + 600 + 300.
    assert result.stderr == (
        f"convention.yaml:14:13: warning: 2 teams × {eur('600,00 €')} = {eur('1 200,00 €')} differs from the envelope "
        f"{eur('1 000,00 €')} (expected teams × cap = envelope)\n"
        f"convention.yaml:25:5: warning: after avenant n° 2, the teams' caps, {eur('600,00 €')} + {eur('600,00 €')} "
        f"+ {eur('300,00 €')} = {eur('1 500,00 €')}, differ from the envelope {eur('1 000,00 €')} (expected the sum "
        "of the caps = envelope)\n")


def test_a_new_team_is_funded_from_the_avenant_on(cast: Cli) -> None:
    early = cast("commit", "--team", "gamma", "10", "--date", "2022-01-31")
    assert early.exit_code == 1
    assert early.stderr.splitlines()[0] == ("mini.ledger: error: gamma is funded from avenant n° 2 of 2022-02-01 on: "
                                           "a commitment dated 2022-01-31 comes before it")
    over = cast("commit", "--team", "gamma", "300.01", "--date", "2022-02-01")
    assert over.exit_code == 1
    assert over.stderr.splitlines()[0] == (
        f"mini.ledger: error: gamma: commitment of {eur('300,01 €')} takes the team to {eur('300,01 €')}, above its "
        f"cap of {eur('300,00 €')} (available {eur('300,00 €')}, asked {eur('300,01 €')}); insufficient credits: "
        "inform the délégant without delay (art. 5)")
    done = cast("commit", "--team", "gamma", "300", "--date", "2022-02-01")
    assert done.exit_code == 0, done.stderr
    assert f"team gamma       {eur('300,00 €'):>14}" in done.stdout


def test_a_team_whose_support_ends_takes_no_more_orders_but_is_paid(cast: Cli) -> None:
    assert cast("commit", "--team", "beta", "100", "--date", "2022-03-31", "--ref", "BC-B").exit_code == 0
    late = cast("commit", "--team", "beta", "1", "--date", "2022-04-01")
    assert late.exit_code == 1
    assert late.stderr.splitlines()[0] == ("mini.ledger: error: beta: the convention's support ended on 2022-03-31: "
                                          "no commitment for it after that date (its payments and releases go on)")
    paid = cast("pay", "BC-B", "60", "--date", "2022-04-15", "--service-fait", "2022-04-10")
    assert paid.exit_code == 0, paid.stderr
    released = cast("release", "BC-B", "--date", "2022-04-20")
    assert released.exit_code == 0, released.stderr


def test_the_report_shows_each_teams_cap_in_force(cast: Cli) -> None:
    january = json.loads(cast("report", "--month", "2022-01", "--format", "json").stdout)
    assert [(t["team"], t["cap"]) for t in january["teams"]] == [("alpha", "600.00"), ("beta", "600.00")]
    february = json.loads(cast("report", "--month", "2022-02", "--format", "json").stdout)
    assert [(t["team"], t["cap"]) for t in february["teams"]] == [
        ("alpha", "600.00"), ("beta", "600.00"), ("gamma", "300.00")]


def test_an_avenant_adding_a_team_names_it(cli: Cli, tmp_path: Path) -> None:
    text = CAST.replace("{id: gamma, name: Gamma, cap: 300}", "{id: gamma, cap: 300}")
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    result = cli("check")
    assert result.exit_code == 1
    assert "error: avenant n° 2 adds team 'gamma' without its name (expected name: for a new team; existing " \
           "ones: alpha, beta)\n" in result.stderr


def test_an_avenant_removes_the_common_cap(cli: Cli, tmp_path: Path) -> None:
    text = CAST.replace("object: Nouvelle équipe,", "object: Plus de plafond commun, team_cap: null,")
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    assert cli("check").exit_code == 0
    assert cli("commit", "--team", "alpha", "350", "--date", "2021-06-01").exit_code == 0
    # 350 + 300 = 650 > the 600 of the common cap, which avenant n° 2 removed.
    done = cli("commit", "--team", "alpha", "300", "--date", "2022-02-01")
    assert done.exit_code == 0, done.stderr
    capped = cli("commit", "--team", "gamma", "300.01", "--date", "2022-02-01")
    assert capped.exit_code == 1 and "above its cap of " + eur("300,00 €") in capped.stderr  # its own cap stays

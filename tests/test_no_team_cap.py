"""A convention without a per-team cap: one envelope, the years' AE, no ceiling per team."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import MINI, Cli, eur

# MINI without its cap: 2 teams, envelope 1 000 €, AE 2021 = 400 € (50 € of it carried over to
# 2022 by avenant n° 1), AE 2022 = 600 €.
NO_CAP = MINI.replace("  team_cap: 600\n", "")


@pytest.fixture
def uncapped(cli: Cli, tmp_path: Path) -> Cli:
    assert "team_cap" not in NO_CAP.split("avenants")[0]
    (tmp_path / "convention.yaml").write_text(NO_CAP, encoding="utf-8")
    return cli


def test_the_convention_is_valid_without_a_cap(uncapped: Cli) -> None:
    result = uncapped("check")
    assert (result.exit_code, result.stderr) == (0, "")


def test_one_team_may_take_the_whole_year(uncapped: Cli) -> None:
    # 400 opened for 2021 − 50 carried over = 350, all to alpha: no cap stops it.
    done = uncapped("commit", "--team", "alpha", "350", "--date", "2021-03-01")
    assert done.exit_code == 0, done.stderr
    assert "team alpha" not in done.stdout  # no cap row in the confirmation
    refused = uncapped("commit", "--team", "alpha", "0.01", "--date", "2021-03-02")
    assert refused.exit_code == 1 and "takes AE 2021 to " + eur("350,01 €") in refused.stderr
    assert "cap" not in refused.stderr.split("takes AE")[0]


def test_the_report_shows_no_cap(uncapped: Cli) -> None:
    assert uncapped("commit", "--team", "alpha", "100", "--date", "2021-03-01").exit_code == 0
    data = json.loads(uncapped("report", "--month", "2021-03", "--format", "json").stdout)
    alpha = next(t for t in data["teams"] if t["team"] == "alpha")
    assert (alpha["cap"], alpha["available"], alpha["cap_rate"], alpha["ae_committed"]) == (None, None, None, "100.00")
    assert next(t for t in data["landing"]["teams"] if t["team"] == "alpha")["cap"] is None
    table = uncapped("report", "--month", "2021-03").stdout
    assert "Teams: commitments (AE)\n" in table and "% of cap" not in table and "Over cap" not in table


def test_an_avenant_may_introduce_a_cap(cli: Cli, tmp_path: Path) -> None:
    # From avenant n° 1 (10/01/2022) each team is capped at 500: 2 × 500 = the envelope.
    carry = "carry_overs: [{from_year: 2021, ae: 50}]}"
    text = NO_CAP.replace(carry, f"team_cap: 500, {carry}")
    assert text != NO_CAP
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    assert (cli("check").exit_code, cli("check").stderr) == (0, "")
    assert cli("commit", "--team", "alpha", "350", "--date", "2021-03-01").exit_code == 0  # no cap yet
    refused = cli("commit", "--team", "alpha", "150.01", "--date", "2022-01-10")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"mini.ledger: error: alpha: commitment of {eur('150,01 €')} takes the team to {eur('500,01 €')}, above its "
        f"cap of {eur('500,00 €')} (available {eur('150,00 €')}, asked {eur('150,01 €')}); insufficient credits: "
        "inform the délégant without delay (art. 5)")
    assert cli("commit", "--team", "alpha", "150", "--date", "2022-01-10").exit_code == 0


def test_an_avenant_cap_that_the_envelope_exceeds_is_an_error(cli: Cli, tmp_path: Path) -> None:
    carry = "carry_overs: [{from_year: 2021, ae: 50}]}"
    (tmp_path / "convention.yaml").write_text(NO_CAP.replace(carry, f"team_cap: 100, {carry}"), encoding="utf-8")
    result = cli("check")
    assert result.exit_code == 1
    assert result.stderr == (f"convention.yaml:23:5: error: after avenant n° 1, the envelope {eur('1 000,00 €')} "
                             f"exceeds 2 teams × {eur('100,00 €')} = {eur('200,00 €')} (expected envelope ≤ teams "
                             "× cap)\n")

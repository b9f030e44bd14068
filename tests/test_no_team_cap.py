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


def test_an_avenant_cannot_change_a_cap_there_is_not(cli: Cli, tmp_path: Path) -> None:
    carry = "carry_overs: [{from_year: 2021, ae: 50}]}"
    text = NO_CAP.replace(carry, f"team_cap: 100, {carry}")
    assert text != NO_CAP
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    result = cli("check")
    assert result.exit_code == 1
    assert "avenant n° 1 changes the team cap, but the convention caps no team (expected budget.team_cap to be set)" \
        in result.stderr

"""Every entry kind obeys the same date rules, forecasts included; a command given no
``--date`` on a day outside the period says so and names ``--date``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from delegation_cli.store import actions

from .conftest import SEED_TEXT, Cli, sha, with_checksums

LEDGER = Path("ledgers/fabrique-numerique-s3.ledger")


@pytest.fixture
def seed(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(SEED_TEXT, encoding="utf-8")
    assert cli("commit", "--team", "friches", "1000", "--date", "2019-12-10", "--ref", "BC-1").exit_code == 0
    return cli


@pytest.mark.parametrize(("args", "kind", "end"), [
    (("commit", "--team", "friches", "10"), "commitment", "2020-12-31"),
    (("pay", "BC-1", "10"), "payment", "2020-12-31"),
    (("release", "BC-1", "10"), "release", "2020-12-31"),
    (("forecast", "--team", "friches", "10", "--month", "2020-06", "--type", "ae"), "forecast", "2020-12-31"),
    (("note", "--team", "friches", "Point"), "note", "2020-12-31"),
])
def test_no_date_on_a_day_outside_the_period_names_date(seed: Cli, monkeypatch: pytest.MonkeyPatch,
                                                        args: tuple[str, ...], kind: str, end: str) -> None:
    monkeypatch.setattr(actions, "today", lambda: dt.date(2026, 12, 1))
    before = sha(LEDGER)
    result = seed(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: today (2026-12-01) is outside the convention's period 2019-12-09 – {end}: "
                             f"give the {kind}'s date with --date YYYY-MM-DD\n")
    assert sha(LEDGER) == before


def test_no_date_within_the_period_is_today(seed: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(actions, "today", lambda: dt.date(2020, 6, 15))
    result = seed("forecast", "--team", "friches", "10", "--month", "2020-09", "--type", "ae", "--json")
    assert result.exit_code == 0 and '"date": "2020-06-15"' in result.stdout


@pytest.mark.parametrize("date", ["2030-01-01", "2019-12-08", "2021-01-01"])
def test_a_forecast_dated_outside_the_period_is_refused(seed: Cli, date: str) -> None:
    before = sha(LEDGER)
    result = seed("forecast", "--team", "friches", "60000", "--month", "2020-01", "--type", "ae", "--date", date)
    assert result.exit_code == 1
    past = (f"ledgers/fabrique-numerique-s3.ledger: error: forecast for 2020-01 dated {date}: that month is over (a "
            "forecast plans the month of its date or a later one; record what happened instead)\n")
    assert result.stderr == (
        f"ledgers/fabrique-numerique-s3.ledger: error: forecast dated {date} is outside the convention's period "
        "2019-12-09 – 2020-12-31 (the convention takes effect on 2019-12-09)\n"
        + (past if date > "2020-01" else "")
        + "ledgers/fabrique-numerique-s3.ledger: error: forecast refused; the ledger was not changed\n")
    assert sha(LEDGER) == before


def test_a_forecast_month_outside_the_period_is_refused(seed: Cli) -> None:
    result = seed("forecast", "--team", "friches", "10", "--month", "2021-01", "--type", "cp", "--date", "2020-06-01")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == ("ledgers/fabrique-numerique-s3.ledger: error: forecast for 2021-01 is "
                                             "outside the convention's months 2019-12 – 2020-12")


def test_check_names_a_forecast_dated_outside_the_period(seed: Cli) -> None:
    with LEDGER.open("a", encoding="utf-8") as handle:
        handle.write(with_checksums("2026-12-01 forecast f-1 friches 60000.00 month=2020-01 type=ae\n"))
    result = seed("check")
    assert result.exit_code == 1
    assert result.stderr == ("ledgers/fabrique-numerique-s3.ledger:3: error: forecast dated 2026-12-01 is outside "
                             "the convention's period 2019-12-09 – 2020-12-31 (the convention takes effect on "
                             "2019-12-09)\n"
                             "ledgers/fabrique-numerique-s3.ledger:3: error: forecast for 2020-01 dated 2026-12-01: "
                             "that month is over (a forecast plans the month of its date or a later one; record what "
                             "happened instead)\n")

"""Exports checked by the real tools: hledger and beancount must accept them, and their own
balances must give back the report's figures to the cent — on the example ledger and on a
generated ledger of a few thousand entries.

The tools are installed by `.ci/run` (Debian's hledger, PyPI's beancount and beanquery);
under CI a missing tool fails the test instead of skipping it.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from delegation_cli.export import bean_account

from .conftest import ROOT, SECOND, SEED, Cli, sha

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = str(BIN / name) if (BIN / name).exists() else shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is not installed: .ci/run must install it")
        pytest.skip(f"{name} is not installed")
    return found


def cents(text: str) -> int:
    text = text.replace("EUR", "").strip()
    negative = text.startswith("-")
    whole, _, part = text.lstrip("-").partition(".")
    value = int(whole) * 100 + int((part or "0").ljust(2, "0"))
    return -value if negative else value


def hledger_balances(journal: str) -> dict[str, int]:
    result = subprocess.run([tool("hledger"), "-f", "-", "balance", "--flat", "-E", "--no-total", "-O", "csv"],
                            input=journal, capture_output=True, text=True, check=True)
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    return {account: cents(balance) for account, balance in rows}


def bean_balances(path: Path) -> dict[str, int]:
    result = subprocess.run([tool("bean-query"), "-f", "csv", str(path),
                             "SELECT account, sum(number) AS total GROUP BY account"],
                            capture_output=True, text=True, check=True)
    rows = list(csv.reader(io.StringIO(result.stdout)))[1:]
    return {account: cents(total) for account, total in rows}


def expected_accounts(report: dict) -> dict[tuple[str, ...], int]:  # type: ignore[type-arg]
    """What each account must hold, from `delegation report --format json` alone."""
    out: dict[tuple[str, ...], int] = {}
    for y in report["years"]:
        year = str(y["year"])
        out[("ae", year, "opened")] = -cents(y["ae_open"])
        out[("ae", year, "available")] = cents(y["ae_available"])
        out[("ae", year, "committed")] = cents(y["ae_committed"])
        out[("ae", year, "released-earlier")] = -cents(y["released_earlier_years"])
        out[("cp", year, "opened")] = -cents(y["cp_open"])
        out[("cp", year, "available")] = cents(y["cp_available"])
        out[("cp", year, "paid")] = cents(y["cp_paid"])
    for t in report["teams"]:
        out[("team", t["team"], "ae")] = cents(t["ae_committed"])
        out[("team", t["team"], "cp")] = cents(t["cp_paid"])
        out[("team", t["team"], "year")] = cents(t["year_committed"])
    return out


def fold(balances: dict[tuple[str, ...], int], year_of_report: int) -> dict[tuple[str, ...], int]:
    """Sum the tool's leaf accounts into the figures the report states."""
    out: dict[tuple[str, ...], int] = defaultdict(int)
    for path, amount in balances.items():
        if path[0] == "forecast":
            continue
        envelope, year, kind, *team = path
        if kind == "opened":
            out[(envelope, year, "opened")] += amount
        elif kind in ("available", "committed", "released-earlier", "paid"):
            out[(envelope, year, kind)] += amount
        if team and kind in ("committed", "released-earlier"):
            out[("team", team[0], "ae")] += amount
            if kind == "committed" and int(year) == year_of_report:
                out[("team", team[0], "year")] += amount
        if team and kind == "paid":
            out[("team", team[0], "cp")] += amount
    return out


def compare(cli: Cli, convention: Path, month_args: tuple[str, ...], tmp_path: Path) -> None:
    report = json.loads(cli("report", "-c", str(convention), "--format", "json", *month_args).stdout)
    until = report["as_of"]
    expected = expected_accounts(report)
    expected = {k: v for k, v in expected.items() if v or k[0] != "team" or k[2] != "year"}
    year_of_report = int(until[:4])

    journal = cli("export", "-c", str(convention), "--format", "hledger", "--until", until)
    assert journal.exit_code == 0, journal.stderr
    check = subprocess.run([tool("hledger"), "-f", "-", "check", "-s"], input=journal.stdout,
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    by_path = {tuple(a.split(":")): v for a, v in hledger_balances(journal.stdout).items()}
    folded = fold(by_path, year_of_report)
    assert {k: folded.get(k, 0) for k in expected} == expected

    bean = tmp_path / "export.beancount"
    result = cli("export", "-c", str(convention), "--format", "beancount", "--until", until, "--output", str(bean))
    assert (result.exit_code, result.stdout) == (0, "")
    checked = subprocess.run([tool("bean-check"), str(bean)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    names = {bean_account(path): path for path in by_path}
    bean_folded = fold({names[a]: v for a, v in bean_balances(bean).items()}, year_of_report)
    assert {k: bean_folded.get(k, 0) for k in expected} == expected


@pytest.mark.parametrize("month_args", [("--month", "2020-03"), ("--month", "2020-06"), ("--final",)])
def test_example_ledger_balances_equal_the_report(cli: Cli, tmp_path: Path, month_args: tuple[str, ...]) -> None:
    compare(cli, SEED, month_args, tmp_path)


@pytest.mark.parametrize("month_args", [("--month", "2023-01"), ("--month", "2024-06")])
def test_an_avenant_stating_new_values_balances_as_the_report(cli: Cli, tmp_path: Path,
                                                               month_args: tuple[str, ...]) -> None:
    # The avenant of the second example puts AE 2024 at 80 000 € (from 40 000 €) and CP 2024
    # at 120 000 € (from 80 000 €): the journal opens the 40 000 € more of each on its date.
    convention = tmp_path / "convention.yaml"
    convention.write_text(SECOND.read_text(encoding="utf-8"), encoding="utf-8")
    compare(cli, convention, month_args, tmp_path)
    journal = cli("export", "-c", str(convention), "--format", "hledger").stdout
    avenant = journal[journal.index("2023-01-16 "):].split("\n\n")[0]
    assert [line.split() for line in avenant.splitlines()[1:] if ":2024:" in line] == [
        ["ae:2024:available", "40000.00", "EUR"], ["ae:2024:opened", "-40000.00", "EUR"],
        ["cp:2024:available", "40000.00", "EUR"], ["cp:2024:opened", "-40000.00", "EUR"]]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_ledger_of_thousands_of_entries(cli: Cli, tmp_path: Path) -> None:
    convention, ledger = _generator().generate(3000, seed=7)
    (tmp_path / "convention.yaml").write_text(convention, encoding="utf-8")
    (tmp_path / "ledger.ledger").write_text(ledger, encoding="utf-8")
    assert cli("check", "--strict").exit_code == 0
    compare(cli, tmp_path / "convention.yaml", ("--month", "2024-06"), tmp_path)
    compare(cli, tmp_path / "convention.yaml", ("--final",), tmp_path)


def test_export_carries_every_entry_and_its_references(cli: Cli) -> None:
    journal = cli("export", "-c", str(SEED), "--format", "hledger").stdout
    ledger_lines = [line for line in (SEED.parent / "ledgers" / "fabrique-numerique-s3.ledger").read_text().splitlines()
                    if line and not line.startswith("#")]
    assert journal.count("; id:") == len(ledger_lines)
    assert "2020-06-30 biocarburants | Design : fin anticipée, reliquat dégagé  ; id:r-00003002, kind:release, " \
           "commitment:c-00001012, author:c.martin, recorded_at:2020-06-30T16:30:00Z, line:" in journal
    exported = json.loads(cli("export", "-c", str(SEED), "--format", "json").stdout)
    assert len(exported["entries"]) == len(ledger_lines)
    assert exported["entries"][0]["ref"] == "1300012001"


def test_a_later_forecast_is_posted_as_the_difference(cli: Cli, tmp_path: Path) -> None:
    from .conftest import MINI, dedent

    (tmp_path / "convention.yaml").write_text(MINI)
    (tmp_path / "mini.ledger").write_text(dedent("""
        # delegation-ledger v1 convention=mini
        2021-04-20 forecast f-1 beta 30.00 month=2021-06 type=ae
        2021-06-01 forecast f-2 beta 25.00 month=2021-06 type=ae
    """))
    balances = hledger_balances(cli("export", "--format", "hledger").stdout)
    assert balances["forecast:2021:ae:beta"] == 25_00


def test_output_file_is_written_atomically_and_never_over_the_ledger(cli: Cli, tmp_path: Path, seed_copy: Path) -> None:
    assert cli("commit", "--team", "friches", "100", "--date", "2020-03-01").exit_code == 0
    ledger = tmp_path / "ledgers" / "seed.ledger"
    before = sha(ledger)
    refused = cli("export", "--format", "csv", "--output", str(ledger))
    assert refused.exit_code == 2
    assert refused.stderr == f"{ledger}: error: --output names the ledger itself; choose another file\n"
    assert sha(ledger) == before
    ok = cli("export", "--format", "csv", "--csv-dialect", "excel-fr", "--output", "out.csv")
    assert ok.exit_code == 0
    data = (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(data), delimiter=";"))
    assert rows[0][:6] == ["line", "date", "kind", "id", "team", "amount"]
    assert rows[1][5] == "100,00"
    assert not list(tmp_path.glob(".out.csv.*"))

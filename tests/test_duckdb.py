"""Analysts' scale: the portfolio's CSV and the open-data packages of many conventions read by
DuckDB exactly — amounts as DECIMAL(18,2), references as text — and the queries' sums equal,
to the cent, the figures of the portfolio's and the reports' JSON."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from .conftest import MINI, SECOND, SEED, SEED_LEDGER, Cli
from .test_publish import LEDGER as MINI_LEDGER

MONTH = "2021-06"
MONEY = "DECIMAL(18,2)"
PORTFOLIO = {
    "id": "VARCHAR", "title": "VARCHAR", "delegant": "VARCHAR", "programme": "VARCHAR", "uo": "VARCHAR",
    "start": "DATE", "end": "DATE", "status": "VARCHAR", "month": "VARCHAR", "envelope": MONEY,
    "ae_committed": MONEY, "cp_paid": MONEY, "remaining_to_pay": MONEY, "ae_available": MONEY, "cp_available": MONEY,
    "year": "INTEGER", "year_ae_available": MONEY, "year_cp_available": MONEY, "ae_rate": "DECIMAL(9,1)",
    "cp_rate": "DECIMAL(9,1)", "alerts_error": "INTEGER", "alerts_warning": "INTEGER", "alerts_info": "INTEGER",
    "valid": "BOOLEAN", "errors": "INTEGER", "first_problem": "VARCHAR", "closed_through": "VARCHAR",
    "file": "VARCHAR"}
"""The portfolio's CSV columns as DuckDB reads them (docs/open-data.md)."""
TABLE_SCHEMA = {"string": "VARCHAR", "number": MONEY, "integer": "INTEGER", "date": "DATE", "yearmonth": "VARCHAR",
                "year": "INTEGER", "boolean": "BOOLEAN"}
"""A Table Schema type as DuckDB reads it (every ``number`` of the package is an amount but the
rates, read as DECIMAL(9,1))."""


def columns(types: dict[str, str]) -> str:
    """A ``read_csv`` ``columns`` struct: every column named and typed, nothing guessed."""
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in types.items()) + "}"


def package_types(descriptor: Path, resource: str) -> dict[str, str]:
    """The DuckDB types of a resource's columns, from its Table Schema in ``datapackage.json``."""
    package = json.loads(descriptor.read_text(encoding="utf-8"))
    [found] = [r for r in package["resources"] if r["name"] == resource]
    return {f["name"]: "DECIMAL(9,1)" if f["name"].endswith("_rate") else TABLE_SCHEMA[f["type"]]
            for f in found["schema"]["fields"]}


def query(sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


@pytest.fixture
def ministry(cli: Cli, tmp_path: Path) -> Path:
    """Three conventions of two délégants in one repository: the bundled two and MINI."""
    for folder in ("fabrique", "territoires", "mini"):
        (tmp_path / "conventions" / folder / "ledgers").mkdir(parents=True)
    shutil.copy(SEED, tmp_path / "conventions" / "fabrique" / "convention.yaml")
    shutil.copy(SEED_LEDGER, tmp_path / "conventions" / "fabrique" / "ledgers" / SEED_LEDGER.name)
    shutil.copy(SECOND, tmp_path / "conventions" / "territoires" / "convention.yaml")
    (tmp_path / "conventions" / "mini" / "convention.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "conventions" / "mini" / "mini.ledger").write_text(MINI_LEDGER, encoding="utf-8")
    return tmp_path / "conventions"


def test_duckdb_reads_the_portfolio_csv_to_the_cent(cli: Cli, ministry: Path, tmp_path: Path) -> None:
    for fmt in ("csv", "json"):
        result = cli("portfolio", str(ministry), "--month", "2020-06", "--format", fmt, "--output", f"p.{fmt}")
        assert (result.exit_code, result.stderr) == (0, ""), result.stderr
    portfolio = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    table = f"read_csv('{tmp_path / 'p.csv'}', header = true, columns = {columns(PORTFOLIO)})"
    rows = query(f"SELECT id, programme, envelope, ae_committed, cp_paid, remaining_to_pay, ae_available, "
                 f"cp_available, year_ae_available FROM {table} ORDER BY file")
    expected = sorted(portfolio["conventions"], key=lambda c: c["file"])
    assert len(rows) == len(expected) == 3
    for row, line in zip(rows, expected, strict=True):
        totals = line["totals"]
        assert row[:2] == (line["id"], line["programme"])
        assert row[2:8] == tuple(Decimal(totals[k]) for k in ("envelope", "ae_committed", "cp_paid",
                                                              "remaining_to_pay", "ae_available", "cp_available"))
        assert row[8] == (None if line["year"] is None else Decimal(line["year"]["ae_available"]))
    sums = query(f"SELECT delegant, count(*), sum(envelope), sum(ae_committed), sum(cp_paid), sum(remaining_to_pay) "
                 f"FROM {table} WHERE valid GROUP BY delegant ORDER BY delegant")
    assert sums == sorted((g["delegant"], g["conventions"], *(Decimal(g[k]) for k in (
        "envelope", "ae_committed", "cp_paid", "remaining_to_pay"))) for g in portfolio["totals"]["delegants"])
    [(envelope, committed)] = query(f"SELECT sum(envelope), sum(ae_committed) FROM {table}")
    # by hand: 750 000 + 320 000 + 1 000 of envelope; in June 2020 only the first has begun
    assert (envelope, committed) == (Decimal("1071000.00"), Decimal("607500.00"))


def test_duckdb_reads_many_packages_at_once_to_the_cent(cli: Cli, ministry: Path, tmp_path: Path) -> None:
    """`delegation publish` for every convention, then one query over all their CSVs (a glob):
    each team's movements add up to its figures in the report's JSON, to the cent."""
    reports = {}
    for folder in ("fabrique", "territoires", "mini"):
        conv = str(ministry / folder / "convention.yaml")
        month = "2022-03" if folder == "mini" else ("2023-01" if folder == "territoires" else "2020-06")
        result = cli("publish", "-c", conv, "--month", month, "--output", f"open-data/{folder}")
        assert (result.exit_code, result.stderr) == (0, ""), result.stderr
        reports[folder] = json.loads(cli("report", "-c", conv, "--month", month, "--format", "json").stdout)
    descriptor = tmp_path / "open-data" / "mini" / "datapackage.json"
    movements = (f"read_csv('{tmp_path}/open-data/*/movements.csv', header = true, "
                 f"columns = {columns(package_types(descriptor, 'movements'))})")
    sums = query(f"SELECT convention, team, sum(ae_committed - ae_released), sum(cp_paid) FROM {movements} "
                 "GROUP BY convention, team ORDER BY convention, team")
    expected = sorted((r["convention"]["id"], t["team"], Decimal(t["ae_committed"]), Decimal(t["cp_paid"]))
                      for r in reports.values() for t in r["teams"] if t["ae_committed"] != "0.00")
    assert sums == expected
    assert ("mini", "beta", Decimal("30.00"), Decimal("0.00")) in sums  # by hand (tests/test_publish.py)
    summary = (f"read_csv('{tmp_path}/open-data/*/summary.csv', header = true, "
               f"columns = {columns(package_types(descriptor, 'summary'))})")
    totals = query(f"SELECT convention, envelope, ae_committed, cp_paid, remaining_to_pay FROM {summary} "
                   "ORDER BY convention")
    assert totals == sorted((r["convention"]["id"], *(Decimal(r["totals"][k]) for k in (
        "envelope", "ae_committed", "cp_paid", "remaining_to_pay"))) for r in reports.values())


def test_references_are_read_as_text_as_the_schema_says(cli: Cli, ministry: Path, tmp_path: Path) -> None:
    """Codes are text: read as the schema types them, a programme and a Chorus activité stay as
    written; left to DuckDB's guess, the programme becomes a number."""
    conv = str(ministry / "fabrique" / "convention.yaml")
    assert cli("publish", "-c", conv, "--month", "2020-06", "--output", "pkg").exit_code == 0
    path = tmp_path / "pkg" / "convention.csv"
    types = package_types(tmp_path / "pkg" / "datapackage.json", "convention")
    typed = f"read_csv('{path}', header = true, columns = {columns(types)})"
    assert query(f"SELECT activite, programme, envelope, signed FROM {typed}") == [
        ("021701010163", "217", Decimal("750000.00"), dt.date(2019, 12, 9))]
    assert query(f"SELECT programme FROM read_csv('{path}', header = true)") == [(217,)]

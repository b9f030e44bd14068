"""The benchmark script works (short version: 1 000 and 3 000 entries, one round).

Timings are never asserted: only that every command ran and exited as expected, and that
the figures and the targets (met or not) are printed and written.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

SIZE_ROWS = {"report", "report (table)", "check", "commit --dry-run", "reconcile", "commit", "hledger balance",
             "ledger balance", *(f"export {fmt}" for fmt in ("hledger", "beancount", "csv", "json", "ods", "xlsx"))}
STARTUP_ROWS = {"python -c 'import typer'", "minimal Typer command", "Typer, commit's 12 params", "delegation --help",
                "seed: check", "seed: report", "seed: report --format json", "seed: commit --dry-run", "seed: log",
                "TAB: a command", "TAB: a team"}


@pytest.mark.slow
def test_bench_run_short_version(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run"), "--sizes", "1000,3000", "--repeat", "1",
                             "--portfolio", "4",
                             "--out", str(tmp_path / "work"), "--json", str(out)],
                            capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert set(figures["sizes"]) == {"1000", "3000"}
    missing_peers = {peer for peer in ("hledger", "ledger") if shutil.which(peer) is None}
    for rows in figures["sizes"].values():
        assert set(rows) == {row for row in SIZE_ROWS if row.split()[0] not in missing_peers}
        assert not any("cache" in name for name in rows)
        assert all(row["exit_codes"] == [0] and row["runs"] == 1 for row in rows.values()), rows
    assert set(figures["startup"]) == STARTUP_ROWS
    assert all(row["exit_codes"] == [0] for row in figures["startup"].values()), figures["startup"]

    assert set(figures["portfolio"]) == {"4 conventions", "one report"}
    assert all(row["exit_codes"] == [0] for row in figures["portfolio"].values()), figures["portfolio"]

    # Targets: the portfolio's and the start-up ones only, since 100 000 and 1 000 000 are not in --sizes.
    targets = figures["targets"]
    assert [t["name"] for t in targets] == [
        "portfolio: 4 conventions: CPU ms per convention of 1000 entries",
        *(f"start-up: {row} / Typer, commit's 12 params"
          for row in ("seed: check", "seed: report --format json", "seed: commit --dry-run", "seed: log",
                      "seed: report", "delegation --help", "TAB: a command", "TAB: a team"))]
    assert [t["limit"] for t in targets] == [12.0, 1.15, 1.15, 1.15, 1.15, 1.3, 1.05, 1.05, 1.05]
    for t in targets:
        assert {"name", "value", "limit", "met"} <= set(t)
        assert isinstance(t["value"], float) and t["value"] > 0

    lines = result.stdout.splitlines()
    rows = [line.split() for line in lines]
    assert ["1000", "report"] in [row[:2] for row in rows] and ["3000", "check"] in [row[:2] for row in rows]
    block = lines[lines.index("targets (this run):") + 1:]
    assert len(block) == len(targets)
    for t, line in zip(targets, block, strict=True):  # what is printed is what is written, target by target
        assert line.split()[:2] == (["met", t["name"].split()[0]] if t["met"] else ["NOT", "met"]), line
        if "CPU ms" in t["name"]:
            assert t["name"] in line and f"{t['value']:.1f} ms" in line and f"(limit {t['limit']} ms)" in line, line
        else:
            assert t["name"] in line and f"x{t['value']:.3f}" in line and f"(limit x{t['limit']})" in line, line

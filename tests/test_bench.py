"""The benchmark script works (short version: 1 000 and 10 000 entries, one round).

Timings are never asserted: only that every command ran and exited as expected, and that
the figures are printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT


def test_bench_run_short_version(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run"), "--sizes", "1000,10000", "--repeat", "1",
                             "--out", str(tmp_path / "work"), "--json", str(out)],
                            capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert set(figures["sizes"]) == {"1000", "10000"}
    for rows in figures["sizes"].values():
        assert {"report", "check",
                "commit --dry-run", "commit"} <= set(rows)
        assert all(row["exit_codes"] == [0] for row in rows.values()), rows
    assert {"python -c 'import typer'", "minimal Typer command", "seed: report", "seed: commit --dry-run"} <= set(
        figures["startup"])
    assert all(row["exit_codes"] == [0] for row in figures["startup"].values()), figures["startup"]
    rows = [line.split() for line in result.stdout.splitlines()]
    assert ["1000", "report"] in [row[:2] for row in rows] and ["10000", "check"] in [row[:2] for row in rows]

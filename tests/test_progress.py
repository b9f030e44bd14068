"""Long work shows progress on stderr when it is a terminal, nothing when piped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from delegation_cli.core.lines import header_line
from delegation_cli.report.progress import ProgressBar
from delegation_cli.store import reader as ledger
from delegation_cli.store.reader import PROGRESS, LedgerReader

from .conftest import MINI, Cli, with_checksums


def _ledger(tmp_path: Path, lines: int) -> Path:
    path = tmp_path / "mini.ledger"
    body = "".join(f"2021-03-01 note n-{i} alpha \"Point {i}\"\n" for i in range(lines))
    path.write_text(with_checksums(f"{header_line('mini')}\n{body}"), encoding="utf-8")
    return path


def test_the_reader_reports_each_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _ledger(tmp_path, 50)
    monkeypatch.setattr(ledger, "BLOCK", 256)
    calls: list[tuple[int, int, str, str]] = []
    token = PROGRESS.set(lambda *call: calls.append(call))
    try:
        with ledger.opened_for_reading(path) as fd:
            entries = list(LedgerReader(fd, "mini.ledger"))
    finally:
        PROGRESS.reset(token)
    size = path.stat().st_size
    assert len(entries) == 50 and len(calls) == -(-size // 256)
    assert [c[0] for c in calls] == sorted(c[0] for c in calls) and calls[-1] == (size, size, "mini.ledger", "bytes")


def test_a_bar_on_a_terminal_only_above_the_threshold() -> None:
    shown = io.StringIO()
    bar = ProgressBar(Console(file=shown, force_terminal=True, width=80))
    bar(1_000, 5_000_000, "small.ledger", "bytes")  # below 10 MB: nothing
    assert shown.getvalue() == ""
    bar(5_000_000, 20_000_000, "big.ledger", "bytes")
    bar(20_000_000, 20_000_000, "big.ledger", "bytes")
    assert "big.ledger" in shown.getvalue()
    piped = io.StringIO()
    quiet = ProgressBar(Console(file=piped, force_terminal=False))
    quiet(5_000_000, 20_000_000, "big.ledger", "bytes")
    quiet(200_000, 300_000, "rows.csv", "rows")
    assert piped.getvalue() == ""


def test_nothing_on_stderr_when_piped(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    _ledger(tmp_path, 20)
    monkeypatch.setattr(ProgressBar, "THRESHOLDS", {"bytes": 0, "rows": 0})
    for args in (("check",), ("log", "--format", "json"), ("report", "--month", "2021-03", "--format", "json")):
        result = cli(*args)
        assert result.exit_code == 0 and "Point" not in result.stderr and "━" not in result.stderr, args

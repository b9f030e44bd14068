"""Tables never lose data: piped, every value whole and no trailing space; on a narrow
terminal, free text wraps within its cell, amounts and ids never."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from delegation_cli.core import i18n
from delegation_cli.report.build import build_report
from delegation_cli.report.terminal import render_text, report_renderables
from delegation_cli.store.convention import require_convention

from .conftest import SEED, SEED_LEDGER, Cli

AMOUNT = re.compile("-?\\d{1,3}(?:\u202f\\d{3})*,\\d{2}\u00a0€")




def _ledger_values() -> set[str]:
    """Ids, references and labels as the seed ledger holds them."""
    values = set()
    for line in SEED_LEDGER.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith(("#", ";")) or not line[0].isdigit():
            continue
        values.add(line.split()[2])  # the entry's id
        values.update(re.findall(r'ref=(\S+)', line))
        values.update(re.findall(r'"([^"]*)"$', line))
    return values


def test_piped_log_prints_every_value_whole(seed_example: Cli) -> None:
    result = seed_example("log", env={"COLUMNS": "60"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "…" not in result.stdout
    assert all(line == line.rstrip() for line in lines)
    for value in _ledger_values():
        assert value in result.stdout, value


def test_piped_report_keeps_every_column_and_value(seed_example: Cli) -> None:
    result = seed_example("report", "--month", "2020-06", "--full", "--lang", "en", env={"COLUMNS": "60"})
    assert result.exit_code == 0
    out = result.stdout
    assert "…" not in out
    assert all(line == line.rstrip() for line in out.splitlines())
    header = next(line for line in out.splitlines() if line.startswith("Date ") and "Label" in line)
    assert header.split() == ["Date", "Kind", "Team", "Amount", "Reference", "Label"]  # documents: no internal id
    assert "Biocarburants" in out and "2020-06-29" in out


def test_a_narrow_terminal_wraps_text_never_amounts(tmp_path: Path) -> None:
    loaded = require_convention(SEED)
    with i18n.using("fr"):
        report = build_report(loaded, ledger=None, month="2020-06", team=None, final=False,
                              today=dt.date(2026, 1, 1))
        wide = render_text(report_renderables(report, full=True, width=0))
        narrow = render_text(report_renderables(report, full=True, width=60), width=60)
    assert "…" not in narrow
    assert all(line == line.rstrip() for line in narrow.splitlines())
    # Every amount of the unwrapped report appears whole, as many times, in the wrapped one.
    assert sorted(AMOUNT.findall(narrow)) == sorted(AMOUNT.findall(wide))
    # The alerts' messages wrap between words: "20 000,00 €" is never split over two lines.
    assert not any(re.search(r"\d$", line) and re.match(r"\s*\d{3},\d{2}", following)
                   for line, following in zip(narrow.splitlines(), narrow.splitlines()[1:], strict=False))

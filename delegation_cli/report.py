"""Rendering: what a person or a script sees.  The home of rich.

This module owns presentation: tables of entries, the confirmation of a recorded entry
with the resulting availability, the summary of ``check``, spreadsheet-safe CSV.  Its
functions return text or rich renderables and never print: ``cli.py`` owns the consoles.
Amounts use the French human form (``125 000,00 €``) except in machine formats (JSON,
CSV), which use the plain form (``125000.00``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence

from rich.table import Table

from .actions import CheckResult, Outcome
from .errors import Problem
from .ledger import AMOUNT_KINDS, Entry
from .money import format_canonical, format_fr

STYLE_HEADER = "bold"
STYLE_AMOUNT = "cyan"
STYLE_ERROR = "bold red"
STYLE_WARNING = "yellow"

CSV_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(cell: str) -> str:
    """Neutralise a text cell a spreadsheet would run as a formula (prefix ``'``)."""
    return f"'{cell}" if cell.startswith(CSV_UNSAFE_START) else cell


def problems_text(problems: Iterable[Problem]) -> str:
    """One line per problem, ``FILE:LINE:COL: severity: message``."""
    return "".join(f"{p.render()}\n" for p in problems)


def problems_json(problems: Sequence[Problem]) -> str:
    return json.dumps([p.as_json() for p in problems], ensure_ascii=False, indent=2) + "\n"


def check_summary(result: CheckResult) -> str:
    """The one-line verdict of ``delegation check`` (stdout)."""
    verdict = "invalid" if result.errors else "valid"
    counts = f"{result.errors} error{'s' * (result.errors != 1)}, " \
             f"{result.warnings} warning{'s' * (result.warnings != 1)}"
    text = f"{result.convention_path}: {verdict} ({counts})"
    if result.ledger_path is not None and result.ledger_entries is not None:
        text += f"; ledger {result.ledger_path}: {result.ledger_entries} " \
                f"entr{'ies' if result.ledger_entries != 1 else 'y'}"
    return text + "\n"


# --------------------------------------------------------------------------------------
# Writing commands
# --------------------------------------------------------------------------------------


def _describe(entry: Entry) -> str:
    parts = [f"{entry.kind} {entry.id}", entry.date.isoformat(), entry.team]
    if entry.kind in AMOUNT_KINDS:
        parts.append(format_fr(entry.amount))
    if entry.kind == "forecast":
        parts.append(f"{'orders (AE)' if entry.forecast_type == 'ae' else 'payments (CP)'} "
                     f"for {entry.month}")
    if entry.commitment:
        parts.append(f"on {entry.commitment}")
    if entry.ref:
        parts.append(f"ref {entry.ref}")
    return ", ".join(parts)


def _row(name: str, figures: tuple[int, int, int], used: str) -> str:
    opened, consumed, available = figures
    return (f"  {name:<16} {format_fr(opened):>14}   {used} {format_fr(consumed):>14}   "
            f"available {format_fr(available):>14}\n")


def outcome_text(outcome: Outcome) -> str:
    """Confirmation of a writing command, with the availability it leaves."""
    entry = outcome.entry
    head = "Recorded" if outcome.written else "Would record (dry run, nothing written)"
    text = f"{head} {_describe(entry)}\n"
    avail = outcome.availability
    if avail is None or entry.kind == "note":
        return text
    year = int(entry.month[:4]) if entry.kind == "forecast" and entry.month else entry.year
    if entry.kind in ("commitment", "release") or entry.forecast_type == "ae":
        text += _row(f"team {entry.team}", avail.team(entry.team), "committed")
        text += _row(f"AE {year}", avail.ae(year), "committed")
        text += _row("envelope", avail.envelope(), "committed")
    else:
        text += _row(f"CP {year}", avail.cp(year), "paid     ")
    if entry.commitment:
        state = avail.replay.commitments.get(entry.commitment)
        if state is not None:
            text += (f"  commitment {state.entry.id}: committed {format_fr(state.entry.amount)}, "
                     f"released {format_fr(state.released)}, paid {format_fr(state.paid)}, "
                     f"reste à payer {format_fr(state.remaining)}\n")
    return text


def outcome_json(outcome: Outcome) -> str:
    data = outcome.entry.as_json()
    data["written"] = outcome.written
    data["ledger"] = str(outcome.ledger_path)
    data["warnings"] = [p.as_json() for p in outcome.warnings]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


# --------------------------------------------------------------------------------------
# log
# --------------------------------------------------------------------------------------

LOG_COLUMNS = ("line", "date", "kind", "id", "team", "amount", "ref", "commitment",
               "marche", "prestation", "service_fait", "month", "type", "author", "label")


def _log_row(entry: Entry) -> dict[str, str]:
    return {
        "line": str(entry.line),
        "date": entry.date.isoformat(),
        "kind": entry.kind,
        "id": entry.id,
        "team": entry.team,
        "amount": format_canonical(entry.amount) if entry.kind in AMOUNT_KINDS else "",
        "ref": entry.ref or "",
        "commitment": entry.commitment or "",
        "marche": entry.marche or "",
        "prestation": entry.prestation or "",
        "service_fait": entry.service_fait.isoformat() if entry.service_fait else "",
        "month": entry.month or "",
        "type": entry.forecast_type or "",
        "author": entry.author or "",
        "label": entry.label,
    }


def log_table(entries: Sequence[Entry]) -> Table:
    table = Table(header_style=STYLE_HEADER, box=None, pad_edge=False)
    for name, justify in (("Line", "right"), ("Date", "left"), ("Kind", "left"),
                          ("Id", "left"), ("Team", "left"), ("Amount", "right"),
                          ("Reference", "left"), ("Label", "left")):
        table.add_column(name, justify=justify, no_wrap=name != "Label")  # type: ignore[arg-type]
    for e in entries:
        ref = e.ref or ""
        if e.commitment:
            ref = f"→ {e.commitment}" + (f" {e.ref}" if e.ref else "")
        if e.kind == "forecast":
            ref = f"{e.forecast_type} {e.month}"
        table.add_row(str(e.line), e.date.isoformat(), e.kind, e.id, e.team,
                      format_fr(e.amount) if e.kind in AMOUNT_KINDS else "",
                      ref, e.label, style=None)
    return table


def log_json(entries: Sequence[Entry]) -> str:
    return json.dumps([e.as_json() for e in entries], ensure_ascii=False, indent=2) + "\n"


def log_csv(entries: Sequence[Entry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(LOG_COLUMNS)
    for entry in entries:
        row = _log_row(entry)
        writer.writerow([csv_safe(row[c]) for c in LOG_COLUMNS])
    return buffer.getvalue()

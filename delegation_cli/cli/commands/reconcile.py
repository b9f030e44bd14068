"""``delegation reconcile``: a Chorus extract (CSV, .xlsx, .ods) against the ledger."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ...core.dialects import CsvDialect
from ...core.errors import ExitCode
from ...core.i18n import _
from ..environment import Environment
from ..options import ConventionOpt, DialectOpt, LangOpt, LedgerOpt, month_option
from ..output import deliver, refuse_binary_on_terminal
from . import command


class ReconcileFormat(enum.StrEnum):
    """The reconciliation's formats, as registered in ``report/formats.py`` (a test holds them equal)."""

    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    ods = "ods"
    xlsx = "xlsx"


@command(help=_(
    "Compare a Chorus extract (CSV, .xlsx or .ods restitution) with the ledger, EJ by EJ: EJ that Chorus "
    "knows and the ledger does not, commitments whose EJ Chorus does not know or without an EJ number, "
    "committed and paid amounts that differ, to the cent.\n\n"
    "The header row is found by the columns' names (N° EJ, Montant engagé, Montant payé…; the convention "
    "may rename them under imputation.chorus.columns); empty and « Résultat » subtotal rows are dropped, "
    "rows of another centre financier left aside, postes summed per EJ. Exit 0 when they agree, 1 when they "
    "differ, 2 when the extract cannot be read (one line per bad row).\n\n"
    "Example: delegation reconcile INFBUD-juin.xlsx --month 2020-06"))
def reconcile(
    env: Environment,
    extract: Annotated[str, typer.Argument(metavar="EXTRACT", help=_("The Chorus extract: .csv, .xlsx or .ods."))],
    month: Annotated[str | None, month_option(_("Compare with the ledger as of the end of this month "
                                                     "(default: every entry)."))] = None,
    output: Annotated[ReconcileFormat, typer.Option("--format", case_sensitive=False, help=_(
        "table, markdown, csv, json, ods or xlsx."))] = ReconcileFormat.table,
    output_file: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                                    help=_("Write to FILE (atomically) instead of stdout."))] = None,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.formats import render
    from ...report.reconciliation import build_reconciliation
    from ...store.actions import ledger_path_for
    from ...store.convention import require_convention

    loaded = require_convention(Path(convention))
    result = build_reconciliation(loaded, Path(extract), ledger=ledger, month=month,
                                  lang=str(lang.value) if lang is not None else None)
    screen = env if output_file is None else env.to_file()
    refuse_binary_on_terminal(output.value, screen.stdout_isatty)
    rendered = render("reconcile", output.value, result, dialect=dialect, width=screen.width, color=screen.color)
    deliver(rendered, output_file, protected=ledger_path_for(loaded, ledger), convention=loaded.path)
    return ExitCode.OK if result.agree else ExitCode.PROBLEMS

"""``delegation import``: append entries in bulk from a CSV, .xlsx or .ods file, all or none."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _
from ..environment import Environment
from ..options import AuthorOpt, ConventionOpt, DryRunOpt, LangOpt, LedgerOpt
from ..output import said
from . import command


@command(name="import", help=_(
    "Import entries in bulk from a CSV, .xlsx or .ods file: all rows are appended, or none.\n\n"
    "The header row names the columns in English or in French (date, kind or nature, team or équipe, amount or "
    "montant…); kinds may be written in English or French (payment, paiement). "
    "Every row is checked with the ledger (availability control in date order); rows already in the ledger are "
    "reported as duplicates and skipped.\n\n"
    "Example: delegation import suivi-2020.xlsx --dry-run"))
def import_(
    env: Environment,
    source: Annotated[str, typer.Argument(metavar="FILE", help=_(
        "CSV, .xlsx or .ods file (its first sheet) with a header row."))],
    author: AuthorOpt = None,
    dry_run: DryRunOpt = False,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.messages import import_text, problems_text
    from ...store.actions import ledger_path_for, stamp
    from ...store.convention import require_convention
    from ...store.importer import import_csv

    loaded = require_convention(Path(convention))
    result = import_csv(loaded, ledger_path_for(loaded, ledger), Path(source), dry_run=dry_run,
                        stamp=stamp(author))
    notes = problems_text([*result.duplicates, *result.warnings]) if result.duplicates or result.warnings else ""
    return said(import_text(result), notes, written=result.written and bool(result.entries))

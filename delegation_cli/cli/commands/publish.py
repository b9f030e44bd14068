"""``delegation publish``: the convention's open-data package (art. 8), a Frictionless data package."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _
from ..environment import Environment
from ..options import ConventionOpt, LangOpt, LedgerOpt, month_option
from ..output import emit
from . import command


@command(help=_(
    "Write the convention's open-data package (art. 8, for data.gouv.fr): datapackage.json, with a Table Schema "
    "per table, and one CSV per table — the convention, its credits per budget year, its teams, the "
    "commitments, releases and payments per team and month, the figures of the monthly report. No personal "
    "data: no author, label or note.\n\n"
    "The figures are those of the report of the month; a ledger with errors is refused. Titles and "
    "descriptions are in French unless --lang en (or the convention's reporting.language).\n\n"
    "Example: delegation publish --month 2020-06 --output open-data/fabrique-numerique-s3"))
def publish(
    env: Environment,
    month: Annotated[str | None, month_option(_("Month whose figures are published (default: this month, "
                                                     "within the period)."))] = None,
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="DIR",
                                               help=_("Folder to write the package in (default: "
                                                      "open-data/<convention id>; created if missing)."))] = None,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...core.i18n import format_date
    from ...report.datapackage import publish as write_package
    from ...store.convention import require_convention

    loaded = require_convention(Path(convention))
    done = write_package(loaded, None if output is None else Path(output), ledger=ledger, month=month,
                         today=dt.date.today(), lang=None if lang is None else str(lang.value))
    report = done.publication.report
    lines = [_("Wrote the open-data package of {convention} (figures as of {date}) in {folder}:").format(
        convention=report.conv.id, date=format_date(report.as_of), folder=done.folder)]
    lines += [f"  {path}" for path in done.files]
    emit("\n".join(lines) + "\n")
    return ExitCode.OK

"""``delegation report``: the monthly report (compte rendu of article 5) in one of its formats."""

from __future__ import annotations

import datetime as dt
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


class ReportFormat(enum.StrEnum):
    """The report's formats, as registered in ``report/formats.py`` (a test holds them equal)."""

    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    pdf = "pdf"
    ods = "ods"
    xlsx = "xlsx"


@command(help=_(
    "Print the monthly report (compte rendu of article 5): spending, progress, forecasts, alerts.\n\n"
    "Figures are as of the last day of the month; entries dated after it are ignored.\n\n"
    "Example: delegation report --month 2020-06 --format markdown"))
def report(
    env: Environment,
    month: Annotated[str | None, month_option(_("Month reported (default: this month, "
                                                     "within the period)."))] = None,
    team: Annotated[str | None, typer.Option("--team", help=_("Only this team."))] = None,
    final: Annotated[bool, typer.Option("--final", help=_("The end-of-convention report."))] = False,
    output: Annotated[ReportFormat, typer.Option("--format", case_sensitive=False,
                                                 help=_("table, json, csv, markdown, html, pdf, ods or xlsx."))] = (
        ReportFormat.table
    ),
    output_file: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                                    help=_("Write to FILE (atomically) instead of stdout."))] = None,
    full: Annotated[bool, typer.Option("--full", help=_("The whole report on the terminal (the table format "
                                                        "shows the synthèse, alerts, teams, years, forecasts "
                                                        "and notes)."))] = False,
    fail_on_alert: Annotated[bool, typer.Option("--fail-on-alert",
                                                help=_("Exit 1 on an alert of severity warning or error."))] = False,
    allow_invalid: Annotated[bool, typer.Option("--allow-invalid",
                                                help=_("Render the report even when the ledger has errors "
                                                "(they come first)."))] = False,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.build import build_report
    from ...report.figures import alerting
    from ...report.formats import render
    from ...store.actions import ledger_path_for
    from ...store.convention import require_convention

    loaded = require_convention(Path(convention))
    screen = env if output_file is None else env.to_file()
    refuse_binary_on_terminal(output.value, screen.stdout_isatty)
    result = build_report(loaded, ledger=ledger, month=month, team=team, final=final, today=dt.date.today(),
                          allow_invalid=allow_invalid, lang=lang)
    # the registry renders the report in its own language (report/formats.py)
    rendered = render("report", output.value, result, dialect=dialect, width=screen.width, color=screen.color,
                      full=full or output_file is not None)
    deliver(rendered, output_file, protected=ledger_path_for(loaded, ledger), convention=loaded.path)
    alerts = alerting(result)
    return ExitCode.PROBLEMS if fail_on_alert and alerts else ExitCode.OK

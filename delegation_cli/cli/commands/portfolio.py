"""``delegation portfolio``: many conventions summarised, one line each, with totals."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Annotated

import typer

from ...core.dialects import CsvDialect
from ...core.errors import ExitCode
from ...core.i18n import _
from ..environment import Environment
from ..options import DialectOpt, LangOpt, month_option
from ..output import deliver, refuse_binary_on_terminal
from . import command


class PortfolioFormat(enum.StrEnum):
    """The portfolio's formats, as registered in ``report/formats.py`` (a test holds them equal)."""

    table = "table"
    markdown = "markdown"
    csv = "csv"
    json = "json"
    html = "html"
    ods = "ods"
    xlsx = "xlsx"


@command(help=_(
    "Summarise many conventions, one line each: figures of each one's report, check verdict, alerts; then "
    "totals per délégant and per programme, and the alerts that require informing a délégant.\n\n"
    "PATHs are convention files, or folders searched for them (YAML files with two of a convention's "
    "top-level keys, as the pre-commit hook tells them). "
    "A convention that fails check is listed with its first problem and the exit code is then 1; so is a "
    "folder that cannot be searched, and with --fail-on-alert when an alert requires informing a délégant.\n\n"
    "Example: delegation portfolio examples/ --format markdown"))
def portfolio(
    env: Environment,
    paths: Annotated[list[str] | None, typer.Argument(metavar="[PATH]...",
                                                      help=_("Convention files or folders (default: the "
                                                             "current folder)."))] = None,
    month: Annotated[str | None, month_option(_("Month reported for every convention (default: this "
                                                     "month, within each convention's period)."))] = None,
    output: Annotated[PortfolioFormat, typer.Option("--format", case_sensitive=False,
                                                    help=_("table, markdown, csv, json, html, ods or xlsx."))] = (
        PortfolioFormat.table
    ),
    output_file: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                                    help=_("Write to FILE (atomically) instead of stdout."))] = None,
    fail_on_alert: Annotated[bool, typer.Option("--fail-on-alert", help=_(
        "Exit 1 when an alert requires informing a délégant (art. 5: credits insufficient or likely to stay "
        "unused), for a scheduled job."))] = False,
    dialect: DialectOpt = CsvDialect.RFC4180,
    lang: LangOpt = None,
) -> ExitCode:
    from ...core.errors import Problem
    from ...core.i18n import REPORT_DEFAULT
    from ...report.formats import render
    from ...report.messages import problems_text
    from ...report.portfolio import build_portfolio, problems_of

    document = str(lang.value) if lang is not None else REPORT_DEFAULT
    result = build_portfolio(paths or [], month=month, today=dt.date.today(), lang=document, messages=env.language)
    screen = env if output_file is None else env.to_file()
    refuse_binary_on_terminal(output.value, screen.stdout_isatty)
    rendered = render("portfolio", output.value, result, dialect=dialect, width=screen.width, color=screen.color)
    problems = problems_of(result)
    informed = [Problem(line.file, None, None, alert.severity, alert.code, alert.message)
                for line, alert in (result.inform() if fail_on_alert else [])]  # the job's log says why it fails
    if problems or informed:
        typer.echo(problems_text([*problems, *informed]), err=True, nl=False)
    deliver(rendered, output_file)  # any existing ledger or YAML file is refused
    return ExitCode.PROBLEMS if result.invalid or informed else ExitCode.OK

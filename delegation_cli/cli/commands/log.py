"""``delegation log``: the ledger's entries, filtered, as a table, JSON or CSV."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ...core.dialects import CsvDialect
from ...core.errors import ExitCode
from ...core.i18n import _, using
from ..environment import Environment
from ..options import ConventionOpt, DialectOpt, LangOpt, LedgerOpt, month_option
from ..output import emit, refuse_binary_on_terminal, sheet_language
from . import command


class Format(enum.StrEnum):
    """The log's formats, as registered in ``report/formats.py`` (a test holds them equal)."""

    table = "table"
    json = "json"
    csv = "csv"
    ods = "ods"
    xlsx = "xlsx"


def as_kind(text: str) -> str:
    """A kind of entry as ``--kind`` takes it: its key or its name in English or French
    (``payment``, « paiement »), every kind (``core/kinds.py``) but the seal."""
    from ...core.kinds import KINDS, kind_name, kind_named

    kind = kind_named(text)
    if kind is None or kind == "seal":
        names = ", ".join(f"{k} ({kind_name(k)})" if kind_name(k) != k else k for k in KINDS if k != "seal")
        raise typer.BadParameter(_("{kind} is not a kind of entry (expected one of: {kinds})").format(
            kind=repr(text), kinds=names))
    return kind


@command(help=_(
    "List the ledger's entries, in file order; the lines that cannot be read (or break a rule) are printed on "
    "stderr, and the exit code is then 1.\n\n"
    "Example: delegation log --team friches --kind paiement --format csv"))
def log(
    env: Environment,
    team: Annotated[str | None, typer.Option("--team", help=_("Only this team."))] = None,
    month: Annotated[str | None, month_option(_("Only entries dated in this month."))] = None,
    kind: Annotated[str | None, typer.Option("--kind", parser=as_kind, metavar="KIND", help=_(
        "Only this kind of entry: commitment, payment, release, forecast, note, cancel or service-fait (or its "
        "French name: engagement, paiement, dégagement…)."))] = None,
    output: Annotated[Format, typer.Option("--format", case_sensitive=False,
                                           help=_("table, json, csv, ods or xlsx."))] = Format.table,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.formats import render
    from ...report.messages import problems_text
    from ...store.actions import read_entries, select_entries
    from ...store.convention import require_convention

    refuse_binary_on_terminal(output.value, env.stdout_isatty)
    loaded = require_convention(Path(convention))
    book = read_entries(loaded, ledger)[1]
    entries = select_entries(book.entries or [], team=team, month=month, kind=kind)
    if book.problems:
        typer.echo(problems_text(book.problems), err=True, nl=False)
    # as rendered: echo would strip the table's colours
    with using(sheet_language(output.value, lang)):  # a workbook is a document: French unless --lang
        emit(render("log", output.value, entries, dialect=dialect, width=env.width, color=env.color))
    return ExitCode.PROBLEMS if book.errors else ExitCode.OK

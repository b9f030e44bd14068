"""``delegation log``: the ledger's entries, filtered, as a table, JSON or CSV."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _
from ...core.kinds import KINDS
from ...report.formats import CsvDialect
from ..environment import Environment
from ..options import ConventionOpt, DialectOpt, LangOpt, LedgerOpt, as_month
from ..output import emit
from . import command


class Format(enum.StrEnum):
    """The log's formats, as registered in ``report/formats.py`` (a test holds them equal)."""

    table = "table"
    json = "json"
    csv = "csv"


EntryKind = enum.StrEnum("EntryKind", [(kind, kind) for kind in KINDS if kind != "seal"])  # type: ignore[misc]
"""The kinds ``--kind`` takes: every kind of entry (``core/kinds.py``) but the seal."""


@command(help=_(
    "List the ledger's entries, in file order; the lines that cannot be read (or break a rule) are printed on "
    "stderr, and the exit code is then 1.\n\n"
    "Example: delegation log --team friches --kind payment --format csv"))
def log(
    env: Environment,
    team: Annotated[str | None, typer.Option("--team", help=_("Only this team."))] = None,
    month: Annotated[str | None, typer.Option("--month", parser=as_month, metavar="YYYY-MM",
                                              help=_("Only entries dated in this month."))] = None,
    kind: Annotated[EntryKind | None, typer.Option("--kind", case_sensitive=False,
                                                                 help=_("Only this kind of entry."))] = None,
    output: Annotated[Format, typer.Option("--format", case_sensitive=False,
                                                               help=_("table, json or csv."))] = Format.table,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.formats import render_text
    from ...report.messages import problems_text
    from ...store.actions import read_entries, select_entries
    from ...store.convention import require_convention

    loaded = require_convention(Path(convention))
    book = read_entries(loaded, ledger)[1]
    entries = select_entries(book.entries or [], team=team, month=month, kind=kind.value if kind else None)
    if book.problems:
        typer.echo(problems_text(book.problems), err=True, nl=False)
    # as rendered: echo would strip the table's colours
    emit(render_text("log", output.value, entries, dialect=dialect, width=env.width, color=env.color))
    return ExitCode.PROBLEMS if book.errors else ExitCode.OK

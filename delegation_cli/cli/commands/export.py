"""``delegation export``: the whole ledger for hledger/ledger, beancount, a spreadsheet or a script."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _
from ...report.formats import CsvDialect
from ..environment import Environment
from ..options import ConventionOpt, DialectOpt, LangOpt, LedgerOpt, as_date
from ..output import emit
from . import command

if TYPE_CHECKING:
    from ...core.entries import Entry
    from ...core.model import Convention


class ExportFormat(enum.StrEnum):
    """The export's formats, as registered in ``report/formats.py`` (a test holds them equal)."""

    hledger = "hledger"
    beancount = "beancount"
    csv = "csv"
    json = "json"


@command(help=_(
    "Export the whole ledger to hledger/ledger, beancount, CSV or JSON.\n\n"
    "Balances of the hledger and beancount exports give back the report's figures.\n\n"
    "Example: delegation export --format hledger | hledger -f - balance"))
def export(
    env: Environment,
    output_format: Annotated[ExportFormat, typer.Option("--format", case_sensitive=False,
                                                                         help=_("hledger, beancount, csv or json."))],
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                               help=_("Write to FILE (atomically) instead of stdout."))] = None,
    until: Annotated[dt.date | None, typer.Option("--until", parser=as_date, metavar="YYYY-MM-DD",
                                                  help=_("Only entries dated up to this day."))] = None,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...store.actions import export_entries, write_output
    from ...store.convention import require_convention

    loaded = require_convention(Path(convention))
    conv = loaded.convention
    assert conv is not None
    path, entries = export_entries(loaded, ledger, until)
    text = _exported(output_format, conv, entries, source=str(path), until=until, dialect=dialect)
    if output:
        write_output(Path(output), text, protected=path, convention=loaded.path)
    else:
        emit(text)
    return ExitCode.OK


def _exported(output_format: ExportFormat, conv: Convention, entries: list[Entry], *, source: str,
              until: dt.date | None, dialect: CsvDialect) -> str:
    """The entries in one export format (``report/formats.py``)."""
    from ...report.export import Export
    from ...report.formats import render_text

    return render_text("export", output_format.value, Export(conv, entries, source, until), dialect=dialect)

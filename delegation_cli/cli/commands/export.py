"""``delegation export``: the whole ledger for hledger/ledger, beancount, a spreadsheet or a script."""

from __future__ import annotations

import datetime as dt
import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ...core.dialects import CsvDialect
from ...core.errors import ExitCode
from ...core.i18n import _, using
from ..environment import Environment
from ..options import ConventionOpt, DialectOpt, LangOpt, LedgerOpt, as_date
from ..output import deliver, refuse_binary_on_terminal, sheet_language
from . import command

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator

    from ...core.entries import Entry
    from ...core.model import Convention


class ExportFormat(enum.StrEnum):
    """The export's formats, as registered in ``report/formats.py`` (a test holds them equal)."""

    hledger = "hledger"
    beancount = "beancount"
    csv = "csv"
    json = "json"
    ods = "ods"
    xlsx = "xlsx"


@command(help=_(
    "Export the whole ledger to hledger/ledger, beancount, CSV or JSON.\n\n"
    "Balances of the hledger and beancount exports give back the report's figures.\n\n"
    "Example: delegation export --format hledger | hledger -f - balance"))
def export(
    env: Environment,
    output_format: Annotated[ExportFormat, typer.Option("--format", case_sensitive=False, help=_(
        "hledger, beancount, csv, json, ods or xlsx."))],
    output: Annotated[str | None, typer.Option("--output", "-o", metavar="FILE",
                                               help=_("Write to FILE (atomically) instead of stdout."))] = None,
    until: Annotated[dt.date | None, typer.Option("--until", parser=as_date, metavar="YYYY-MM-DD",
                                                  help=_("Only entries dated up to this day."))] = None,
    dialect: DialectOpt = CsvDialect.RFC4180,
    convention: ConventionOpt = "convention.yaml",
    ledger: LedgerOpt = None,
    lang: LangOpt = None,
) -> ExitCode:
    from ...report.export import DATE_ORDERED
    from ...store.actions import export_entries
    from ...store.convention import require_convention

    if output is None:
        refuse_binary_on_terminal(output_format.value, env.stdout_isatty)
    loaded = require_convention(Path(convention))
    conv = loaded.convention
    assert conv is not None
    with export_entries(loaded, ledger, until, in_date_order=output_format.value in DATE_ORDERED) as (path, entries), \
            using(sheet_language(output_format.value, lang)):  # a workbook is a document: French unless --lang
        text = _exported(output_format, conv, entries, source=str(path), until=until, dialect=dialect)
        deliver(text, output or None, protected=path, convention=loaded.path)  # entries read as it is written
    return ExitCode.OK


def _exported(output_format: ExportFormat, conv: Convention, entries: Collection[Entry], *, source: str,
              until: dt.date | None, dialect: CsvDialect) -> str | bytes | Iterator[str]:
    """The entries in one export format (``report/formats.py``)."""
    from ...report.export import Export
    from ...report.formats import render

    return render("export", output_format.value, Export(conv, entries, source, until), dialect=dialect)

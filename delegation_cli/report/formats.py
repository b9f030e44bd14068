"""The one registry of renderings: for each kind of document and each format, the function that writes it.

This module owns which formats exist.  :data:`RENDERERS` maps a kind of document — ``report``
(a :class:`figures.MonthlyReport`), ``portfolio`` (a :class:`portfolio.Portfolio`), ``log`` (the
ledger's entries) and ``export`` (an :class:`export.Export`) — and a format name to the one
function rendering it; :func:`render` is what a command calls.  A new format is one module (its
function for each kind it renders) and one entry per kind here.

Every renderer takes the document and the :class:`Options` (each uses those it needs: the CSV
dialect, the terminal's width and colours, the whole report or its brief) and returns text, or
bytes for a PDF.  A report or a portfolio is rendered in its own language (``i18n.using``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core.i18n import using
from . import document, export
from .csv import CsvDialect, log_csv, portfolio_csv
from .csv import report_csv as report_csv
from .json import export_json, log_json, portfolio_json
from .json import report_json as report_json
from .markdown import portfolio_markdown
from .markdown import report_markdown as report_markdown
from .portfolio_sections import lead, sections, title
from .terminal import log_table, sections_renderables, table_text
from .terminal import render_text as render_text
from .terminal import report_renderables as report_renderables

if TYPE_CHECKING:
    from ..core.entries import Entry
    from .figures import MonthlyReport
    from .portfolio import Portfolio

# render_text, report_renderables, report_csv, report_json and report_markdown are re-exported
# (``x as x``): the command line calls them through this module until it calls :func:`render`.


@dataclass(frozen=True)
class Options:
    """What a rendering may be asked, beside the document."""

    dialect: CsvDialect = CsvDialect.RFC4180
    """CSV: ``rfc4180`` or ``excel-fr``."""
    width: int = 0
    """The table format: the terminal's width (0: not a terminal, nothing wrapped)."""
    color: bool = False
    """The table format: with the terminal's colours."""
    full: bool = True
    """The report's table format: every section (else the synthèse, alerts, teams, years,
    forecasts and notes)."""


Renderer = Callable[[Any, Options], str | bytes]


def _alone(function: Callable[[Any], str | bytes]) -> Renderer:
    """A rendering that needs no option."""
    return lambda value, _options: function(value)


def _in_dialect(function: Callable[[Any, CsvDialect], str]) -> Renderer:
    """A CSV rendering, in the dialect asked."""
    return lambda value, options: function(value, options.dialect)


def _report_table(r: MonthlyReport, o: Options) -> str:
    return table_text(report_renderables(r, full=o.full, width=o.width), width=o.width, color=o.color)


def _portfolio_table(p: Portfolio, o: Options) -> str:
    return table_text(sections_renderables(title(p), [lead(p)], sections(p)), width=o.width, color=o.color)


def _log_table(entries: Sequence[Entry], o: Options) -> str:
    return table_text([log_table(entries)], width=o.width, color=o.color)


def _export_csv(e: export.Export, o: Options) -> str:
    return log_csv(e.entries, o.dialect)


def _export_json(e: export.Export) -> str:
    return export_json(e.conv.id, e.source, e.until, e.entries)


RENDERERS: Mapping[str, Mapping[str, Renderer]] = {
    "report": {
        "table": _report_table, "json": _alone(report_json), "csv": _in_dialect(report_csv),
        "markdown": _alone(report_markdown), "html": _alone(document.report_html), "pdf": _alone(document.report_pdf),
    },
    "portfolio": {
        "table": _portfolio_table, "markdown": _alone(portfolio_markdown), "csv": _in_dialect(portfolio_csv),
        "json": _alone(portfolio_json), "html": _alone(document.portfolio_html),
    },
    "log": {"table": _log_table, "json": _alone(log_json), "csv": _in_dialect(log_csv)},
    "export": {
        "hledger": _alone(export.hledger), "beancount": _alone(export.beancount), "csv": _export_csv,
        "json": _alone(_export_json),
    },
}
"""Per kind of document, per format name, the function rendering it."""


def format_names(kind: str) -> list[str]:
    """The format names of a kind of document, in the order they are registered."""
    return list(RENDERERS[kind])


def render(kind: str, fmt: str, value: Any, **options: Any) -> str | bytes:
    """``value``, a document of ``kind``, in the format ``fmt`` (:data:`RENDERERS`), with the
    :class:`Options` given by name; in the document's own language when it has one (a report, a
    portfolio).  An unknown kind, format or option raises :class:`ValueError`."""
    renderers = RENDERERS.get(kind)
    if renderers is None:
        raise ValueError(f"no kind of document {kind!r} (expected one of: {', '.join(RENDERERS)})")
    if fmt not in renderers:
        raise ValueError(f"no {fmt!r} rendering of a {kind} (expected one of: {', '.join(renderers)})")
    try:
        chosen = Options(**options)
    except TypeError as exc:
        raise ValueError(f"unknown rendering option: {exc}") from None
    language = getattr(value, "language", None)
    if language is None:
        return renderers[fmt](value, chosen)
    with using(language):
        return renderers[fmt](value, chosen)


def render_portfolio(p: Portfolio, output: str, dialect: CsvDialect, *, width: int = 0, color: bool = False) -> str:
    """The portfolio in one format, in its language (what ``portfolio.render`` was)."""
    text = render("portfolio", output, p, dialect=dialect, width=width, color=color)
    assert isinstance(text, str), "a portfolio has no binary format"
    return text

"""The one registry of renderings: for each kind of document and each format, the function that writes it.

This module owns which formats exist.  :data:`RENDERERS` maps a kind of document — ``report``
(a :class:`figures.MonthlyReport`), ``portfolio`` (a :class:`portfolio.Portfolio`), ``log`` (the
ledger's entries) and ``export`` (an :class:`export.Export`) — and a format name to the
function rendering it, named ``module.function`` in this package and imported only when used:
the command line takes its ``--format`` choices from here without loading any renderer.  A new
format is one function in one module and one entry per kind here.

A renderer is called with the document alone, with the CSV dialect, or with every
:class:`Options` (the terminal's width and colours, the whole report or its brief), as its
entry says; it returns text, or bytes for a PDF and a workbook (``ods``, ``xlsx``), or — for
an export, which may hold a million entries — the text's pieces as they are made.  A report
or a portfolio is rendered in its own language (``i18n.using``).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..core.dialects import CsvDialect
from ..core.i18n import using


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


Call = Literal["alone", "dialect", "options"]
"""How a renderer is called: ``f(document)``, ``f(document, dialect)``, ``f(document, options)``."""

RENDERERS: Mapping[str, Mapping[str, tuple[str, Call]]] = {
    "report": {
        "table": ("terminal.report_table", "options"), "json": ("json.report_json", "alone"),
        "csv": ("csv.report_csv", "dialect"), "markdown": ("markdown.report_markdown", "alone"),
        "html": ("document.report_html", "alone"), "pdf": ("document.report_pdf", "alone"),
        "ods": ("sheets.report_ods", "alone"), "xlsx": ("sheets.report_xlsx", "alone"),
    },
    "portfolio": {
        "table": ("terminal.portfolio_table", "options"), "markdown": ("markdown.portfolio_markdown", "alone"),
        "csv": ("csv.portfolio_csv", "dialect"), "json": ("json.portfolio_json", "alone"),
        "html": ("document.portfolio_html", "alone"),
        "ods": ("sheets.portfolio_ods", "alone"), "xlsx": ("sheets.portfolio_xlsx", "alone"),
    },
    "log": {
        "table": ("terminal.entries_table", "options"), "json": ("json.log_json", "alone"),
        "csv": ("csv.log_csv", "dialect"), "ods": ("sheets.log_ods", "alone"), "xlsx": ("sheets.log_xlsx", "alone"),
    },
    "reconcile": {
        "table": ("terminal.reconciliation_table", "options"),
        "markdown": ("markdown.reconciliation_markdown", "alone"), "csv": ("csv.reconciliation_csv", "dialect"),
        "json": ("reconciliation.reconciliation_json", "alone"),
        "ods": ("sheets.reconciliation_ods", "alone"), "xlsx": ("sheets.reconciliation_xlsx", "alone"),
    },
    "export": {
        "hledger": ("export.hledger", "alone"), "beancount": ("export.beancount", "alone"),
        "csv": ("export.export_csv", "dialect"), "json": ("export.export_json", "alone"),
        "ods": ("sheets.export_ods", "alone"), "xlsx": ("sheets.export_xlsx", "alone"),
    },
}
"""Per kind of document, per format name (in the order ``--help`` lists them), its renderer."""


def format_names(kind: str) -> list[str]:
    """The format names of a kind of document, in the order they are registered."""
    return list(RENDERERS[kind])


def render(kind: str, fmt: str, value: Any, **options: Any) -> str | bytes | Iterator[str]:
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
    where, call = renderers[fmt]
    module, name = where.rsplit(".", 1)
    function = getattr(importlib.import_module(f"{__package__}.{module}"), name)
    arguments = (value,) if call == "alone" else (value, chosen.dialect) if call == "dialect" else (value, chosen)
    language = getattr(value, "language", None)
    conv = getattr(value, "conv", None)
    names = {t.id: t.label or t.name for t in conv.cast} if conv is not None and hasattr(conv, "cast") else {}
    rendered = _rendered(function, arguments, language, names)
    if isinstance(rendered, Iterator):  # pieces, made later: each in the document's language and names
        return _in_context(rendered, language, names)
    return rendered  # type: ignore[no-any-return]


def _rendered(function: Any, arguments: tuple[Any, ...], language: str | None, names: dict[str, str]) -> Any:
    from .cells import TEAM_NAMES  # not at the top: the command line reads this module for --help

    token = TEAM_NAMES.set(names)
    try:
        if language is None:
            return function(*arguments)
        with using(language):
            return function(*arguments)
    finally:
        TEAM_NAMES.reset(token)


def _in_context(pieces: Iterator[str], language: str | None, names: dict[str, str]) -> Iterator[str]:
    """``pieces``, each made in the document's language and with its team names — and the
    caller's restored before the piece is handed on, so that nothing is left set between
    pieces, nor by pieces never asked for."""
    while True:
        piece = _rendered(next, (pieces, None), language, names)
        if piece is None:
            return
        yield piece


BATCH = 2_000
"""Pieces of a document joined before they are written: few enough writes, little text held."""


def in_batches(pieces: Iterable[str], size: int = BATCH) -> Iterator[str]:
    """``pieces`` (lines, rows, transactions) joined ``size`` at a time: a long document written
    as it is made."""
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= size:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def render_text(kind: str, fmt: str, value: Any, **options: Any) -> str:
    """:func:`render` for a format that writes text (every one but the PDF and the workbooks),
    its pieces joined."""
    text = render(kind, fmt, value, **options)
    assert not isinstance(text, bytes), f"the {fmt} rendering of a {kind} is binary"
    return text if isinstance(text, str) else "".join(text)


BINARY = frozenset({"pdf", "ods", "xlsx"})
"""The formats written as bytes: never shown on a terminal."""

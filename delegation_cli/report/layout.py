"""A format-free table: the model every rendering of a report or a portfolio reads.

This module owns :class:`Section` (a titled table, with what it says when it is empty, the
paragraphs before it, and who reads it) and :class:`Column` (a stable English name, the title
people read, and its kind, which says how each of its cells is written: :mod:`cells`).  What
the report's sections are is :mod:`sections`' and :mod:`tables`'; the portfolio's,
:mod:`portfolio_sections`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..core.i18n import _


@dataclass(frozen=True)
class Column:
    """A report column.  ``name`` is the stable English header of the CSV; people read
    ``title`` (by default ``name`` in the report's language)."""

    name: str
    kind: str = "key"  # key (never wrapped) | text (free text) | money | percent | bar | int | date | month
    label: str | None = None
    machine: bool = False
    """Only in the formats scripts read (CSV, JSON): an internal id, never in a document."""

    @property
    def title(self) -> str:
        return self.label if self.label is not None else _(self.name)


@dataclass(frozen=True)
class Section:
    """A titled table of a document; ``key`` names it for scripts (CSV blocks, HTML ids)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: Sequence[tuple[object, ...]]
    empty: str = ""
    paragraphs: tuple[str, ...] = ()
    """Text shown before the table (the synthèse's paragraphs to send the délégant)."""
    brief: bool = False
    """Shown by the terminal report without ``--full``."""
    audience: str = "all"
    """``all``; ``human`` (terminal, Markdown, HTML: a pivot of what CSV lists); ``machine`` (CSV)."""


def money(name: str, label: str | None = None) -> Column:
    """A column of amounts."""
    return Column(name, "money", label)


def for_people(section: Section) -> Section:
    """``section`` as a document shows it: without its columns for scripts (internal ids)."""
    if not any(c.machine for c in section.columns):
        return section
    kept = [i for i, c in enumerate(section.columns) if not c.machine]
    return replace(section, columns=tuple(section.columns[i] for i in kept),
                   rows=tuple(tuple(row[i] for i in kept) for row in section.rows))

"""A format-free table: the model every rendering of a report or a portfolio reads.

This module owns :class:`Section` (a titled table, with what it says when it is empty, the
paragraphs before it, and who reads it) and :class:`Column` (a stable English name, the title
people read, and its kind, which says how each of its cells is written: :mod:`cells`).  What
the report's sections are is :mod:`sections`' and :mod:`tables`'; the portfolio's,
:mod:`portfolio_sections`'.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.i18n import _


@dataclass(frozen=True)
class Column:
    """A report column.  ``name`` is the stable English header of the CSV; people read
    ``title`` (by default ``name`` in the report's language)."""

    name: str
    kind: str = "key"  # key (never wrapped) | text (free text) | money | percent | bar | int | date | month
    label: str | None = None

    @property
    def title(self) -> str:
        return self.label if self.label is not None else _(self.name)


@dataclass(frozen=True)
class Section:
    """A titled table of a document; ``key`` names it for scripts (CSV blocks, HTML ids)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]
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

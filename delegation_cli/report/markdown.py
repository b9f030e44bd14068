"""Markdown: the report and the portfolio as a message to paste (to the délégant, in a ticket).

This module owns the Markdown renderings: headings, ``- **label**: value`` items, tables with
figures right-aligned.  Every cell goes through :func:`cells.md_cell`, so that text read from
a ledger or a convention is shown literally by any Markdown or HTML renderer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.i18n import _
from .cells import NUMERIC, human, md_cell
from .layout import for_people
from .sections import human_sections, invalid_lines

if TYPE_CHECKING:
    from ..core.chorus import Reconciliation
    from .figures import MonthlyReport
    from .layout import Section
    from .portfolio import Portfolio


def _item(label: str, value: str) -> str:
    """``- **label**: value`` (``- **label** : value`` in French)."""
    return "- " + _("{label}: {value}").format(label=f"**{md_cell(label)}**", value=md_cell(value))


def section_markdown(section: Section) -> list[str]:
    """A section's table as Markdown lines (numbers right-aligned), or its empty text."""
    section = for_people(section)
    if not section.rows:
        return [f"_{md_cell(section.empty or _('none'))}_"]
    lines = ["| " + " | ".join(md_cell(c.title) for c in section.columns) + " |",
             "|" + "|".join("---:" if c.kind in NUMERIC else "---" for c in section.columns) + "|"]
    for row in section.rows:
        lines.append("| " + " | ".join(md_cell(human(v, c.kind)) for v, c in zip(row, section.columns, strict=True))
                     + " |")
    return lines


def _report_section(section: Section) -> list[str]:
    """One section of the report after its heading: the synthèse and the fingerprint as items
    and paragraphs, any other as a table."""
    if section.key == "synthese":
        lines = [_item(str(k), str(v)) for k, v in section.rows]
        for paragraph in section.paragraphs:
            if paragraph.startswith("– "):  # an item of the paragraph before
                lines.append(f"- {md_cell(paragraph.removeprefix('– '))}")
            else:
                lines += ["", f"**{md_cell(paragraph)}**", ""]
        return lines
    if section.key == "fingerprint" and section.rows:
        return [*(_item(str(k), str(v)) for k, v in section.rows), "",
                *(md_cell(paragraph) for paragraph in section.paragraphs)]
    return section_markdown(section)


def report_markdown(r: MonthlyReport) -> str:
    """The report as Markdown, ready to paste into a message to the délégant."""
    sections = human_sections(r)
    head = sections[0]
    invalid = invalid_lines(r)
    lines = [f"**{md_cell(invalid[0])}**", "", *(f"- {md_cell(line)}" for line in invalid[1:]), ""] if invalid else []
    lines += [f"# {md_cell(head.title)}", ""]
    lines += [_item(str(k), str(v)) for k, v in head.rows]
    for section in sections[1:]:
        lines += ["", f"## {md_cell(section.title)}", "", *_report_section(section)]
    return "\n".join(lines) + "\n"


def portfolio_markdown(p: Portfolio) -> str:
    """The portfolio as Markdown: its title, its lead line, then each section's table."""
    from .portfolio_sections import lead, sections, title

    lines = [f"# {md_cell(title(p))}", "", md_cell(lead(p))]
    for section in sections(p):
        lines += ["", f"## {md_cell(section.title)}", "", *section_markdown(section)]
    return "\n".join(lines) + "\n"


def reconciliation_markdown(r: Reconciliation) -> str:
    """A reconciliation with Chorus as Markdown: its title, what was read, the verdict, then
    each section's table."""
    from .reconciliation import lead, sections, title

    lines = [f"# {md_cell(title(r))}", "", *(md_cell(line) for line in lead(r))]
    for section in (s for s in sections(r) if s.audience != "machine"):
        lines += ["", f"## {md_cell(section.title)}", "", *section_markdown(section)]
    return "\n".join(lines) + "\n"

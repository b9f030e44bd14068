"""The terminal: rich renderables and the text they print.  The home of rich.

This module owns what a terminal shows: the report (:func:`report_renderables`), any titled
sections (:func:`sections_renderables`, the portfolio), the ledger's entries
(:func:`log_table`), their text at a terminal's width (:func:`render_text`, :func:`table_text`),
and, in :mod:`progress`, the progress bar of long reads.  Its functions return renderables or
text and never print: ``cli/app.py`` owns the consoles.  Text read from a ledger or a
convention goes in as rich ``Text`` (never markup), its active characters shown as escapes
(:func:`cells.visible`).

rich is imported by the functions that use it, not with the module (start-up time).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from ..core.entries import Entry
from ..core.i18n import N_, _, format_date
from ..core.kinds import AMOUNT_KINDS, kind_name
from ..core.money import format_fr
from .cells import NUMERIC, human, visible
from .layout import for_people
from .sections import human_sections, invalid_lines

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

    from ..core.chorus import Reconciliation
    from .figures import MonthlyReport
    from .formats import Options
    from .layout import Section
    from .portfolio import Portfolio

STYLE_HEADER = "bold"
STYLE_TITLE = "bold underline"
STYLE_ERROR = "bold red"
STYLE_WARNING = "yellow"
STYLE_SEVERITY = {"error": STYLE_ERROR, "warning": STYLE_WARNING}


def _text(value: str) -> Text:
    """A terminal cell: rich ``Text`` (so ``[red]`` is never markup), visible characters."""
    from rich.text import Text

    return Text(visible(value))


def _fold(text: str, width: int, indent: str, hang: str = "  ") -> list[str]:
    """``text`` wrapped at ``width`` between words: amounts (``20 000,00 €``, whose spaces do
    not break) and ids never cut; nothing at all when ``width`` is 0 (not a terminal)."""
    import textwrap

    if width <= 0:
        return [indent + text]
    return textwrap.wrap(text, width=max(width, 20), initial_indent=indent, subsequent_indent=indent + hang,
                         break_long_words=False, break_on_hyphens=False) or [indent]


def _labelled(label: str, value: str, width: int) -> list[Text]:
    """``label: value`` wrapped between words, the label in bold."""
    from rich.text import Text

    head = _("{label}: {value}").format(label=visible(label), value="")
    lines = _fold(head + visible(value), width, "", "  ")
    first = Text.assemble((head, STYLE_HEADER), lines[0][len(head):]) if lines[0].startswith(head) else Text(lines[0])
    return [first, *(Text(line) for line in lines[1:])]


def _table(section: Section) -> Table:
    """A section's rows as a rich table: free text folds within its cell; figures, ids and
    dates are never cut."""
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    section = for_people(section)
    table = Table(box=None, header_style=STYLE_HEADER, pad_edge=False, padding=(0, 1))
    rows = [[visible(human(v, c.kind)) for v, c in zip(row, section.columns, strict=True)] for row in section.rows]
    for index, col in enumerate(section.columns):
        fixed = col.kind not in ("text", "team")  # a team is named by its label or its name
        width = max([cell_len(col.title), *(cell_len(cells[index]) for cells in rows)]) if fixed else None
        table.add_column(Text(col.title), justify="right" if col.kind in NUMERIC else "left", no_wrap=fixed,
                         overflow="fold", min_width=width)
    for cells in rows:
        table.add_row(*(Text(cell) for cell in cells))
    return table


def _section(section: Section, width: int) -> list[RenderableType]:
    """One section of the report after its title: the synthèse and the fingerprint as labelled
    values and paragraphs, the alerts as a list, any other as a table (or its empty text)."""
    from rich.text import Text

    out: list[RenderableType] = []
    if section.key == "synthese":
        for label, value in section.rows:
            out += _labelled(str(label), str(value), width)
        for paragraph in section.paragraphs:
            item = paragraph.startswith("– ")
            if not item:
                out.append(Text(""))
            out += [Text(line, style="" if item else STYLE_HEADER)
                    for line in _fold(visible(paragraph), width, "", "  " if item else "")]
    elif section.key == "fingerprint" and section.rows:  # label: value, then how to use it
        for label, value in section.rows:
            out += _labelled(str(label), str(value), width)
        out += [Text(line) for paragraph in section.paragraphs for line in _fold(visible(paragraph), width, "")]
    elif section.key == "alerts":  # a list, not a table: a message wraps between words, never in an amount
        if not section.rows:
            out.append(Text(f"  {section.empty}"))
        for severity, __, message in section.rows:  # the code is for scripts (CSV, JSON)
            out.append(Text(human(severity, "severity"), style=STYLE_SEVERITY.get(str(severity), "")))
            out += [Text(line) for line in _fold(visible(str(message)), width - 2 if width else 0, "  ")]
    elif not section.rows:
        out.append(Text(f"  {section.empty or _('none')}"))
    else:
        out.append(_table(section))
    return out


def report_renderables(r: MonthlyReport, *, full: bool = True, width: int = 0) -> list[RenderableType]:
    """The report as rich renderables for a terminal ``width`` columns wide (0: not a
    terminal, nothing is wrapped).  Tables give every figure, id and date whole; free text
    folds within its cell; the synthèse's paragraphs and the alerts wrap between words."""
    from rich.text import Text

    out: list[RenderableType] = [Text(visible(line), style=STYLE_ERROR) for line in invalid_lines(r)]
    if out:
        out.append(Text(""))
    sections = human_sections(r, full=full)
    head = sections[0]
    out += [Text(line, style=STYLE_TITLE) for line in _fold(visible(head.title), width, "", "")]
    for field_name, value in head.rows:
        out += _labelled(str(field_name), str(value), width)
    for section in sections[1:]:
        out += [Text(""), Text(visible(section.title), style=STYLE_TITLE), *_section(section, width)]
    return out


def sections_renderables(title: str, lead: Sequence[str], sections: Iterable[Section]) -> list[RenderableType]:
    """A document other than the report (the portfolio) as rich renderables: its title, lead
    lines, then each section's title and table (or its ``empty`` text)."""
    from rich.text import Text

    out: list[RenderableType] = [Text(visible(title), style=STYLE_TITLE), *(Text(visible(line)) for line in lead)]
    for section in sections:
        out += [Text(""), Text(visible(section.title), style=STYLE_TITLE)]
        if section.rows:
            out.append(_table(section))
        else:
            out.append(Text(f"  {visible(section.empty or _('none'))}"))
    return out


def log_table(entries: Sequence[Entry]) -> Table:
    """The entries of ``delegation log`` as a table, one row each."""
    from rich.table import Table

    table = Table(header_style=STYLE_HEADER, box=None, pad_edge=False)
    for name, justify in ((N_("Line"), "right"), ("Date", "left"), ("Kind", "left"),
                          ("Id", "left"), ("Team", "left"), ("Amount", "right"),
                          ("Reference", "left"), ("Label", "left")):
        table.add_column(_(name), justify=justify, no_wrap=name != "Label")  # type: ignore[arg-type]
    for e in entries:
        ref = " ".join(x for x in (e.ref, f"EJ {e.ej}" if e.ej else None) if x)
        if e.commitment:
            ref = f"→ {e.commitment}" + (f" DP {e.ref}" if e.ref else "")
        if e.target:
            ref = f"→ {e.target}"
        if e.kind == "forecast":
            ref = f"{e.forecast_type} {e.month}"
        cells = (str(e.line), format_date(e.date), kind_name(e.kind), e.id, e.team,
                 format_fr(e.amount) if e.kind in AMOUNT_KINDS else "", ref, e.label)
        table.add_row(*(_text(cell) for cell in cells), style=None)
    return table


def render_text(renderables: Iterable[RenderableType], *, width: int = 0, color: bool = False) -> str:
    """Renderables as the text a terminal ``width`` columns wide shows (0: not a terminal:
    every table at its natural width, so that no value is cut or wrapped), without
    trailing spaces."""
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 10_000, highlight=False, markup=False, emoji=False,
                      force_terminal=color, color_system="standard" if color else None, soft_wrap=False)
    for renderable in _joined(renderables):
        if isinstance(renderable, Text) and not width and not color:  # lines as they are: nothing to wrap or style
            console.file.write(renderable.plain + "\n")
            continue
        measured = console.measure(renderable)
        needed = max(measured.maximum, 1) if not width else max(width, measured.minimum)
        console.print(renderable, width=needed, crop=False)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def _joined(renderables: Iterable[RenderableType]) -> Iterator[RenderableType]:
    """The renderables, each run of lines of text joined into one: the console prints a
    renderable at a cost, and a report may hold thousands of alerts, two lines each."""
    from rich.text import Text

    run: list[Text] = []
    for renderable in renderables:
        if isinstance(renderable, Text) and "\n" not in renderable.plain:
            run.append(renderable)
            continue
        if run:
            yield Text("\n").join(run)
            run = []
        yield renderable
    if run:
        yield Text("\n").join(run)


def table_text(renderables: Iterable[RenderableType], *, width: int = 0, color: bool = False) -> str:
    """:func:`render_text`, ending with a line break: what the ``table`` format prints."""
    text = render_text(renderables, width=width, color=color)
    return text if text.endswith("\n") else text + "\n"


def report_table(r: MonthlyReport, o: Options) -> str:
    """The report's ``table`` format (:mod:`formats`): every section, or the brief with
    ``o.full`` false, at the terminal's width."""
    return table_text(report_renderables(r, full=o.full, width=o.width), width=o.width, color=o.color)


def portfolio_table(p: Portfolio, o: Options) -> str:
    """The portfolio's ``table`` format (:mod:`formats`)."""
    from .portfolio_sections import lead, sections, title

    return table_text(sections_renderables(title(p), [lead(p)], sections(p)), width=o.width, color=o.color)


def reconciliation_table(r: Reconciliation, o: Options) -> str:
    """The reconciliation's ``table`` format (:mod:`formats`)."""
    from .reconciliation import lead, sections, title

    shown = [s for s in sections(r) if s.audience != "machine"]
    return table_text(sections_renderables(title(r), lead(r), shown), width=o.width, color=o.color)


def entries_table(entries: Sequence[Entry], o: Options) -> str:
    """The log's ``table`` format (:mod:`formats`)."""
    return table_text([log_table(entries)], width=o.width, color=o.color)

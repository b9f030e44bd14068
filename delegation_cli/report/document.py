"""The report and the portfolio as documents: one self-contained HTML file, and the same as PDF.

:func:`report_html` renders every section of :func:`sections.human_sections` (so the document
never disagrees with the terminal, Markdown or CSV report) through the Jinja2 template
``templates/report.html``, with the charts of :mod:`charts` drawn as inline SVG; the portfolio
(:func:`portfolio_html`) uses the same template and style around its own sections
(:func:`sections_html`).  The file refers to nothing outside itself (no script, stylesheet,
font or image) and the same report always gives byte-identical HTML.

:func:`report_pdf` prints that HTML with WeasyPrint, an optional extra
(``pip install 'delegation[pdf]'``).

Text read from the ledger or the convention is inert: Jinja2 escapes every value (autoescape)
and the characters :func:`cells.visible` escapes are escaped first.  A table cell's long text
is written in pieces with ``<wbr>`` between them (:func:`pieces`), so that WeasyPrint prints
labels of 2 000 characters in seconds.  Amounts are exact cents everywhere but in the charts,
which draw whole euros.

Jinja2, pygal and WeasyPrint are imported by the functions that need them, not with the
module: the other commands start as fast as before.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import i18n
from ..core.errors import fail
from ..core.i18n import _
from .cells import NUMERIC, human, visible
from .charts import Chart, envelopes_chart, report_charts
from .layout import for_people
from .sections import human_sections, invalid_lines

if TYPE_CHECKING:
    from jinja2 import Environment

    from .figures import MonthlyReport
    from .layout import Section
    from .portfolio import Portfolio

TEMPLATES = Path(__file__).parent.parent / "templates"


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------


LONG_WORD = 32
"""A word (a run without spaces) longer than this is cut into slices of :data:`SLICE`
characters with ``<wbr>`` between them: the only places where the PDF breaks it."""
SLICE = 16
LONG_TEXT = 256
"""A text longer than this is also cut after spaces into pieces of at most :data:`PIECE`
characters."""
PIECE = 64
_SPACES = " \u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2008\u2009\u200a\u205f\u3000"
_WORDS = re.compile(f"[{_SPACES}]+|[^{_SPACES}]+[{_SPACES}]*")
"""A word and the spaces after it; no-break spaces (U+00A0, U+2007, U+202F) are inside words."""


def _joins(previous: str, char: str) -> bool:
    """Whether ``char`` belongs with the character before it: a combining mark, a format
    character (joiner, tag), a variation selector, an emoji skin tone, the second of two
    regional indicators (a flag), anything after a zero-width joiner."""
    return (unicodedata.category(char) in ("Mn", "Mc", "Me", "Cf") or previous == "\u200d"
            or "\U0001f3fb" <= char <= "\U0001f3ff"
            or ("\U0001f1e6" <= char <= "\U0001f1ff" and "\U0001f1e6" <= previous <= "\U0001f1ff"))


def _slices(word: str) -> list[str]:
    """A long word cut every :data:`SLICE` characters, never inside a character as people
    read it (a letter and its accents stay together; a run of nothing but marks is cut anyway)."""
    out: list[str] = []
    start = 0
    while start < len(word):
        end = start + SLICE
        while end < len(word) and _joins(word[end - 1], word[end]):
            end += 1
        if end - start > PIECE:  # hundreds of marks on one letter: cut them anyway
            end = start + SLICE
        out.append(word[start:end])
        start = end
    return out


def pieces(text: str) -> tuple[str, ...]:
    """A cell's text as the template writes it, with ``<wbr>`` between the pieces.

    The PDF must be printed in seconds, and WeasyPrint measures the narrowest width of a table
    cell by laying out the rest of a text box again at each place where a line may break: a
    time that grows with the square of the box's length.  A label of 2 000 characters as one
    box, where every character was such a place (``overflow-wrap: anywhere``), took tens of
    seconds, minutes for a few of them.  So, in print, a line breaks only after a space (or
    inside a word too long for its column, ``overflow-wrap: break-word``), and the text comes
    in pieces: a word longer than :data:`LONG_WORD` in slices of :data:`SLICE` characters, and
    a text longer than :data:`LONG_TEXT` cut after its spaces into pieces of at most
    :data:`PIECE` characters (a letter with more marks than that, or a run of spaces, apart).
    A line breaks at a ``<wbr>`` only where it could anyway, or inside a very long word."""
    if len(text) <= LONG_WORD:
        return (text,)
    out: list[str] = []
    current = ""
    group = len(text) > LONG_TEXT
    for match in _WORDS.finditer(text):
        word = match.group()
        parts = _slices(word) if len(word.rstrip(_SPACES)) > LONG_WORD else [word]
        for index, part in enumerate(parts):
            if current and (index > 0 or (group and len(current) + len(part) > PIECE)):
                out.append(current)
                current = ""
            current += part
    out.append(current)
    return tuple(out)


@dataclass(frozen=True)
class Cell:
    text: str
    css: str  # num (figures: right-aligned, never wrapped) | key (ids, dates: never wrapped) | text

    @property
    def pieces(self) -> tuple[str, ...]:
        return pieces(self.text)


def _css(kind: str) -> str:
    return "num" if kind in NUMERIC else "text" if kind in ("text", "team") else "key"


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    severity: str | None  # the alerts' rows: error | warning | info


@dataclass(frozen=True)
class Block:
    """A section as the template shows it: visible, formatted text only."""

    key: str
    title: str
    paragraphs: tuple[str, ...]
    headers: tuple[Cell, ...]
    rows: tuple[Row, ...]
    empty: str


def _block(section: Section) -> Block:
    section = for_people(section)
    headers = tuple(Cell(visible(c.title), _css(c.kind)) for c in section.columns)
    rows = []
    for row in section.rows:
        cells = tuple(Cell(visible(human(v, c.kind)), _css(c.kind))
                      for v, c in zip(row, section.columns, strict=True))
        severity = str(row[0]) if section.key == "alerts" and row else None
        rows.append(Row(cells, severity))
    return Block(section.key, visible(section.title), tuple(visible(p) for p in section.paragraphs), headers,
                 tuple(rows), visible(section.empty))


def charts_position(sections: Sequence[Section]) -> int:
    """Where the charts go: after the synthèse and the alerts (the first screen says where
    the convention stands and what to tell the délégant), else after the synthèse, else
    right after the report's heading (the ``header`` section when it comes first)."""
    keys = [s.key for s in sections]
    for key in ("alerts", "synthese"):
        if key in keys:
            return keys.index(key) + 1
    return 1 if keys[:1] == ["header"] else 0


def environment() -> Environment:
    """The Jinja2 environment of the documents: autoescape on, gettext through :mod:`i18n`."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True, undefined=StrictUndefined,
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    return env


def report_html(r: MonthlyReport) -> str:
    """The report as one self-contained, print-ready HTML5 file (A4), charts included."""
    sections = human_sections(r)
    return sections_html(title=r.conv.title, heading=sections[0].title if sections else r.conv.title,
                         month=i18n.format_month(r.month), as_of=r.as_of, sections=sections,
                         charts=report_charts(r), invalid=invalid_lines(r), charts_after=charts_position(sections),
                         final=r.final, letterhead=letterhead(r))


def letterhead(r: MonthlyReport) -> dict[str, object]:
    """The form of an administrative document: who sends it to whom, about what, on which day,
    and who signs it for the délégataire (the convention's signatory)."""
    parties = r.conv.parties
    sender, addressee = parties.delegataire, parties.delegant
    return {
        "republic": _("French Republic"),
        "sender": [visible(x) for x in (sender.name, sender.address) if x],
        "addressee": [visible(x) for x in (addressee.name, addressee.address) if x],
        "reference": visible(_("{title}, signed on {date}").format(title=r.conv.title,
                                                                   date=i18n.format_date(r.conv.signed))),
        "issued": i18n.format_date(r.issued) if r.issued else None,
        "closing": _("For the délégataire"),
        "signatory": visible(sender.signatory or sender.representative or sender.name),
    }


# --------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------


def _no_fetching(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """WeasyPrint's URL fetcher: the document is self-contained, nothing is ever fetched."""
    raise ValueError(f"the report fetches nothing ({url!r})")


def report_pdf(r: MonthlyReport) -> bytes:
    """The HTML report printed to PDF by WeasyPrint (``pip install 'delegation[pdf]'``);
    without it, refused (exit 2, ``pdf-unavailable``)."""
    try:
        import weasyprint  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise fail(_("PDF output needs WeasyPrint, which is not installed: pip install 'delegation[pdf]' "
                     "(or choose --format html)"), code="pdf-unavailable") from None
    pdf = weasyprint.HTML(string=report_html(r), url_fetcher=_no_fetching).write_pdf()
    return bytes(pdf)


# --------------------------------------------------------------------------------------
# Any sections (the report's, the portfolio's) in the report's template
# --------------------------------------------------------------------------------------


def sections_html(*, title: str, heading: str, month: str | None, as_of: dt.date, sections: Sequence[Section],
                  charts: Sequence[Chart], invalid: Sequence[str], charts_after: int = 1, final: bool = False,
                  letterhead: dict[str, object] | None = None) -> str:
    """Titled sections as one self-contained HTML5 file, with the report's template and style
    (``templates/report.html``): the ``invalid`` lines first, the charts after the first
    ``charts_after`` sections; the page's title is ``title — month`` (``title`` alone without a
    month), the final report's says so."""
    from markupsafe import Markup

    blocks = [_block(s) for s in sections]
    rendered = [{"key": c.key, "kind": c.kind, "title": c.title, "caption": c.caption, "svg": Markup(c.svg)}  # noqa: S704 (pygal escaped it)
                for c in charts]
    template = environment().get_template("report.html")
    return template.render(
        lang=i18n.language(),
        title=visible(title),
        heading=visible(heading),
        month=month,
        as_of=i18n.format_date(as_of),
        final=final,
        invalid=[visible(line) for line in invalid],
        before=blocks[:charts_after],
        after=blocks[charts_after:],
        charts=rendered,
        letterhead=letterhead,
    )


def portfolio_html(p: Portfolio) -> str:
    """The portfolio as one self-contained HTML file (the report's template and style), with a
    chart of each valid convention's consumption of its envelope."""
    from .portfolio_sections import lead, sections, title

    bars = [(line.id or "", f.totals.envelope, f.totals.committed, f.totals.paid)
            for line in p.valid if (f := line.figures) is not None]
    charts = [c for c in (envelopes_chart(bars),) if c is not None]
    shown = sections(p)
    shown[0] = replace(shown[0], paragraphs=(lead(p),))
    return sections_html(title=title(p), heading=title(p), month=None, as_of=p.as_of, sections=shown,
                         charts=charts, invalid=[])  # the title says the month (or the day)

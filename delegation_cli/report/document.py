"""The report and the portfolio as documents: one self-contained HTML file, and the same as PDF.

:func:`report_html` renders every section of :func:`sections.human_sections` (so the document
never disagrees with the terminal, Markdown or CSV report) through the Jinja2 template
``templates/report.html``, with three kinds of charts drawn as inline SVG by pygal
(docs/report-html.md says why pygal): the teams' consumption of their cap, AE and CP
cumulated month by month against what was opened in each budget year, and the year-end
landings.  The file refers to nothing outside itself (no script, stylesheet, font or image)
and the same report always gives byte-identical HTML.

:func:`report_pdf` prints that HTML with WeasyPrint, an optional extra
(``pip install 'delegation[pdf]'``).

Text read from the ledger or the convention is inert: Jinja2 escapes every value (autoescape)
and the characters :func:`cells.visible` escapes are escaped first; in the charts pygal's
XML serializer escapes labels.  A table cell's long text is written in pieces with ``<wbr>``
between them (:func:`pieces`), so that WeasyPrint prints labels of 2 000 characters in
seconds.  Amounts are exact cents everywhere but in the charts, which draw whole euros
(integers, rounded half up).

Jinja2 and pygal are imported by the functions that need them, and only this module (which
only the command line and :mod:`formats` import) uses them: the other commands start as fast as before.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import i18n
from ..core.errors import fail
from ..core.i18n import _
from ..core.money import NBSP, NNBSP
from .cells import NUMERIC, human, visible
from .sections import human_sections, invalid_lines

if TYPE_CHECKING:
    from jinja2 import Environment

    from .figures import MonthlyReport
    from .layout import Section
    from .portfolio import Portfolio

TEMPLATES = Path(__file__).parent.parent / "templates"

MONTH_ABBREVIATIONS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}

# Colours, chosen to stay apart in greyscale print: dark blue, mid blue, light grey, orange.
PAID = "#1f4e79"
COMMITTED = "#5b9bd5"
HEADROOM = "#d0d0d0"
FORECAST = "#ed7d31"
OPENED = "#595959"
DASHED = {"width": 2, "dasharray": "6, 4"}
SVG_NS = "http://www.w3.org/2000/svg"
FONT = '"DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif'


# --------------------------------------------------------------------------------------
# Amounts on the charts' axes
# --------------------------------------------------------------------------------------


def euros(cents: int) -> int:
    """Cents as whole euros (half up), what the charts draw: an axis is read to the euro,
    the tables beside it give the cents."""
    return int((Decimal(cents) / 100).to_integral_value(rounding="ROUND_HALF_UP"))


def _whole(value: object) -> int:
    """A number pygal hands back (it may compute in floats) as whole euros, through its text."""
    return int(Decimal(str(value)).to_integral_value(rounding="ROUND_HALF_UP"))


def axis_amount(value: object) -> str:
    """An axis graduation in whole euros: ``125 000 €`` (U+202F between groups, U+00A0 before
    the sign) in French, ``€125,000`` in English."""
    if value is None:
        return ""
    whole = _whole(value)
    sign = "-" if whole < 0 else ""
    if i18n.language() == "fr":
        return f"{sign}{abs(whole):,}".replace(",", NNBSP) + f"{NBSP}€"
    return f"{sign}€{abs(whole):,}"


# --------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """One chart of the document: an inline SVG (already serialized, escaped), its title and
    the sentence that tells how to read it."""

    key: str
    kind: str  # teams | year | landing
    title: str
    caption: str
    svg: str


def _inert_svg(key: str, title: str) -> Callable[[Any], Any]:
    """A pygal XML filter: drops pygal's ``<script>`` (its tooltips' configuration) and its
    comments (they carry the day of rendering), and names the SVG for assistive technology
    (a ``<title>``; the figure's caption shows the title, pygal draws none)."""

    def apply(root: Any) -> Any:
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag
                if not isinstance(tag, str) or tag.rsplit("}", 1)[-1] in ("script", "title"):
                    parent.remove(child)  # comments and processing instructions have a callable tag;
                    continue              # pygal's own <title> says "Pygal"
                ident = child.get("id")
                if ident and not ident.startswith("chart-"):
                    child.set("id", f"chart-{key}-{ident}")  # unique in a document of several charts
        root.set("role", "img")
        root.set("aria-labelledby", f"chart-{key}-title")
        label = root.makeelement(f"{{{SVG_NS}}}title" if root.tag.startswith("{") else "title",
                                 {"id": f"chart-{key}-title"})
        label.text = title
        root.insert(0, label)
        return root

    return apply


def _style(colors: Sequence[str]) -> Any:
    """pygal's look for the document: its fonts, light guides, ``colors`` for the series in
    the order they are added."""
    _pygal()
    from pygal.style import Style  # type: ignore[import-untyped,unused-ignore]

    return Style(guide_stroke_color="#d0d0d0", major_guide_stroke_color="#b0b0b0",
                 guide_stroke_dasharray="3,3", major_guide_stroke_dasharray="3,3", stroke_opacity="1",
                 stroke_opacity_hover="1", background="white", plot_background="white", foreground="#222222",
                 foreground_strong="#000000", foreground_subtle="#888888", opacity="1", opacity_hover="1",
                 transition="none", font_family=FONT, label_font_family=FONT, major_label_font_family=FONT,
                 value_font_family=FONT, value_label_font_family=FONT, tooltip_font_family=FONT,
                 title_font_family=FONT, legend_font_family=FONT, no_data_font_family=FONT,
                 title_font_size=18, legend_font_size=13, label_font_size=12, major_label_font_size=12,
                 colors=tuple(colors))


def ticks(top: int | Decimal, most: int = 8) -> list[int]:
    """Round graduations in whole euros from 0 to at least ``top`` (steps of 1, 2, 2.5 or
    5 × 10ⁿ, 2.5 from 25 on), at most ``most`` + 1 of them, so that French amounts never
    overlap on an axis."""
    limit = int(Decimal(str(top)).to_integral_value(rounding=ROUND_CEILING))
    if limit <= 0:
        return [0]
    scale = 1
    while True:
        for step in (scale, 2 * scale, 25 * scale // 10 if scale >= 10 else 0, 5 * scale):
            if step and -(-limit // step) <= most:
                return [step * i for i in range(-(-limit // step) + 1)]
        scale *= 10


def _new(kind: Callable[..., Any], key: str, title: str, colors: Sequence[str], top: int,
         **options: Any) -> Any:
    """A pygal chart that renders without JavaScript, deterministically (a fixed id instead
    of pygal's random one), with French or English axis amounts on round graduations."""
    graduations = ticks(top)
    chart = kind(js=[], disable_xml_declaration=True, no_prefix=False, style=_style(colors), width=900,
                 height=420, y_labels=graduations, range=(0, graduations[-1]),
                 value_formatter=axis_amount, truncate_legend=-1, truncate_label=-1,
                 legend_at_bottom=True, legend_at_bottom_columns=len(colors) if len(colors) <= 4 else 3,
                 print_values=False, show_x_guides=False,
                 margin=12, **options)
    chart.uuid = key  # pygal's CSS is scoped by #chart-<uuid>: one per chart of the document
    chart.add_xml_filter(_inert_svg(key, title))
    return chart


def _pygal() -> Any:
    """pygal, imported; without the ``sys.meta_path`` finder it installs for its map plugins
    (which the document does not use), whose lack of ``find_spec`` makes every later import
    of the process warn (``ImportWarning``)."""
    import sys

    import pygal  # type: ignore[import-untyped,unused-ignore]

    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]
    return pygal


def _render(chart: Any) -> str:
    return str(chart.render(is_unicode=True))


def teams_chart(r: MonthlyReport) -> Chart | None:
    """Per team, paid within committed within the cap (a stacked bar: paid, committed not
    paid, still available under the cap)."""
    if not r.teams:
        return None
    pygal = _pygal()

    title = _("Teams: consumption of the cap (AE committed, CP paid)")
    paid = [min(max(t.cp_paid, 0), max(t.ae_committed, 0)) for t in r.teams]
    committed = [max(t.ae_committed, 0) for t in r.teams]
    top = max(max(t.cap or 0, c) for t, c in zip(r.teams, committed, strict=True))
    chart = _new(pygal.HorizontalStackedBar, "teams", title, (PAID, COMMITTED, HEADROOM), euros(top))
    chart.x_labels = [visible(t.team) for t in r.teams]
    chart.add(_("Paid (CP)"), [euros(p) for p in paid])
    chart.add(_("Committed, not yet paid"), [euros(c - p) for c, p in zip(committed, paid, strict=True)])
    if any(t.cap is not None for t in r.teams):
        chart.add(_("Available under the cap"),
                  [None if t.cap is None else euros(max(t.cap - c, 0)) for t, c in zip(r.teams, committed,
                                                                                       strict=True)])
    caption = _("Each bar is a team's cap: paid, then committed but not yet paid, then what is still "
                "available.")
    return Chart("teams", "teams", title, caption, _render(chart))


def _cumulated(amounts: Iterable[int]) -> list[int]:
    total, out = 0, []
    for amount in amounts:
        total += amount
        out.append(total)
    return out


def year_chart(r: MonthlyReport, index: int) -> Chart:
    """One budget year: AE committed and CP paid cumulated month by month up to the report's
    month, the coming forecasts dashed on top of the last actual point, against what the
    year opened (flat lines)."""
    pygal = _pygal()

    line = r.years[index]
    year = line.year
    last = int(r.month[5:7]) if int(r.month[:4]) == year else (12 if int(r.month[:4]) > year else 0)
    title = _("AE and CP {year}: cumulated month by month against the credits opened").format(year=year)
    ae_planned = sum(f.amount for f in r.forecasts if f.forecast_type == "ae" and (f.month or "") > r.month
                     and (f.month or "")[:4] == str(year))
    cp_planned = sum(f.amount for f in r.forecasts if f.forecast_type == "cp" and (f.month or "") > r.month
                     and (f.month or "")[:4] == str(year))
    ae_total = sum(v for (y, _m), v in r.ae_monthly.items() if y == year)
    cp_total = sum(v for (y, _m), v in r.cp_monthly.items() if y == year)
    top = max(line.ae_open, line.cp_open, ae_total + ae_planned, cp_total + cp_planned)
    chart = _new(pygal.Line, f"year-{year}", title, (COMMITTED, COMMITTED, COMMITTED, FORECAST, FORECAST, FORECAST),
                 euros(top), show_dots=True, dots_size=3, include_x_axis=True, allow_interruptions=True)
    chart.x_labels = list(MONTH_ABBREVIATIONS[i18n.language() if i18n.language() in MONTH_ABBREVIATIONS
                                              else "en"])
    months = range(1, 13)
    for what, monthly, opened in (
        ("ae", r.ae_monthly, line.ae_open),
        ("cp", r.cp_monthly, line.cp_open),
    ):
        actual = _cumulated(monthly.get((year, m), 0) for m in months)
        base = actual[last - 1] if last else 0
        planned = [0] * 13
        for f in r.forecasts:
            month = f.month or ""
            if f.forecast_type == what and month > r.month and month[:4] == str(year):
                planned[int(month[5:7])] += f.amount
        ahead = _cumulated(planned[m] for m in months)
        forecast: list[int | None] = [None] * 12
        if last < 12 and any(planned):
            for m in months:
                if m == last:
                    forecast[m - 1] = euros(base)
                elif m > last:
                    forecast[m - 1] = euros(base + ahead[m - 1])
        label = _("AE committed") if what == "ae" else _("CP paid")
        chart.add(f"{label} {year}", [euros(v) if m <= last else None for m, v in zip(months, actual,
                                                                                     strict=True)],
                  stroke_style={"width": 3})
        chart.add(_("{label} forecast").format(label=label), forecast, stroke_style=DASHED)
        chart.add((_("AE opened") if what == "ae" else _("CP opened")) + f" {year}", [euros(opened)] * 12,
                  show_dots=False, stroke_style={"width": 1.5, "dasharray": "1, 4", "linecap": "round"})
    caption = _("Solid lines: consumed so far; dashed: the forecasts to come; dotted: the credits opened.")
    return Chart(f"year-{year}", "year", title, caption, _render(chart))


def landing_chart(r: MonthlyReport) -> Chart | None:
    """The projected year-end landing of the current and coming years (as the landing
    tables), all years when none is left: opened, consumed, forecast, landing; AE and CP."""
    shown = [la for la in r.year_landings if la.year >= r.as_of.year] or list(r.year_landings)
    if not shown:
        return None
    pygal = _pygal()

    title = _("Projected year-end landing (atterrissage)")
    opened = [v for la in shown for v in (la.ae_open, la.cp_open)]
    consumed = [v for la in shown for v in (la.ae_consumed, la.cp_consumed)]
    forecast = [v for la in shown for v in (la.ae_forecast, la.cp_forecast)]
    landing = [v for la in shown for v in (la.ae_landing, la.cp_landing)]
    top = max(*opened, *landing, 0)
    chart = _new(pygal.Bar, "landing", title, (OPENED, COMMITTED, FORECAST, PAID), euros(top))
    chart.x_labels = [f"{what} {la.year}" for la in shown for what in ("AE", "CP")]
    chart.add(_("Opened"), [euros(v) for v in opened])
    chart.add(_("Consumed"), [euros(v) for v in consumed])
    chart.add(_("Forecast"), [euros(v) for v in forecast])
    chart.add(_("Landing"), [euros(v) for v in landing])
    caption = _("Landing = consumed (AE committed, CP paid) + forecast, to compare with what was opened.")
    return Chart("landing", "landing", title, caption, _render(chart))


def report_charts(r: MonthlyReport) -> list[Chart]:
    """The document's charts, in reading order."""
    charts = [teams_chart(r), *(year_chart(r, i) for i in range(len(r.years))), landing_chart(r)]
    return [c for c in charts if c is not None]


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
    return "num" if kind in NUMERIC else "text" if kind == "text" else "key"


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
    from markupsafe import Markup

    sections = human_sections(r)
    at = charts_position(sections)
    blocks = [_block(s) for s in sections]
    charts = [{"key": c.key, "kind": c.kind, "title": c.title, "caption": c.caption, "svg": Markup(c.svg)}  # noqa: S704 (pygal escaped it)
              for c in report_charts(r)]
    template = environment().get_template("report.html")
    return template.render(
        lang=i18n.language(),
        title=visible(r.conv.title),
        heading=visible(sections[0].title) if sections else visible(r.conv.title),
        month=i18n.format_month(r.month),
        as_of=i18n.format_date(r.as_of),
        final=r.final,
        invalid=[visible(line) for line in invalid_lines(r)],
        before=blocks[:at],
        after=blocks[at:],
        charts=charts,
    )


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
# Other documents (the portfolio): the report's template around any sections
# --------------------------------------------------------------------------------------


def envelopes_chart(bars: Sequence[tuple[str, int, int, int]]) -> Chart | None:
    """Per convention ``(label, envelope, committed, paid)``: paid within committed within the
    envelope (a stacked bar, as :func:`teams_chart` draws a team's cap)."""
    if not bars:
        return None
    pygal = _pygal()

    title = _("Conventions: consumption of the envelope (AE committed, CP paid)")
    committed = [max(c, 0) for _label, _envelope, c, _paid in bars]
    paid = [min(max(p, 0), c) for (_label, _envelope, _c, p), c in zip(bars, committed, strict=True)]
    top = max(max(e, c) for (_label, e, _c, _p), c in zip(bars, committed, strict=True))
    chart = _new(pygal.HorizontalStackedBar, "envelopes", title, (PAID, COMMITTED, HEADROOM), euros(top))
    chart.x_labels = [visible(label) for label, *_rest in bars]
    chart.add(_("Paid (CP)"), [euros(p) for p in paid])
    chart.add(_("Committed, not yet paid"), [euros(c - p) for c, p in zip(committed, paid, strict=True)])
    chart.add(_("Available in the envelope"),
              [euros(max(e - c, 0)) for (_label, e, _c, _p), c in zip(bars, committed, strict=True)])
    caption = _("Each bar is a convention's envelope: paid, then committed but not yet paid, then what is "
                "still available.")
    return Chart("envelopes", "envelopes", title, caption, _render(chart))


def sections_html(*, title: str, heading: str, month: str | None, as_of: Any, sections: Sequence[Section],
                  charts: Sequence[Chart], invalid: Sequence[str], charts_after: int = 1) -> str:
    """Any titled sections as one self-contained HTML5 file, with the report's template and
    style (``templates/report.html``): the charts after the first ``charts_after`` sections;
    the page's title is ``title — month`` (``title`` alone without a month)."""
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
        final=False,
        invalid=[visible(line) for line in invalid],
        before=blocks[:charts_after],
        after=blocks[charts_after:],
        charts=rendered,
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

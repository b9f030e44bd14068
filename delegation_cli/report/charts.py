"""The documents' charts: inline SVG drawn by pygal, inert and deterministic.

This module owns the charts of the HTML and PDF documents (docs/report-html.md says why pygal):
the teams' consumption of their cap, AE and CP cumulated month by month against what each
budget year opened, the year-end landings, and the portfolio's envelopes.  A chart refers to
nothing outside itself (no script: pygal's ``<script>`` and comments are dropped), carries a
``<title>`` for assistive technology, and the same figures always give the same bytes (a fixed
id instead of pygal's random one).  Amounts are drawn in whole euros (rounded half up, on round
graduations: :func:`ticks`, :func:`axis_amount`); the tables beside them give the cents.
Labels are escaped by pygal's XML serializer.

pygal is imported by the functions that draw, not with the module (start-up time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from ..core import i18n
from ..core.i18n import _
from ..core.money import NBSP, NNBSP
from .cells import human, visible

if TYPE_CHECKING:
    from .figures import MonthlyReport

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

    capped = any(t.cap is not None for t in r.teams)
    title = (_("Teams: consumption of the cap (AE committed, CP paid)") if capped else
             _("Teams: AE committed and CP paid (the convention caps no team)"))
    paid = [min(max(t.cp_paid, 0), max(t.ae_committed, 0)) for t in r.teams]
    committed = [max(t.ae_committed, 0) for t in r.teams]
    top = max(max(t.cap or 0, c) for t, c in zip(r.teams, committed, strict=True))
    chart = _new(pygal.HorizontalStackedBar, "teams", title, (PAID, COMMITTED, HEADROOM) if capped else
                 (PAID, COMMITTED), euros(top))
    chart.x_labels = [visible(human(t.team, "team")) for t in r.teams]  # its label, else its name
    chart.add(_("Paid (CP)"), [euros(p) for p in paid])
    chart.add(_("Committed, not yet paid"), [euros(c - p) for c, p in zip(committed, paid, strict=True)])
    if capped:
        chart.add(_("Available under the cap"),
                  [None if t.cap is None else euros(max(t.cap - c, 0)) for t, c in zip(r.teams, committed,
                                                                                       strict=True)])
    caption = (_("Each bar is a team's cap: paid, then committed but not yet paid, then what is still "
                 "available.") if capped else
               _("Each bar is what a team committed: paid, then committed but not yet paid."))
    return Chart("teams", "teams", title, caption, _render(chart))


def _cumulated(amounts: Iterable[int]) -> list[int]:
    total, out = 0, []
    for amount in amounts:
        total += amount
        out.append(total)
    return out


def _add_year_series(chart: Any, r: MonthlyReport, year: int, last: int, what: str,
                     monthly: Mapping[tuple[int, int], int], opened: int) -> None:
    """AE (``what="ae"``) or CP on a year's chart: what was consumed, cumulated month by month up
    to ``last`` (the report's month within that year), the coming forecasts dashed from there,
    and what the year opened (a flat dotted line)."""
    months = range(1, 13)
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
    for what, monthly, opened in (("ae", r.ae_monthly, line.ae_open), ("cp", r.cp_monthly, line.cp_open)):
        _add_year_series(chart, r, year, last, what, monthly, opened)
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
# The portfolio's chart
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



"""Rendering: what a person or a script sees.  The home of rich.

This module owns presentation: tables of entries, the confirmation of a recorded entry
with the resulting availability, the summary of ``check``, spreadsheet-safe CSV.  Its
functions return text or rich renderables and never print: ``cli.py`` owns the consoles.
Amounts use the French human form (``125 000,00 €``) except in machine formats (JSON,
CSV), which use the plain form (``125000.00``).

Text read from a ledger (labels, notes) or a convention is inert in every rendering: the
terminal tables take it as rich ``Text`` (never markup) with its control, bidi and separator
characters shown as escapes (:func:`visible`); Markdown cells escape what Markdown or HTML
would act on (:func:`md_cell`); JSON escapes what the ledger escapes (``ledger.escape_unsafe``);
CSV cells keep the exact text (tabs and line breaks included) but for the characters the
terminal escapes, and never start like a formula (:func:`csv_safe`).
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..core.entries import Entry
from ..core.errors import Problem
from ..core.i18n import N_, _, format_date, format_month, ngettext
from ..core.kinds import AMOUNT_KINDS, kind_name
from ..core.lines import escape_unsafe, format_entry
from ..core.money import format_canonical, format_fr, format_percent, format_signed
from ..store.results import CheckResult, ImportResult, Outcome

if TYPE_CHECKING:  # rich is imported only by the functions that build tables (start-up time)
    from rich.console import RenderableType
    from rich.table import Table
    from rich.text import Text

    from .figures import MonthlyReport

STYLE_HEADER = "bold"
STYLE_TITLE = "bold underline"
STYLE_ERROR = "bold red"
STYLE_WARNING = "yellow"

CSV_UNSAFE_START = ("'", "=", "+", "-", "@", "\t", "\r", "\n")
"""What a text cell may not start with: a spreadsheet would run it as a formula."""


class CsvDialect(enum.StrEnum):
    """``rfc4180``: comma-separated, decimal point.  ``excel-fr``: what a French spreadsheet
    opens directly: semicolon-separated, decimal comma, with a UTF-8 byte-order mark."""

    RFC4180 = "rfc4180"
    EXCEL_FR = "excel-fr"


def csv_safe(cell: str) -> str:
    """A text cell as a spreadsheet or a terminal may show it: the exact text, except that
    the characters :func:`visible` escapes are escaped too, tabs and line breaks apart (a
    quoted CSV cell holds them), and that a cell a spreadsheet would run as a formula — one
    that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed — is
    neutralised with a leading ``'``."""
    if not cell.isprintable():
        cell = _CSV_ACTIVE.sub(_escaped, cell)
    return f"'{cell}" if cell.startswith(CSV_UNSAFE_START) else cell


# --------------------------------------------------------------------------------------
# Inert text
# --------------------------------------------------------------------------------------

_ACTIVE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
"""What a terminal would act on or a reader not see: C0 (ESC included), DEL and C1 controls,
the bidirectional controls (ALM, LRM, RLM, LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI), the
line and paragraph separators, lone surrogates."""
_CSV_ACTIVE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
                         "\ud800-\udfff]")
"""The same but tab, LF and CR, which CSV quotes."""
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def visible(text: str) -> str:
    """``text`` shown, never acting: each character of :data:`_ACTIVE` becomes its Python
    escape (``\\t``, ``\\n``, ``\\r``, ``\\x1b``, ``\\x7f``, ``\\x85``, ``\\u202e``); everything
    else, backslashes included, is left as it is."""
    return text if text.isprintable() else _ACTIVE.sub(_escaped, text)


def _text(value: str) -> Text:
    """A terminal cell: rich ``Text`` (so ``[red]`` is never markup), visible characters."""
    from rich.text import Text

    return Text(visible(value))


_MD_BREAK = re.compile("\r\n|[\r\n]")
_MD_ESCAPES = str.maketrans({"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
                             "~": "\\~", "|": "\\|", "<": "&lt;", ">": "&gt;", "&": "&amp;"})


def md_cell(text: str) -> str:
    """Text for a Markdown table cell or list item, shown literally by any Markdown or HTML
    renderer: line breaks (CR LF, CR, LF) become spaces, other control and bidi characters
    :func:`visible` escapes, ``\\ ` * _ [ ] ~ |`` are backslash-escaped, ``< > &`` written
    as HTML entities, and a leading ``#`` escaped."""
    cell = visible(_MD_BREAK.sub(" ", text)).translate(_MD_ESCAPES)
    return f"\\{cell}" if cell.startswith("#") else cell


def _json(data: object) -> str:
    """Indented JSON, UTF-8, with the characters the ledger escapes written as ``\\uXXXX``."""
    return escape_unsafe(json.dumps(data, ensure_ascii=False, indent=2)) + "\n"


def _csv_number(plain: str, dialect: CsvDialect) -> str:
    return plain.replace(".", ",") if dialect is CsvDialect.EXCEL_FR else plain


def csv_text(rows: Iterable[Sequence[str]], dialect: CsvDialect) -> str:
    """RFC 4180 text (CRLF line ends, quotes where needed) in the given dialect."""
    buffer = io.StringIO()
    delimiter = ";" if dialect is CsvDialect.EXCEL_FR else ","
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(rows)
    bom = "\ufeff" if dialect is CsvDialect.EXCEL_FR else ""
    return bom + buffer.getvalue()


def problems_text(problems: Iterable[Problem]) -> str:
    """One line per problem, ``FILE:LINE:COL: severity: message``."""
    return "".join(f"{visible(p.render())}\n" for p in problems)


def problems_json(problems: Sequence[Problem]) -> str:
    return _json([p.as_json() for p in problems])


def check_summary(result: CheckResult) -> str:
    """The one-line verdict of ``delegation check`` (stdout), its paths :func:`visible`."""
    counts = _("{errors}, {warnings}").format(
        errors=ngettext("{count} error", "{count} errors", result.errors).format(count=result.errors),
        warnings=ngettext("{count} warning", "{count} warnings", result.warnings).format(count=result.warnings))
    verdict = _("invalid ({counts})") if result.errors else _("valid ({counts})")
    text = f"{visible(str(result.convention_path))}: {verdict.format(counts=counts)}"
    if result.ledger_path is not None and result.ledger_entries is not None:
        entries = ngettext("{count} entry", "{count} entries", result.ledger_entries).format(
            count=result.ledger_entries)
        if not result.ledger_exists:  # the convention's own ledger, not written yet
            entries = _("not created yet ({entries})").format(entries=entries)
        text += _("; ledger {path}: {entries}").format(path=visible(str(result.ledger_path)), entries=entries)
    if result.anchor is not None:
        text += "\n" + _("fingerprint {sha256}: seal {seal} (line {line}) closing {month}; the sealed history up to "
                         "it is intact").format(sha256=result.anchor.sha256, seal=result.anchor.id,
                                                line=result.anchor.line, month=result.anchor.month)
    return text + "\n"


# --------------------------------------------------------------------------------------
# Writing commands
# --------------------------------------------------------------------------------------


def _describe(entry: Entry) -> str:
    parts = [f"{kind_name(entry.kind)} {entry.id}", format_date(entry.date), entry.team]
    if entry.kind in AMOUNT_KINDS:
        parts.append(format_fr(entry.amount))
    if entry.kind == "forecast":
        text = _("orders (AE) for {month}") if entry.forecast_type == "ae" else _("payments (CP) for {month}")
        parts.append(text.format(month=entry.month))
    if entry.commitment:
        parts.append(_("on {commitment}").format(commitment=entry.commitment))
    if entry.ref:
        parts.append(_("ref {ref}").format(ref=entry.ref))
    return ", ".join(parts)


def _row(name: str, figures: tuple[int, int, int], used: str) -> str:
    opened, consumed, available = figures
    available_word = _("available")
    return (f"  {name:<16} {format_fr(opened):>14}   {used} {format_fr(consumed):>14}   "
            f"{available_word} {format_fr(available):>14}\n")


def outcome_text(outcome: Outcome) -> str:
    """Confirmation of a writing command, with the availability it leaves."""
    entry = outcome.entry
    head = _("Recorded {entry}") if outcome.written else _("Would record (dry run, nothing written) {entry}")
    text = head.format(entry=_describe(entry)) + "\n"
    avail = outcome.availability
    if avail is None or entry.kind == "note":
        return text
    year = int(entry.month[:4]) if entry.kind == "forecast" and entry.month else entry.year
    committed, paid = _("committed"), _("paid     ")
    carried_text = N_("less {amount} carried over to {year} by avenant")
    if entry.kind in ("commitment", "release") or entry.forecast_type == "ae":
        team = avail.team(entry.team)
        if team is not None:
            text += _row(_("team {team}").format(team=entry.team), team, committed)
        text += _row(f"AE {year}", avail.ae(year), committed)
        carried = avail.replay.conv.carried_out("ae", year)
        if carried:
            text += f"  {'':16} {_(carried_text).format(amount=format_fr(carried), year=year + 1)}\n"
        text += _row(_("envelope"), avail.envelope(), committed)
    else:
        text += _row(f"CP {year}", avail.cp(year), paid)
        carried = avail.replay.conv.carried_out("cp", year)
        if carried:
            text += f"  {'':16} {_(carried_text).format(amount=format_fr(carried), year=year + 1)}\n"
    if entry.commitment:
        state = avail.replay.commitments.get(entry.commitment)
        if state is not None:
            text += "  " + _("commitment {id}: committed {amount}, released {released}, paid {paid}, "
                             "reste à payer {remaining}").format(
                id=state.id, amount=format_fr(state.amount), released=format_fr(state.released),
                paid=format_fr(state.paid), remaining=format_fr(state.remaining)) + "\n"
    return text


def outcome_json(outcome: Outcome) -> str:
    data = outcome.entry.as_json()
    data["written"] = outcome.written
    data["ledger"] = str(outcome.ledger_path)
    data["warnings"] = [p.as_json() for p in outcome.warnings]
    return _json(data)


def import_text(result: ImportResult) -> str:
    """Summary of ``delegation import`` (its paths :func:`visible`), then the lines appended (or
    that would be)."""
    count = len(result.entries)
    if result.written:
        head = ngettext("Imported {count} entry from {source} into {ledger}",
                        "Imported {count} entries from {source} into {ledger}", count)
    else:
        head = ngettext("Would import (dry run, nothing written) {count} entry from {source} into {ledger}",
                        "Would import (dry run, nothing written) {count} entries from {source} into {ledger}",
                        count)
    skipped = len(result.duplicates)
    text = (head.format(count=count, source=visible(result.source), ledger=visible(str(result.ledger)))
            + (ngettext("; {count} duplicate skipped", "; {count} duplicates skipped", skipped).format(
                count=skipped) if skipped else "") + "\n")
    return text + "".join(f"  {format_entry(e)}\n" for e in result.entries)


# --------------------------------------------------------------------------------------
# log
# --------------------------------------------------------------------------------------

LOG_COLUMNS = ("line", "date", "kind", "id", "team", "amount", "ref", "commitment",
               "marche", "prestation", "service_fait", "month", "type", "author", "label")


def _log_row(entry: Entry) -> dict[str, str]:
    return {
        "line": str(entry.line),
        "date": entry.date.isoformat(),
        "kind": entry.kind,
        "id": entry.id,
        "team": entry.team,
        "amount": format_canonical(entry.amount) if entry.kind in AMOUNT_KINDS else "",
        "ref": entry.ref or "",
        "commitment": entry.commitment or "",
        "marche": entry.marche or "",
        "prestation": entry.prestation or "",
        "service_fait": entry.service_fait.isoformat() if entry.service_fait else "",
        "month": entry.month or "",
        "type": entry.forecast_type or "",
        "author": entry.author or "",
        "label": entry.label,
    }


def log_table(entries: Sequence[Entry]) -> Table:
    from rich.table import Table

    table = Table(header_style=STYLE_HEADER, box=None, pad_edge=False)
    for name, justify in ((N_("Line"), "right"), ("Date", "left"), ("Kind", "left"),
                          ("Id", "left"), ("Team", "left"), ("Amount", "right"),
                          ("Reference", "left"), ("Label", "left")):
        table.add_column(_(name), justify=justify, no_wrap=name != "Label")  # type: ignore[arg-type]
    for e in entries:
        ref = e.ref or ""
        if e.commitment:
            ref = f"→ {e.commitment}" + (f" {e.ref}" if e.ref else "")
        if e.kind == "forecast":
            ref = f"{e.forecast_type} {e.month}"
        cells = (str(e.line), format_date(e.date), kind_name(e.kind), e.id, e.team,
                 format_fr(e.amount) if e.kind in AMOUNT_KINDS else "", ref, e.label)
        table.add_row(*(_text(cell) for cell in cells), style=None)
    return table


def export_json(convention_id: str, ledger: str, until: dt.date | None, entries: Sequence[Entry]) -> str:
    """The whole ledger as one JSON document (``delegation export --format json``)."""
    data = {"schema": "delegation-export/1", "convention": convention_id, "ledger": ledger,
            "until": until.isoformat() if until else None, "entries": [e.as_json() for e in entries]}
    return _json(data)


def log_json(entries: Sequence[Entry]) -> str:
    return _json([e.as_json() for e in entries])


def log_csv(entries: Sequence[Entry], dialect: CsvDialect = CsvDialect.RFC4180) -> str:
    """The entries as CSV: a header row, one row per entry, amounts in the plain form."""
    rows: list[list[str]] = [list(LOG_COLUMNS)]
    for entry in entries:
        row = _log_row(entry)
        if row["amount"]:
            row["amount"] = _csv_number(row["amount"], dialect)
        rows.append([row[c] if c in ("amount", "line") else csv_safe(row[c]) for c in LOG_COLUMNS])
    return csv_text(rows, dialect)


# --------------------------------------------------------------------------------------
# The monthly report
# --------------------------------------------------------------------------------------
# Every format is rendered from one list of sections, so that the terminal table, the
# Markdown message and the CSV file can never disagree; JSON has its own, documented shape
# (docs/report-json.md).


@dataclass(frozen=True)
class Ratio:
    """A share of a whole, shown as a percentage (and a bar in the ``bar`` column kind)."""

    part: int
    whole: int


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


def _m(name: str, label: str | None = None) -> Column:
    return Column(name, "money", label)


N_("Field"), N_("Value"), N_("Team"), N_("Cap"), N_("In month"), N_("Committed"), N_("Available")
N_("% of cap"), N_("Bar"), N_("Above share"), N_("Paid in month"), N_("Paid"), N_("Reste à payer"), N_("Year")
N_("Opened"), N_("Carried over"), N_("Rate"), N_("Released, earlier years"), N_("Figure"), N_("Amount")
N_("Code"), N_("Label"), N_("Marché"), N_("Prestation"), N_("Date"), N_("Kind"), N_("Id"), N_("Reference")
N_("Note"), N_("Month"), N_("Type"), N_("Forecast"), N_("Landing"), N_("Unused"), N_("Over cap")
N_("Commitment"), N_("Released"), N_("AE unused"), N_("CP unused"), N_("Severity"), N_("Message"), N_("Total")

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
INFORM_SHORT = ("forecast-exceeds-ae", "forecast-exceeds-cp", "forecast-exceeds-cap")
"""Alerts of credits running short: article 5 has the délégataire inform the délégant at once."""
INFORM_UNUSED_CODES = ("unused-ae", "unused-cp", "unused-envelope")
"""Alerts of credits likely to stay unused: the délégataire undertakes to inform the délégant."""


def _title(r: MonthlyReport) -> str:
    if r.final:
        return _("Final report — {title}").format(title=r.conv.title)
    return _("Monthly report of {month} — {title}").format(month=format_month(r.month), title=r.conv.title)


def _month_line(r: MonthlyReport) -> str:
    count: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    for e in r.movements:
        count[e.kind] += 1
        total[e.kind] += e.amount
    if not count:
        return _("no commitment, payment or release")
    parts = []
    if count["commitment"]:
        parts.append(ngettext("{count} commitment ({amount})", "{count} commitments ({amount})",
                              count["commitment"]).format(count=count["commitment"],
                                                          amount=format_fr(total["commitment"])))
    if count["payment"]:
        parts.append(ngettext("{count} payment ({amount})", "{count} payments ({amount})",
                              count["payment"]).format(count=count["payment"], amount=format_fr(total["payment"])))
    if count["release"]:
        parts.append(ngettext("{count} release ({amount})", "{count} releases ({amount})",
                              count["release"]).format(count=count["release"], amount=format_fr(total["release"])))
    return ", ".join(parts)


def _inform_paragraphs(r: MonthlyReport) -> tuple[str, ...]:
    """What to send the délégant, with the figures, when an alert requires it (art. 5)."""
    short = [a for a in r.alerts if a.code in INFORM_SHORT]
    unused = [a for a in r.alerts if a.code in INFORM_UNUSED_CODES]
    out: list[str] = []
    if short:
        out.append(_("Insufficient credits. As article 5 of the convention provides, the délégataire informs "
                     "the délégant without delay:"))
        out += [f"– {a.facts or a.message}" for a in short]
    if unused:
        out.append(_("Credits likely to remain unused. As article 5 of the convention provides, the délégataire "
                     "undertakes to inform the délégant:"))
        out += [f"– {a.facts or a.message}" for a in unused]
    if not out:
        out.append(_("No alert requires informing the délégant this month."))
    return tuple(out)


def synthese(r: MonthlyReport) -> Section:
    """The one-screen summary every format opens with."""
    t = r.totals
    rows: list[tuple[object, ...]] = [
        *(((_("Team"), _("{team} only: the month and the teams' tables; the envelope, the years and the "
                         "alerts on credits are the convention's").format(team=r.team_filter)),)
          if r.team_filter else ()),
        (_("This month"), _month_line(r)),
        (_("Envelope"), format_fr(t.envelope)),
        (_("Committed (AE, net of releases)"), format_fr(t.committed)),
        (_("Paid (CP)"), format_fr(t.paid)),
        (_("Reste à payer"), format_fr(t.remaining)),
        (_("Envelope not committed (AE)"), format_fr(t.ae_available)),
        (_("Envelope not paid (CP)"), format_fr(t.cp_available)),
    ]
    for y in r.years:
        rows.append((_("AE {year}").format(year=y.year), _("{rate} committed ({used} of {usable})").format(
            rate=format_percent(y.ae_committed, y.ae_usable), used=format_fr(y.ae_committed),
            usable=format_fr(y.ae_usable)) if y.ae_usable else _("none opened")))
        rows.append((_("CP {year}").format(year=y.year), _("{rate} paid ({used} of {usable})").format(
            rate=format_percent(y.cp_paid, y.cp_usable), used=format_fr(y.cp_paid), usable=format_fr(y.cp_usable))
            if y.cp_usable else _("none opened")))
    counts = {sev: sum(1 for a in r.alerts if a.severity.value == sev) for sev in SEVERITY_ORDER}
    rows.append((_("Alerts"), _("{errors}, {warnings}, {infos}").format(
        errors=ngettext("{count} error", "{count} errors", counts["error"]).format(count=counts["error"]),
        warnings=ngettext("{count} warning", "{count} warnings", counts["warning"]).format(count=counts["warning"]),
        infos=ngettext("{count} for information", "{count} for information", counts["info"]).format(
            count=counts["info"]))))
    return Section("synthese", _("Summary"), (Column("Figure"), Column("Value", "text")), tuple(rows),
                   paragraphs=_inform_paragraphs(r), brief=True)


def _pivot(r: MonthlyReport, kind: str) -> tuple[tuple[Column, ...], tuple[tuple[object, ...], ...]]:
    """Forecasts of one type as teams × coming months, with a total per team and per month."""
    chosen = [f for f in r.forecasts if f.forecast_type == kind]
    months = sorted({f.month or "" for f in chosen})
    teams = [t.id for t in r.conv.teams if any(f.team == t.id for f in chosen)]
    cell: dict[tuple[str, str], int] = defaultdict(int)
    for f in chosen:
        cell[(f.team, f.month or "")] += f.amount
    columns = (Column("Team"), *(Column(m, "money", _short_month(m)) for m in months), _m("Total"))
    rows: list[tuple[object, ...]] = [
        (team, *(cell.get((team, m), "") for m in months), sum(cell[(team, m)] for m in months)) for team in teams]
    if len(teams) > 1:
        rows.append((_("Total"), *(sum(cell[(team, m)] for team in teams) for m in months),
                     sum(f.amount for f in chosen)))
    return columns, tuple(rows)


def _short_month(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


def report_sections(r: MonthlyReport) -> list[Section]:
    """The report as titled tables, in reading order: the header, the synthèse, the alerts
    by severity, then the detail."""
    from .figures import CpOnAe
    conv = r.conv
    imp = conv.imputation
    ch = imp.chorus
    avenants = ", ".join(f"n° {n}" for n in r.limits.avenants) or _("none")
    closed = (_("{month} (seal {seal})").format(month=format_month(r.last_seal.month or ""), seal=r.last_seal.id)
              if r.last_seal else _("no month closed"))
    header = Section("header", _title(r), (Column("Field"), Column("Value", "text")), (
        (_("Identifier"), conv.id),
        (_("Délégant"), conv.parties.delegant.name),
        (_("Délégataire"), conv.parties.delegataire.name),
        (_("As of"), format_date(r.as_of)),
        (_("Closed through"), closed),
    ), brief=True)
    identification = Section("identification", _("The convention"), (Column("Field"), Column("Value", "text")), (
        (_("Imputation"), _("programme {programme}, BOP {bop}, UO {uo}").format(
            programme=imp.programme, bop=imp.bop, uo=imp.uo)),
        (_("Chorus"), _("centre financier {cf}, domaine fonctionnel {df}, activité {act}, centre de coût {cc}, "
                        "axe ministériel {axe}").format(cf=ch.centre_financier, df=ch.domaine_fonctionnel,
                                                        act=ch.activite, cc=ch.centre_de_cout,
                                                        axe=ch.axe_ministeriel or _("sans objet"))),
        (_("Period"), _("{start} – {end} (in force from {effective})").format(
            start=format_date(conv.period.start), end=format_date(conv.period.end),
            effective=format_date(conv.effective_date))),
        (_("Avenants in force"), avenants),
        (_("Month"), format_month(r.month)),
        (_("Team"), r.team_filter or _("all")),
        (_("Entries counted"), str(r.entries_counted)),
    ))
    year = r.as_of.year
    if r.limits.team_cap is not None:
        teams = Section("teams", _("Teams: commitments (AE) under the cap"), (
            Column("Team"), _m("Cap"), _m("In month"), _m("Committed"), _m("Available"),
            Column("% of cap", "percent"), Column("Bar", "bar"),
        ), tuple((t.team, t.cap, t.ae_month, t.ae_committed, t.available, Ratio(t.ae_committed, t.cap or 0),
                  Ratio(t.ae_committed, t.cap or 0)) for t in r.teams), brief=True)
    else:  # a convention that caps no team: no cap column
        teams = Section("teams", _("Teams: commitments (AE)"), (Column("Team"), _m("In month"), _m("Committed")),
                        tuple((t.team, t.ae_month, t.ae_committed) for t in r.teams), brief=True)
    shares = Section("team_shares", _("Teams: indicative share of {year} (échéancier)").format(year=year), (
        Column("Team"), _m(f"Share {year}", _("Share {year}").format(year=year)),
        _m(f"Committed {year}", _("Committed {year}").format(year=year)), _m("Above share"),
    ), tuple((t.team, t.share, t.committed_year, max(t.committed_year - t.share, 0))
             for t in r.teams if t.share is not None))
    payments = Section("team_payments", _("Teams: payments (CP) and reste à payer"), (
        Column("Team"), _m("Paid in month"), _m("Paid"), _m("Reste à payer"),
    ), tuple((t.team, t.cp_month, t.cp_paid, t.remaining) for t in r.teams), brief=True)
    carried = any(y.ae_carried_out or y.cp_carried_out for y in r.years)
    years_ae = Section("years_ae", _("Budget years: AE (autorisations d'engagement)"), (
        Column("Year"), _m("Opened"), *((_m("Carried over"),) if carried else ()), _m("Committed"),
        _m("Available"), Column("Rate", "percent"), _m("Released, earlier years"),
    ), tuple((str(y.year), y.ae_open, *((y.ae_carried_out,) if carried else ()), y.ae_committed, y.ae_available,
              Ratio(y.ae_committed, y.ae_usable), y.released_earlier) for y in r.years), brief=True)
    years_cp = Section("years_cp", _("Budget years: CP (crédits de paiement)"), (
        Column("Year"), _m("Opened"), *((_m("Carried over"),) if carried else ()), _m("Paid"), _m("Available"),
        Column("Rate", "percent"),
    ), tuple((str(y.year), y.cp_open, *((y.cp_carried_out,) if carried else ()), y.cp_paid, y.cp_available,
              Ratio(y.cp_paid, y.cp_usable)) for y in r.years), brief=True)
    t = r.totals
    totals = Section("totals", _("Convention totals"), (Column("Figure"), _m("Amount")), (
        (_("Envelope"), t.envelope), (_("Committed (net of releases)"), t.committed),
        (_("AE available"), t.ae_available), (_("Paid"), t.paid), (_("CP available"), t.cp_available),
        (_("Reste à payer"), t.remaining),
    ))
    cp_on_ae = Section(
        "cp_on_ae", "Suivi des crédits de paiement associés à la consommation des AE",  # the State's title
        (Column("Code"), Column("Label", "text"), *(_m(str(y.year), str(y.year)) for y in r.years)),
        tuple((code, CpOnAe.LABELS[code], *(getattr(y.cp_on_ae, code) for y in r.years))
              for code in CpOnAe.CODES))
    marches = Section("marches", _("By marché"), (Column("Marché", "text"), _m("Committed"), _m("Paid")),
                      tuple((s.name, s.committed, s.paid) for s in r.marches))
    prestations = Section("prestations", _("By prestation kind"),
                          (Column("Prestation", "text"), _m("Committed"), _m("Paid")),
                          tuple((s.name, s.committed, s.paid) for s in r.prestations))
    movements = Section("movements", _("Movements of {month}").format(month=format_month(r.month)), (
        Column("Date", "date"), Column("Kind", "entrykind"), Column("Id"), Column("Team"), _m("Amount"),
        Column("Reference", "text"), Column("Label", "text"),
    ), tuple((e.date, e.kind, e.id, e.team, e.amount, _reference(e), e.label) for e in r.movements),
        empty=_("no commitment, payment or release this month"))
    notes = Section("notes", _("Progress notes of {month} (avancement des travaux)").format(
        month=format_month(r.month)), (Column("Date", "date"), Column("Team"), Column("Note", "text")),
        tuple((e.date, e.team, e.label) for e in r.notes), empty=_("no progress note this month"), brief=True)
    forecasts = Section("forecasts", _("Forecasts for the coming months (orders = AE, payments = CP)"), (
        Column("Month", "month"), Column("Team"), Column("Type"), _m("Amount"), Column("Label", "text"),
    ), tuple((f.month or "", f.team, "order (AE)" if f.forecast_type == "ae" else "payment (CP)",
              f.amount, f.label) for f in r.forecasts), audience="machine")
    order_columns, order_rows = _pivot(r, "ae")
    forecast_orders = Section("forecast_orders", _("Forecast orders (AE) for the coming months"),
                              order_columns, order_rows, empty=_("no forecast order"), brief=True, audience="human")
    pay_columns, pay_rows = _pivot(r, "cp")
    forecast_payments = Section("forecast_payments", _("Forecast payments (CP) for the coming months"),
                                pay_columns, pay_rows, empty=_("no forecast payment"), brief=True, audience="human")
    shown = [la for la in r.year_landings if la.year >= year]
    landing_ae = Section("landing_ae", _("Projected year-end landing (atterrissage): AE"), (
        Column("Year"), _m("Opened"), _m("Committed"), _m("Forecast"), _m("Landing"), _m("Unused"),
    ), tuple((str(la.year), la.ae_open, la.ae_consumed, la.ae_forecast, la.ae_landing,
              la.ae_open - la.ae_landing) for la in shown), brief=True)
    landing_cp = Section("landing_cp", _("Projected year-end landing (atterrissage): CP"), (
        Column("Year"), _m("Opened"), _m("Paid"), _m("Forecast"), _m("Landing"), _m("Unused"),
    ), tuple((str(la.year), la.cp_open, la.cp_consumed, la.cp_forecast, la.cp_landing,
              la.cp_open - la.cp_landing) for la in shown), brief=True)
    landing_title = _("Projected landing per team (committed + forecast orders)")
    if r.limits.team_cap is not None:
        landing_teams = Section("landing_teams", landing_title, (
            Column("Team"), _m("Cap"), _m("Committed"), _m("Forecast"), _m("Landing"), _m("Over cap"),
        ), tuple((tl.team, tl.cap, tl.committed, tl.ae_forecast, tl.ae_landing,
                  max(tl.ae_landing - (tl.cap or 0), 0)) for tl in r.team_landings))
    else:
        landing_teams = Section("landing_teams", landing_title, (
            Column("Team"), _m("Committed"), _m("Forecast"), _m("Landing"),
        ), tuple((tl.team, tl.committed, tl.ae_forecast, tl.ae_landing) for tl in r.team_landings))
    landing_team_cp = Section("landing_team_payments", _("Projected payments per team (paid + forecast)"), (
        Column("Team"), _m("Paid"), _m("Forecast"), _m("Landing"),
    ), tuple((tl.team, tl.paid, tl.cp_forecast, tl.cp_landing) for tl in r.team_landings))
    open_commitments = Section("open_commitments", _("Open commitments"), (
        Column("Date", "date"), Column("Team"), Column("Commitment"), _m("Amount"), _m("Paid"),
        _m("Released"), _m("Reste à payer"), Column("Age", "int", _("Age (days)")),
    ), tuple((o.entry.date, o.entry.team, o.entry.ref or o.entry.id, o.entry.amount,
              o.paid, o.released, o.remaining, o.age_days) for o in r.open_commitments),
        empty=_("no open commitment"))
    unused = Section("unused", _("Unused credits per year"), (Column("Year"), _m("AE unused"), _m("CP unused")),
                     tuple((str(u.year), u.ae, u.cp) for u in r.unused), brief=True)
    alerts = Section("alerts", _("Alerts"), (Column("Severity", "severity"), Column("Code"),
                                             Column("Message", "text")),
                     tuple((a.severity.value, a.code, a.message)
                           for a in sorted(r.alerts, key=lambda a: SEVERITY_ORDER[a.severity.value])),
                     empty=_("no alert"), brief=True)
    out = [header, synthese(r), alerts, teams, payments, shares, years_ae, years_cp, totals, cp_on_ae,
           forecast_orders, forecast_payments, forecasts, landing_ae, landing_cp, landing_teams, landing_team_cp]
    if r.final:
        out.append(unused)
    out += [notes, movements, open_commitments, marches, prestations, identification, fingerprint_section(r)]
    return out


def fingerprint_section(r: MonthlyReport) -> Section:
    """The document's « empreinte du registre », last: the hash of the last seal on or before
    the report's date, and the command that later proves the months it closes unchanged."""
    seal = r.last_seal
    rows: tuple[tuple[object, ...], ...] = ()
    paragraphs: tuple[str, ...] = ()
    if seal is not None and seal.sha256:
        rows = ((_("Fingerprint (sha256)"), seal.sha256),
                (_("Verify"), f"delegation check --anchor {seal.sha256}"))
        paragraphs = (_("The seal {seal} closes the ledger up to {month}. Keep this fingerprint with the report: "
                        "`delegation check --anchor` with it proves at any later date that the months "
                        "it closes were not rewritten.").format(seal=seal.id, month=format_month(seal.month or "")),)
    return Section("fingerprint", _("Ledger fingerprint"), (Column("Field"), Column("Value", "text")), rows,
                   empty=_("no month closed yet: the ledger has no fingerprint (`delegation close` seals a month)"),
                   paragraphs=paragraphs, brief=True)


def _reference(e: Entry) -> str:
    if e.kind == "commitment":
        return " ".join(x for x in (e.ref, e.marche, e.prestation) if x)
    text = _("on {commitment}").format(commitment=e.commitment)
    if e.ref:
        text += f", {e.ref}"
    if e.service_fait:
        text += ", " + _("service fait {date}").format(date=format_date(e.service_fait))
    return text


BAR_WIDTH = 10
NUMERIC = frozenset(("money", "percent", "int"))


def _bar(ratio: Ratio) -> str:
    if ratio.whole <= 0:
        return ""
    filled = min(BAR_WIDTH, max(0, ratio.part * BAR_WIDTH // ratio.whole))
    return "█" * filled + "░" * (BAR_WIDTH - filled)


SEVERITY_WORDS = {"error": N_("error"), "warning": N_("warning"), "info": N_("info")}


def _human(value: object, kind: str) -> str:
    """A cell as people read it, in the report's language."""
    if kind == "money" and isinstance(value, int):
        return format_fr(value)
    if kind == "percent" and isinstance(value, Ratio):
        return format_percent(value.part, value.whole)
    if kind == "bar" and isinstance(value, Ratio):
        return _bar(value)
    if kind == "date" and isinstance(value, dt.date):
        return format_date(value)
    if kind == "month" and isinstance(value, str) and value:
        return format_month(value)
    if kind == "entrykind" and isinstance(value, str):
        return kind_name(value)
    if kind == "severity" and isinstance(value, str):
        return _(SEVERITY_WORDS.get(value, value))
    return str(value)


def _plain(value: object, kind: str) -> str:
    """A cell as a script reads it: plain amounts, ISO dates, stable words."""
    if kind == "money" and isinstance(value, int):
        return format_signed(value)
    if kind == "percent" and isinstance(value, Ratio):
        if value.whole == 0:
            return ""
        tenths = (Decimal(value.part) * 1000 / Decimal(value.whole)).to_integral_value(rounding="ROUND_HALF_UP")
        return f"{tenths / 10:.1f}"
    if kind == "date" and isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class ProgressBar:
    """A progress bar on stderr for long work (:data:`ledger.PROGRESS`): shown only on a
    terminal, and only for a ledger above 10 MB (about 100 000 entries) or an import of more
    than 100 000 rows; created on the first report worth showing, removed when done."""

    THRESHOLDS = {"bytes": 10_000_000, "rows": 100_000}

    def __init__(self, console: Any = None):
        self.console = console
        """The rich console to draw on (default: stderr, created when first needed)."""
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, done: int, total: int, what: str, unit: str) -> None:
        if total < self.THRESHOLDS.get(unit, 0):
            return
        if self.console is None:
            import sys

            if not sys.stderr.isatty():
                return
            from rich.console import Console

            self.console = Console(stderr=True)
        if not self.console.is_terminal:
            return
        if self._bar is None:
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

            self._bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(),
                                 console=self.console, transient=True)
            self._bar.start()
        if what not in self._tasks:
            self._tasks[what] = self._bar.add_task(visible(what), total=total)
        self._bar.update(self._tasks[what], completed=done, total=total)
        if done >= total:  # read through: the bar goes before the command prints its result
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
            self._tasks.clear()


def invalid_lines(r: MonthlyReport) -> list[str]:
    """The block every rendering of a report on an invalid ledger opens with."""
    if not r.invalid:
        return []
    from .figures import SEAL_CODES
    count = len(r.invalid)
    if any(p.code.startswith(SEAL_CODES) for p in r.invalid):
        head = ngettext("LEDGER INVALID: the ledger breaks {count} rule; the figures below may be wrong and no "
                        "month is claimed closed (`delegation check` lists the problems)",
                        "LEDGER INVALID: the ledger breaks {count} rules; the figures below may be wrong and no "
                        "month is claimed closed (`delegation check` lists the problems)", count)
    else:
        head = ngettext("LEDGER INVALID: the ledger breaks {count} rule; the figures below may be wrong "
                        "(`delegation check` lists the problems)",
                        "LEDGER INVALID: the ledger breaks {count} rules; the figures below may be wrong "
                        "(`delegation check` lists the problems)", count)
    return [head.format(count=count), *(p.render() for p in r.invalid)]


def human_sections(r: MonthlyReport, *, full: bool = True) -> list[Section]:
    """The sections people read (terminal, Markdown, HTML, PDF): the whole report, or for
    the terminal without ``--full`` the synthèse, alerts, teams, years, forecasts and notes."""
    return [s for s in report_sections(r) if s.audience != "machine" and (full or s.brief)]


def _fold(text: str, width: int, indent: str, hang: str = "  ") -> list[str]:
    """``text`` wrapped at ``width`` between words: amounts (``20 000,00 €``, whose spaces do
    not break) and ids never cut; nothing at all when ``width`` is 0 (not a terminal)."""
    import textwrap

    if width <= 0:
        return [indent + text]
    return textwrap.wrap(text, width=max(width, 20), initial_indent=indent, subsequent_indent=indent + hang,
                         break_long_words=False, break_on_hyphens=False) or [indent]


def report_renderables(r: MonthlyReport, *, full: bool = True, width: int = 0) -> list[RenderableType]:
    """The report as rich renderables for a terminal ``width`` columns wide (0: not a
    terminal, nothing is wrapped).  Tables give every figure, id and date whole; free text
    folds within its cell; the synthèse's paragraphs and the alerts wrap between words."""
    from rich.table import Table
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
        out.append(Text(""))
        out.append(Text(visible(section.title), style=STYLE_TITLE))
        if section.key == "synthese":
            for label, value in section.rows:
                out += _labelled(str(label), str(value), width)
            for paragraph in section.paragraphs:
                item = paragraph.startswith("– ")
                if not item:
                    out.append(Text(""))
                out += [Text(line, style="" if item else STYLE_HEADER)
                        for line in _fold(visible(paragraph), width, "", "  " if item else "")]
            continue
        if section.key == "fingerprint" and section.rows:  # label: value, then how to use it
            for label, value in section.rows:
                out += _labelled(str(label), str(value), width)
            out += [Text(line) for paragraph in section.paragraphs for line in _fold(visible(paragraph), width, "")]
            continue
        if section.key == "alerts":  # a list, not a table: a message wraps between words, never in an amount
            if not section.rows:
                out.append(Text(f"  {section.empty}"))
            for severity, code, message in section.rows:
                style = {"error": STYLE_ERROR, "warning": STYLE_WARNING}.get(str(severity))
                out.append(Text(f"{_human(severity, 'severity')} [{code}]", style=style or ""))
                out += [Text(line) for line in _fold(visible(str(message)), width - 2 if width else 0, "  ")]
            continue
        if not section.rows:
            out.append(Text(f"  {section.empty or _('none')}"))
            continue
        out.append(_table(section, Table, Text))
    return out


def sections_renderables(title: str, lead: Sequence[str], sections: Iterable[Section]) -> list[RenderableType]:
    """A document other than the report (the portfolio) as rich renderables: its title, lead
    lines, then each section's title and table (or its ``empty`` text)."""
    from rich.table import Table
    from rich.text import Text

    out: list[RenderableType] = [Text(visible(title), style=STYLE_TITLE), *(Text(visible(line)) for line in lead)]
    for section in sections:
        out += [Text(""), Text(visible(section.title), style=STYLE_TITLE)]
        if section.rows:
            out.append(_table(section, Table, Text))
        else:
            out.append(Text(f"  {visible(section.empty or _('none'))}"))
    return out


def _labelled(label: str, value: str, width: int) -> list[Text]:
    """``label: value`` wrapped between words, the label in bold."""
    from rich.text import Text

    head = _("{label}: {value}").format(label=visible(label), value="")
    lines = _fold(head + visible(value), width, "", "  ")
    first = Text.assemble((head, STYLE_HEADER), lines[0][len(head):]) if lines[0].startswith(head) else Text(lines[0])
    return [first, *(Text(line) for line in lines[1:])]


def _table(section: Section, table_class: Any, text_class: Any) -> Table:
    from rich.cells import cell_len

    table: Table = table_class(box=None, header_style=STYLE_HEADER, pad_edge=False, padding=(0, 1))
    rows = [[visible(_human(v, c.kind)) for v, c in zip(row, section.columns, strict=True)] for row in section.rows]
    for index, col in enumerate(section.columns):
        fixed = col.kind != "text"  # only free text folds: figures, ids and dates are never cut
        width = max([cell_len(col.title), *(cell_len(cells[index]) for cells in rows)]) if fixed else None
        table.add_column(text_class(col.title), justify="right" if col.kind in NUMERIC else "left", no_wrap=fixed,
                         overflow="fold", min_width=width)
    for cells in rows:
        table.add_row(*(text_class(cell) for cell in cells))
    return table


def render_text(renderables: Iterable[RenderableType], *, width: int = 0, color: bool = False) -> str:
    """Renderables as the text a terminal ``width`` columns wide shows (0: not a terminal:
    every table at its natural width, so that no value is cut or wrapped), without
    trailing spaces."""
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=width or 10_000, highlight=False, markup=False, emoji=False,
                      force_terminal=color, color_system="standard" if color else None, soft_wrap=False)
    for renderable in renderables:
        measured = console.measure(renderable)
        needed = max(measured.maximum, 1) if not width else max(width, measured.minimum)
        console.print(renderable, width=needed, crop=False)
    return "\n".join(line.rstrip() for line in buffer.getvalue().split("\n"))


def _md_item(label: str, value: str) -> str:
    """``- **label**: value`` (``- **label** : value`` in French)."""
    return "- " + _("{label}: {value}").format(label=f"**{md_cell(label)}**", value=md_cell(value))


def report_markdown(r: MonthlyReport) -> str:
    """The report as Markdown, ready to paste into a message to the délégant."""
    sections = human_sections(r)
    head = sections[0]
    invalid = invalid_lines(r)
    lines = [f"**{md_cell(invalid[0])}**", "", *(f"- {md_cell(line)}" for line in invalid[1:]), ""] if invalid else []
    lines += [f"# {md_cell(head.title)}", ""]
    lines += [_md_item(str(k), str(v)) for k, v in head.rows]
    for section in sections[1:]:
        lines += ["", f"## {md_cell(section.title)}", ""]
        if section.key == "synthese":
            lines += [_md_item(str(k), str(v)) for k, v in section.rows]
            for paragraph in section.paragraphs:
                if paragraph.startswith("– "):  # an item of the paragraph before
                    lines.append(f"- {md_cell(paragraph.removeprefix('– '))}")
                else:
                    lines += ["", f"**{md_cell(paragraph)}**", ""]
            continue
        if section.key == "fingerprint" and section.rows:
            lines += [_md_item(str(k), str(v)) for k, v in section.rows]
            lines += ["", *(md_cell(paragraph) for paragraph in section.paragraphs)]
            continue
        lines += section_markdown(section)
    return "\n".join(lines) + "\n"


def section_markdown(section: Section) -> list[str]:
    """A section's table as Markdown lines (numbers right-aligned), or its empty text."""
    if not section.rows:
        return [f"_{md_cell(section.empty or _('none'))}_"]
    lines = ["| " + " | ".join(md_cell(c.title) for c in section.columns) + " |",
             "|" + "|".join("---:" if c.kind in NUMERIC else "---" for c in section.columns) + "|"]
    for row in section.rows:
        lines.append("| " + " | ".join(md_cell(_human(v, c.kind)) for v, c in zip(row, section.columns, strict=True))
                     + " |")
    return lines


def report_csv(r: MonthlyReport, dialect: CsvDialect = CsvDialect.RFC4180) -> str:
    """One block per section (a title row, a header row, the rows), plain amounts and ISO
    dates; the headers are the stable English column names."""
    rows: list[list[str]] = []
    invalid = invalid_lines(r)
    if invalid:
        rows += [["# invalid"], *([csv_safe(line)] for line in invalid), []]
    sections = [s for s in report_sections(r) if s.audience != "human"]
    for index, section in enumerate(sections):
        if index:
            rows.append([])
        columns = [c for c in section.columns if c.kind != "bar"]
        rows.append([f"# {section.key}"])
        rows.append([csv_safe(c.name) for c in columns])
        for row in section.rows:
            cells = []
            for value, column in zip(row, section.columns, strict=True):
                if column.kind == "bar":
                    continue
                plain = _plain(value, column.kind)
                cells.append(_csv_number(plain, dialect) if column.kind in NUMERIC else csv_safe(plain))
            rows.append(cells)
        for paragraph in section.paragraphs:
            rows.append([csv_safe(paragraph)])
    return csv_text(rows, dialect)


def _opt(amount: int | None) -> str | None:
    """A plain amount, or None (JSON null) when there is none (no team cap)."""
    return None if amount is None else format_signed(amount)


def _rate(part: int, whole: int) -> str | None:
    return _plain(Ratio(part, whole), "percent") or None


def report_json(r: MonthlyReport) -> str:
    """The report as JSON (schema in docs/report-json.md); amounts are strings like "1500.00"."""
    conv = r.conv
    s = format_signed
    data: dict[str, Any] = {
        "schema": "delegation-report/1",
        "invalid": [p.as_json() for p in r.invalid],
        "convention": {
            "id": conv.id,
            "title": conv.title,
            "delegant": conv.parties.delegant.name,
            "delegataire": conv.parties.delegataire.name,
            "programme": conv.imputation.programme,
            "bop": conv.imputation.bop,
            "uo": conv.imputation.uo,
            "chorus": conv.imputation.chorus.model_dump(),
            "period": {"start": conv.period.start.isoformat(), "end": conv.period.end.isoformat(),
                       "effective": conv.effective_date.isoformat()},
            "avenants_in_force": list(r.limits.avenants),
            "closed_through": None if r.last_seal is None else {
                "month": r.last_seal.month, "seal": r.last_seal.id, "sha256": r.last_seal.sha256},
        },
        "month": r.month,
        "as_of": r.as_of.isoformat(),
        "final": r.final,
        "team_filter": r.team_filter,
        "entries_counted": r.entries_counted,
        "synthese": {
            "this_month": {kind: {"count": sum(1 for e in r.movements if e.kind == kind),
                                  "amount": s(sum(e.amount for e in r.movements if e.kind == kind))}
                           for kind in ("commitment", "payment", "release")},
            "inform_delegant": {
                "insufficient": [a.facts or a.message for a in r.alerts if a.code in INFORM_SHORT],
                "unused": [a.facts or a.message for a in r.alerts if a.code in INFORM_UNUSED_CODES],
            },
            "text": list(_inform_paragraphs(r)),
        },
        "teams": [{
            "team": t.team, "name": t.name, "cap": _opt(t.cap), "ae_committed_month": s(t.ae_month),
            "ae_committed": s(t.ae_committed), "cp_paid_month": s(t.cp_month), "cp_paid": s(t.cp_paid),
            "remaining_to_pay": s(t.remaining), "available": _opt(t.available),
            "cap_rate": None if t.cap is None else _rate(t.ae_committed, t.cap), "year": t.year,
            "year_share": s(t.share) if t.share is not None else None,
            "year_committed": s(t.committed_year),
        } for t in r.teams],
        "years": [{
            "year": y.year, "ae_open": s(y.ae_open), "ae_committed": s(y.ae_committed),
            "ae_carried_over": s(y.ae_carried_out),
            "ae_available": s(y.ae_available), "ae_rate": _rate(y.ae_committed, y.ae_usable),
            "released_earlier_years": s(y.released_earlier),
            "cp_open": s(y.cp_open), "cp_carried_over": s(y.cp_carried_out), "cp_paid": s(y.cp_paid),
            "cp_available": s(y.cp_available), "cp_rate": _rate(y.cp_paid, y.cp_usable),
            "cp_on_ae": {k: s(v) for k, v in y.cp_on_ae.as_dict().items()},
        } for y in r.years],
        "totals": {
            "envelope": s(r.totals.envelope), "ae_committed": s(r.totals.committed),
            "ae_available": s(r.totals.ae_available), "cp_paid": s(r.totals.paid),
            "cp_available": s(r.totals.cp_available), "remaining_to_pay": s(r.totals.remaining),
        },
        "marches": [{"marche": m.key or None, "name": m.name, "committed": s(m.committed), "paid": s(m.paid)}
                    for m in r.marches],
        "prestations": [{"prestation": p.key or None, "name": p.name, "committed": s(p.committed),
                         "paid": s(p.paid)} for p in r.prestations],
        "movements": [e.as_json() for e in r.movements],
        "notes": [e.as_json() for e in r.notes],
        "forecasts": [e.as_json() for e in r.forecasts],
        "landing": {
            "years": [{
                "year": la.year, "ae_open": s(la.ae_open), "ae_committed": s(la.ae_consumed),
                "ae_forecast": s(la.ae_forecast), "ae_landing": s(la.ae_landing),
                "ae_unused": s(la.ae_open - la.ae_landing), "cp_open": s(la.cp_open),
                "cp_paid": s(la.cp_consumed), "cp_forecast": s(la.cp_forecast),
                "cp_landing": s(la.cp_landing), "cp_unused": s(la.cp_open - la.cp_landing),
            } for la in r.year_landings],
            "teams": [{
                "team": tl.team, "cap": _opt(tl.cap), "ae_committed": s(tl.committed),
                "ae_forecast": s(tl.ae_forecast), "ae_landing": s(tl.ae_landing), "cp_paid": s(tl.paid),
                "cp_forecast": s(tl.cp_forecast), "cp_landing": s(tl.cp_landing),
            } for tl in r.team_landings],
        },
        "open_commitments": [{
            "id": o.entry.id, "date": o.entry.date.isoformat(), "team": o.entry.team, "ref": o.entry.ref,
            "amount": s(o.entry.amount), "paid": s(o.paid), "released": s(o.released),
            "remaining_to_pay": s(o.remaining), "age_days": o.age_days,
        } for o in r.open_commitments],
        "unused": [{"year": u.year, "ae": s(u.ae), "cp": s(u.cp)} for u in r.unused],
        "alerts": [{"severity": a.severity.value, "code": a.code, "message": a.message}
                   for a in sorted(r.alerts, key=lambda a: SEVERITY_ORDER[a.severity.value])],
    }
    return _json(data)

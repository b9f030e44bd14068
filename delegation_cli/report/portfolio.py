"""The portfolio: every convention of a set of files and folders, one line each, and their totals.

This module owns ``delegation portfolio``: finding the convention files (:func:`find_conventions`),
summarising each one (:func:`summarize`, run in a pool of processes when there are many), the
totals per délégant and per programme, and the renderings of the result (table, Markdown,
CSV, JSON — schema ``delegation-portfolio/1``, docs/portfolio-json.md — and HTML through
:mod:`document`).

A convention's figures are never computed here: :func:`summarize` loads it once, validates it
with :func:`actions.check_loaded` (the body of :func:`actions.run_check`, what ``delegation
check`` does) and builds its report with :func:`actions.build_report` (what ``delegation
report`` does), renders that report with :func:`report.report_json` and copies its figures
out of that JSON: they are exactly the figures of ``delegation report --format json`` of the
convention for the same month.  The totals are sums of those figures.

Which month: with ``--month M``, every convention's report of ``M`` (as ``report --month M``);
without it, each convention's report of the current month clamped to its own period (as
``report`` without ``--month``: a convention that has ended shows its last month, one not yet
in force its first).  The status (not yet in force, running, ended) is as of the last day of
``M``, or of the current month.

What is a convention file: every file named on the command line; in a folder (searched
recursively, hidden folders apart), every ``.yaml``/``.yml`` file that has a top-level
``budget:`` or ``teams:`` key (a line starting with it), ``.pre-commit-config.yaml`` apart.
A YAML file without either key is skipped; one that cannot be read to tell is listed, with
why it cannot be read; so is a folder that cannot be searched (listed), as a line that fails.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.entries import month_end
from ..core.errors import DelegationError, Problem, Severity, fail
from ..core.i18n import N_, _, format_date, format_month, ngettext, using
from ..core.money import format_signed, parse_canonical
from .render import (
    INFORM_SHORT,
    INFORM_UNUSED_CODES,
    Column,
    CsvDialect,
    Ratio,
    Section,
    _json,
    _plain,
    csv_safe,
    csv_text,
    md_cell,
)

SCHEMA = "delegation-portfolio/1"
SEQUENTIAL_BELOW = 4
"""Fewer conventions than this are summarised in this process: a pool costs more than it saves."""
SKIPPED_NAMES = frozenset((".pre-commit-config.yaml", ".pre-commit-config.yml"))
YAML_SUFFIXES = (".yaml", ".yml")
_CONVENTION_KEY = re.compile(r"^(?:budget|teams)[ \t]*:", re.MULTILINE)
STATUSES = {"not-started": N_("not yet in force"), "running": N_("running"), "ended": N_("ended")}
AMOUNTS = ("envelope", "ae_committed", "cp_paid", "remaining_to_pay", "ae_available", "cp_available")


# --------------------------------------------------------------------------------------
# Finding the conventions
# --------------------------------------------------------------------------------------


def looks_like_convention(path: Path) -> bool:
    """Whether a YAML file found in a folder is taken as a convention: it has a top-level
    ``budget:`` or ``teams:`` key; a file that cannot be read to tell is taken (its problem
    is then listed)."""
    if path.name.lower() in SKIPPED_NAMES:
        return False
    from ..store.convention import MAX_BYTES
    from ..store.text_files import read_text

    try:
        text = read_text(path, max_bytes=MAX_BYTES, what=_("convention YAML file"))
    except DelegationError:
        return True
    return _CONVENTION_KEY.search(text) is not None


@dataclass(frozen=True)
class Found:
    """What a search of the command's paths found."""

    files: list[Path]
    """The convention files, each once, in the order given (a folder's in sorted order)."""
    unreadable: list[tuple[str, str]]
    """Each folder (among those searched) that could not be listed, and why (its error)."""


def find_conventions(paths: Sequence[str]) -> Found:
    """The convention files named or found in ``paths`` (default: the current folder), and
    the folders that could not be searched; a path that does not exist is a bad argument
    (exit 2)."""
    found: list[Path] = []
    seen: set[str] = set()
    unreadable: list[tuple[str, str]] = []

    def cannot_list(top: Path, error: OSError) -> None:
        folder = top if error.filename is None else Path(os.fsdecode(error.filename))
        unreadable.append((str(folder), error.strerror or str(error)))

    def add(path: Path) -> None:
        key = os.path.normpath(str(path))
        if key not in seen:
            seen.add(key)
            found.append(path)

    for given in paths or ["."]:
        path = Path(given)
        try:
            is_dir = path.is_dir()
            exists = is_dir or os.path.lexists(path)
        except OSError:
            is_dir, exists = False, True
        if not exists:
            raise fail(_("no such file or folder (expected convention files, or folders holding them)"),
                       code="file-missing", path=given)
        if not is_dir:
            add(path)
            continue
        for folder, dirs, files in os.walk(path, onerror=functools.partial(cannot_list, path)):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                candidate = Path(folder) / name
                if name.lower().endswith(YAML_SUFFIXES) and looks_like_convention(candidate):
                    add(candidate)
    return Found(found, unreadable)


# --------------------------------------------------------------------------------------
# One convention
# --------------------------------------------------------------------------------------


def status_on(period: dict[str, str], day: dt.date) -> str:
    """not-started, running or ended on ``day``, from the report's ``convention.period``."""
    if day < dt.date.fromisoformat(period["effective"]):
        return "not-started"
    return "ended" if day > dt.date.fromisoformat(period["end"]) else "running"


def _failed(path: str, problems: Sequence[Problem], conv: Any = None) -> dict[str, Any]:
    errors = [p for p in problems if p.is_error]
    first = errors[0] if errors else (problems[0] if problems else None)
    return {
        "file": path, "id": None if conv is None else conv.id, "title": None if conv is None else conv.title,
        "delegant": None if conv is None else conv.parties.delegant.name,
        "programme": None if conv is None else conv.imputation.programme,
        "uo": None if conv is None else conv.imputation.uo,
        "period": None, "status": None, "month": None, "as_of": None,
        "check": {"valid": False, "errors": len(errors), "warnings": sum(1 for p in problems if not p.is_error),
                  "first_problem": None if first is None else first.render()},
        "totals": None, "year": None, "alerts": None, "inform": [], "closed_through": None,
        "problems": [p.as_json() for p in problems],
    }


def _row(path: str, report: dict[str, Any], check: Any, day: dt.date) -> dict[str, Any]:
    """A convention's line from its report's JSON (``report.report_json``), copied, not recomputed."""
    conv = report["convention"]
    totals = dict(report["totals"])
    year_number = int(report["month"][:4])
    year = next((y for y in report["years"] if y["year"] == year_number), None)
    counts = {severity.value: 0 for severity in Severity}
    for alert in report["alerts"]:
        counts[alert["severity"]] += 1
    inform = [a for a in report["alerts"] if a["code"] in INFORM_SHORT + INFORM_UNUSED_CODES]
    closed = conv["closed_through"]
    return {
        "file": path, "id": conv["id"], "title": conv["title"], "delegant": conv["delegant"],
        "programme": conv["programme"], "uo": conv["uo"], "period": conv["period"],
        "status": status_on(conv["period"], day), "month": report["month"], "as_of": report["as_of"],
        "check": {"valid": True, "errors": 0, "warnings": check.warnings, "first_problem": None},
        "totals": totals,
        "rates": {"ae": _rate_of(totals["ae_committed"], totals["envelope"]),
                  "cp": _rate_of(totals["cp_paid"], totals["envelope"])},
        "year": None if year is None else {key: year[key] for key in (
            "year", "ae_available", "cp_available", "ae_rate", "cp_rate")},
        "alerts": counts,
        "inform": inform,
        "closed_through": None if closed is None else closed["month"],
        "problems": [p.as_json() for p in check.problems],
    }


def _rate_of(part: str, whole: str) -> str | None:
    return _plain(Ratio(cents(part), cents(whole)), "percent") or None


def cents(plain: str) -> int:
    """The cents of a plain amount of the report's JSON (``-1500.00``)."""
    return -parse_canonical(plain[1:]) if plain.startswith("-") else parse_canonical(plain)


def summarize(path: str, month: str | None, today: str, lang: str, messages: str) -> dict[str, Any]:
    """One convention's line of the portfolio: plain, picklable values only (a pool's worker
    returns it).  ``lang`` is the document's language, ``messages`` that of the problems."""
    from ..store.actions import check_loaded
    from ..store.convention import load_convention
    from .build import build_report
    from .render import report_json

    day = dt.date.fromisoformat(today)
    with using(messages):
        try:
            loaded = load_convention(Path(path))
            check = check_loaded(loaded)  # what `delegation check PATH` does
            if check.errors:
                return _failed(path, check.problems, loaded.convention)
            result = build_report(loaded, ledger=None, month=month, team=None, final=False, today=day,
                                  lang=lang)
            report = json.loads(report_json(result))
        except DelegationError as exc:
            return _failed(path, exc.problems, _convention_or_none(path))
        except OSError as exc:
            return _failed(path, [Problem(path, None, None, Severity.ERROR, "file-unreadable",
                                          _("cannot read: {reason}").format(reason=exc.strerror or str(exc)))])
        except Exception as exc:  # noqa: BLE001 - one convention must never hide the others
            return _failed(path, [Problem(path, None, None, Severity.ERROR, "internal-error",
                                          _("could not be summarised: {error}").format(
                                              error=f"{type(exc).__name__}: {exc}"))])
    portfolio_day = month_end(month) if month else month_end(day.strftime("%Y-%m"))
    return _row(path, report, check, portfolio_day)


def _convention_or_none(path: str) -> Any:
    from ..store.convention import load_convention

    try:
        return load_convention(Path(path)).convention
    except Exception:  # noqa: BLE001 - only to name the convention beside its problem
        return None


def _summarize_args(args: tuple[str, str | None, str, str, str]) -> dict[str, Any]:
    return summarize(*args)


def summarize_all(files: Sequence[Path], month: str | None, today: dt.date, lang: str, messages: str,
                  workers: int | None = None) -> list[dict[str, Any]]:
    """Every convention's line, in the order of ``files``: in this process for fewer than
    :data:`SEQUENTIAL_BELOW`, else over a pool of ``workers`` processes (default: one per core)."""
    jobs = [(str(f), month, today.isoformat(), lang, messages) for f in files]
    count = workers or os.cpu_count() or 1
    if len(jobs) < SEQUENTIAL_BELOW or count <= 1:
        return [_summarize_args(job) for job in jobs]
    from concurrent.futures import ProcessPoolExecutor

    count = min(count, len(jobs))
    with ProcessPoolExecutor(max_workers=count) as pool:
        return list(pool.map(_summarize_args, jobs, chunksize=max(1, len(jobs) // (count * 8))))


# --------------------------------------------------------------------------------------
# The portfolio
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Portfolio:
    month: str | None
    """``--month``, or None: each convention's current month within its period."""
    as_of: dt.date
    """The day the statuses are as of: the last day of ``month`` (else of the current month)."""
    language: str
    rows: tuple[dict[str, Any], ...]

    @property
    def valid(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["check"]["valid"]]

    @property
    def invalid(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if not r["check"]["valid"]]

    def totals(self, key: str) -> list[dict[str, Any]]:
        """Per délégant (``key="delegant"``) or programme: the count and the sums of the valid
        conventions' amounts, in order of first appearance."""
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in self.valid:
            groups[row[key]].append(row)
        return [{key: name, **_sums(rows)} for name, rows in groups.items()]

    def total(self) -> dict[str, Any]:
        return _sums(self.valid)

    def inform(self) -> list[dict[str, Any]]:
        """The alerts that require informing a délégant (art. 5), each with its convention."""
        return [{"convention": r["id"], "file": r["file"], "delegant": r["delegant"], **alert}
                for r in self.valid for alert in r["inform"]]


def _sums(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"conventions": len(rows),
            **{name: format_signed(sum(cents(r["totals"][name]) for r in rows)) for name in AMOUNTS}}


def build_portfolio(paths: Sequence[str], *, month: str | None, today: dt.date, lang: str, messages: str,
                    workers: int | None = None) -> Portfolio:
    """The portfolio of the conventions named or found in ``paths`` (refused, exit 2, when
    there is none), then a failed line for each folder that could not be searched."""
    found = find_conventions(paths)
    if not found.files and not found.unreadable:
        raise fail(_("no convention file found (expected YAML files with budget: and teams: keys)"),
                   code="no-convention", path=", ".join(paths) or ".")
    rows = summarize_all(found.files, month, today, lang, messages, workers)
    with using(messages):
        rows += [_failed(folder, [Problem(folder, None, None, Severity.ERROR, "folder-unreadable",
                                          _("cannot search this folder: {reason}").format(reason=reason))])
                 for folder, reason in found.unreadable]
    as_of = month_end(month) if month else month_end(today.strftime("%Y-%m"))
    return Portfolio(month, as_of, lang, tuple(rows))


def problems_of(p: Portfolio) -> list[Problem]:
    """The problems of the conventions that fail ``check`` (stderr)."""
    return [Problem(d["file"], d["line"], d["column"], Severity(d["severity"]), d["code"], d["message"])
            for r in p.invalid for d in r["problems"]]


# --------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------

N_("File"), N_("Title"), N_("Programme"), N_("UO"), N_("Status"), N_("Envelope"), N_("AE rate"), N_("CP rate")
N_("Check"), N_("Conventions"), N_("Convention"), N_("Délégant"), N_("Period"), N_("Month"), N_("Id")
N_("Committed"), N_("Paid"), N_("Reste à payer"), N_("Available (AE)"), N_("Available (CP)"), N_("Alerts")
N_("Closed through"), N_("Severity"), N_("Code"), N_("Message"), N_("Total"), N_("Problem")
N_("AE available, year"), N_("CP available, year")

_M = "money"


def _check_text(row: dict[str, Any]) -> str:
    check = row["check"]
    if check["valid"]:
        return _("valid")
    count = check["errors"]
    return ngettext("{count} error", "{count} errors", count).format(count=count)


def _alerts_text(row: dict[str, Any]) -> str:
    counts = row["alerts"]
    if counts is None:
        return ""
    return _("{errors} error(s), {warnings} warning(s), {infos} for information").format(
        errors=counts["error"], warnings=counts["warning"], infos=counts["info"])


def _money(row: dict[str, Any], name: str) -> object:
    return "" if row["totals"] is None else cents(row["totals"][name])


def _year_money(row: dict[str, Any], name: str) -> object:
    return "" if row.get("year") is None else cents(row["year"][name])


def _ratio(row: dict[str, Any], part: str) -> object:
    if row["totals"] is None:
        return ""
    return Ratio(cents(row["totals"][part]), cents(row["totals"]["envelope"]))


def _period(row: dict[str, Any]) -> str:
    if row["period"] is None:
        return ""
    return _("{start} – {end}").format(start=format_date(dt.date.fromisoformat(row["period"]["start"])),
                                       end=format_date(dt.date.fromisoformat(row["period"]["end"])))


def convention_section(p: Portfolio) -> Section:
    columns = (Column("Id"), Column("Title", "text"), Column("Délégant", "text"), Column("Programme"),
               Column("UO"), Column("Period"), Column("Status"), Column("Month", "month"), Column("Envelope", _M),
               Column("Committed", _M), Column("Paid", _M), Column("Reste à payer", _M),
               Column("Available (AE)", _M), Column("Available (CP)", _M),
               Column("AE available, year", _M), Column("CP available, year", _M),
               Column("AE rate", "percent"), Column("CP rate", "percent"), Column("Alerts", "text"),
               Column("Check"), Column("Closed through", "month"), Column("File"))
    rows = []
    for r in p.rows:
        rows.append((r["id"] or "", r["title"] or "", r["delegant"] or "", r["programme"] or "", r["uo"] or "",
                     _period(r), _(STATUSES[r["status"]]) if r["status"] else "", r["month"] or "",
                     *(_money(r, name) for name in AMOUNTS), _year_money(r, "ae_available"),
                     _year_money(r, "cp_available"), _ratio(r, "ae_committed"), _ratio(r, "cp_paid"),
                     _alerts_text(r), _check_text(r), r["closed_through"] or "", r["file"]))
    return Section("conventions", _("Conventions"), columns, tuple(rows))


def _totals_section(p: Portfolio, key: str, title: str, label: str) -> Section:
    columns = (Column(label, "text"), Column("Conventions", "int"), *(Column(name, _M) for name in (
        "Envelope", "Committed", "Paid", "Reste à payer", "Available (AE)", "Available (CP)")))
    groups = [*p.totals(key), {key: _("Total"), **p.total()}]
    rows = tuple((g[key], g["conventions"], *(cents(g[name]) for name in AMOUNTS)) for g in groups)
    return Section(f"totals-{key}", title, columns, rows)


def inform_section(p: Portfolio) -> Section:
    columns = (Column("Convention"), Column("Délégant", "text"), Column("Severity", "severity"), Column("Code"),
               Column("Message", "text"))
    rows = tuple((a["convention"], a["delegant"], a["severity"], a["code"], a["message"]) for a in p.inform())
    return Section("inform", _("Alerts requiring informing the délégant (art. 5)"), columns, rows,
                   empty=_("No alert requires informing a délégant."))


def problems_section(p: Portfolio) -> Section:
    columns = (Column("File"), Column("Check"), Column("Problem", "text"))
    rows = tuple((r["file"], _check_text(r), r["check"]["first_problem"] or "") for r in p.invalid)
    return Section("invalid", _("Conventions that fail check"), columns, rows)


def title(p: Portfolio) -> str:
    if p.month is None:
        return _("Portfolio of conventions — {day}").format(day=format_date(p.as_of))
    return _("Portfolio of conventions — {month}").format(month=format_month(p.month))


def sections(p: Portfolio) -> list[Section]:
    out = [convention_section(p),
           _totals_section(p, "delegant", _("Totals per délégant"), "Délégant"),
           _totals_section(p, "programme", _("Totals per programme"), "Programme"),
           inform_section(p)]
    if p.invalid:
        out.append(problems_section(p))
    return out


def _lead(p: Portfolio) -> str:
    lead = ngettext("{count} convention", "{count} conventions", len(p.rows)).format(count=len(p.rows))
    if p.invalid:
        lead += " — " + ngettext("{count} fails check", "{count} fail check", len(p.invalid)).format(
            count=len(p.invalid))
    month = (_("each convention's report of this month, within its period") if p.month is None
             else _("each convention's report of {month}").format(month=format_month(p.month)))
    return _("{conventions}; figures of {month}; status as of {day}").format(
        conventions=lead, month=month, day=format_date(p.as_of))


def portfolio_renderables(p: Portfolio) -> list[Any]:
    from .render import sections_renderables

    return sections_renderables(title(p), [_lead(p)], sections(p))


def portfolio_markdown(p: Portfolio) -> str:
    from .render import section_markdown

    lines = [f"# {md_cell(title(p))}", "", md_cell(_lead(p))]
    for section in sections(p):
        lines += ["", f"## {md_cell(section.title)}", "", *section_markdown(section)]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("id", "title", "delegant", "programme", "uo", "start", "end", "status", "month", *AMOUNTS,
               "year", "year_ae_available", "year_cp_available", "ae_rate", "cp_rate", "alerts_error",
               "alerts_warning", "alerts_info", "valid", "errors", "first_problem", "closed_through", "file")


def _csv_row(r: dict[str, Any], dialect: CsvDialect) -> list[str]:
    def number(value: str | None) -> str:
        if value is None:
            return ""
        return value.replace(".", ",") if dialect is CsvDialect.EXCEL_FR else value

    totals, year, alerts, period = r["totals"], r.get("year"), r["alerts"], r["period"]
    return [csv_safe(r["id"] or ""), csv_safe(r["title"] or ""), csv_safe(r["delegant"] or ""),
            csv_safe(r["programme"] or ""), csv_safe(r["uo"] or ""), period["start"] if period else "",
            period["end"] if period else "", r["status"] or "", r["month"] or "",
            *(number(totals[name] if totals else None) for name in AMOUNTS),
            str(year["year"]) if year else "", number(year["ae_available"] if year else None),
            number(year["cp_available"] if year else None),
            number(r["rates"]["ae"] if totals else None), number(r["rates"]["cp"] if totals else None),
            *((str(alerts[s]) for s in ("error", "warning", "info")) if alerts else ("", "", "")),
            "true" if r["check"]["valid"] else "false", str(r["check"]["errors"]),
            csv_safe(r["check"]["first_problem"] or ""), r["closed_through"] or "", csv_safe(r["file"])]


def portfolio_csv(p: Portfolio, dialect: CsvDialect = CsvDialect.RFC4180) -> str:
    """One row per convention, stable English headers, plain amounts (the JSON's)."""
    return csv_text([list(CSV_COLUMNS), *(_csv_row(r, dialect) for r in p.rows)], dialect)


def portfolio_json(p: Portfolio) -> str:
    """The portfolio as JSON (schema ``delegation-portfolio/1``, docs/portfolio-json.md)."""
    data = {
        "schema": SCHEMA,
        "month": p.month,
        "as_of": p.as_of.isoformat(),
        "language": p.language,
        "conventions": [{key: value for key, value in r.items() if key != "inform"} for r in p.rows],
        "totals": {"delegants": p.totals("delegant"), "programmes": p.totals("programme"), "all": p.total()},
        "inform_delegant": p.inform(),
        "invalid": len(p.invalid),
    }
    return _json(data)


def portfolio_html(p: Portfolio) -> str:
    """The portfolio as one self-contained HTML file (the report's template and style), with a
    chart of each valid convention's consumption of its envelope."""
    from dataclasses import replace

    from . import document

    bars = [(r["id"], cents(r["totals"]["envelope"]), cents(r["totals"]["ae_committed"]),
             cents(r["totals"]["cp_paid"])) for r in p.valid]
    charts = [c for c in (document.envelopes_chart(bars),) if c is not None]
    shown = sections(p)
    shown[0] = replace(shown[0], paragraphs=(_lead(p),))
    return document.sections_html(title=title(p), heading=title(p), month=None, as_of=p.as_of, sections=shown,
                                  charts=charts, invalid=[])  # the title says the month (or the day)


RENDERERS: dict[str, Callable[[Portfolio], str]] = {
    "json": portfolio_json, "markdown": portfolio_markdown, "html": portfolio_html,
}


def render(p: Portfolio, output: str, dialect: CsvDialect, *, width: int = 0, color: bool = False) -> str:
    """The portfolio in one format, in its language."""
    from .render import render_text

    with using(p.language):
        if output == "table":
            text = render_text(portfolio_renderables(p), width=width, color=color)
            return text if text.endswith("\n") else text + "\n"
        if output == "csv":
            return portfolio_csv(p, dialect)
        return RENDERERS[output](p)


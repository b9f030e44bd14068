"""JSON: every document a command prints for a script, each a stable, documented shape.

This module owns the JSON renderings: the report (``delegation-report/1``, docs/report-json.md),
the portfolio (``delegation-portfolio/1``, docs/portfolio-json.md), the ledger's entries (``log``
and ``export``), the problems of ``check`` and a recorded entry.  Amounts are strings with two
decimals (``"1500.00"``), rates strings with one (``"81.0"``), dates ISO 8601; the text is
written by :func:`cells.json_text` (indented, UTF-8, with the characters the ledger escapes
written as ``\\uXXXX``).  The pieces the report and the portfolio share (a period, the totals,
a budget year, an alert) are written once, here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..core.errors import Problem
from ..core.money import format_signed as s
from .alerts import INFORM_SHORT, INFORM_TERM, INFORM_UNUSED_CODES, in_severity_order
from .cells import amount_or_none, json_pieces, json_text, rate
from .sections import avenant_lines, inform_paragraphs

if TYPE_CHECKING:
    from ..core.entries import Entry
    from ..store.results import Outcome
    from .figures import Alert, Dates, MonthlyReport, TeamLanding, TeamLine, Totals, YearLanding, YearLine
    from .portfolio import ConventionLine, Group, Portfolio

# --------------------------------------------------------------------------------------
# What the report and the portfolio share
# --------------------------------------------------------------------------------------


def period_json(dates: Dates) -> dict[str, str]:
    return {"start": dates.start.isoformat(), "end": dates.end.isoformat(), "effective": dates.effective.isoformat()}


def totals_json(t: Totals) -> dict[str, str]:
    return {
        "envelope": s(t.envelope), "ae_committed": s(t.committed),
        "ae_available": s(t.ae_available), "cp_paid": s(t.paid),
        "cp_available": s(t.cp_available), "remaining_to_pay": s(t.remaining),
    }


def year_json(y: YearLine) -> dict[str, Any]:
    return {
        "year": y.year, "ae_open": s(y.ae_open), "ae_committed": s(y.ae_committed),
        "ae_carried_over": s(y.ae_carried_out),
        "ae_available": s(y.ae_available), "ae_rate": rate(y.ae_committed, y.ae_usable),
        "released_earlier_years": s(y.released_earlier),
        "cp_open": s(y.cp_open), "cp_carried_over": s(y.cp_carried_out), "cp_paid": s(y.cp_paid),
        "cp_available": s(y.cp_available), "cp_rate": rate(y.cp_paid, y.cp_usable),
        "cp_on_ae": {k: s(v) for k, v in y.cp_on_ae.as_dict().items()},
    }


def alert_json(a: Alert) -> dict[str, str]:
    return {"severity": a.severity.value, "code": a.code, "message": a.message}


# --------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------


def _convention(r: MonthlyReport) -> dict[str, Any]:
    conv = r.conv
    return {
        "id": conv.id,
        "title": conv.title,
        "delegant": conv.parties.delegant.name,
        "delegataire": conv.parties.delegataire.name,
        "programme": conv.imputation.programme,
        "bop": conv.imputation.bop,
        "uo": conv.imputation.uo,
        "chorus": conv.imputation.chorus.model_dump(),
        "period": period_json(r.dates),
        "avenants_in_force": list(r.limits.avenants),
        "closed_through": None if r.last_seal is None else {
            "month": r.last_seal.month, "seal": r.last_seal.id, "sha256": r.last_seal.sha256},
    }


def _synthese(r: MonthlyReport) -> dict[str, Any]:
    return {
        "this_month": {kind: {"count": sum(1 for e in r.movements if e.kind == kind),
                              "amount": s(sum(e.amount for e in r.movements if e.kind == kind))}
                       for kind in ("commitment", "payment", "release")},
        "inform_delegant": {
            "insufficient": [a.facts or a.message for a in r.alerts if a.code in INFORM_SHORT],
            "unused": [a.facts or a.message for a in r.alerts if a.code in INFORM_UNUSED_CODES],
            "term": [a.facts or a.message for a in r.alerts if a.code in INFORM_TERM],
        },
        "avenants": [f"{label}: {changes}" for label, changes in avenant_lines(r)],
        "text": list(inform_paragraphs(r)),
    }


def _team(t: TeamLine) -> dict[str, Any]:
    return {
        "team": t.team, "name": t.name, "cap": amount_or_none(t.cap), "ae_committed_month": s(t.ae_month),
        "ae_committed": s(t.ae_committed), "cp_paid_month": s(t.cp_month), "cp_paid": s(t.cp_paid),
        "remaining_to_pay": s(t.remaining), "available": amount_or_none(t.available),
        "cap_rate": None if t.cap is None else rate(t.ae_committed, t.cap), "year": t.year,
        "year_share": s(t.share) if t.share is not None else None,
        "year_committed": s(t.committed_year),
    }


def _year_landing(la: YearLanding) -> dict[str, Any]:
    return {
        "year": la.year, "ae_open": s(la.ae_open), "ae_committed": s(la.ae_consumed),
        "ae_forecast": s(la.ae_forecast), "ae_landing": s(la.ae_landing),
        "ae_unused": s(la.ae_open - la.ae_landing), "cp_open": s(la.cp_open),
        "cp_paid": s(la.cp_consumed), "cp_forecast": s(la.cp_forecast),
        "cp_landing": s(la.cp_landing), "cp_unused": s(la.cp_open - la.cp_landing),
    }


def _team_landing(tl: TeamLanding) -> dict[str, Any]:
    return {
        "team": tl.team, "cap": amount_or_none(tl.cap), "ae_committed": s(tl.committed),
        "ae_forecast": s(tl.ae_forecast), "ae_landing": s(tl.ae_landing), "cp_paid": s(tl.paid),
        "cp_forecast": s(tl.cp_forecast), "cp_landing": s(tl.cp_landing),
    }


def _detail(r: MonthlyReport) -> dict[str, Any]:
    """From ``marches`` to ``unused``: what the report lists."""
    return {
        "marches": [{"marche": m.key or None, "name": m.name, "committed": s(m.committed), "paid": s(m.paid)}
                    for m in r.marches],
        "prestations": [{"prestation": p.key or None, "name": p.name, "committed": s(p.committed),
                         "paid": s(p.paid)} for p in r.prestations],
        "movements": (e.as_json() for e in r.movements),  # long lists: written an item at a time
        "notes": [e.as_json() for e in r.notes],
        "corrections": [{**c.entry.as_json(), "corrects": c.target.as_json()} for c in r.corrections],
        "forecasts": [e.as_json() for e in r.forecasts],
        "landing": {"years": [_year_landing(la) for la in r.year_landings],
                    "teams": [_team_landing(tl) for tl in r.team_landings]},
        "open_commitments": ({
            "id": o.entry.id, "date": o.entry.date.isoformat(), "team": o.entry.team, "ref": o.entry.ref,
            "amount": s(o.entry.amount), "paid": s(o.paid), "released": s(o.released),
            "remaining_to_pay": s(o.remaining), "age_days": o.age_days,
        } for o in r.open_commitments),
        "unused": [{"year": u.year, "ae": s(u.ae), "cp": s(u.cp)} for u in r.unused],
    }


def report_json(r: MonthlyReport) -> Iterator[str]:
    """The report as JSON (schema in docs/report-json.md), a piece at a time (its lists may be
    long); amounts are strings like "1500.00"."""
    data: dict[str, Any] = {
        "schema": "delegation-report/1",
        "invalid": [p.as_json() for p in r.invalid],
        "convention": _convention(r),
        "month": r.month,
        "as_of": r.as_of.isoformat(),
        "final": r.final,
        "team_filter": r.team_filter,
        "entries_counted": r.entries_counted,
        "synthese": _synthese(r),
        "teams": [_team(t) for t in r.teams],
        "years": [year_json(y) for y in r.years],
        "totals": totals_json(r.totals),
        **_detail(r),
        "alerts": (alert_json(a) for a in in_severity_order(r.alerts)),
    }
    return json_pieces(data)


# --------------------------------------------------------------------------------------
# The portfolio
# --------------------------------------------------------------------------------------

PORTFOLIO_SCHEMA = "delegation-portfolio/1"
PORTFOLIO_YEAR = ("year", "ae_available", "cp_available", "ae_rate", "cp_rate")
"""What a convention's line gives of its report's year (``years`` in docs/report-json.md)."""


def line_json(line: ConventionLine) -> dict[str, Any]:
    """A convention's line of the portfolio, its figures written as its report's JSON writes them."""
    f, check = line.figures, line.check
    data: dict[str, Any] = {
        "file": line.file, "id": line.id, "title": line.title, "delegant": line.delegant,
        "programme": line.programme, "uo": line.uo, "period": None if f is None else period_json(f.period),
        "status": None if f is None else f.status, "month": None if f is None else f.month,
        "as_of": None if f is None else f.as_of.isoformat(),
        "check": {"valid": check.valid, "errors": check.errors, "warnings": check.warnings,
                  "first_problem": check.first_problem},
        "totals": None if f is None else totals_json(f.totals),
    }
    if f is not None:
        data["rates"] = {"ae": rate(f.totals.committed, f.totals.envelope),
                         "cp": rate(f.totals.paid, f.totals.envelope)}
    year = None if f is None or f.year is None else year_json(f.year)
    data.update({
        "year": None if year is None else {key: year[key] for key in PORTFOLIO_YEAR},
        "alerts": None if f is None else f.alert_counts(),
        "closed_through": None if f is None else f.closed_through,
        "problems": [p.as_json() for p in line.problems],
    })
    return data


def _group_json(key: str | None, group: Group) -> dict[str, Any]:
    """A délégant's or programme's totals (``key`` names it), or all conventions' (no key)."""
    from .portfolio import AMOUNTS, amounts

    return {**({key: group.name} if key else {}), "conventions": group.conventions,
            **{name: s(amount) for name, amount in zip(AMOUNTS, amounts(group.totals), strict=True)}}


def portfolio_json(p: Portfolio) -> str:
    """The portfolio as JSON (schema ``delegation-portfolio/1``, docs/portfolio-json.md)."""
    data = {
        "schema": PORTFOLIO_SCHEMA,
        "month": p.month,
        "as_of": p.as_of.isoformat(),
        "language": p.language,
        "conventions": [line_json(line) for line in p.rows],
        "totals": {"delegants": [_group_json("delegant", g) for g in p.totals("delegant")],
                   "programmes": [_group_json("programme", g) for g in p.totals("programme")],
                   "all": _group_json(None, p.total())},
        "inform_delegant": [{"convention": line.id, "file": line.file, "delegant": line.delegant, **alert_json(a)}
                            for line, a in p.inform()],
        "invalid": len(p.invalid),
    }
    return json_text(data)


# --------------------------------------------------------------------------------------
# The ledger's entries, the problems, a recorded entry
# --------------------------------------------------------------------------------------


def log_json(entries: Sequence[Entry]) -> str:
    return json_text([e.as_json() for e in entries])


def export_json(convention_id: str, ledger: str, until: dt.date | None, entries: Sequence[Entry]) -> str:
    """The whole ledger as one JSON document (``delegation export --format json``)."""
    return "".join(export_json_pieces(convention_id, ledger, until, entries))


def export_json_pieces(convention_id: str, ledger: str, until: dt.date | None,
                       entries: Iterable[Entry]) -> Iterator[str]:
    """:func:`export_json`, a piece at a time."""
    return json_pieces({"schema": "delegation-export/1", "convention": convention_id, "ledger": ledger,
                        "until": until.isoformat() if until else None, "entries": (e.as_json() for e in entries)})


def problems_json(problems: Sequence[Problem]) -> str:
    return json_text([p.as_json() for p in problems])


def outcome_json(outcome: Outcome) -> str:
    """A recorded entry (``--json`` of the writing commands), with its warnings."""
    data = outcome.entry.as_json()
    data["written"] = outcome.written
    data["ledger"] = str(outcome.ledger_path)
    data["warnings"] = [p.as_json() for p in outcome.warnings]
    return json_text(data)

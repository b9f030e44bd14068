"""What the commands say in plain text: problems, the verdict of ``check``, a recorded entry, an import.

This module owns the short texts the commands print besides their documents: one line per
problem (``FILE:LINE:COL: severity: message``), the summary of ``delegation check``, the
confirmation of a writing command with the availability it leaves, the summary of
``delegation import``.  Amounts are in the French human form (``125 000,00 €``); paths and
text read from files go through :func:`cells.visible`.  Their JSON forms are :mod:`json`'s.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.entries import Entry, entry_name
from ..core.errors import Problem
from ..core.i18n import N_, _, format_date, ngettext
from ..core.kinds import AMOUNT_KINDS, kind_name
from ..core.lines import format_entry
from ..core.money import format_fr
from ..store.results import CheckResult, ImportResult, Outcome
from .cells import visible


def problems_text(problems: Iterable[Problem]) -> str:
    """One line per problem, ``FILE:LINE:COL: severity: message``."""
    return "".join(f"{visible(p.render())}\n" for p in problems)


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


def _describe(entry: Entry, target: Entry | None = None) -> str:
    parts = [f"{kind_name(entry.kind)} {entry.id}", format_date(entry.date), entry.team]
    if entry.kind in AMOUNT_KINDS and not (entry.kind == "forecast" and not entry.amount):
        parts.append(format_fr(entry.amount))
    if entry.kind == "forecast":
        if not entry.amount:
            text = (_("withdraws the forecast of orders (AE) for {month}") if entry.forecast_type == "ae"
                    else _("withdraws the forecast of payments (CP) for {month}"))
        else:
            text = _("orders (AE) for {month}") if entry.forecast_type == "ae" else _("payments (CP) for {month}")
        parts.append(text.format(month=entry.month))
    if target is not None and entry.kind == "cancel":
        amount = f" {format_fr(target.amount)}" if target.kind in AMOUNT_KINDS else ""
        parts.append(_("cancels {kind} {target}{amount} dated {date}").format(
            kind=kind_name(target.kind), target=entry_name(target), amount=amount, date=format_date(target.date)))
    if target is not None and entry.kind == "service-fait" and entry.service_fait is not None:
        parts.append(_("service fait of payment {target} on {date}").format(
            target=entry_name(target), date=format_date(entry.service_fait)))
    if entry.commitment:
        parts.append(_("on {commitment}").format(commitment=entry.commitment))
    if entry.ref:
        parts.append(_("DP {ref}").format(ref=entry.ref) if entry.kind == "payment" else
                     _("ref {ref}").format(ref=entry.ref))
    if entry.ej:
        parts.append(_("EJ {ej}").format(ej=entry.ej))
    return ", ".join(parts)


def _row(name: str, figures: tuple[int, int, int], used: str) -> str:
    opened, consumed, available = figures
    available_word = _("available")
    return (f"  {name:<16} {format_fr(opened):>14}   {used} {format_fr(consumed):>14}   "
            f"{available_word} {format_fr(available):>14}\n")


CARRIED = N_("less {amount} carried over to {year} by avenant")


def _availability(outcome: Outcome) -> str:
    """The lines of availability a recorded entry leaves: its team, year and envelope (AE), or
    its year (CP), then its commitment."""
    entry, avail = outcome.entry, outcome.availability
    assert avail is not None
    year = int(entry.month[:4]) if entry.kind == "forecast" and entry.month else entry.year
    committed, paid = _("committed"), _("paid     ")
    text = ""
    if outcome.target is not None:  # a cancellation: the figures of what it cancelled
        entry = outcome.target._replace(date=entry.date, commitment=outcome.target.commitment)
    if entry.kind in ("commitment", "release") or entry.forecast_type == "ae":
        team = avail.team(entry.team)
        if team is not None:
            text += _row(_("team {team}").format(team=entry.team), team, committed)
        text += _row(f"AE {year}", avail.ae(year), committed)
        carried = avail.replay.conv.carried_out("ae", year)
        if carried:
            text += f"  {'':16} {_(CARRIED).format(amount=format_fr(carried), year=year + 1)}\n"
        text += _row(_("envelope"), avail.envelope(), committed)
    else:
        text += _row(f"CP {year}", avail.cp(year), paid)
        carried = avail.replay.conv.carried_out("cp", year)
        if carried:
            text += f"  {'':16} {_(CARRIED).format(amount=format_fr(carried), year=year + 1)}\n"
    if entry.commitment:
        state = avail.replay.commitments.get(entry.commitment)
        if state is not None:
            text += "  " + _("commitment {id}: committed {amount}, released {released}, paid {paid}, "
                             "reste à payer {remaining}").format(
                id=state.id, amount=format_fr(state.amount), released=format_fr(state.released),
                paid=format_fr(state.paid), remaining=format_fr(state.remaining)) + "\n"
    return text


def outcome_text(outcome: Outcome) -> str:
    """Confirmation of a writing command, with the availability it leaves."""
    entry = outcome.entry
    head = _("Recorded {entry}") if outcome.written else _("Would record (dry run, nothing written) {entry}")
    text = head.format(entry=_describe(entry, outcome.target)) + "\n"
    shown = outcome.target.kind if outcome.target is not None and entry.kind == "cancel" else entry.kind
    if outcome.availability is None or shown in ("note", "service-fait") or (
            shown == "forecast" and (entry.kind == "cancel" or not entry.amount)):
        return text
    return text + _availability(outcome)


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

"""The writing commands: ``commit``, ``pay``, ``release``, ``forecast`` and ``note``.

Each parses its own arguments, takes the options of :class:`~..options.WriteOptions` after
them, and makes one call to :func:`record_draft`, their shared body: it checks the author and
the label, loads the convention, drafts the entry, records it (or not, with ``--dry-run``)
through ``actions.record`` and prints the outcome.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _
from ..completion import complete_commitment, complete_kind, complete_marche
from ..environment import Environment
from ..options import (
    AmountArg,
    DateOpt,
    LabelOpt,
    TeamOpt,
    WriteOptions,
    as_amount,
    as_date,
    euros,
    grouped,
    month_option,
)
from ..output import said
from . import command

if TYPE_CHECKING:
    from ...core.entries import Stamp
    from ...core.model import Convention
    from ...store.actions import Draft

Drafting = Callable[["Convention", "Stamp", str], "Draft"]
"""How a command makes its entry: from the convention, the recording stamp and the checked
label (or note text)."""


class ForecastType(enum.StrEnum):
    ae = "ae"
    cp = "cp"


def record_draft(options: WriteOptions, draft_for: Drafting, *, label: str | None,
                 label_option: str = "--label") -> ExitCode:
    """The body of every writing command: the stamp (``--author``) and the label checked, in
    that order, then the convention loaded, the entry drafted and recorded, the outcome printed."""
    from ...report.json import outcome_json
    from ...report.messages import outcome_text, problems_text
    from ...store.actions import check_label, ledger_path_for, record, stamp
    from ...store.convention import require_convention

    now = stamp(options.author)
    text = check_label(label, label_option)
    loaded = require_convention(Path(options.convention))
    assert loaded.convention is not None
    draft = draft_for(loaded.convention, now, text)
    outcome = record(loaded, ledger_path_for(loaded, options.ledger), draft, dry_run=options.dry_run)
    rendered = outcome_json(outcome) if options.as_json else outcome_text(outcome)
    return said(rendered, problems_text(outcome.warnings) if outcome.warnings else "", written=outcome.written)


@command(help=_(
    "Record a commitment (a bon de commande): consumes AE of its year and the team's cap.\n\n"
    "Example: delegation commit --team friches 20000 --date 2019-12-10 --ref BC-1 --ej 1300012345"))
@grouped(WriteOptions)
def commit(
    env: Environment,
    amount: AmountArg,
    team: TeamOpt,
    date: DateOpt = None,
    ref: Annotated[str | None, typer.Option("--ref", help=_("Bon de commande number."))] = None,
    ej: Annotated[str | None, typer.Option("--ej", help=_(
        "Chorus engagement juridique (EJ) number, unique; pay, release and cancel may name the commitment by it."
    ))] = None,
    marche: Annotated[str | None, typer.Option("--marche", help=_("Marché id (default: the prestation's)."),
                                               autocompletion=complete_marche)] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=_("Prestation kind (annexe 3), e.g. devops."),
                                             autocompletion=complete_kind)] = None,
    label: LabelOpt = None,
    *,
    options: WriteOptions,
) -> ExitCode:
    from ...store.actions import draft_commitment

    return record_draft(options, lambda conv, now, text: draft_commitment(
        conv, team=team, amount=amount, date=date, ref=ref, ej=ej, marche=marche, prestation=kind, label=text,
        stamp=now), label=label)


@command(help=_(
    "Record a payment on a commitment: consumes CP of the payment's year.\n\n"
    "Example: delegation pay BC-1 5000 --date 2020-02-01 --service-fait 2020-01-27 --dp 100012345"))
@grouped(WriteOptions)
def pay(
    env: Environment,
    commitment: Annotated[str, typer.Argument(metavar="COMMITMENT", autocompletion=complete_commitment,
                                              help=_("Commitment id, bon de commande or EJ number."))],
    amount: AmountArg,
    date: DateOpt = None,
    service_fait: Annotated[dt.date | None, typer.Option("--service-fait", parser=as_date,
                                                         metavar="YYYY-MM-DD",
                                                         help=_("Date the service was certified."))] = None,
    ref: Annotated[str | None, typer.Option("--dp", "--ref", help=_(
        "Chorus demande de paiement (DP) number, unique; cancel and service-fait may name the payment by it."))] = None,
    label: LabelOpt = None,
    *,
    options: WriteOptions,
) -> ExitCode:
    from ...store.actions import draft_payment

    return record_draft(options, lambda conv, now, text: draft_payment(
        commitment=commitment, amount=amount, date=date, service_fait=service_fait, ref=ref, label=text,
        stamp=now), label=label)


@command(help=_(
    "Release (dégager) part or all of a commitment's reste à payer.\n\n"
    "AE come back to the commitment's year only when released in that same year.\n\n"
    "Example: delegation release BC-1 2500 --date 2020-06-30"))
@grouped(WriteOptions)
def release(
    env: Environment,
    commitment: Annotated[str, typer.Argument(metavar="COMMITMENT", autocompletion=complete_commitment,
                                              help=_("Commitment id, bon de commande or EJ number."))],
    amount: Annotated[euros | None, typer.Argument(parser=as_amount, metavar="AMOUNT",
                                                   help=_("Amount released (default: the whole reste à payer); "
                                                   "in euros, cents allowed: 20000, 20000.50, '20 000,50 €'."))]
    = None,
    date: DateOpt = None,
    label: LabelOpt = None,
    *,
    options: WriteOptions,
) -> ExitCode:
    from ...store.actions import draft_release

    return record_draft(options, lambda conv, now, text: draft_release(
        commitment=commitment, amount=amount, date=date, label=text, stamp=now), label=label)


def as_forecast_amount(text: str) -> int:
    """A forecast's amount: 0 withdraws the forecast in force."""
    from ...core.money import AmountError, parse_amount

    try:
        return parse_amount(text, allow_zero=True)
    except AmountError as exc:
        raise typer.BadParameter(str(exc)) from None


@command(help=_(
    "Record a forecast order (AE) or payment (CP) for a month; consumes nothing.\n\n"
    "A later forecast for the same team, month and type replaces the earlier one; an amount "
    "of 0 withdraws it. The month is that of the forecast's date or a later one.\n\n"
    "Example: delegation forecast --team friches 30000 --month 2020-04 --type ae"))
@grouped(WriteOptions)
def forecast(
    env: Environment,
    amount: Annotated[euros, typer.Argument(parser=as_forecast_amount, metavar="AMOUNT", help=_(
        "Amount in euros, cents allowed: 20000, 20000.50, '20 000,50 €'. 0 withdraws the forecast in force."))],
    team: TeamOpt,
    month: Annotated[str, month_option(_("Month planned."))],
    forecast_type: Annotated[ForecastType, typer.Option("--type", case_sensitive=False,
                                                                        help=_("ae: an order; cp: a payment."))],
    date: DateOpt = None,
    label: LabelOpt = None,
    *,
    options: WriteOptions,
) -> ExitCode:
    from ...store.actions import draft_forecast

    return record_draft(options, lambda conv, now, text: draft_forecast(
        team=team, amount=amount, month=month, forecast_type=forecast_type.value, date=date, label=text,
        stamp=now), label=label)


@command(help=_(
    "Record a dated progress note for a team (avancement des travaux).\n\n"
    "Example: delegation note --team friches \"Comité d'investissement le 15 juin\""))
@grouped(WriteOptions)
def note(
    env: Environment,
    team: TeamOpt,
    text: Annotated[str, typer.Argument(metavar="TEXT", help=_("The progress note."))],
    date: DateOpt = None,
    *,
    options: WriteOptions,
) -> ExitCode:
    from ...store.actions import draft_note

    return record_draft(options, lambda conv, now, body: draft_note(
        team=team, text=body, date=date, stamp=now), label=text, label_option="TEXT")

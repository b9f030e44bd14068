"""The corrections: ``cancel`` and ``service-fait``.

Each names an earlier entry (its id, or a bon de commande or demande de paiement), takes the
options of :class:`~..options.WriteOptions` and makes one call to
:func:`~.write.record_draft`, the body every writing command shares.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from ...core.errors import ExitCode
from ...core.i18n import _
from ..completion import complete_entry, complete_unsupported_payment
from ..environment import Environment
from ..options import DateOpt, LabelOpt, WriteOptions, as_date, grouped
from . import command
from .write import record_draft


@command(help=_(
    "Cancel an earlier entry recorded by mistake (a commitment, payment, release, forecast or note), "
    "as of the cancellation's date, with its reason.\n\n"
    "The figures move as if the entry were reversed on that date (credits are annual: a commitment or a "
    "payment of an earlier year gives back no AE or CP of that year); its bon de commande or demande de "
    "paiement is free again; the report lists the cancellation with its reason, never as a release. A "
    "commitment is cancelled once its payments and releases are. On a ledger with errors, a cancellation "
    "that mends some of them (and brings none) is the one entry accepted.\n\n"
    "Example: delegation cancel BC-2024-099 --reason \"Saisi sur la mauvaise équipe\""))
@grouped(WriteOptions)
def cancel(
    env: Environment,
    entry: Annotated[str, typer.Argument(metavar="ENTRY", autocompletion=complete_entry, help=_(
        "The entry's id, or a bon de commande or demande de paiement reference."))],
    reason: Annotated[str, typer.Option("--reason", help=_("Why the entry is cancelled (shown to the délégant)."))],
    date: DateOpt = None,
    *,
    options: WriteOptions,
) -> ExitCode:
    from ...store.actions import Draft, today
    from ...store.mending import draft_cancel

    return record_draft(options, lambda conv, now, text: Draft(draft_cancel(
        entry=entry, date=date or today(), reason=text, stamp=now), dated=date is not None),
        label=reason, label_option="--reason")


@command(name="service-fait", help=_(
    "Record the service fait of a payment recorded without one (--service-fait forgotten).\n\n"
    "From the entry's date on, the payment has its service fait: reports and check --strict no longer warn "
    "about it.\n\n"
    "Example: delegation service-fait DP-000195567 2020-01-27"))
@grouped(WriteOptions)
def service_fait(
    env: Environment,
    payment: Annotated[str, typer.Argument(metavar="PAYMENT", autocompletion=complete_unsupported_payment, help=_(
        "The payment's id or its demande de paiement reference."))],
    service_fait: Annotated[dt.date, typer.Argument(parser=as_date, metavar="YYYY-MM-DD", help=_(
        "Date the service was certified."))],
    date: DateOpt = None,
    label: LabelOpt = None,
    *,
    options: WriteOptions,
) -> ExitCode:
    from ...store.actions import Draft, today
    from ...store.mending import draft_service_fait

    return record_draft(options, lambda conv, now, text: Draft(draft_service_fait(
        payment=payment, service_fait=service_fait, date=date or today(), label=text, stamp=now),
        dated=date is not None), label=label)

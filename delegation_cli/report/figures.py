"""The figures of the monthly report (*compte rendu*, art. 5): what the report says, not how it looks.

This module owns the report's model, plain values only: a :class:`MonthlyReport` holds, per
team, per budget year (with the State's *suivi des crédits de paiement associés à la
consommation des autorisations d'engagement*, codes E1…R6, P1…P5), per marché and prestation
kind, the month's movements and notes, forecasts and the projected year-end landing, open
commitments, unused credits and the alerts the convention requires.  :mod:`monthly` computes
it from the ledger, :mod:`alerts` decides its alerts; the format modules render it (the one
registry of them is :mod:`formats`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..core.avenants import Limits
from ..core.entries import Entry
from ..core.errors import Problem, Severity
from ..core.model import Convention
from ..core.money import Cents
from ..core.replay import CommitmentState

SEAL_CODES = ("seal-", "sealed-", "closed-month")
"""Codes of the problems that break the chain of seals (``seal.py``)."""


@dataclass(frozen=True)
class TeamLine:
    """One team's situation at the report date."""

    team: str
    name: str
    cap: Cents | None
    ae_month: Cents
    ae_committed: Cents
    cp_month: Cents
    cp_paid: Cents
    remaining: Cents
    year: int
    share: Cents | None
    committed_year: Cents

    @property
    def available(self) -> Cents | None:
        """Headroom under the cap (None: the convention caps no team)."""
        return None if self.cap is None else self.cap - self.ae_committed


@dataclass(frozen=True)
class CpOnAe:
    """*Suivi des crédits de paiement associés à la consommation des AE* for one year.

    E1 AE opened; E2 AE committed; P1 CP opened; P2 CP consumed; P3 CP consumed on earlier
    years' commitments; P4 CP consumed on the year's commitments; R1 earlier years'
    commitments not covered by payments at 31 December of the previous year; R2 releases of
    those commitments during the year (negative); R3 = R1 + R2; R4 = R3 − P3; R5 = E2 − P4;
    R6 = R4 + R5; P5 the CP forecast for the months of the next year, as recorded up to 31
    December (up to the report's date for the current year), never above R6: what of the
    uncovered commitments is expected to be paid next year.
    """

    E1: Cents
    E2: Cents
    P1: Cents
    P2: Cents
    P3: Cents
    P4: Cents
    R1: Cents
    R2: Cents
    R3: Cents
    R4: Cents
    R5: Cents
    R6: Cents
    P5: Cents

    CODES = ("E1", "E2", "P1", "P2", "P3", "P4", "R1", "R2", "R3", "R4", "R5", "R6", "P5")
    LABELS = {  # the State's own wording (RAP/PLR table), kept in French in every language
        "E1": "AE ouvertes",
        "E2": "AE engagées",
        "P1": "CP ouverts",
        "P2": "CP consommés",
        "P3": "dont CP consommés sur engagements antérieurs",
        "P4": "dont CP consommés sur engagements de l'année",
        "R1": "Engagements antérieurs non couverts par des paiements au 31/12 de l'année précédente",
        "R2": "Dégagements sur engagements antérieurs",
        "R3": "Engagements antérieurs après dégagements (R1 + R2)",
        "R4": "Engagements antérieurs non couverts en fin d'année (R3 − P3)",
        "R5": "Engagements de l'année non couverts en fin d'année (E2 − P4)",
        "R6": "Total des engagements non couverts en fin d'année (R4 + R5)",
        "P5": "Estimation des CP de l'année suivante sur engagements non couverts "
              "(prévisions de paiement enregistrées au 31/12, au plus R6)",
    }

    def as_dict(self) -> dict[str, Cents]:
        return {code: getattr(self, code) for code in self.CODES}


@dataclass(frozen=True)
class YearLine:
    """One budget year at the report date."""

    year: int
    ae_open: Cents
    ae_committed: Cents
    released_earlier: Cents
    cp_open: Cents
    cp_paid: Cents
    cp_on_ae: CpOnAe
    ae_carried_out: Cents = 0
    cp_carried_out: Cents = 0

    @property
    def ae_usable(self) -> Cents:
        """Opened, less what an avenant carries over to the next year (:meth:`Convention.carried_out`)."""
        return self.ae_open - self.ae_carried_out

    @property
    def cp_usable(self) -> Cents:
        return self.cp_open - self.cp_carried_out

    @property
    def ae_available(self) -> Cents:
        return self.ae_usable - self.ae_committed

    @property
    def cp_available(self) -> Cents:
        return self.cp_usable - self.cp_paid


@dataclass(frozen=True)
class Totals:
    """The convention as a whole: envelope, net commitments, payments, reste à payer."""

    envelope: Cents
    committed: Cents
    paid: Cents
    remaining: Cents

    @property
    def ae_available(self) -> Cents:
        return self.envelope - self.committed

    @property
    def cp_available(self) -> Cents:
        return self.envelope - self.paid


@dataclass(frozen=True)
class Split:
    """Net commitments and payments of one marché or prestation kind."""

    key: str
    name: str
    committed: Cents
    paid: Cents


@dataclass(frozen=True)
class OpenCommitment:
    entry: CommitmentState
    paid: Cents
    released: Cents
    remaining: Cents
    age_days: int


@dataclass(frozen=True)
class YearLanding:
    """Projected year-end landing (*atterrissage*): consumed + forecast, against opened."""

    year: int
    ae_open: Cents
    ae_consumed: Cents
    ae_forecast: Cents
    cp_open: Cents
    cp_consumed: Cents
    cp_forecast: Cents

    @property
    def ae_landing(self) -> Cents:
        return self.ae_consumed + self.ae_forecast

    @property
    def cp_landing(self) -> Cents:
        return self.cp_consumed + self.cp_forecast


@dataclass(frozen=True)
class TeamLanding:
    team: str
    cap: Cents | None
    committed: Cents
    ae_forecast: Cents
    paid: Cents
    cp_forecast: Cents

    @property
    def ae_landing(self) -> Cents:
        return self.committed + self.ae_forecast

    @property
    def cp_landing(self) -> Cents:
        return self.paid + self.cp_forecast


@dataclass(frozen=True)
class Unused:
    """Credits of a year not consumed (AE opened − committed, CP opened − paid)."""

    year: int
    ae: Cents
    cp: Cents


@dataclass(frozen=True)
class Alert:
    """One alert: ``message`` as listed; ``facts`` the same without what art. 5 requires
    (the synthèse's paragraph to the délégant states that once)."""

    severity: Severity
    code: str
    message: str
    facts: str = ""


@dataclass(frozen=True)
class Correction:
    """A cancellation or a service fait recorded later, and the entry it names."""

    entry: Entry
    target: Entry


@dataclass(frozen=True)
class MonthlyReport:
    """Everything the monthly (or final) report states."""

    conv: Convention
    month: str
    as_of: dt.date
    final: bool
    team_filter: str | None
    entries_counted: int
    limits: Limits
    teams: tuple[TeamLine, ...]
    years: tuple[YearLine, ...]
    totals: Totals
    marches: tuple[Split, ...]
    prestations: tuple[Split, ...]
    movements: tuple[Entry, ...]
    notes: tuple[Entry, ...]
    forecasts: tuple[Entry, ...]
    year_landings: tuple[YearLanding, ...]
    team_landings: tuple[TeamLanding, ...]
    open_commitments: tuple[OpenCommitment, ...]
    unused: tuple[Unused, ...]
    alerts: tuple[Alert, ...]
    last_seal: Entry | None = None
    """The seal of the last month closed on or before the report's date, if any: its hash,
    sent with the report, anchors the ledger's history outside the file.  None when the seal
    chain is broken: nothing is then claimed closed."""
    invalid: tuple[Problem, ...] = ()
    """The ledger's errors, when it is rendered anyway (``--allow-invalid``)."""
    ae_monthly: Mapping[tuple[int, int], Cents] = field(default_factory=dict)
    """Per (year, month) up to the report's date: commitments net of same-year releases
    (all teams), for the month-by-month AE curve."""
    cp_monthly: Mapping[tuple[int, int], Cents] = field(default_factory=dict)
    """Per (year, month) up to the report's date: payments (all teams)."""
    language: str = "fr"
    """The language its texts are written in, and every rendering of it (``i18n.using``)."""
    chorus_names: Mapping[str, str] = field(default_factory=dict)
    """Per commitment id, how documents name it: its EJ, else its bon de commande, else its id."""
    corrections: tuple[Correction, ...] = ()
    """The month's corrections: cancellations (with their reason) and services faits
    recorded later, each with the entry it mends — never counted as releases."""
    issued: dt.date | None = None
    """The day the document is made (its date of issue in the HTML and PDF letterhead)."""


    @property
    def dates(self) -> Dates:
        """The convention's period: start, end, and the day it takes effect."""
        return Dates(self.conv.period.start, self.conv.period.end, self.conv.effective_date)


@dataclass(frozen=True)
class Dates:
    """A convention's period as the report states it."""

    start: dt.date
    end: dt.date
    effective: dt.date


def alerting(report: MonthlyReport) -> bool:
    """Whether the report carries an alert of severity warning or error."""
    return any(a.severity in (Severity.WARNING, Severity.ERROR) for a in report.alerts)

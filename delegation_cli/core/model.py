"""The convention: pydantic models of a *convention de délégation de gestion*.

This module owns what a convention *is*, independent of any file:

* the frozen pydantic models (unknown keys are rejected, amounts are exact integer cents,
  codes checked against their formats), their schemas built once, at import;
* the values derived from a convention (effective date, ledger path, ids, schedule by year),
  and :meth:`Convention.limits_at`, the amounts in force on a given day, read from
  :mod:`avenants` (the avenants dated up to that day applied in date order).

The rules that tie fields together are in ``convention_rules``.  It performs no I/O;
``store.convention`` reads YAML into it and maps locations to lines.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .avenants import Limits, Year, carried_out_by_year, limit_steps, year_changes_by_avenant
from .fields import (
    Activite,
    Amount,
    CentreDeCout,
    CentreFinancier,
    Code4,
    DomaineFonctionnel,
    MonthDay,
    Percent,
    Programme,
    Slug,
)
from .money import Cents


def default_ledger_path(ident: str) -> str:
    """The ledger a convention names when it says none: ``ledgers/<id>.ledger``, relative to
    its YAML file's folder."""
    return f"ledgers/{ident}.ledger"


class Frozen(BaseModel):
    """Base of every model: immutable, unknown keys rejected, text trimmed."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Period(Frozen):
    """When the convention runs (art. 7).

    Attributes:
        start: first day of the period ("de novembre 2019": 2019-11-01).
        end: last day of the period ("à décembre 2020": 2020-12-31).
        payments_until: last day a payment may be dated; defaults to ``end`` (the seed's
            period covers commitments *and* payments).
    """

    start: dt.date
    end: dt.date
    payments_until: dt.date | None = None


class Party(Frozen):
    """A party to the convention, in free text as the document writes it."""

    name: str
    representative: str | None = None
    signatory: str | None = None
    address: str | None = None


class Parties(Frozen):
    """The délégant (whose credits are spent) and the délégataire (who spends them)."""

    delegant: Party
    delegataire: Party


class ChorusColumns(Frozen):
    """The names a Chorus restitution gives its columns, where they differ from the usual ones
    (``core.chorus.COLUMNS``): ``delegation reconcile`` maps them by name."""

    ej: str | None = None
    poste: str | None = None
    centre_financier: str | None = None
    activite: str | None = None
    supplier: str | None = None
    committed: str | None = None
    paid: str | None = None
    sf_date: str | None = None

    def renamed(self) -> dict[str, str]:
        """The columns this convention renames."""
        return {key: name for key, name in self.model_dump().items() if name}


class Chorus(Frozen):
    """Chorus imputation references (art. 5), and the column names of its restitutions."""

    axe_ministeriel: str | None = "sans objet"
    domaine_fonctionnel: DomaineFonctionnel
    centre_financier: CentreFinancier
    activite: Activite
    centre_de_cout: CentreDeCout
    columns: ChorusColumns = ChorusColumns()


class Imputation(Frozen):
    """Where the credits come from: programme, BOP, UO and Chorus references."""

    programme: Programme
    programme_label: str | None = None
    bop: Code4
    uo: Code4
    hors_titre_2: bool = True
    chorus: Chorus


class YearBudget(Frozen):
    """One year of the *échéancier* (art. 2), with its indicative per-team shares.

    Attributes:
        year: the budget year (a calendar year).
        ae: autorisations d'engagement opened for the year.
        cp: crédits de paiement opened for the year.
        ae_per_team: indicative AE share of each team ("soit (estimation) 20 000 € par équipe").
        cp_per_team: indicative CP share of each team.
    """

    year: int = Field(ge=1900, le=2999)
    ae: Amount
    cp: Amount
    ae_per_team: Amount | None = None
    cp_per_team: Amount | None = None


class Budget(Frozen):
    """The money of the convention.

    Attributes:
        currency: always EUR.
        total: the envelope ("la limite du montant alloué", art. 5).
        team_cap: the maximum per team ("un maximum de 125 000 € par équipe", art. 2); None
            (left out) when the convention caps no team: commitments are then bounded by the
            year's AE and the envelope only.
        schedule: AE and CP per year.
    """

    currency: Literal["EUR"] = "EUR"
    total: Amount
    team_cap: Amount | None = None
    schedule: tuple[YearBudget, ...] = Field(min_length=1)


class Team(Frozen):
    """A team (annexe 1): a stable slug and its full name.

    Attributes:
        label: a short name for documents, where ``name`` is a paragraph (« Friches »);
            documents name the team by its label, else its name; scripts by its id.
        cap: the team's own cap, over ``budget.team_cap`` (None: the common cap, if any).
        until: the last day a commitment may be made for it (the délégataire ended its
            support); its payments and releases go on.
    """

    id: Slug
    name: str
    label: str | None = None
    cap: Amount | None = None
    until: dt.date | None = None


class TeamChange(Frozen):
    """A team an avenant adds (with its ``name``) or changes: its own ``cap``, its ``until``
    date.  A field left out is unchanged; ``cap: null`` puts the team back under the common
    cap, ``until: null`` lifts the end."""

    id: Slug
    name: str | None = None
    cap: Amount | None = None
    until: dt.date | None = None


class Prestation(Frozen):
    """A kind of prestation bought on a marché (annexe 3)."""

    id: Slug
    name: str


class Marche(Frozen):
    """A DINUM marché through which spending goes, with the prestation kinds it carries."""

    id: Slug
    name: str
    reference: str | None = None
    prestations: tuple[Prestation, ...] = ()


class Cutoffs(Frozen):
    """Year-end cut-off dates (month-day), after which commitments or payments of the year
    are risky.  None is law: set them from the délégataire's instructions of the year."""

    commitments: MonthDay | None = None
    payments: MonthDay | None = None


class Reporting(Frozen):
    """Reporting duties (art. 5) and alert settings."""

    frequency: Literal["monthly"] = "monthly"
    final_report: bool = True
    language: Literal["fr", "en"] | None = None
    """The report's language when ``--lang`` does not say (French when neither does)."""
    alert_thresholds: tuple[Percent, ...] = (Decimal(80), Decimal(95))
    cutoffs: Cutoffs = Cutoffs()


class Termination(Frozen):
    """Ending the delegation (art. 7): either party, with notice."""

    notice_months: int = Field(default=3, ge=0, le=120)


class YearChange(Frozen):
    """An avenant's new AE and CP for one year, as its text states them ("les AE 2024 sont
    portées à 80 000 €"): each, when given, is the year's amount from the avenant's date on
    (carry-overs into the year come on top); left out, it is unchanged."""

    year: int = Field(ge=1900, le=2999)
    ae: Amount | None = None
    cp: Amount | None = None


class CarryOver(Frozen):
    """An explicit carry-over (*report*) of unused credits of ``from_year`` to the next year."""

    from_year: int = Field(ge=1900, le=2999)
    ae: Amount = 0
    cp: Amount = 0

    @property
    def to_year(self) -> int:
        return self.from_year + 1


class Avenant(Frozen):
    """An amendment (art. 6): numbered, dated, applied from its date, changing amounts.

    Attributes:
        number: the avenant's number (1, 2, …).
        date: its signature date; it applies to entries dated on or after it.
        object: what it is about, in free text.
        team_cap: the new common per-team cap ("le plafond par équipe est porté à
            120 000 €"); left out, unchanged; ``null``, no common cap any more.
        teams: teams it adds to the convention (from its date on) or whose own cap or end
            date it changes.
        total: the new envelope, or None when unchanged.
        years: the new AE and CP of some years (each left out is unchanged).
        carry_overs: explicit carry-overs of unused AE/CP to the following year (amounts
            moved, not new values).

    Every amount an avenant states is a new value, not a change: ``team_cap: 120000`` puts
    the cap at 120 000 € whatever it was.
    """

    number: int = Field(ge=1)
    date: dt.date
    object: str | None = None
    team_cap: Amount | None = None
    total: Amount | None = None
    years: tuple[YearChange, ...] = ()
    carry_overs: tuple[CarryOver, ...] = ()
    teams: tuple[TeamChange, ...] = ()

    @property
    def removes_team_cap(self) -> bool:
        """Whether it states ``team_cap: null``: no common cap from its date on."""
        return self.team_cap is None and "team_cap" in self.model_fields_set


class Convention(Frozen):
    """A convention de délégation de gestion, as its YAML file describes it.

    Attributes:
        id: slug naming the convention (and its default ledger file).
        title: its title.
        signed: the signature date ("fait à Paris le 9 décembre 2019").
        takes_effect: ``signature`` (art. 7: "prend effet à la date de signature") or
            ``start``; entries before the effective date are refused.
        period: start, end, last payment date.
        legal_basis: the texts it is taken under.
        parties: délégant and délégataire.
        imputation: programme, BOP, UO and Chorus references.
        budget: envelope, per-team cap and échéancier.
        teams: the teams (annexe 1).
        marches: the marchés and their prestation kinds (annexe 3).
        reporting: reporting duties, alert thresholds, cut-offs.
        termination: notice period.
        avenants: amendments, applied in date order.
        ledger: path of the ledger file, relative to the YAML file
            (default ``ledgers/<id>.ledger``).
    """

    id: Slug
    title: str
    signed: dt.date
    takes_effect: Literal["signature", "start"] = "signature"
    period: Period
    legal_basis: tuple[str, ...] = ()
    parties: Parties
    imputation: Imputation
    budget: Budget
    teams: tuple[Team, ...] = Field(min_length=1)
    marches: tuple[Marche, ...] = ()
    reporting: Reporting = Reporting()
    termination: Termination = Termination()
    avenants: tuple[Avenant, ...] = ()
    ledger: str | None = None

    # Derived values (cached: the model is frozen) ------------------------------------

    @property
    def effective_date(self) -> dt.date:
        """First day an entry may be dated: the later of the start and the signature."""
        if self.takes_effect == "start":
            return self.period.start
        return max(self.period.start, self.signed)

    @property
    def payments_until(self) -> dt.date:
        return self.period.payments_until or self.period.end

    @property
    def ledger_path(self) -> str:
        return self.ledger or default_ledger_path(self.id)

    @cached_property
    def cast(self) -> tuple[Team, ...]:
        """Every team the convention funds at some point: those of ``teams``, then those its
        avenants add (in date order), each with the name it was last given."""
        names: dict[str, str] = {t.id: t.name for t in self.teams}
        for av in self.avenants_in_order:
            for change in av.teams:
                if change.name is not None:
                    names[change.id] = change.name
                else:
                    names.setdefault(change.id, change.id)
        labels = {t.id: t.label for t in self.teams}
        return tuple(Team(id=ident, name=name, label=labels.get(ident)) for ident, name in names.items())

    @cached_property
    def team_ids(self) -> frozenset[str]:
        return frozenset(t.id for t in self.cast)

    @cached_property
    def team_joins(self) -> dict[str, Avenant]:
        """The teams an avenant adds (absent from ``teams``): each with the first avenant
        naming it, from whose date on it is funded."""
        base = {t.id for t in self.teams}
        joins: dict[str, Avenant] = {}
        for av in self.avenants_in_order:
            for change in av.teams:
                if change.id not in base:
                    joins.setdefault(change.id, av)
        return joins

    def cast_at(self, day: dt.date) -> tuple[Team, ...]:
        """The teams funded on ``day``: those of ``teams`` and those added by then."""
        joins = self.team_joins
        return tuple(t for t in self.cast if t.id not in joins or joins[t.id].date <= day)

    @cached_property
    def marche_of_prestation(self) -> dict[str, str]:
        return {p.id: m.id for m in self.marches for p in m.prestations}

    @cached_property
    def marche_ids(self) -> frozenset[str]:
        return frozenset(m.id for m in self.marches)

    @cached_property
    def years(self) -> tuple[int, ...]:
        return tuple(sorted({y.year for y in self.budget.schedule}))

    @cached_property
    def schedule_by_year(self) -> dict[int, YearBudget]:
        return {y.year: y for y in self.budget.schedule}

    @cached_property
    def avenants_in_order(self) -> tuple[Avenant, ...]:
        return tuple(sorted(self.avenants, key=lambda a: (a.date, a.number)))

    @cached_property
    def _limit_steps(self) -> tuple[tuple[dt.date | None, Limits], ...]:
        return limit_steps(self)

    def limits_at(self, day: dt.date) -> Limits:
        """The limits in force on ``day``: avenants dated on or before it apply."""
        current = self._limit_steps[0][1]
        for step_day, limits in self._limit_steps[1:]:
            if step_day is not None and step_day <= day:
                current = limits
            else:
                break
        return current

    def limits_change_after(self, day: dt.date) -> dt.date | None:
        """The first day after ``day`` on which the limits in force change (an avenant takes
        effect); None when they never do."""
        for step_day, __ in self._limit_steps[1:]:
            if step_day is None:
                return None
            if step_day > day:
                return step_day
        return None

    def year_changes(self, avenant: Avenant) -> tuple[tuple[Year, Cents, Cents], ...]:
        """What ``avenant`` adds to (or, negative, takes from) each schedule year it restates:
        ``(year, AE, CP)``, the new values less those in force just before it, carry-overs
        aside.  The exports post these movements on the avenant's date."""
        return self._year_changes.get(id(avenant), ())

    @cached_property
    def _year_changes(self) -> dict[int, tuple[tuple[Year, Cents, Cents], ...]]:
        return year_changes_by_avenant(self)

    def carried_out(self, kind: Literal["ae", "cp"], year: int) -> Cents:
        """The carry-over rule: AE or CP of ``year`` that an avenant carries over to the next
        year.  Whatever the avenant's date, they can never be used in ``year``: the avenant
        states they were left unused (they open in the next year from its date).  Used by
        admission, ``check``, the report and the exports alike."""
        return self._carried_out.get((kind, year), 0)

    @cached_property
    def _carried_out(self) -> dict[tuple[str, int], Cents]:
        return carried_out_by_year(self)

"""The convention: pydantic models of a *convention de délégation de gestion*, and its rules.

This module owns what a convention *is*, independent of any file:

* the frozen pydantic models (unknown keys are rejected, amounts are exact integer cents);
* :func:`convention_findings`, the rules that tie fields of one convention together
  (Σ AE = Σ CP = envelope, codes coherent with the programme, avenants inside the period…),
  returned as values with the location of the field they concern;
* :class:`Limits` and :meth:`Convention.limits_at`, the amounts in force on a given day
  once the avenants dated up to that day are applied in date order.

It performs no I/O; ``convention.py`` reads YAML into it and maps locations to lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .errors import Severity
from .money import AmountError, Cents, cents_from_decimal, format_fr

Year = int
Loc = tuple[str | int, ...]


class YamlNumber(str):
    """The source text of a YAML number, kept as text so that nothing passes through a
    binary float: ``0.1`` stays ``"0.1"`` until a field decides what it is (an amount, a
    year, a code with leading zeros such as ``021701010163``)."""

    __slots__ = ()


def _to_cents(value: Any, *, signed: bool) -> Cents:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("expected an exact amount in euros (written as digits, not a float)")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", text) is None:
            if isinstance(value, YamlNumber):
                raise ValueError(
                    f"{value} is not a plain amount (expected digits with at most 2 decimals, "
                    "without exponent, NaN or infinity)"
                )
            from .money import parse_amount  # human text such as "125 000,00 €"

            try:
                return parse_amount(value, allow_zero=True)
            except AmountError as exc:
                raise ValueError(str(exc)) from None
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            raise ValueError(f"{value} is not an amount") from None
    else:
        raise ValueError("expected an amount in euros, such as 125000 or 125000.50")
    try:
        return cents_from_decimal(number, signed=signed)
    except AmountError as exc:
        expected = "a signed amount" if signed else "an amount ≥ 0"
        raise ValueError(f"{exc} (expected {expected} in euros with at most 2 decimals)") from None


Amount = Annotated[Cents, BeforeValidator(lambda v: _to_cents(v, signed=False))]
"""A non-negative amount in euros in YAML, held as integer cents."""
SignedAmount = Annotated[Cents, BeforeValidator(lambda v: _to_cents(v, signed=True))]
"""A signed change of an amount (avenants), held as integer cents."""


def _pattern(pattern: str, example: str) -> Callable[[str], str]:
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if regex.fullmatch(value) is None:
            raise ValueError(f"{value!r} is not well formed (expected {example})")
        return value

    return check


def _as_text(value: Any) -> Any:
    """A YAML integer written for a code (``217``) is taken as its text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Slug = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[a-z0-9]+(?:-[a-z0-9]+)*",
    "a slug of lowercase letters, digits and dashes, such as friches"))]
Programme = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{3,4}", "a programme number of 3 digits, such as 217"))]
Code4 = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[A-Z0-9]{4}", "a code of 4 capital letters or digits, such as FACS"))]
CentreFinancier = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", "NNNN-XXXX-XXXX, such as 0217-FACS-ELAB"))]
DomaineFonctionnel = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{4}-\d{2}(?:-\d{2})?", "NNNN-NN or NNNN-NN-NN, such as 0217-04-03"))]
Activite = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{12}", "12 digits, such as 021701010163"))]
CentreDeCout = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[A-Z0-9]{1,10}", "1 to 10 capital letters or digits, such as DININCUB75"))]
MonthDay = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", "a month and day as MM-DD, such as 11-30"))]


def _percent(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) < value <= Decimal(100):
        raise ValueError(f"{value} is not a percentage (expected a number above 0 and at most 100)")
    return value


Percent = Annotated[Decimal, AfterValidator(_percent)]


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


class Chorus(Frozen):
    """Chorus imputation references (art. 5)."""

    axe_ministeriel: str | None = "sans objet"
    domaine_fonctionnel: DomaineFonctionnel
    centre_financier: CentreFinancier
    activite: Activite
    centre_de_cout: CentreDeCout


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
        team_cap: the maximum per team ("un maximum de 125 000 € par équipe", art. 2).
        schedule: AE and CP per year.
    """

    currency: Literal["EUR"] = "EUR"
    total: Amount
    team_cap: Amount
    schedule: tuple[YearBudget, ...] = Field(min_length=1)


class Team(Frozen):
    """A team (annexe 1): a stable slug and its full name."""

    id: Slug
    name: str


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
    alert_thresholds: tuple[Percent, ...] = (Decimal(80), Decimal(95))
    cutoffs: Cutoffs = Cutoffs()


class Termination(Frozen):
    """Ending the delegation (art. 7): either party, with notice."""

    notice_months: int = Field(default=3, ge=0, le=120)


class YearChange(Frozen):
    """An avenant's change of one year's AE and CP (signed deltas)."""

    year: int = Field(ge=1900, le=2999)
    ae: SignedAmount = 0
    cp: SignedAmount = 0


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
        team_cap: change of the per-team cap (signed).
        total: change of the envelope (signed).
        years: changes of a year's AE and CP (signed).
        carry_overs: explicit carry-overs of unused AE/CP to the following year.
    """

    number: int = Field(ge=1)
    date: dt.date
    object: str | None = None
    team_cap: SignedAmount = 0
    total: SignedAmount = 0
    years: tuple[YearChange, ...] = ()
    carry_overs: tuple[CarryOver, ...] = ()


@dataclass(frozen=True, slots=True)
class Limits:
    """The amounts in force on a given day (schedule + avenants applied so far).

    ``ae``/``cp`` map each year to what is opened for it, carry-overs into it included;
    ``carried_out_ae``/``carried_out_cp`` map each year to what avenants in force carried
    out of it to the next year; ``avenants`` lists the numbers of the avenants in force.
    """

    team_cap: Cents
    total: Cents
    ae: dict[Year, Cents]
    cp: dict[Year, Cents]
    avenants: tuple[int, ...] = ()
    carried_out_ae: dict[Year, Cents] = field(default_factory=dict)
    carried_out_cp: dict[Year, Cents] = field(default_factory=dict)


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
        return self.ledger or f"ledgers/{self.id}.ledger"

    @cached_property
    def team_ids(self) -> frozenset[str]:
        return frozenset(t.id for t in self.teams)

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
        steps: list[tuple[dt.date | None, Limits]] = []
        for day, limits in self._iter_limits():
            steps.append((day, limits))
        return tuple(steps)

    def _iter_limits(self) -> Iterator[tuple[dt.date | None, Limits]]:
        ae = {y.year: y.ae for y in self.budget.schedule}
        cp = {y.year: y.cp for y in self.budget.schedule}
        carried_ae: dict[int, int] = {}  # keyed by the year the credits leave
        carried_cp: dict[int, int] = {}
        cap, total = self.budget.team_cap, self.budget.total
        numbers: tuple[int, ...] = ()
        yield None, Limits(cap, total, dict(ae), dict(cp), numbers)
        for av in self.avenants_in_order:
            cap += av.team_cap
            total += av.total
            for change in av.years:
                ae[change.year] = ae.get(change.year, 0) + change.ae
                cp[change.year] = cp.get(change.year, 0) + change.cp
            for carry in av.carry_overs:
                ae[carry.to_year] = ae.get(carry.to_year, 0) + carry.ae
                cp[carry.to_year] = cp.get(carry.to_year, 0) + carry.cp
                carried_ae[carry.from_year] = carried_ae.get(carry.from_year, 0) + carry.ae
                carried_cp[carry.from_year] = carried_cp.get(carry.from_year, 0) + carry.cp
            numbers = (*numbers, av.number)
            yield av.date, Limits(
                cap, total, dict(ae), dict(cp), numbers, dict(carried_ae), dict(carried_cp)
            )

    def limits_at(self, day: dt.date) -> Limits:
        """The limits in force on ``day``: avenants dated on or before it apply."""
        current = self._limit_steps[0][1]
        for step_day, limits in self._limit_steps[1:]:
            if step_day is not None and step_day <= day:
                current = limits
            else:
                break
        return current

    def carried_out(self, kind: Literal["ae", "cp"], year: int) -> Cents:
        """AE or CP of ``year`` carried over to the next year by any avenant: whatever the
        avenant's date, those credits are counted in the next year and cannot be used in
        ``year`` too."""
        return sum(getattr(c, kind) for a in self.avenants for c in a.carry_overs if c.from_year == year)


# --------------------------------------------------------------------------------------
# Rules tying fields together
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule broken inside one convention, located by its path in the document."""

    loc: Loc
    severity: Severity
    code: str
    message: str


def _fr(cents: Cents) -> str:
    return format_fr(cents)


def convention_findings(conv: Convention) -> list[Finding]:
    """Every rule of ``delegation check`` that ties fields of one convention together.

    Schema problems (types, formats, unknown keys) are pydantic's; these are the rules
    that need several fields: envelope identities, period, codes coherent with the
    programme, unique ids, avenants.
    """
    out: list[Finding] = []
    E, W = Severity.ERROR, Severity.WARNING
    budget, period = conv.budget, conv.period

    # Period and signature --------------------------------------------------------
    if period.start > period.end:
        out.append(Finding(("period", "end"), E, "period-order",
                           f"period ends on {period.end} before it starts on {period.start} "
                           "(expected start ≤ end)"))
    if conv.signed > period.end:
        out.append(Finding(("signed",), E, "signature-after-period",
                           f"signed on {conv.signed}, after the period ends on {period.end} "
                           "(expected a signature inside or before the period)"))
    if period.payments_until is not None and period.payments_until < period.start:
        out.append(Finding(("period", "payments_until"), E, "payments-until-order",
                           f"payments allowed until {period.payments_until}, before the period "
                           f"starts on {period.start} (expected a date on or after the start)"))

    # Schedule --------------------------------------------------------------------
    seen_years: set[int] = set()
    for i, yb in enumerate(budget.schedule):
        if yb.year in seen_years:
            out.append(Finding(("budget", "schedule", i, "year"), E, "year-duplicate",
                               f"year {yb.year} appears twice in the schedule "
                               "(expected each year once)"))
        seen_years.add(yb.year)
        if not period.start.year <= yb.year <= period.end.year:
            out.append(Finding(("budget", "schedule", i, "year"), E, "year-outside-period",
                               f"year {yb.year} is outside the period {period.start} – "
                               f"{period.end} (expected a year from {period.start.year} "
                               f"to {period.end.year})"))
    for kind in ("ae", "cp"):
        amounts = [(y.year, getattr(y, kind)) for y in budget.schedule]
        opened = sum(a for _, a in amounts)
        if opened != budget.total:
            detail = ", ".join(f"{year}: {_fr(a)}" for year, a in amounts)
            out.append(Finding(("budget", "total"), E, f"{kind}-sum-mismatch",
                               f"the schedule opens {_fr(opened)} of {kind.upper()} ({detail}) "
                               f"but the envelope is {_fr(budget.total)} (expected Σ "
                               f"{kind.upper()} = envelope)"))
    n_teams = len(conv.teams)
    if budget.total > n_teams * budget.team_cap:
        out.append(Finding(("budget", "team_cap"), E, "envelope-above-caps",
                           f"the envelope {_fr(budget.total)} exceeds {n_teams} teams × "
                           f"{_fr(budget.team_cap)} = {_fr(n_teams * budget.team_cap)} "
                           "(expected envelope ≤ teams × cap)"))
    elif budget.total != n_teams * budget.team_cap:
        out.append(Finding(("budget", "team_cap"), W, "envelope-below-caps",
                           f"{n_teams} teams × {_fr(budget.team_cap)} = "
                           f"{_fr(n_teams * budget.team_cap)} differs from the envelope "
                           f"{_fr(budget.total)} (expected teams × cap = envelope)"))
    for i, yb in enumerate(budget.schedule):
        for kind, share, amount in (("AE", yb.ae_per_team, yb.ae), ("CP", yb.cp_per_team, yb.cp)):
            if share is not None and share * n_teams != amount:
                out.append(Finding(("budget", "schedule", i, kind.lower()), W, "share-mismatch",
                                   f"{yb.year}: {n_teams} teams × {_fr(share)} = "
                                   f"{_fr(share * n_teams)} differs from the year's {kind} "
                                   f"{_fr(amount)} (expected shares × teams = year's {kind})"))
    cum_ae = cum_cp = 0
    by_year = sorted(enumerate(budget.schedule), key=lambda p: p[1].year)
    for i, yb in by_year:
        cum_ae += yb.ae
        cum_cp += yb.cp
        if cum_cp > cum_ae:
            out.append(Finding(("budget", "schedule", i, "cp"), W, "cp-ahead-of-ae",
                               f"by the end of {yb.year}, {_fr(cum_cp)} of CP are opened for "
                               f"only {_fr(cum_ae)} of AE (expected cumulative CP ≤ "
                               "cumulative AE: one cannot pay what was not committed)"))

    # Imputation ------------------------------------------------------------------
    imp = conv.imputation
    prog4 = imp.programme.zfill(4)
    expected_cf = f"{prog4}-{imp.bop}-{imp.uo}"
    if imp.chorus.centre_financier != expected_cf:
        out.append(Finding(("imputation", "chorus", "centre_financier"), E,
                           "centre-financier-mismatch",
                           f"centre financier {imp.chorus.centre_financier} does not match "
                           f"programme-BOP-UO (expected {expected_cf})"))
    if imp.chorus.domaine_fonctionnel[:4] != prog4:
        out.append(Finding(("imputation", "chorus", "domaine_fonctionnel"), E,
                           "domaine-fonctionnel-programme",
                           f"domaine fonctionnel {imp.chorus.domaine_fonctionnel} does not "
                           f"start with the programme (expected {prog4}-…)"))
    if imp.chorus.activite[:4] != prog4:
        out.append(Finding(("imputation", "chorus", "activite"), E, "activite-programme",
                           f"activité {imp.chorus.activite} does not start with the "
                           f"programme (expected {prog4}…)"))

    # Unique ids ------------------------------------------------------------------
    def unique(items: list[tuple[Loc, str]], code: str, what: str) -> None:
        seen: set[str] = set()
        for loc, ident in items:
            if ident in seen:
                out.append(Finding(loc, E, code,
                                   f"{what} id {ident!r} is used twice (expected unique ids)"))
            seen.add(ident)

    unique([(("teams", i, "id"), t.id) for i, t in enumerate(conv.teams)], "team-duplicate", "team")
    unique([(("marches", i, "id"), m.id) for i, m in enumerate(conv.marches)],
           "marche-duplicate", "marché")
    unique([(("marches", i, "prestations", j, "id"), p.id)
            for i, m in enumerate(conv.marches) for j, p in enumerate(m.prestations)],
           "prestation-duplicate", "prestation")

    # Ledger path -----------------------------------------------------------------
    if conv.ledger is not None:
        parts = conv.ledger.replace("\\", "/").split("/")
        if conv.ledger.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            out.append(Finding(("ledger",), E, "ledger-outside",
                               f"ledger path {conv.ledger!r} leaves the convention's folder "
                               "(expected a relative path inside it, such as "
                               f"ledgers/{conv.id}.ledger)"))

    out.extend(_avenant_findings(conv))
    return out


def _avenant_findings(conv: Convention) -> list[Finding]:
    out: list[Finding] = []
    E = Severity.ERROR
    period = conv.period
    index = {id(a): i for i, a in enumerate(conv.avenants)}
    seen_numbers: set[int] = set()
    for i, av in enumerate(conv.avenants):
        if av.number in seen_numbers:
            out.append(Finding(("avenants", i, "number"), E, "avenant-duplicate",
                               f"avenant n° {av.number} appears twice (expected unique numbers)"))
        seen_numbers.add(av.number)
        if not max(period.start, conv.signed) <= av.date <= period.end:
            out.append(Finding(("avenants", i, "date"), E, "avenant-outside-period",
                               f"avenant n° {av.number} is dated {av.date}, outside the "
                               f"period {conv.effective_date} – {period.end} (expected a date "
                               "inside it, on or after the signature)"))
        for j, change in enumerate(av.years):
            if change.year not in conv.schedule_by_year:
                out.append(Finding(("avenants", i, "years", j, "year"), E, "avenant-unknown-year",
                                   f"avenant n° {av.number} changes year {change.year}, which "
                                   f"is not in the schedule (expected one of "
                                   f"{', '.join(map(str, conv.years))})"))
        for j, carry in enumerate(av.carry_overs):
            for key, year in (("from_year", carry.from_year), ("from_year", carry.to_year)):
                if year not in conv.schedule_by_year:
                    out.append(Finding(("avenants", i, "carry_overs", j, key), E,
                                       "carry-over-unknown-year",
                                       f"avenant n° {av.number} carries over from "
                                       f"{carry.from_year} to {carry.to_year}, but {year} is not "
                                       "in the schedule (expected two consecutive schedule years)"))
                    break

    # Apply in date order: nothing below zero, carry-overs within their year, envelope.
    ae = {y.year: y.ae for y in conv.budget.schedule}
    cp = {y.year: y.cp for y in conv.budget.schedule}
    cap, total = conv.budget.team_cap, conv.budget.total
    for av in conv.avenants_in_order:
        i = index[id(av)]
        cap += av.team_cap
        total += av.total
        if cap < 0:
            out.append(Finding(("avenants", i, "team_cap"), E, "avenant-negative",
                               f"avenant n° {av.number} lowers the team cap to {_fr(cap)} "
                               "(expected an amount ≥ 0)"))
        if total < 0:
            out.append(Finding(("avenants", i, "total"), E, "avenant-negative",
                               f"avenant n° {av.number} lowers the envelope to {_fr(total)} "
                               "(expected an amount ≥ 0)"))
        for j, change in enumerate(av.years):
            if change.year not in ae:
                continue
            ae[change.year] += change.ae
            cp[change.year] += change.cp
            for kind, book in (("AE", ae), ("CP", cp)):
                if book[change.year] < 0:
                    out.append(Finding(("avenants", i, "years", j, kind.lower()), E,
                                       "avenant-negative",
                                       f"avenant n° {av.number} lowers {kind} {change.year} to "
                                       f"{_fr(book[change.year])} (expected an amount ≥ 0)"))
        for j, carry in enumerate(av.carry_overs):
            if carry.from_year not in ae or carry.to_year not in ae:
                continue
            for kind, book, amount in (("AE", ae, carry.ae), ("CP", cp, carry.cp)):
                if amount > book[carry.from_year]:
                    out.append(Finding(("avenants", i, "carry_overs", j, kind.lower()), E,
                                       "carry-over-too-large",
                                       f"avenant n° {av.number} carries {_fr(amount)} of {kind} "
                                       f"over from {carry.from_year}, which opens only "
                                       f"{_fr(book[carry.from_year])} (expected at most what "
                                       "the year opens)"))
        # Carry-overs move credits between years: the envelope identity ignores them.
        if conv.avenants and (sum(ae.values()) != total or sum(cp.values()) != total):
            out.append(Finding(("avenants", i), E, "avenant-envelope-mismatch",
                               f"after avenant n° {av.number}, the schedule opens "
                               f"{_fr(sum(ae.values()))} of AE and {_fr(sum(cp.values()))} of CP "
                               f"for an envelope of {_fr(total)} (expected Σ AE = Σ CP = "
                               "envelope; change the envelope with the years)"))
        n_teams = len(conv.teams)
        if total > n_teams * cap:
            out.append(Finding(("avenants", i), E, "envelope-above-caps",
                               f"after avenant n° {av.number}, the envelope {_fr(total)} exceeds "
                               f"{n_teams} teams × {_fr(cap)} = {_fr(n_teams * cap)} "
                               "(expected envelope ≤ teams × cap)"))
    return out

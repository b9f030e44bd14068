"""The convention: pydantic models of a *convention de délégation de gestion*, and its rules.

This module owns what a convention *is*, independent of any file:

* the frozen pydantic models (unknown keys are rejected, amounts are exact integer cents);
* :func:`convention_findings`, the rules that tie fields of one convention together
  (Σ AE = Σ CP = envelope, codes coherent with the programme, avenants inside the period…),
  returned as values with the location of the field they concern.  Each rule is a small
  function ``rule(conv)`` yielding findings, listed in order in :data:`CONVENTION_RULES`
  (avenants go through :data:`AVENANT_RULES` in file order, then through
  :data:`AVENANT_STEP_RULES` as they apply in date order);
* :class:`Limits` and :meth:`Convention.limits_at`, the amounts in force on a given day
  once the avenants dated up to that day are applied in date order.

It performs no I/O; ``convention.py`` reads YAML into it and maps locations to lines.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from .errors import Severity, raw_forbidden
from .i18n import N_, _, format_date, ngettext
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
        raise ValueError(_("expected an exact amount in euros (written as digits, not a float)"))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)", text) is None:
            if isinstance(value, YamlNumber):
                raise ValueError(
                    _("{amount} is not a plain amount (expected digits with at most 2 decimals, "
                      "without exponent, NaN or infinity)").format(amount=value)
                )
            from .money import parse_amount  # human text such as "125 000,00 €"

            try:
                return parse_amount(value, allow_zero=True)
            except AmountError as exc:
                raise ValueError(str(exc)) from None
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the regex admits only decimals
            raise ValueError(_("{amount} is not an amount").format(amount=value)) from None
    else:
        raise ValueError(_("expected an amount in euros, such as 125000 or 125000.50"))
    try:
        return cents_from_decimal(number, signed=signed)
    except AmountError as exc:
        if signed:
            message = _("{error} (expected a signed amount in euros with at most 2 decimals)")
        else:
            message = _("{error} (expected an amount ≥ 0 in euros with at most 2 decimals)")
        raise ValueError(message.format(error=exc)) from None


Amount = Annotated[Cents, BeforeValidator(lambda v: _to_cents(v, signed=False))]
"""A non-negative amount in euros in YAML, held as integer cents."""


def _pattern(pattern: str, example: str) -> Callable[[str], str]:
    """A check of ``pattern``; ``example`` (marked with ``N_``) says what is expected."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if regex.fullmatch(value) is None:
            raise ValueError(_("{value} is not well formed (expected {example})").format(
                value=repr(value), example=_(example)))
        return value

    return check


def _as_text(value: Any) -> Any:
    """A YAML integer written for a code (``217``) is taken as its text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Slug = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[a-z0-9]+(?:-[a-z0-9]+)*",
    N_("a slug of lowercase letters, digits and dashes, such as friches")))]
Programme = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{3,4}", N_("a programme number of 3 digits, such as 217")))]
Code4 = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[A-Z0-9]{4}", N_("a code of 4 capital letters or digits, such as FACS")))]
CentreFinancier = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", N_("NNNN-XXXX-XXXX, such as 0217-FACS-ELAB")))]
DomaineFonctionnel = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{4}-\d{2}(?:-\d{2})?", N_("NNNN-NN or NNNN-NN-NN, such as 0217-04-03")))]
Activite = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"\d{12}", N_("12 digits, such as 021701010163")))]
CentreDeCout = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"[A-Z0-9]{1,10}", N_("1 to 10 capital letters or digits, such as DININCUB75")))]
MonthDay = Annotated[str, BeforeValidator(_as_text), AfterValidator(_pattern(
    r"(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", N_("a month and day as MM-DD, such as 11-30")))]


def _percent(value: Decimal) -> Decimal:
    if not value.is_finite() or not Decimal(0) < value <= Decimal(100):
        raise ValueError(_("{value} is not a percentage (expected a number above 0 and at most 100)").format(
            value=value))
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
        team_cap: the new per-team cap ("le plafond par équipe est porté à 120 000 €"), or
            None (left out) when unchanged.
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


@dataclass(frozen=True, slots=True)
class Limits:
    """The amounts in force on a given day (schedule + avenants applied so far).

    ``ae``/``cp`` map each year to what is opened for it, carry-overs *into* it included
    from the avenant's date; ``avenants`` lists the numbers of the avenants in force.  What
    an avenant carries *out* of a year is :meth:`Convention.carried_out`, whatever its date.
    """

    team_cap: Cents | None
    total: Cents
    ae: dict[Year, Cents]
    cp: dict[Year, Cents]
    avenants: tuple[int, ...] = ()


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
        ae = {y.year: y.ae for y in self.budget.schedule}  # the years' own amounts …
        cp = {y.year: y.cp for y in self.budget.schedule}
        ae_in: dict[Year, Cents] = {}  # … and what carry-overs brought into them
        cp_in: dict[Year, Cents] = {}
        cap, total = self.budget.team_cap, self.budget.total
        numbers: tuple[int, ...] = ()

        def limits() -> Limits:
            years = sorted({*ae, *ae_in, *cp, *cp_in})
            return Limits(cap, total, {y: ae.get(y, 0) + ae_in.get(y, 0) for y in years},
                          {y: cp.get(y, 0) + cp_in.get(y, 0) for y in years}, numbers)

        yield None, limits()
        for av in self.avenants_in_order:
            cap, total = _applied(av, cap, total, ae, cp)
            for carry in av.carry_overs:
                ae_in[carry.to_year] = ae_in.get(carry.to_year, 0) + carry.ae
                cp_in[carry.to_year] = cp_in.get(carry.to_year, 0) + carry.cp
            numbers = (*numbers, av.number)
            yield av.date, limits()

    def limits_at(self, day: dt.date) -> Limits:
        """The limits in force on ``day``: avenants dated on or before it apply."""
        current = self._limit_steps[0][1]
        for step_day, limits in self._limit_steps[1:]:
            if step_day is not None and step_day <= day:
                current = limits
            else:
                break
        return current

    def year_changes(self, avenant: Avenant) -> tuple[tuple[Year, Cents, Cents], ...]:
        """What ``avenant`` adds to (or, negative, takes from) each schedule year it restates:
        ``(year, AE, CP)``, the new values less those in force just before it, carry-overs
        aside.  The exports post these movements on the avenant's date."""
        return self._year_changes.get(id(avenant), ())

    @cached_property
    def _year_changes(self) -> dict[int, tuple[tuple[Year, Cents, Cents], ...]]:
        out: dict[int, tuple[tuple[Year, Cents, Cents], ...]] = {}
        for step in _avenant_steps(self):
            __, __, ae, cp = step.before
            years = sorted({c.year for c in step.avenant.years if c.year in ae})
            out[id(step.avenant)] = tuple((y, step.ae[y] - ae[y], step.cp[y] - cp[y]) for y in years)
        return out

    def carried_out(self, kind: Literal["ae", "cp"], year: int) -> Cents:
        """The carry-over rule: AE or CP of ``year`` that an avenant carries over to the next
        year.  Whatever the avenant's date, they can never be used in ``year``: the avenant
        states they were left unused (they open in the next year from its date).  Used by
        admission, ``check``, the report and the exports alike."""
        return self._carried_out.get((kind, year), 0)

    @cached_property
    def _carried_out(self) -> dict[tuple[str, int], Cents]:
        out: dict[tuple[str, int], Cents] = {}
        for carry in (c for a in self.avenants for c in a.carry_overs):
            for kind in ("ae", "cp"):
                key = (kind, carry.from_year)
                out[key] = out.get(key, 0) + getattr(carry, kind)
        return out


def _applied(av: Avenant, cap: Cents | None, total: Cents,
             ae: dict[Year, Cents], cp: dict[Year, Cents]) -> tuple[Cents | None, Cents]:
    """The avenant's new values put in force: ``ae`` and ``cp`` updated in place, the new team
    cap and envelope returned.  A cap stated where the convention caps no team is ignored
    (``check`` says so: ``avenant-no-team-cap``)."""
    for change in av.years:
        if change.ae is not None:
            ae[change.year] = change.ae
        if change.cp is not None:
            cp[change.year] = change.cp
    if cap is not None and av.team_cap is not None:
        cap = av.team_cap
    return cap, total if av.total is None else av.total


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


Rule = Callable[[Convention], Iterable[Finding]]
"""A convention rule: the findings of one check, in document order."""


def _repeats(keys: Iterable[object]) -> frozenset[int]:
    """The positions of the keys already met earlier in ``keys``."""
    seen: set[object] = set()
    repeated: set[int] = set()
    for i, key in enumerate(keys):
        if key in seen:
            repeated.add(i)
        seen.add(key)
    return frozenset(repeated)


def _unique_ids(items: Iterable[tuple[Loc, str]], code: str, message: str) -> Iterator[Finding]:
    """A finding at each id that repeats an earlier one; ``message`` (marked with ``N_``)
    names the ``{id}``."""
    located = list(items)
    for i in sorted(_repeats(ident for __, ident in located)):
        loc, ident = located[i]
        yield Finding(loc, Severity.ERROR, code, _(message).format(id=repr(ident)))


def _against_caps(loc: Loc, total: Cents, n_teams: int, cap: Cents, prefix: str = "") -> Iterator[Finding]:
    """``envelope-above-caps`` (an error) when ``total`` exceeds ``n_teams`` × ``cap``,
    ``envelope-below-caps`` (a warning) when it falls short of it."""
    figures = {"prefix": prefix, "total": _fr(total), "teams": n_teams, "cap": _fr(cap), "caps": _fr(n_teams * cap)}
    if total > n_teams * cap:
        yield Finding(loc, Severity.ERROR, "envelope-above-caps",
                      ngettext("{prefix}the envelope {total} exceeds {teams} teams × {cap} = "
                               "{caps} (expected envelope ≤ teams × cap)",
                               "{prefix}the envelope {total} exceeds {teams} teams × {cap} = "
                               "{caps} (expected envelope ≤ teams × cap)", n_teams).format(**figures))
    elif total != n_teams * cap:
        yield Finding(loc, Severity.WARNING, "envelope-below-caps",
                      ngettext("{prefix}{teams} teams × {cap} = {caps} "
                               "differs from the envelope {total} (expected teams × cap = envelope)",
                               "{prefix}{teams} teams × {cap} = {caps} "
                               "differs from the envelope {total} (expected teams × cap = envelope)",
                               n_teams).format(**figures))


def _programme4(conv: Convention) -> str:
    """The programme on four digits, as Chorus codes start with it."""
    return conv.imputation.programme.zfill(4)


def _starts_with_programme(conv: Convention, key: Literal["domaine_fonctionnel", "activite"],
                           code: str, label: str, expected: str) -> Iterator[Finding]:
    """``code`` when the Chorus code ``key`` does not start with the programme."""
    value: str = getattr(conv.imputation.chorus, key)
    if value[:4] != _programme4(conv):
        yield Finding(("imputation", "chorus", key), Severity.ERROR, code,
                      _("{label} {value} does not start with the programme (expected {expected})").format(
                          label=_(label), value=value, expected=expected))


# Period and signature ----------------------------------------------------------------


def check_period_order(conv: Convention) -> Iterator[Finding]:
    """The period starts on or before the day it ends."""
    period = conv.period
    if period.start > period.end:
        yield Finding(("period", "end"), Severity.ERROR, "period-order",
                      _("period ends on {end} before it starts on {start} (expected start ≤ end)").format(
                          end=format_date(period.end), start=format_date(period.start)))


def check_signature_date(conv: Convention) -> Iterator[Finding]:
    """The convention is signed on or before the last day of the period."""
    if conv.signed > conv.period.end:
        yield Finding(("signed",), Severity.ERROR, "signature-after-period",
                      _("signed on {signed}, after the period ends on {end} "
                        "(expected a signature inside or before the period)").format(
                          signed=format_date(conv.signed), end=format_date(conv.period.end)))


def check_payments_until(conv: Convention) -> Iterator[Finding]:
    """The last payment date, when given, is not before the period starts."""
    period = conv.period
    if period.payments_until is not None and period.payments_until < period.start:
        yield Finding(("period", "payments_until"), Severity.ERROR, "payments-until-order",
                      _("payments allowed until {until}, before the period "
                        "starts on {start} (expected a date on or after the start)").format(
                          until=format_date(period.payments_until), start=format_date(period.start)))


# Schedule ----------------------------------------------------------------------------


def check_schedule_years(conv: Convention) -> Iterator[Finding]:
    """Each schedule year appears once and falls inside the period."""
    period, schedule = conv.period, conv.budget.schedule
    repeated = _repeats(yb.year for yb in schedule)
    for i, yb in enumerate(schedule):
        loc: Loc = ("budget", "schedule", i, "year")
        if i in repeated:
            yield Finding(loc, Severity.ERROR, "year-duplicate",
                          _("year {year} appears twice in the schedule (expected each year once)").format(year=yb.year))
        if not period.start.year <= yb.year <= period.end.year:
            yield Finding(loc, Severity.ERROR, "year-outside-period",
                          _("year {year} is outside the period {start} – {end} "
                            "(expected a year from {first} to {last})").format(
                              year=yb.year, start=format_date(period.start), end=format_date(period.end),
                              first=period.start.year, last=period.end.year))


def check_schedule_sums(conv: Convention) -> Iterator[Finding]:
    """The schedule's AE, then its CP, add up to the envelope."""
    budget = conv.budget
    for kind in ("ae", "cp"):
        amounts = [(y.year, getattr(y, kind)) for y in budget.schedule]
        opened = sum(a for __, a in amounts)
        if opened != budget.total:
            detail = ", ".join(f"{year}: {_fr(a)}" for year, a in amounts)
            yield Finding(("budget", "total"), Severity.ERROR, f"{kind}-sum-mismatch",
                          _("the schedule opens {opened} of {kind} ({detail}) "
                            "but the envelope is {total} (expected Σ {kind} = envelope)").format(
                              opened=_fr(opened), kind=kind.upper(), detail=detail, total=_fr(budget.total)))


def check_team_caps(conv: Convention) -> Iterator[Finding]:
    """The envelope is at most, and preferably exactly, teams × per-team cap."""
    budget, n_teams, cap = conv.budget, len(conv.teams), conv.budget.team_cap
    loc: Loc = ("budget", "team_cap")
    if cap is not None:
        yield from _against_caps(loc, budget.total, n_teams, cap)


def check_team_shares(conv: Convention) -> Iterator[Finding]:
    """Each year's indicative per-team AE and CP shares, times the teams, give the year's amount."""
    n_teams = len(conv.teams)
    for i, yb in enumerate(conv.budget.schedule):
        for kind, share, amount in (("AE", yb.ae_per_team, yb.ae), ("CP", yb.cp_per_team, yb.cp)):
            if share is not None and share * n_teams != amount:
                yield Finding(("budget", "schedule", i, kind.lower()), Severity.WARNING, "share-mismatch",
                              ngettext("{year}: {teams} teams × {share} = {shares} differs "
                                       "from the year's {kind} {amount} (expected shares × teams = year's {kind})",
                                       "{year}: {teams} teams × {share} = {shares} differs "
                                       "from the year's {kind} {amount} (expected shares × teams = year's {kind})",
                                       n_teams).format(year=yb.year, teams=n_teams, share=_fr(share),
                                                       shares=_fr(share * n_teams), kind=kind,
                                                       amount=_fr(amount)))


def check_cp_behind_ae(conv: Convention) -> Iterator[Finding]:
    """By the end of each year, the CP opened so far do not exceed the AE opened so far."""
    cum_ae = cum_cp = 0
    for i, yb in sorted(enumerate(conv.budget.schedule), key=lambda p: p[1].year):
        cum_ae += yb.ae
        cum_cp += yb.cp
        if cum_cp > cum_ae:
            yield Finding(("budget", "schedule", i, "cp"), Severity.WARNING, "cp-ahead-of-ae",
                          _("by the end of {year}, {cp} of CP are opened for only "
                            "{ae} of AE (expected cumulative CP ≤ cumulative AE: one cannot "
                            "pay what was not committed)").format(year=yb.year, cp=_fr(cum_cp), ae=_fr(cum_ae)))


# Imputation --------------------------------------------------------------------------


def check_centre_financier(conv: Convention) -> Iterator[Finding]:
    """The centre financier reads programme-BOP-UO."""
    imp = conv.imputation
    expected = f"{_programme4(conv)}-{imp.bop}-{imp.uo}"
    if imp.chorus.centre_financier != expected:
        yield Finding(("imputation", "chorus", "centre_financier"), Severity.ERROR, "centre-financier-mismatch",
                      _("centre financier {centre} does not match "
                        "programme-BOP-UO (expected {expected})").format(
                          centre=imp.chorus.centre_financier, expected=expected))


def check_domaine_fonctionnel(conv: Convention) -> Iterator[Finding]:
    """The domaine fonctionnel starts with the programme."""
    return _starts_with_programme(conv, "domaine_fonctionnel", "domaine-fonctionnel-programme",
                                  N_("domaine fonctionnel"), f"{_programme4(conv)}-…")


def check_activite(conv: Convention) -> Iterator[Finding]:
    """The activité starts with the programme."""
    return _starts_with_programme(conv, "activite", "activite-programme", N_("activité"), f"{_programme4(conv)}…")


# Unique ids and ledger path ----------------------------------------------------------


def check_team_ids(conv: Convention) -> Iterator[Finding]:
    """No two teams share an id."""
    return _unique_ids(((("teams", i, "id"), t.id) for i, t in enumerate(conv.teams)), "team-duplicate",
                       N_("team id {id} is used twice (expected unique ids)"))


def check_marche_ids(conv: Convention) -> Iterator[Finding]:
    """No two marchés share an id."""
    return _unique_ids(((("marches", i, "id"), m.id) for i, m in enumerate(conv.marches)),
                       "marche-duplicate", N_("marché id {id} is used twice (expected unique ids)"))


def check_prestation_ids(conv: Convention) -> Iterator[Finding]:
    """No two prestations share an id, across all marchés."""
    return _unique_ids(((("marches", i, "prestations", j, "id"), p.id)
                        for i, m in enumerate(conv.marches) for j, p in enumerate(m.prestations)),
                       "prestation-duplicate", N_("prestation id {id} is used twice (expected unique ids)"))


def check_ledger_path(conv: Convention) -> Iterator[Finding]:
    """The ledger path, when given, is printable text (no NUL, control, format — bidi — or
    line-separator character, which no file name needs and a terminal would act on) and
    stays inside the convention's folder."""
    if conv.ledger is None:
        return
    bad = raw_forbidden(conv.ledger)
    if bad is not None:
        yield Finding(("ledger",), Severity.ERROR, "ledger-character",
                      _("ledger path {path} holds the control or format character U+{code} (expected a "
                        "relative path of printable characters, such as ledgers/{id}.ledger)").format(
                          path=repr(conv.ledger), code=f"{ord(conv.ledger[bad]):04X}", id=conv.id))
        return
    parts = conv.ledger.replace("\\", "/").split("/")
    if conv.ledger.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        yield Finding(("ledger",), Severity.ERROR, "ledger-outside",
                      _("ledger path {path} leaves the convention's folder (expected a relative "
                        "path inside it, such as ledgers/{id}.ledger)").format(path=repr(conv.ledger), id=conv.id))


# Avenants, one by one in file order --------------------------------------------------

AvenantRule = Callable[[Convention, int, Avenant], Iterable[Finding]]
"""A rule on one avenant on its own: the convention, the avenant's index, the avenant."""


def check_avenant_number(conv: Convention, i: int, av: Avenant) -> Iterator[Finding]:
    """No earlier avenant has the same number."""
    if i in _repeats(a.number for a in conv.avenants):
        yield Finding(("avenants", i, "number"), Severity.ERROR, "avenant-duplicate",
                      _("avenant n° {number} appears twice (expected unique numbers)").format(number=av.number))


def check_avenant_date(conv: Convention, i: int, av: Avenant) -> Iterator[Finding]:
    """The avenant is dated inside the period, on or after the signature."""
    period = conv.period
    if not max(period.start, conv.signed) <= av.date <= period.end:
        yield Finding(("avenants", i, "date"), Severity.ERROR, "avenant-outside-period",
                      _("avenant n° {number} is dated {date}, outside the period {start} – "
                        "{end} (expected a date inside it, on or after the signature)").format(
                          number=av.number, date=format_date(av.date), start=format_date(conv.effective_date),
                          end=format_date(period.end)))


def check_avenant_years(conv: Convention, i: int, av: Avenant) -> Iterator[Finding]:
    """Every year the avenant changes is a schedule year."""
    for j, change in enumerate(av.years):
        if change.year not in conv.schedule_by_year:
            yield Finding(("avenants", i, "years", j, "year"), Severity.ERROR, "avenant-unknown-year",
                          _("avenant n° {number} changes year {year}, which is not in the schedule "
                            "(expected one of {years})").format(
                              number=av.number, year=change.year, years=", ".join(map(str, conv.years))))


def check_avenant_carry_years(conv: Convention, i: int, av: Avenant) -> Iterator[Finding]:
    """Every carry-over goes from a schedule year to the next, also a schedule year."""
    for j, carry in enumerate(av.carry_overs):
        missing = [y for y in (carry.from_year, carry.to_year) if y not in conv.schedule_by_year]
        if missing:  # to_year is derived, not written: the finding points at from_year
            yield Finding(("avenants", i, "carry_overs", j, "from_year"), Severity.ERROR, "carry-over-unknown-year",
                          _("avenant n° {number} carries over from {from_year} to {to_year}, "
                            "but {missing} is not in the schedule (expected two consecutive schedule years)").format(
                              number=av.number, from_year=carry.from_year, to_year=carry.to_year,
                              missing=missing[0]))


AVENANT_RULES: tuple[AvenantRule, ...] = (
    check_avenant_number,
    check_avenant_date,
    check_avenant_years,
    check_avenant_carry_years,
)


def check_avenants(conv: Convention) -> Iterator[Finding]:
    """Each avenant, in file order, against every rule of AVENANT_RULES."""
    for i, av in enumerate(conv.avenants):
        for rule in AVENANT_RULES:
            yield from rule(conv, i, av)


# Avenants applied in date order ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _AvenantStep:
    """One avenant applied in date order on top of those before it.

    ``team_cap``, ``total``, ``ae`` and ``cp`` are the amounts once it applies, carry-overs
    aside (they move credits between years, and the years' own amounts are what avenants
    state); ``before`` holds the same four just before it applies.
    """

    index: int
    avenant: Avenant
    team_cap: Cents | None
    total: Cents
    ae: dict[Year, Cents]
    cp: dict[Year, Cents]
    before: tuple[Cents | None, Cents, dict[Year, Cents], dict[Year, Cents]]

    @property
    def changes_caps(self) -> bool:
        """Whether the avenant moves the team cap or the envelope."""
        return (self.team_cap, self.total) != self.before[:2]

    @property
    def changes_schedule(self) -> bool:
        """Whether the avenant moves the envelope or a year's AE or CP."""
        return (self.total, self.ae, self.cp) != self.before[1:]


def _avenant_steps(conv: Convention) -> Iterator[_AvenantStep]:
    """The avenants applied one by one in date order; changes to unknown years are skipped."""
    index = {id(a): i for i, a in enumerate(conv.avenants)}
    ae = {y.year: y.ae for y in conv.budget.schedule}
    cp = {y.year: y.cp for y in conv.budget.schedule}
    cap, total = conv.budget.team_cap, conv.budget.total
    for av in conv.avenants_in_order:
        before = (cap, total, dict(ae), dict(cp))
        known = av.model_copy(update={"years": tuple(c for c in av.years if c.year in ae)})
        cap, total = _applied(known, cap, total, ae, cp)
        yield _AvenantStep(index[id(av)], av, cap, total, dict(ae), dict(cp), before)


StepRule = Callable[[Convention, _AvenantStep], Iterable[Finding]]
"""A rule on the amounts in force once one more avenant applies: the convention rules on
the convention as amended by each avenant in turn, each finding naming the avenant."""


def check_step_team_cap_set(conv: Convention, step: _AvenantStep) -> Iterator[Finding]:
    """An avenant sets a team cap only where the convention has one."""
    av = step.avenant
    if conv.budget.team_cap is None and av.team_cap is not None:
        yield Finding(("avenants", step.index, "team_cap"), Severity.ERROR, "avenant-no-team-cap",
                      _("avenant n° {number} changes the team cap, but the convention caps no team "
                        "(expected budget.team_cap to be set)").format(number=av.number))


def check_step_changes_something(conv: Convention, step: _AvenantStep) -> Iterator[Finding]:
    """An avenant states at least one new amount, or carries something over."""
    av = step.avenant
    if av.carry_overs or (av.team_cap is not None and step.before[0] is None):
        return
    if any(c.year not in step.ae for c in av.years):
        return  # a change to an unknown year is an error of its own (avenant-unknown-year)
    if not step.changes_caps and not step.changes_schedule:
        yield Finding(("avenants", step.index), Severity.WARNING, "avenant-no-change",
                      _("avenant n° {number} changes nothing: every amount it states is already "
                        "the one in force, and it carries nothing over (expected a new team cap, "
                        "envelope, AE or CP, or a carry-over)").format(number=av.number))


def check_step_carry_overs(conv: Convention, step: _AvenantStep) -> Iterator[Finding]:
    """Each carry-over moves at most the AE and CP its year opens."""
    av = step.avenant
    for j, carry in enumerate(av.carry_overs):
        if carry.from_year not in step.ae or carry.to_year not in step.ae:
            continue
        for kind, book, amount in (("AE", step.ae, carry.ae), ("CP", step.cp, carry.cp)):
            if amount > book[carry.from_year]:
                yield Finding(("avenants", step.index, "carry_overs", j, kind.lower()), Severity.ERROR,
                              "carry-over-too-large",
                              _("avenant n° {number} carries {amount} of {kind} over from "
                                "{year}, which opens only {opened} "
                                "(expected at most what the year opens)").format(
                                  number=av.number, amount=_fr(amount), kind=kind, year=carry.from_year,
                                  opened=_fr(book[carry.from_year])))


def check_step_envelope(conv: Convention, step: _AvenantStep) -> Iterator[Finding]:
    """After an avenant moving the envelope or a year, Σ AE = Σ CP = envelope still holds."""
    ae, cp = sum(step.ae.values()), sum(step.cp.values())
    if step.changes_schedule and (ae != step.total or cp != step.total):
        yield Finding(("avenants", step.index), Severity.ERROR, "avenant-envelope-mismatch",
                      _("after avenant n° {number}, the schedule opens {ae} of AE and "
                        "{cp} of CP for an envelope of {total} (expected Σ AE = Σ CP = "
                        "envelope; change the envelope with the years)").format(
                          number=step.avenant.number, ae=_fr(ae), cp=_fr(cp), total=_fr(step.total)))


def check_step_team_caps(conv: Convention, step: _AvenantStep) -> Iterator[Finding]:
    """After an avenant moving the cap or the envelope, the envelope is at most, and
    preferably exactly, teams × per-team cap (as :func:`check_team_caps`)."""
    if step.team_cap is None or not step.changes_caps:
        return iter(())
    return _against_caps(("avenants", step.index), step.total, len(conv.teams), step.team_cap,
                         prefix=_("after avenant n° {number}, ").format(number=step.avenant.number))


AVENANT_STEP_RULES: tuple[StepRule, ...] = (
    check_step_team_cap_set,
    check_step_changes_something,
    check_step_carry_overs,
    check_step_envelope,
    check_step_team_caps,
)


def check_avenant_steps(conv: Convention) -> Iterator[Finding]:
    """The avenants applied in date order, each step against every rule of AVENANT_STEP_RULES."""
    for step in _avenant_steps(conv):
        for rule in AVENANT_STEP_RULES:
            yield from rule(conv, step)


# All of them -------------------------------------------------------------------------

CONVENTION_RULES: tuple[Rule, ...] = (
    check_period_order,
    check_signature_date,
    check_payments_until,
    check_schedule_years,
    check_schedule_sums,
    check_team_caps,
    check_team_shares,
    check_cp_behind_ae,
    check_centre_financier,
    check_domaine_fonctionnel,
    check_activite,
    check_team_ids,
    check_marche_ids,
    check_prestation_ids,
    check_ledger_path,
    check_avenants,
    check_avenant_steps,
)


def convention_findings(conv: Convention) -> list[Finding]:
    """Every rule of ``delegation check`` that ties fields of one convention together.

    Schema problems (types, formats, unknown keys) are pydantic's; these are the rules
    that need several fields: envelope identities, period, codes coherent with the
    programme, unique ids, avenants.  They are the rules of :data:`CONVENTION_RULES`,
    run in order, each returning its findings in document order.
    """
    return [finding for rule in CONVENTION_RULES for finding in rule(conv)]

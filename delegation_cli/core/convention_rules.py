"""The convention's rules: what ties fields of one convention together.

This module owns :func:`convention_findings`, the rules of ``delegation check`` that need
several fields of a convention (Σ AE = Σ CP = envelope, codes coherent with the programme,
unique ids, avenants inside the period…), returned as :class:`Finding` values with the
location of the field they concern.  Each rule is a small function ``rule(conv)`` yielding
findings, listed in order in :data:`CONVENTION_RULES`; avenants go through
:data:`AVENANT_RULES` in file order, then through :data:`AVENANT_STEP_RULES` as they apply
in date order (:func:`avenants.avenant_steps`).

Schema problems (types, formats, unknown keys) are pydantic's, in ``model``.  It performs no
I/O; ``store.convention`` maps the locations to lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from .avenants import AvenantStep, avenant_steps
from .errors import Severity, raw_forbidden
from .i18n import N_, _, format_date, ngettext
from .model import Avenant, Convention
from .money import Cents, format_fr

Loc = tuple[str | int, ...]
"""Where a value sits in the document: the keys and list indexes leading to it."""

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


def _against_caps(loc: Loc, total: Cents, caps: list[Cents], prefix: str = "") -> Iterator[Finding]:
    """``envelope-above-caps`` (an error) when ``total`` exceeds the teams' caps summed,
    ``envelope-below-caps`` (a warning) when it falls short of them."""
    n_teams, summed = len(caps), sum(caps)
    if len(set(caps)) > 1:  # teams with caps of their own
        figures: dict[str, object] = {"prefix": prefix, "total": _fr(total), "caps": _fr(summed),
                                      "detail": " + ".join(_fr(cap) for cap in caps)}
        if total > summed:
            yield Finding(loc, Severity.ERROR, "envelope-above-caps",
                          _("{prefix}the envelope {total} exceeds the teams' caps, {detail} = {caps} (expected "
                            "envelope ≤ the sum of the caps)").format(**figures))
        elif total != summed:
            yield Finding(loc, Severity.WARNING, "envelope-below-caps",
                          _("{prefix}the teams' caps, {detail} = {caps}, differ from the envelope {total} "
                            "(expected the sum of the caps = envelope)").format(**figures))
        return
    cap = caps[0] if caps else 0
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
    """The envelope is at most, and preferably exactly, the teams' caps summed (teams ×
    per-team cap when no team has its own), when every team is capped."""
    caps = [t.cap if t.cap is not None else conv.budget.team_cap for t in conv.teams]
    if all(cap is not None for cap in caps):
        yield from _against_caps(("budget", "team_cap"), conv.budget.total, [c for c in caps if c is not None])


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


def check_avenant_teams(conv: Convention, i: int, av: Avenant) -> Iterator[Finding]:
    """A team the avenant adds has a name; a team appears once in it; an end date lies in
    the period."""
    known = {t.id for t in conv.teams} | {t.id for a in conv.avenants_in_order if a.date < av.date
                                          for t in a.teams if t.name is not None}
    repeated = _repeats(t.id for t in av.teams)
    for j, team in enumerate(av.teams):
        loc: Loc = ("avenants", i, "teams", j)
        if j in repeated:
            yield Finding((*loc, "id"), Severity.ERROR, "avenant-team-duplicate",
                          _("avenant n° {number} lists team {team} twice (expected each team once)").format(
                              number=av.number, team=repr(team.id)))
        elif team.id not in known and team.name is None:
            yield Finding((*loc, "id"), Severity.ERROR, "avenant-team-name",
                          _("avenant n° {number} adds team {team} without its name (expected name: for a new "
                            "team; existing ones: {teams})").format(
                              number=av.number, team=repr(team.id), teams=", ".join(sorted(known))))
        if team.until is not None and not av.date <= team.until <= conv.period.end:
            yield Finding((*loc, "until"), Severity.ERROR, "team-until-outside-period",
                          _("avenant n° {number} ends team {team} on {until}, outside {start} – {end} (expected a "
                            "date from the avenant's to the period's end)").format(
                              number=av.number, team=repr(team.id), until=format_date(team.until),
                              start=format_date(av.date), end=format_date(conv.period.end)))


AVENANT_RULES: tuple[AvenantRule, ...] = (
    check_avenant_number,
    check_avenant_date,
    check_avenant_years,
    check_avenant_carry_years,
    check_avenant_teams,
)


def check_avenants(conv: Convention) -> Iterator[Finding]:
    """Each avenant, in file order, against every rule of AVENANT_RULES."""
    for i, av in enumerate(conv.avenants):
        for rule in AVENANT_RULES:
            yield from rule(conv, i, av)

# Avenants applied in date order ------------------------------------------------------

StepRule = Callable[[Convention, AvenantStep], Iterable[Finding]]
"""A rule on the amounts in force once one more avenant applies: the convention rules on
the convention as amended by each avenant in turn, each finding naming the avenant."""


def check_step_changes_something(conv: Convention, step: AvenantStep) -> Iterator[Finding]:
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


def check_step_carry_overs(conv: Convention, step: AvenantStep) -> Iterator[Finding]:
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


def check_step_envelope(conv: Convention, step: AvenantStep) -> Iterator[Finding]:
    """After an avenant moving the envelope or a year, Σ AE = Σ CP = envelope still holds."""
    ae, cp = sum(step.ae.values()), sum(step.cp.values())
    if step.changes_schedule and (ae != step.total or cp != step.total):
        yield Finding(("avenants", step.index), Severity.ERROR, "avenant-envelope-mismatch",
                      _("after avenant n° {number}, the schedule opens {ae} of AE and "
                        "{cp} of CP for an envelope of {total} (expected Σ AE = Σ CP = "
                        "envelope; change the envelope with the years)").format(
                          number=step.avenant.number, ae=_fr(ae), cp=_fr(cp), total=_fr(step.total)))


def check_step_team_caps(conv: Convention, step: AvenantStep) -> Iterator[Finding]:
    """After an avenant moving a cap, the cast or the envelope, the envelope is at most, and
    preferably exactly, the caps of the teams funded (as :func:`check_team_caps`)."""
    caps = step.caps_in_force()
    if caps is None or not step.changes_caps:
        return iter(())
    return _against_caps(("avenants", step.index), step.total, caps,
                         prefix=_("after avenant n° {number}, ").format(number=step.avenant.number))


AVENANT_STEP_RULES: tuple[StepRule, ...] = (
    check_step_changes_something,
    check_step_carry_overs,
    check_step_envelope,
    check_step_team_caps,
)


def check_avenant_steps(conv: Convention) -> Iterator[Finding]:
    """The avenants applied in date order, each step against every rule of AVENANT_STEP_RULES."""
    for step in avenant_steps(conv):
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

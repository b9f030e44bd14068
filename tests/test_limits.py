"""What the report says is available is exactly what `commit` and `pay` accept.

For each hard limit — a team's cap, a year's AE, a year's CP, the convention's envelope —
and each situation — no avenant; an avenant changing that limit (in force at the report's
date, or dated after it); a carry-over avenant (credits of 2021 carried to 2022) dated
before the commitments, after them but before the report's date, or after them and after
the report's date — a ledger is scripted through the CLI, the JSON report of month M is
read, and:

* the "available" figure of the limit equals a literal worked out by hand in the case
  (the arithmetic is in its comment; figures are never copied from the program's output);
* committing (or paying) exactly that amount on the last day of M passes `--dry-run`
  (same limits in force as the report's `as_of`), one cent more is refused (exit 1) with
  the ledger byte-for-byte unchanged, and once the exact amount is recorded the report
  shows 0.00 available.

The convention below: 2 teams capped at 600 €, an envelope of 1 000 €, AE 2021 = 400 €
(CP 100 €), AE 2022 = 600 € (CP 900 €), no avenant of its own: each case adds its avenants.
Avenant amounts are new values (the cap, the envelope, a year's AE or CP from the avenant's
date on), applied from the avenant's date.  Carry-overs move AE/CP
of ``from_year`` to the next year, under the carry-over rule (``Convention.carried_out``):
what an avenant carries out of year N can never be used in year N, whatever the avenant's
date — even before it, since the avenant states those credits were left unused — so N's
available is opened − carried over − used; the credits open in N + 1 only from the
avenant's date (README "The convention file", docs/report-json.md `years[]`).
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import SMALL_HEAD, Cli, Result, dedent, eur, sha

BASE = dedent("""
    id: limits
    title: Limits convention
    {SMALL_HEAD}
    budget:
      total: 1000
      team_cap: 600
      schedule:
        - {year: 2021, ae: 400, cp: 100}
        - {year: 2022, ae: 600, cp: 900}
    teams: [{id: alpha, name: Alpha}, {id: beta, name: Beta}]
    ledger: limits.ledger
""").replace("{SMALL_HEAD}\n", SMALL_HEAD)

LEDGER = "limits.ledger"


def convention_text(avenants: tuple[str, ...]) -> str:
    if not avenants:
        return BASE
    return BASE + "avenants:\n" + "".join(f"  - {a}\n" for a in avenants)


# Ledger operations -------------------------------------------------------------------


def commit(team: str, amount: str, date: str, ref: str) -> tuple[str, ...]:
    return ("commit", "--team", team, amount, "--date", date, "--ref", ref)


def pay(ref: str, amount: str, date: str) -> tuple[str, ...]:
    return ("pay", ref, amount, "--date", date, "--service-fait", date)


def release(ref: str, amount: str, date: str) -> tuple[str, ...]:
    return ("release", ref, amount, "--date", date)


def cents(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def euros(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


# The ledgers ----------------------------------------------------------------------------

# Team cap, report of 2022-03: alpha committed 300.55 in 2021, released 20.10 of it in 2022
# (an earlier year's commitment: restores the cap and the envelope, not AE), committed 100
# in 2022.  alpha's net commitments: 300.55 − 20.10 + 100 = 380.45.  AE 2021: 340.55 used
# (≤ 350 even with 50 carried out); AE 2022: 100 used of 600 (500 left); envelope: 1 000 −
# (380.45 + 40) = 579.55 left: the cap is the binding limit for alpha.
TEAM_OPS = (
    commit("alpha", "300.55", "2021-03-01", "BC-1"),
    commit("beta", "40", "2021-04-01", "BC-2"),
    pay("BC-1", "80", "2021-05-01"),
    release("BC-1", "20.10", "2022-02-01"),
    commit("alpha", "100", "2022-02-15", "BC-3"),
)

# AE 2021, report of 2021-06: 150.25 + 100 committed, 30.10 released in the same year:
# AE 2021 used 220.15.  beta's headroom 600 − 69.90 and the envelope's 779.85 are larger.
AE2021_OPS = (
    commit("alpha", "150.25", "2021-03-01", "BC-1"),
    commit("beta", "100", "2021-04-01", "BC-2"),
    release("BC-2", "30.10", "2021-05-01"),
    pay("BC-1", "60", "2021-05-15"),
)

# AE 2022, report of 2022-03: alpha committed 100 in 2021 (AE 2021) and released 50 of it
# in 2022 (an earlier year's commitment: no AE back to 2022); in 2022 alpha 300 and beta
# 100.30 committed, 20.10 of alpha's released the same year: AE 2022 used 300 + 100.30 −
# 20.10 = 380.20.  beta's headroom 600 − 100.30 = 499.70, envelope 1 000 − 430.20 = 569.80.
AE2022_OPS = (
    commit("alpha", "100", "2021-03-01", "BC-0"),
    commit("alpha", "300", "2022-02-01", "BC-1"),
    commit("beta", "100.30", "2022-02-05", "BC-2"),
    release("BC-0", "50", "2022-02-10"),
    release("BC-1", "20.10", "2022-02-20"),
)

# CP 2021, report of 2021-06: 30.25 + 10.50 paid in 2021 = 40.75; BC-1's reste à payer
# 200 − 30.25 = 169.75 is larger than any CP 2021 left.
CP2021_OPS = (
    commit("alpha", "200", "2021-03-01", "BC-1"),
    commit("beta", "50", "2021-03-10", "BC-2"),
    pay("BC-1", "30.25", "2021-04-01"),
    pay("BC-2", "10.50", "2021-05-01"),
)

# CP 2022, report of 2022-03: 30 paid in 2021; in 2022 250 + 99.35 + 200 = 549.35 paid.
# BC-4's reste à payer (400) is larger than any CP 2022 left.
CP2022_OPS = (
    commit("alpha", "300", "2021-03-01", "BC-1"),
    commit("beta", "100", "2021-03-02", "BC-2"),
    pay("BC-1", "30", "2021-05-01"),
    commit("alpha", "200", "2022-02-01", "BC-3"),
    commit("beta", "400", "2022-02-02", "BC-4"),
    pay("BC-1", "250", "2022-02-10"),
    pay("BC-2", "99.35", "2022-02-11"),
    pay("BC-3", "200", "2022-02-12"),
)

# Envelope, report of 2022-03.  With a valid convention (Σ AE = envelope) the envelope can
# only bind with the current year's AE (a tie) once the earlier year is fully consumed,
# unless an avenant takes back AE of a year already consumed: then it binds alone.
# ENV_FULL: 2021 fully consumed (350 + 50 = 400); 100.40 committed in 2022.  beta's
# headroom 600 − 50 = 550.
ENV_FULL_OPS = (
    commit("alpha", "350", "2021-03-01", "BC-1"),
    commit("beta", "50", "2021-03-02", "BC-2"),
    pay("BC-2", "20", "2021-06-01"),
    commit("alpha", "100.40", "2022-02-01", "BC-3"),
)
# ENV_CARRY: 2021 consumed up to what a 50 € carry-over leaves (300 + 50 = 350).
ENV_CARRY_OPS = (
    commit("alpha", "300", "2021-03-01", "BC-1"),
    commit("beta", "50", "2021-03-02", "BC-2"),
    pay("BC-2", "20", "2021-06-01"),
    commit("alpha", "100.40", "2022-02-01", "BC-3"),
)

# Avenants ---------------------------------------------------------------------------------

CARRY_AE = "{number: %d, date: %s, carry_overs: [{from_year: 2021, ae: 50}]}"
CARRY_CP = "{number: %d, date: %s, carry_overs: [{from_year: 2021, cp: 20}]}"
# The délégant takes back 100 € of AE 2021 (already consumed) and 100 € of CP 2022: the
# envelope is brought down to 900 €, AE 2021 to 300 €, CP 2022 to 800 €.
LOWER_ENVELOPE = "{number: %d, date: %s, total: 900, years: [{year: 2021, ae: 300}, {year: 2022, cp: 800}]}"


# What a refusal in 2021 says of the credits carried out of it, whatever the avenant's date.
OUT_50 = f"less {eur('50,00 €')} carried over to 2022 by avenant"
OUT_20 = f"less {eur('20,00 €')} carried over to 2022 by avenant"


@dataclass(frozen=True)
class Case:
    id: str
    limit: str  # team, ae, cp, envelope
    key: str | int  # the team, or the year; unused for the envelope
    month: str
    ops: tuple[tuple[str, ...], ...]
    avenants: tuple[str, ...]
    in_force: tuple[int, ...]
    expected: str  # worked out by hand
    probe: str  # the team that commits, or the commitment (ref) that is paid
    carried: str = ""  # what the refusal says of credits carried out of the year, if any

    @property
    def probe_date(self) -> str:
        year, month = map(int, self.month.split("-"))
        return f"{self.month}-{calendar.monthrange(year, month)[1]:02d}"

    def probe_args(self, amount: str, *extra: str) -> tuple[str, ...]:
        if self.limit == "cp":
            return (*pay(self.probe, amount, self.probe_date), *extra)
        return ("commit", "--team", self.probe, amount, "--date", self.probe_date, *extra)

    @property
    def refusal(self) -> str:
        """What the refusal of one cent more must say."""
        return {
            "team": "takes the team to",
            "ae": f"takes AE {self.key} to",
            "cp": f"takes CP {self.key} to",
            "envelope": "takes the convention to",
        }[self.limit]


CASES = [
    # --- team cap: alpha, 380.45 net committed (see TEAM_OPS) -----------------------------
    Case("team-no-avenant", "team", "alpha", "2022-03", TEAM_OPS, (), (),
         "219.55", "alpha"),  # 600 − 380.45
    Case("team-avenant-lowers-cap", "team", "alpha", "2022-03", TEAM_OPS,
         ("{number: 1, date: 2022-01-15, team_cap: 550}",), (1,),
         "169.55", "alpha"),  # (600 − 50) − 380.45
    Case("team-avenant-lowers-cap-later", "team", "alpha", "2022-03", TEAM_OPS,
         ("{number: 1, date: 2022-06-01, team_cap: 550}",), (),
         "219.55", "alpha"),  # not in force on 2022-03-31: 600 − 380.45
    Case("team-carry-over-before", "team", "alpha", "2022-03", TEAM_OPS,
         (CARRY_AE % (1, "2021-02-15"),), (1,),
         "219.55", "alpha"),  # a carry-over moves no cap: 600 − 380.45
    Case("team-carry-over-after", "team", "alpha", "2022-03", TEAM_OPS,
         (CARRY_AE % (1, "2022-06-01"),), (),
         "219.55", "alpha"),  # 600 − 380.45
    # --- AE 2021: 220.15 used (see AE2021_OPS) ---------------------------------------------
    Case("ae2021-no-avenant", "ae", 2021, "2021-06", AE2021_OPS, (), (),
         "179.85", "beta"),  # 400 − 220.15
    Case("ae2021-avenant-raises-year", "ae", 2021, "2021-06", AE2021_OPS,
         ("{number: 1, date: 2021-04-15, years: [{year: 2021, ae: 450}, {year: 2022, ae: 550}]}",), (1,),
         "229.85", "beta"),  # (400 + 50) − 220.15
    Case("ae2021-avenant-raises-year-later", "ae", 2021, "2021-06", AE2021_OPS,
         ("{number: 1, date: 2021-09-01, years: [{year: 2021, ae: 450}, {year: 2022, ae: 550}]}",), (),
         "179.85", "beta"),  # not in force on 2021-06-30: 400 − 220.15
    Case("ae2021-carry-over-before", "ae", 2021, "2021-06", AE2021_OPS,
         (CARRY_AE % (1, "2021-02-15"),), (1,),
         "129.85", "beta", OUT_50),  # 400 − 50 carried out − 220.15
    Case("ae2021-carry-over-after-in-force", "ae", 2021, "2021-06", AE2021_OPS,
         (CARRY_AE % (1, "2021-06-15"),), (1,),
         "129.85", "beta", OUT_50),  # in force on 2021-06-30: 400 − 50 − 220.15
    Case("ae2021-carry-over-after", "ae", 2021, "2021-06", AE2021_OPS,
         (CARRY_AE % (1, "2021-09-01"),), (),
         "129.85", "beta", OUT_50),  # not in force on 2021-06-30, yet its 50 never usable in 2021: 400 − 50 − 220.15
    # --- AE 2022: 380.20 used (see AE2022_OPS) ---------------------------------------------
    Case("ae2022-no-avenant", "ae", 2022, "2022-03", AE2022_OPS, (), (),
         "219.80", "beta"),  # 600 − 380.20
    Case("ae2022-avenant-raises-year", "ae", 2022, "2022-03", AE2022_OPS,
         ("{number: 1, date: 2022-01-15, years: [{year: 2021, ae: 350}, {year: 2022, ae: 650}]}",), (1,),
         "269.80", "beta"),  # (600 + 50) − 380.20
    Case("ae2022-avenant-raises-year-later", "ae", 2022, "2022-03", AE2022_OPS,
         ("{number: 1, date: 2022-06-01, years: [{year: 2021, ae: 350}, {year: 2022, ae: 650}]}",), (),
         "219.80", "beta"),  # not in force on 2022-03-31: 600 − 380.20
    Case("ae2022-carry-over-before", "ae", 2022, "2022-03", AE2022_OPS,
         (CARRY_AE % (1, "2021-02-15"),), (1,),
         "269.80", "beta"),  # 600 + 50 carried in − 380.20
    Case("ae2022-carry-over-after-in-force", "ae", 2022, "2022-03", AE2022_OPS,
         (CARRY_AE % (1, "2022-03-01"),), (1,),
         "269.80", "beta"),  # in force on 2022-03-31: 600 + 50 − 380.20
    Case("ae2022-carry-over-after", "ae", 2022, "2022-03", AE2022_OPS,
         (CARRY_AE % (1, "2022-06-01"),), (),
         "219.80", "beta"),  # not yet carried in on 2022-03-31: 600 − 380.20
    # --- CP 2021: 40.75 paid (see CP2021_OPS) ----------------------------------------------
    Case("cp2021-no-avenant", "cp", 2021, "2021-06", CP2021_OPS, (), (),
         "59.25", "BC-1"),  # 100 − 40.75
    Case("cp2021-avenant-raises-year", "cp", 2021, "2021-06", CP2021_OPS,
         ("{number: 1, date: 2021-04-15, years: [{year: 2021, cp: 150}, {year: 2022, cp: 850}]}",), (1,),
         "109.25", "BC-1"),  # (100 + 50) − 40.75
    Case("cp2021-avenant-raises-year-later", "cp", 2021, "2021-06", CP2021_OPS,
         ("{number: 1, date: 2021-09-01, years: [{year: 2021, cp: 150}, {year: 2022, cp: 850}]}",), (),
         "59.25", "BC-1"),  # not in force on 2021-06-30: 100 − 40.75
    Case("cp2021-carry-over-before", "cp", 2021, "2021-06", CP2021_OPS,
         (CARRY_CP % (1, "2021-02-15"),), (1,),
         "39.25", "BC-1", OUT_20),  # 100 − 20 carried out − 40.75
    Case("cp2021-carry-over-after-in-force", "cp", 2021, "2021-06", CP2021_OPS,
         (CARRY_CP % (1, "2021-06-15"),), (1,),
         "39.25", "BC-1", OUT_20),  # in force on 2021-06-30: 100 − 20 − 40.75
    Case("cp2021-carry-over-after", "cp", 2021, "2021-06", CP2021_OPS,
         (CARRY_CP % (1, "2021-09-01"),), (),
         "39.25", "BC-1", OUT_20),  # not in force on 2021-06-30, yet its 20 never usable in 2021: 100 − 20 − 40.75
    # --- CP 2022: 549.35 paid (see CP2022_OPS) ---------------------------------------------
    Case("cp2022-no-avenant", "cp", 2022, "2022-03", CP2022_OPS, (), (),
         "350.65", "BC-4"),  # 900 − 549.35
    Case("cp2022-avenant-lowers-year", "cp", 2022, "2022-03", CP2022_OPS,
         ("{number: 1, date: 2022-01-15, years: [{year: 2021, cp: 150}, {year: 2022, cp: 850}]}",), (1,),
         "300.65", "BC-4"),  # (900 − 50) − 549.35
    Case("cp2022-avenant-lowers-year-later", "cp", 2022, "2022-03", CP2022_OPS,
         ("{number: 1, date: 2022-06-01, years: [{year: 2021, cp: 150}, {year: 2022, cp: 850}]}",), (),
         "350.65", "BC-4"),  # not in force on 2022-03-31: 900 − 549.35
    Case("cp2022-carry-over-before", "cp", 2022, "2022-03", CP2022_OPS,
         (CARRY_CP % (1, "2021-02-15"),), (1,),
         "370.65", "BC-4"),  # 900 + 20 carried in − 549.35
    Case("cp2022-carry-over-after-in-force", "cp", 2022, "2022-03", CP2022_OPS,
         (CARRY_CP % (1, "2022-03-01"),), (1,),
         "370.65", "BC-4"),  # in force on 2022-03-31: 900 + 20 − 549.35
    Case("cp2022-carry-over-after", "cp", 2022, "2022-03", CP2022_OPS,
         (CARRY_CP % (1, "2022-06-01"),), (),
         "350.65", "BC-4"),  # not yet carried in on 2022-03-31: 900 − 549.35
    # --- envelope (see ENV_FULL_OPS, ENV_CARRY_OPS) ----------------------------------------
    Case("envelope-no-avenant", "envelope", "", "2022-03", ENV_FULL_OPS, (), (),
         "499.60", "beta"),  # 1 000 − 400 − 100.40 (= AE 2022's 600 − 100.40: a tie)
    Case("envelope-avenant-lowers-envelope", "envelope", "", "2022-03", ENV_FULL_OPS,
         (LOWER_ENVELOPE % (1, "2022-01-15"),), (1,),
         "399.60", "beta"),  # (1 000 − 100) − 500.40; AE 2022 still 499.60: the envelope binds
    Case("envelope-avenant-lowers-envelope-later", "envelope", "", "2022-03", ENV_FULL_OPS,
         (LOWER_ENVELOPE % (1, "2022-06-01"),), (),
         "499.60", "beta"),  # not in force on 2022-03-31: 1 000 − 500.40 (tie with AE 2022)
    Case("envelope-carry-over-before", "envelope", "", "2022-03", ENV_CARRY_OPS,
         (CARRY_AE % (1, "2021-02-15"),), (1,),
         "549.60", "beta"),  # 1 000 − 450.40 (tie with AE 2022: 600 + 50 − 100.40)
    Case("envelope-carry-over-before-lowered", "envelope", "", "2022-03", ENV_CARRY_OPS,
         (CARRY_AE % (1, "2021-02-15"), LOWER_ENVELOPE % (2, "2022-01-15")), (1, 2),
         "449.60", "beta"),  # (1 000 − 100) − 450.40; AE 2022 549.60: the envelope binds
    Case("envelope-carry-over-after-in-force-lowered", "envelope", "", "2022-03", ENV_CARRY_OPS,
         (LOWER_ENVELOPE % (1, "2022-01-15"), CARRY_AE % (2, "2022-03-01")), (1, 2),
         "449.60", "beta"),  # (1 000 − 100) − 450.40; AE 2022 549.60
    Case("envelope-carry-over-after-lowered", "envelope", "", "2022-03", ENV_CARRY_OPS,
         (LOWER_ENVELOPE % (1, "2022-01-15"), CARRY_AE % (2, "2022-06-01")), (1,),
         "449.60", "beta"),  # (1 000 − 100) − 450.40; AE 2022 499.60
]


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def report(cli: Cli, month: str) -> dict:  # type: ignore[type-arg]
    result = cli("report", "--format", "json", "--month", month)
    assert (result.exit_code, result.stderr) == (0, ""), result
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def available(data: dict, case: Case) -> str:  # type: ignore[type-arg]
    if case.limit == "team":
        return next(t["available"] for t in data["teams"] if t["team"] == case.key)  # type: ignore[no-any-return]
    if case.limit in ("ae", "cp"):
        line = next(y for y in data["years"] if y["year"] == case.key)
        return line[f"{case.limit}_available"]  # type: ignore[no-any-return]
    return data["totals"]["ae_available"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_reported_availability_is_what_is_accepted(cli: Cli, tmp_path: Path, case: Case) -> None:
    (tmp_path / "convention.yaml").write_text(convention_text(case.avenants), encoding="utf-8")
    ledger = tmp_path / LEDGER
    for op in case.ops:
        ok(cli(*op))
    checked = cli("check")
    assert checked.exit_code == 0, (checked.stdout, checked.stderr)

    data = report(cli, case.month)
    assert data["as_of"] == case.probe_date
    assert data["convention"]["avenants_in_force"] == list(case.in_force)
    assert available(data, case) == case.expected

    exact = case.expected
    more = euros(cents(exact) + 1)
    before = sha(ledger)

    dry = cli(*case.probe_args(exact, "--dry-run"))
    assert dry.exit_code == 0, (
        f"report says {exact} available, but --dry-run of exactly {exact} on {case.probe_date} "
        f"was refused: {dry.stderr!r}")
    assert dry.stdout.startswith("Would record (dry run, nothing written) ")
    assert sha(ledger) == before

    dry_more = cli(*case.probe_args(more, "--dry-run"))
    assert dry_more.exit_code == 1, (
        f"report says {exact} available, but --dry-run of {more} was accepted: {dry_more.stdout!r}")
    assert dry_more.stdout == ""
    assert case.refusal in dry_more.stderr, dry_more.stderr
    assert case.carried in dry_more.stderr, dry_more.stderr

    refused = cli(*case.probe_args(more))
    assert refused.exit_code == 1, (refused.stdout, refused.stderr)
    assert refused.stdout == ""
    assert case.refusal in refused.stderr, refused.stderr
    assert refused.stderr.endswith("refused; the ledger was not changed\n"), refused.stderr
    assert sha(ledger) == before

    ok(cli(*case.probe_args(exact)))
    assert sha(ledger) != before
    checked = cli("check")
    assert checked.exit_code == 0, (
        f"{exact} was accepted, as the report said, but the ledger is now invalid: {checked.stderr!r}")
    assert available(report(cli, case.month), case) == "0.00"

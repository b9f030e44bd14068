"""The report, the availability control and the ledger agree, on random valid ledgers.

* Property: a random valid ledger is written through the CLI (commitments within every
  limit in force on their date, payments within the reste à payer and the year's CP,
  releases, forecasts, notes, dated within the period, in date order); then `check`
  passes, the JSON report of a random month shows the figures computed here independently
  from the scripted operations (team committed and paid, year AE/CP consumed and
  available, the envelope), and what the report of a month after the last entry says is
  available is exactly what `commit --dry-run` / `pay --dry-run` accept: that amount
  passes, one cent more is refused.
* No command creates any file but the ledger (no cache, no lock or temporary file left,
  nothing under $HOME or $XDG_CACHE_HOME).

The convention: 2 teams capped at 600 €, envelope 1 000 €, AE 2021 = 400 € / CP 100 €,
AE 2022 = 600 € / CP 900 €; avenant n° 1, dated on the day the convention takes effect
(2021-02-01, so that it is in force for every entry), carries 50 € of AE and 10 € of CP
from 2021 to 2022; avenant n° 2 (2021-09-01) raises the cap to 650 €, the envelope to
1 100 €, AE 2022 to 700 € and CP 2022 to 1 000 € (each 50 € or 100 € more).

The carry-over rule (``Convention.carried_out``), modelled independently below: credits
carried out of 2021 can never be used in 2021, whatever the avenant's date (so also in a
report of January 2021, before avenant n° 1); they are added to 2022 only from its date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import SMALL_HEAD, Cli, Result, dedent, sha

AGREE = dedent("""
    id: agree
    title: Agreement convention
    {SMALL_HEAD}
    budget:
      total: 1000
      team_cap: 600
      schedule:
        - {year: 2021, ae: 400, cp: 100}
        - {year: 2022, ae: 600, cp: 900}
    teams: [{id: alpha, name: Alpha}, {id: beta, name: Beta}]
    marches:
      - {id: dev, name: Dev, prestations: [{id: devops, name: Devops}]}
    avenants:
      - {number: 1, date: 2021-02-01, carry_overs: [{from_year: 2021, ae: 50, cp: 10}]}
      - {number: 2, date: 2021-09-01, team_cap: 650, total: 1100, years: [{year: 2022, ae: 700, cp: 1000}]}
    ledger: agree.ledger
""").replace("{SMALL_HEAD}\n", SMALL_HEAD)

TEAMS = ("alpha", "beta")
YEARS = (2021, 2022)
EFFECTIVE = dt.date(2021, 2, 1)
END = dt.date(2022, 12, 31)
AV1, AV2 = dt.date(2021, 2, 1), dt.date(2021, 9, 1)
MONTHS = [f"{y}-{m:02d}" for y in YEARS for m in range(1, 13)]  # the period's months


def euros(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def cents(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((frac + "00")[:2]))


def month_end(month: str) -> dt.date:
    year, mon = map(int, month.split("-"))
    return dt.date(year, mon, calendar.monthrange(year, mon)[1])


# The limits in force, written out by hand from the avenants above ---------------------------


@dataclass(frozen=True)
class Limits:
    cap: int
    total: int
    ae: dict[int, int]  # opened, carry-ins included from the avenant's date
    cp: dict[int, int]
    ae_out: dict[int, int]  # carried out to the next year, whatever the avenant's date
    cp_out: dict[int, int]


def limits_at(day: dt.date) -> Limits:
    cap, total = 600_00, 1000_00
    ae, cp = {2021: 400_00, 2022: 600_00}, {2021: 100_00, 2022: 900_00}
    # Avenant n° 1 carries 50 € of AE and 10 € of CP out of 2021: never usable in 2021, on
    # any day, before its date too.
    ae_out, cp_out = {2021: 50_00, 2022: 0}, {2021: 10_00, 2022: 0}
    if day >= AV1:  # … and they open in 2022 from its date
        ae[2022] += 50_00
        cp[2022] += 10_00
    if day >= AV2:  # cap + 50 €, envelope + 100 €, AE and CP 2022 + 100 €
        cap += 50_00
        total += 100_00
        ae[2022] += 100_00
        cp[2022] += 100_00
    return Limits(cap, total, ae, cp, ae_out, cp_out)


# The operations and the figures they give, computed independently ---------------------------


@dataclass
class Op:
    kind: str  # commitment, payment, release, forecast, note
    date: dt.date
    team: str
    amount: int = 0
    ref: str = ""  # a commitment's bon de commande; the commitment paid or released; a forecast's month
    forecast_type: str = ""


@dataclass
class Figures:
    """What a replay of the operations dated up to a day gives (by hand)."""

    team_net: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    team_paid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ae_used: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    cp_used: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    released_earlier: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    committed: dict[str, tuple[str, dt.date, int]] = field(default_factory=dict)  # ref: team, date, amount
    paid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    released: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def remaining(self, ref: str) -> int:
        return self.committed[ref][2] - self.paid[ref] - self.released[ref]

    @property
    def total_net(self) -> int:
        return sum(self.team_net.values())

    @property
    def total_paid(self) -> int:
        return sum(self.cp_used.values())


def figures(ops: list[Op], day: dt.date) -> Figures:
    out = Figures()
    for op in ops:
        if op.date > day:
            continue
        if op.kind == "commitment":
            out.committed[op.ref] = (op.team, op.date, op.amount)
            out.team_net[op.team] += op.amount
            out.ae_used[op.date.year] += op.amount
        elif op.kind == "payment":
            out.paid[op.ref] += op.amount
            out.team_paid[op.team] += op.amount
            out.cp_used[op.date.year] += op.amount
        elif op.kind == "release":
            out.released[op.ref] += op.amount
            out.team_net[op.team] -= op.amount
            if out.committed[op.ref][1].year == op.date.year:  # AE back only within its year
                out.ae_used[op.date.year] -= op.amount
            else:
                out.released_earlier[op.date.year] += op.amount
    return out


def commit_headroom(fig: Figures, team: str, day: dt.date) -> int:
    lim = limits_at(day)
    year = day.year
    return min(lim.cap - fig.team_net[team],
               lim.ae[year] - lim.ae_out[year] - fig.ae_used[year],
               lim.total - fig.total_net)


def cp_headroom(fig: Figures, day: dt.date) -> int:
    lim = limits_at(day)
    return lim.cp[day.year] - lim.cp_out[day.year] - fig.cp_used[day.year]


# Driving the CLI -----------------------------------------------------------------------------


def args_of(op: Op, whole: bool = False) -> list[str]:
    date = op.date.isoformat()
    if op.kind == "commitment":
        return ["commit", "--team", op.team, euros(op.amount), "--date", date, "--ref", op.ref, "--kind", "devops"]
    if op.kind == "payment":
        return ["pay", op.ref, euros(op.amount), "--date", date, "--service-fait", date]
    if op.kind == "release":
        return ["release", op.ref, *([] if whole else [euros(op.amount)]), "--date", date]
    if op.kind == "forecast":
        return ["forecast", "--team", op.team, euros(op.amount), "--month", op.ref, "--type",
                op.forecast_type, "--date", date]
    return ["note", "--team", op.team, f"Avancement {op.ref}", "--date", date]


def run(cli: Cli, conv: Path, *args: str) -> Result:
    return cli(*args, "--convention", str(conv))


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result


def report(cli: Cli, conv: Path, month: str) -> dict:  # type: ignore[type-arg]
    result = run(cli, conv, "report", "--format", "json", "--month", month)
    assert (result.exit_code, result.stderr) == (0, ""), result
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@st.composite
def ledgers(draw: st.DrawFn) -> list[tuple[Op, bool]]:
    """Random valid operations in date order, each within what the limits of its date allow;
    with, for each, whether a release is written without amount (the whole reste)."""
    span = (END - EFFECTIVE).days
    days = sorted(draw(st.lists(st.integers(0, span), min_size=1, max_size=14)))
    ops: list[tuple[Op, bool]] = []
    for n, offset in enumerate(days):
        day = EFFECTIVE + dt.timedelta(days=offset)
        done = [op for op, _ in ops]
        fig = figures(done, day)
        kind = draw(st.sampled_from(["commitment", "commitment", "commitment", "payment", "payment",
                                     "release", "release", "forecast", "note"]))
        team = draw(st.sampled_from(TEAMS))
        whole = False
        if kind in ("payment", "release"):
            open_refs = sorted(ref for ref in fig.committed if fig.remaining(ref) > 0)
            room = cp_headroom(fig, day) if kind == "payment" else 1
            if not open_refs or room <= 0:
                kind = "commitment"  # nothing to pay or release yet
            else:
                ref = draw(st.sampled_from(open_refs))
                most = min(fig.remaining(ref), room) if kind == "payment" else fig.remaining(ref)
                amount = draw(st.one_of(st.just(most), st.integers(1, most)))
                whole = kind == "release" and amount == fig.remaining(ref) and draw(st.booleans())
                op = Op(kind, day, fig.committed[ref][0], amount, ref)
        if kind == "commitment":
            most = commit_headroom(fig, team, day)
            if most <= 0:
                kind = "note"  # nothing left to commit for this team on this day
            else:
                amount = draw(st.one_of(st.just(most), st.integers(1, most), st.integers(1, min(most, 100_00))))
                op = Op("commitment", day, team, amount, f"BC-{n}")
        if kind == "forecast":
            # within the convention's months, from the forecast's own month (an earlier one is refused)
            month = draw(st.sampled_from([m for m in MONTHS[1:] if m >= day.strftime("%Y-%m")] or MONTHS[-1:]))
            op = Op("forecast", day, team, draw(st.integers(1, 500_00)), month, draw(st.sampled_from(["ae", "cp"])))
        if kind == "note":
            op = Op("note", day, team, 0, str(n))
        ops.append((op, whole))
    return ops


def check_figures(data: dict, ops: list[Op], month: str) -> None:  # type: ignore[type-arg]
    as_of = month_end(month)
    assert data["as_of"] == as_of.isoformat()
    fig = figures(ops, as_of)
    lim = limits_at(as_of)
    first = as_of.replace(day=1)
    in_month = [op for op in ops if first <= op.date <= as_of]
    assert data["entries_counted"] == sum(op.date <= as_of for op in ops)
    assert data["convention"]["avenants_in_force"] == [n for n, d in ((1, AV1), (2, AV2)) if d <= as_of]
    teams = {t["team"]: t for t in data["teams"]}
    for team in TEAMS:
        remaining = sum(fig.remaining(ref) for ref, (t, _, _) in fig.committed.items() if t == team)
        month_net = sum(op.amount for op in in_month if op.team == team and op.kind == "commitment") - sum(
            op.amount for op in in_month if op.team == team and op.kind == "release")
        expected = {
            "cap": euros(lim.cap),
            "ae_committed": euros(fig.team_net[team]),
            "ae_committed_month": euros(month_net),
            "cp_paid": euros(fig.team_paid[team]),
            "cp_paid_month": euros(sum(op.amount for op in in_month if op.team == team and op.kind == "payment")),
            "remaining_to_pay": euros(remaining),
            "available": euros(lim.cap - fig.team_net[team]),
        }
        assert {k: teams[team][k] for k in expected} == expected, team
    years = {y["year"]: y for y in data["years"]}
    for year in YEARS:
        expected = {
            "ae_open": euros(lim.ae[year]),
            "ae_committed": euros(fig.ae_used[year]),
            "ae_available": euros(lim.ae[year] - lim.ae_out[year] - fig.ae_used[year]),
            "released_earlier_years": euros(fig.released_earlier[year]),
            "cp_open": euros(lim.cp[year]),
            "cp_paid": euros(fig.cp_used[year]),
            "cp_available": euros(lim.cp[year] - lim.cp_out[year] - fig.cp_used[year]),
        }
        assert {k: years[year][k] for k in expected} == expected, year
    remaining = sum(fig.remaining(ref) for ref in fig.committed)
    assert data["totals"] == {
        "envelope": euros(lim.total),
        "ae_committed": euros(fig.total_net),
        "ae_available": euros(lim.total - fig.total_net),
        "cp_paid": euros(fig.total_paid),
        "cp_available": euros(lim.total - fig.total_paid),
        "remaining_to_pay": euros(remaining),
    }


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=ledgers(), data=st.data())
def test_report_control_and_ledger_agree(script: list[tuple[Op, bool]], data: st.DataObject) -> None:
    ops = [op for op, _ in script]
    cli = Cli(Path.cwd())
    with tempfile.TemporaryDirectory() as folder:
        conv = Path(folder) / "convention.yaml"
        conv.write_text(AGREE, encoding="utf-8")
        ledger = Path(folder) / "agree.ledger"
        for op, whole in script:
            ok(run(cli, conv, *args_of(op, whole)))
        checked = run(cli, conv, "check")
        assert checked.exit_code == 0, (checked.stdout, checked.stderr)
        assert f": {len(ops)} entr" in checked.stdout, checked.stdout

        # The figures of a random month of the period.
        month = data.draw(st.sampled_from(MONTHS), label="month")
        check_figures(report(cli, conv, month), ops, month)

        # What a report from the last entry's month on says is available is what is accepted.
        last = max(op.date for op in ops).strftime("%Y-%m")
        probe_month = data.draw(st.sampled_from([m for m in MONTHS if m >= last]), label="probe month")
        day = month_end(probe_month)
        rep = report(cli, conv, probe_month)
        check_figures(rep, ops, probe_month)
        team = data.draw(st.sampled_from(TEAMS), label="team")
        headroom = next(cents(t["available"]) for t in rep["teams"] if t["team"] == team)
        year_ae = next(cents(y["ae_available"]) for y in rep["years"] if y["year"] == day.year)
        envelope = cents(rep["totals"]["ae_available"])
        most = min(headroom, year_ae, envelope)
        assert most == commit_headroom(figures(ops, day), team, day)
        before = sha(ledger)
        probe = ["commit", "--team", team, "--date", day.isoformat(), "--dry-run"]
        if most > 0:
            exact = run(cli, conv, *probe, euros(most))
            assert exact.exit_code == 0, (
                f"the report of {probe_month} leaves {euros(most)} for {team} (team {euros(headroom)}, "
                f"AE {day.year} {euros(year_ae)}, envelope {euros(envelope)}), refused: {exact.stderr!r}")
        more = run(cli, conv, *probe, euros(max(most, 0) + 1))
        assert more.exit_code == 1, (f"{euros(max(most, 0) + 1)} accepted for {team} on {day}: "
                                     f"{more.stdout!r}")
        assert more.stdout == ""

        # The same for a payment on the open commitment with the largest reste à payer.
        open_commitments = sorted(rep["open_commitments"], key=lambda o: (-cents(o["remaining_to_pay"]), o["ref"]))
        if open_commitments:
            target = open_commitments[0]
            cp_left = next(cents(y["cp_available"]) for y in rep["years"] if y["year"] == day.year)
            most = min(cents(target["remaining_to_pay"]), cp_left)
            pay = ["pay", target["ref"], "--date", day.isoformat(), "--service-fait", day.isoformat(), "--dry-run"]
            if most > 0:
                exact = run(cli, conv, *pay, euros(most))
                assert exact.exit_code == 0, (f"{euros(most)} on {target['ref']} refused: {exact.stderr!r}")
            more = run(cli, conv, *pay, euros(max(most, 0) + 1))
            assert more.exit_code == 1, (f"{euros(max(most, 0) + 1)} on {target['ref']} accepted: "
                                         f"{more.stdout!r}")
        assert sha(ledger) == before


@pytest.mark.slow
def test_the_carry_over_rule_on_a_fixed_ledger(tmp_path: Path) -> None:
    # 2021 used up to what avenant n° 1 leaves: AE 400 − 50 carried over = 350 committed;
    # CP 100 − 10 carried over = 90 paid.
    ops = [Op("commitment", dt.date(2021, 3, 1), "alpha", 350_00, "BC-1"),
           Op("payment", dt.date(2021, 4, 1), "alpha", 90_00, "BC-1")]
    cli = Cli(tmp_path)
    conv = tmp_path / "convention.yaml"
    conv.write_text(AGREE, encoding="utf-8")
    for op in ops:
        ok(run(cli, conv, *args_of(op)))
    for month in MONTHS:
        check_figures(report(cli, conv, month), ops, month)
    # January 2021, before avenant n° 1 (2021-02-01): the 50 of AE and 10 of CP carried out of
    # 2021 are already subtracted (400 − 50 − 0 = 350; 100 − 10 − 0 = 90); 2022 is not yet
    # credited with them (600, 900).
    january = {y["year"]: (y["ae_open"], y["ae_carried_over"], y["ae_available"], y["cp_open"],
                           y["cp_carried_over"], y["cp_available"]) for y in report(cli, conv, "2021-01")["years"]}
    assert january == {2021: ("400.00", "50.00", "350.00", "100.00", "10.00", "90.00"),
                       2022: ("600.00", "0.00", "600.00", "900.00", "0.00", "900.00")}
    # Nothing of 2021 is left: 350 − 350 = 0 of AE, 90 − 90 = 0 of CP; one cent is refused.
    ledger = tmp_path / "agree.ledger"
    before = sha(ledger)
    refused = run(cli, conv, "commit", "--team", "beta", "0.01", "--date", "2021-12-31", "--dry-run")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert "takes AE 2021 to" in refused.stderr, refused.stderr
    refused = run(cli, conv, "pay", "BC-1", "0.01", "--date", "2021-12-31", "--dry-run")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert "takes CP 2021 to" in refused.stderr, refused.stderr
    assert sha(ledger) == before


# No command creates any file but the ledger --------------------------------------------------


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_no_command_creates_any_file_but_the_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, cache, work = tmp_path / "home", tmp_path / "xdg-cache", tmp_path / "work"
    for folder in (home, cache, work):
        folder.mkdir()
    (work / "convention.yaml").write_text(AGREE, encoding="utf-8")
    (work / "rows.csv").write_text("date,kind,team,amount,ref\n2021-06-01,commitment,beta,10.00,BC-CSV\n",
                                   encoding="utf-8")
    monkeypatch.chdir(work)
    monkeypatch.delenv("DELEGATION_CONVENTION", raising=False)
    env = {"HOME": str(home), "XDG_CACHE_HOME": str(cache)}
    cli = Cli(work)
    before = tree(tmp_path)

    def must(expected: int, *args: str) -> Result:
        result = cli(*args, env=env)
        assert result.exit_code == expected, (args, result.stdout, result.stderr)
        return result

    must(0, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    must(0, "pay", "BC-1", "20", "--date", "2021-04-01", "--service-fait", "2021-03-30")
    must(0, "release", "BC-1", "5", "--date", "2021-04-15")
    must(0, "forecast", "--team", "beta", "30", "--month", "2021-07", "--type", "ae", "--date", "2021-04-20")
    must(0, "note", "--team", "alpha", "Démarrage", "--date", "2021-04-21")
    must(1, "commit", "--team", "alpha", "1000", "--date", "2021-05-01")  # refused
    for dry in (["commit", "--team", "beta", "10", "--date", "2021-05-02"],
                ["pay", "BC-1", "10", "--date", "2021-05-02"],
                ["release", "BC-1", "--date", "2021-05-02"],
                ["forecast", "--team", "beta", "5", "--month", "2021-08", "--type", "cp", "--date", "2021-05-02"],
                ["note", "--team", "beta", "Essai", "--date", "2021-05-02"]):
        must(0, *dry, "--dry-run")
    must(0, "check")
    must(0, "check", "--format", "json")
    for fmt in ("table", "json", "csv"):
        must(0, "log", "--format", fmt)
    for fmt in ("table", "json", "csv", "markdown"):
        must(0, "report", "--month", "2021-04", "--format", fmt)
    must(0, "report", "--final", "--format", "json")
    for fmt in ("hledger", "beancount", "csv", "json"):
        assert must(0, "export", "--format", fmt).stdout
    must(0, "close", "2021-04", "--dry-run")
    must(0, "import", "rows.csv", "--dry-run")
    must(0, "check")

    assert tree(tmp_path) == before | {"work/agree.ledger"}
    assert not any(home.iterdir()) and not any(cache.iterdir())

"""`delegation report`: every figure of every section, computed by hand from a scripted ledger.

The convention is conftest's MINI (2 teams capped at 600 €, envelope 1 000 €, AE 2021 400 €
/ CP 100 €, AE 2022 600 € / CP 900 €, avenant n° 1 on 2022-01-10 carrying 50 € of AE from
2021 to 2022, thresholds 80 % and 95 %).  The ledger below tells what happened; each
expected figure is worked out in the comments next to it.

The carry-over rule (``Convention.carried_out``): the 50 € the avenant carries out of 2021
can never be used in 2021, whatever the avenant's date (it states they were left unused),
so AE 2021 offers 400 − 50 = 350 € all year long, even before 2022-01-10; they open in 2022
only from the avenant's date (AE 2022 = 600 € before it, 650 € from it).  Rates, landings
and thresholds of 2021 are computed against those 350 €.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import MINI, ROOT, Cli, dedent, eur

LEDGER = dedent("""
    # delegation-ledger v1 convention=mini
    2021-03-01 commitment c-a1 alpha 200.00 ref=BC-A1 marche=dev prestation=devops "=cmd|' /C calc'!A0"
    2021-03-15 commitment c-b1 beta 120.00 ref=BC-B1 marche=coaching prestation=coaching
    2021-03-20 note n-1 alpha "Démarrage"
    2021-04-10 payment p-1 alpha 60.00 commitment=c-a1 sf=2021-04-01 ref=DP-1
    2021-04-20 forecast f-1 beta 30.00 month=2021-06 type=ae
    2021-04-20 forecast f-2 alpha 100.00 month=2022-02 type=cp
    2021-05-05 payment p-2 beta 40.00 commitment=c-b1 sf=2021-05-01
    2021-05-06 release r-1 beta 20.00 commitment=c-b1 "Reliquat"
    2021-06-01 forecast f-3 beta 25.00 month=2021-06 type=ae
    2022-02-01 payment p-3 alpha 140.00 commitment=c-a1 sf=2022-01-20
    2022-02-10 release r-2 beta 30.00 commitment=c-b1 "Clôture"
    2022-03-01 commitment c-a2 alpha 300.00 ref=BC-A2 marche=dev prestation=devops
    2022-03-05 payment p-4 beta 30.00 commitment=c-b1
""")


@pytest.fixture
def scripted(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    (tmp_path / "mini.ledger").write_text(LEDGER, encoding="utf-8")
    return cli


def report(cli: Cli, *args: str) -> dict:  # type: ignore[type-arg]
    result = cli("report", "--format", "json", *args)
    assert (result.exit_code, result.stderr) == (0, "")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def teams(data: dict) -> dict:  # type: ignore[type-arg]
    keys = ("cap", "ae_committed_month", "ae_committed", "available", "cp_paid_month", "cp_paid",
            "remaining_to_pay", "year_share", "year_committed")
    return {t["team"]: tuple(t[k] for k in keys) for t in data["teams"]}


def years(data: dict) -> dict:  # type: ignore[type-arg]
    keys = ("ae_open", "ae_committed", "ae_available", "ae_rate", "released_earlier_years",
            "cp_open", "cp_paid", "cp_available", "cp_rate")
    return {y["year"]: tuple(y[k] for k in keys) for y in data["years"]}


def cp_on_ae(data: dict, year: int) -> list[str]:  # type: ignore[type-arg]
    table = next(y["cp_on_ae"] for y in data["years"] if y["year"] == year)
    return [table[c] for c in ("E1", "E2", "P1", "P2", "P3", "P4", "R1", "R2", "R3", "R4", "R5", "R6", "P5")]


def test_month_before_any_payment(scripted: Cli) -> None:
    data = report(scripted, "--month", "2021-03")
    assert (data["month"], data["as_of"], data["entries_counted"]) == ("2021-03", "2021-03-31", 3)
    assert data["convention"]["avenants_in_force"] == []
    # alpha: c-a1 200 in March; beta: c-b1 120 in March; nothing paid.
    assert teams(data) == {
        "alpha": ("600.00", "200.00", "200.00", "400.00", "0.00", "0.00", "200.00", "200.00", "200.00"),
        "beta": ("600.00", "120.00", "120.00", "480.00", "0.00", "0.00", "120.00", "200.00", "120.00"),
    }
    # The 50 € carried out of 2021 are subtracted although avenant n° 1 (2022-01-10) is not in
    # force yet; 2022 carries nothing out.
    assert [(y["ae_carried_over"], y["cp_carried_over"]) for y in data["years"]] == [
        ("50.00", "0.00"), ("0.00", "0.00")]
    # 2021: 400 opened − 50 carried over − 320 committed = 30 available; rate 320 / (400 − 50)
    # = 91.43 % -> 91.4.  2022 untouched, and not yet credited with the 50 (avenant not in force).
    assert years(data) == {
        2021: ("400.00", "320.00", "30.00", "91.4", "0.00", "100.00", "0.00", "100.00", "0.0"),
        2022: ("600.00", "0.00", "600.00", "0.0", "0.00", "900.00", "0.00", "900.00", "0.0"),
    }
    assert data["totals"] == {"envelope": "1000.00", "ae_committed": "320.00", "ae_available": "680.00",
                              "cp_paid": "0.00", "cp_available": "1000.00", "remaining_to_pay": "320.00"}
    # E1 E2 P1 P2 P3 P4 R1 R2 R3 R4 R5 R6 P5 (E1 = AE opened, carry-overs not subtracted);
    # 2022's R1 = the 320 of 2021 not yet paid.
    assert cp_on_ae(data, 2021) == ["400.00", "320.00", "100.00", "0.00", "0.00", "0.00", "0.00", "0.00",
                                    "0.00", "0.00", "320.00", "320.00", "0.00"]
    assert cp_on_ae(data, 2022) == ["600.00", "0.00", "900.00", "0.00", "0.00", "0.00", "320.00", "0.00",
                                    "320.00", "320.00", "0.00", "320.00", "0.00"]
    assert [(m["marche"], m["committed"], m["paid"]) for m in data["marches"]] == [
        ("dev", "200.00", "0.00"), ("coaching", "120.00", "0.00")]
    assert [(p["prestation"], p["committed"]) for p in data["prestations"]] == [
        ("devops", "200.00"), ("coaching", "120.00")]
    assert [m["id"] for m in data["movements"]] == ["c-a1", "c-b1"]
    assert [(n["team"], n["label"]) for n in data["notes"]] == [("alpha", "Démarrage")]
    assert data["forecasts"] == []
    assert [(o["id"], o["remaining_to_pay"], o["age_days"]) for o in data["open_commitments"]] == [
        ("c-a1", "200.00", 30), ("c-b1", "120.00", 16)]
    # AE 2021: 320 / (400 − 50) = 91,4 %: past 80 %, not 95 %, so info.  Teams 200/600 and
    # 120/600, envelope 320/1 000, CP 0/100: below every threshold.
    assert data["alerts"] == [{
        "severity": "info", "code": "threshold",
        "message": f"AE 2021: 91,4\u00a0% consumed ({eur('320,00 €')} of {eur('350,00 €')}), past the "
                   "80\u00a0% threshold"}]


def test_month_with_payments_releases_and_forecasts(scripted: Cli) -> None:
    data = report(scripted, "--month", "2021-05")
    assert data["entries_counted"] == 8
    # beta: released 20 in May (same year: AE back); paid 40 in May; 120 - 20 - 40 = 60 to pay.
    assert teams(data) == {
        "alpha": ("600.00", "0.00", "200.00", "400.00", "0.00", "60.00", "140.00", "200.00", "200.00"),
        "beta": ("600.00", "-20.00", "100.00", "500.00", "40.00", "40.00", "60.00", "200.00", "100.00"),
    }
    # AE 2021: 200 + 120 − 20 released = 300 committed; 400 − 50 carried over − 300 = 50
    # available; rate 300 / 350 = 85.71 % -> 85.7.  CP 2021: 60 + 40 = 100 of 100 paid.
    assert years(data)[2021] == ("400.00", "300.00", "50.00", "85.7", "0.00", "100.00", "100.00", "0.00",
                                 "100.0")
    assert data["totals"]["remaining_to_pay"] == "200.00"
    # P4 = 60 + 40 paid in 2021 on 2021 commitments; R5 = 300 - 100; P5 = f-2, 100 of CP in 2022.
    assert cp_on_ae(data, 2021) == ["400.00", "300.00", "100.00", "100.00", "0.00", "100.00", "0.00",
                                    "0.00", "0.00", "0.00", "200.00", "200.00", "100.00"]
    # 2022's R1: 320 committed in 2021 - 60 - 40 paid - 20 released before 2022 = 200.
    assert cp_on_ae(data, 2022)[6:9] == ["200.00", "0.00", "200.00"]
    assert [(f["id"], f["month"], f["type"], f["amount"]) for f in data["forecasts"]] == [
        ("f-1", "2021-06", "ae", "30.00"), ("f-2", "2022-02", "cp", "100.00")]
    # Landing 2021: AE open 400 − 50 carried over = 350; landing 300 committed + 30 (f-1) = 330;
    # unused 350 − 330 = 20.  CP 100 − 100 paid − 0 forecast = 0.
    landing = {la["year"]: la for la in data["landing"]["years"]}
    assert (landing[2021]["ae_open"], landing[2021]["ae_landing"], landing[2021]["ae_unused"],
            landing[2021]["cp_unused"]) == ("350.00", "330.00", "20.00", "0.00")
    assert (landing[2022]["cp_forecast"], landing[2022]["cp_landing"], landing[2022]["cp_unused"]) == (
        "100.00", "100.00", "800.00")
    assert [(t["team"], t["ae_landing"], t["cp_landing"]) for t in data["landing"]["teams"]] == [
        ("alpha", "200.00", "160.00"), ("beta", "130.00", "40.00")]
    assert [m["id"] for m in data["movements"]] == ["p-2", "r-1"]
    # AE 2021: 300 / 350 = 85,7 % (past 80 %: info); CP 2021: 100 / 100 (past 95 %: warning).
    # The 30 of f-1 fit in the 50 of AE 2021 left: no forecast alert.  Warnings before infos.
    assert data["alerts"] == [
        {"severity": "warning", "code": "threshold",
         "message": f"CP 2021: 100,0\u00a0% consumed ({eur('100,00 €')} of {eur('100,00 €')}), past the "
                    "95\u00a0% threshold"},
        {"severity": "info", "code": "threshold",
         "message": f"AE 2021: 85,7\u00a0% consumed ({eur('300,00 €')} of {eur('350,00 €')}), past the "
                    "80\u00a0% threshold"}]


def test_a_later_forecast_replaces_an_earlier_one(scripted: Cli) -> None:
    # f-3 (recorded 2021-06-01) replaces f-1 for beta, 2021-06, ae; as of May only f-1 exists.
    assert [f["id"] for f in report(scripted, "--month", "2021-05")["forecasts"]] == ["f-1", "f-2"]
    may_landing = report(scripted, "--month", "2021-05")["landing"]["years"][0]["ae_forecast"]
    assert may_landing == "30.00"
    # From June on, 2021-06 is no longer a coming month.
    assert [f["id"] for f in report(scripted, "--month", "2021-06")["forecasts"]] == ["f-2"]


def test_month_after_the_avenant(scripted: Cli) -> None:
    data = report(scripted, "--month", "2022-03")
    assert data["entries_counted"] == 13
    assert data["convention"]["avenants_in_force"] == [1]
    assert [(y["ae_carried_over"], y["cp_carried_over"]) for y in data["years"]] == [
        ("50.00", "0.00"), ("0.00", "0.00")]
    assert teams(data) == {
        "alpha": ("600.00", "300.00", "500.00", "100.00", "0.00", "200.00", "300.00", None, "300.00"),
        "beta": ("600.00", "0.00", "70.00", "530.00", "30.00", "70.00", "0.00", None, "0.00"),
    }
    # 2022: AE 600 + 50 carried over = 650, of which 300 committed (46.2 %); the release of
    # beta's 2021 order in 2022 (30) restores no AE and is shown apart.  2021: with avenant
    # n° 1 in force, its 50 carried over leave 400 - 50 - 300 = 50 (300 of 350 usable: 85.7 %).
    assert years(data) == {
        2021: ("400.00", "300.00", "50.00", "85.7", "0.00", "100.00", "100.00", "0.00", "100.0"),
        2022: ("650.00", "300.00", "350.00", "46.2", "30.00", "900.00", "170.00", "730.00", "18.9"),
    }
    assert data["totals"] == {"envelope": "1000.00", "ae_committed": "570.00", "ae_available": "430.00",
                              "cp_paid": "270.00", "cp_available": "730.00", "remaining_to_pay": "300.00"}
    # P2 = 140 + 30, all on 2021 commitments (P3), none on 2022's (P4); R2 = -30; R4 = 170 - 170.
    assert cp_on_ae(data, 2022) == ["650.00", "300.00", "900.00", "170.00", "170.00", "0.00", "200.00",
                                    "-30.00", "170.00", "0.00", "300.00", "300.00", "0.00"]
    assert [(m["marche"], m["committed"], m["paid"]) for m in data["marches"]] == [
        ("dev", "500.00", "200.00"), ("coaching", "70.00", "70.00")]
    assert [m["id"] for m in data["movements"]] == ["c-a2", "p-4"]
    assert [(o["id"], o["remaining_to_pay"], o["age_days"]) for o in data["open_commitments"]] == [
        ("c-a2", "300.00", 30)]
    # 2022 is the convention's last year: what its landing leaves unused is said at once (AE: 650
    # usable − 300 committed − 0 forecast = 350; CP: 900 − 170 − 0 = 730), not only in November.
    assert data["alerts"] == [
        {"severity": "warning", "code": "unused-ae",
         "message": f"{eur('350,00 €')} of AE 2022 are likely to remain unconsumed at year end ({eur('650,00 €')} "
                    f"opened, {eur('300,00 €')} committed, {eur('0,00 €')} forecast): inform the délégant (art. 5)"},
        {"severity": "warning", "code": "unused-cp",
         "message": f"{eur('730,00 €')} of CP 2022 are likely to remain unconsumed at year end ({eur('900,00 €')} "
                    f"opened, {eur('170,00 €')} paid, {eur('0,00 €')} forecast): inform the délégant (art. 5)"},
        {"severity": "warning", "code": "payment-without-service-fait",
         "message": f"payment p-4 of {eur('30,00 €')} on 2022-03-05 (Beta) has no service fait date"},
        {"severity": "warning", "code": "burn-rate",
         "message": f"team Alpha committed {eur('300,00 €')} in the last 90 days; at that pace its "
                    f"{eur('100,00 €')} left under the cap last about 30 days: time to prepare the "
                    "investment committee"},
        {"severity": "info", "code": "threshold",
         "message": f"team Alpha cap: 83,3\u00a0% consumed ({eur('500,00 €')} of {eur('600,00 €')}), past "
                    "the 80\u00a0% threshold"},
    ]


def test_final_report(scripted: Cli) -> None:
    data = report(scripted, "--final")
    assert (data["final"], data["month"], data["as_of"]) == (True, "2022-12", "2022-12-31")
    assert data["unused"] == [{"year": 2021, "ae": "50.00", "cp": "0.00"},
                              {"year": 2022, "ae": "350.00", "cp": "730.00"}]
    assert [(a["severity"], a["code"]) for a in data["alerts"]] == [
        ("error", "ended-with-open-commitments"), ("warning", "unused-ae"), ("warning", "unused-cp"),
        ("warning", "unused-envelope"), ("warning", "stale-commitment"),
        ("warning", "payment-without-service-fait"), ("info", "threshold")]
    messages = [a["message"] for a in data["alerts"][1:]]
    assert data["alerts"][0]["message"] == (  # at its term, not « in 0 days »
        f"at the term of the convention (2022-12-31), {eur('300,00 €')} remain to pay on 1 open commitment: "
        f"BC-A2 (Alpha) {eur('300,00 €')}")
    assert messages[0] == (f"{eur('350,00 €')} of AE 2022 were not consumed at the term of the convention, "
                           f"definitively ({eur('650,00 €')} opened, {eur('300,00 €')} committed): inform the "
                           "délégant (art. 5)")
    assert messages[1] == (f"{eur('730,00 €')} of CP 2022 were not consumed at the term of the convention, "
                           f"definitively ({eur('900,00 €')} opened, {eur('170,00 €')} paid): inform the "
                           "délégant (art. 5)")
    assert messages[2] == (f"{eur('430,00 €')} of the {eur('1 000,00 €')} envelope are not committed at the "
                           "convention's end: inform the délégant (art. 5)")
    assert messages[3] == (f"commitment BC-A2 (Alpha) committed on 2022-03-01: no payment for more "
                           f"than 4 months, {eur('300,00 €')} still to pay")
    assert [(o["id"], o["remaining_to_pay"], o["age_days"]) for o in data["open_commitments"]] == [
        ("c-a2", "300.00", 305)]  # 2022-03-01 -> 2022-12-31
    # No entry after March 2022: the final figures are those worked out for 2022-03.
    march = report(scripted, "--month", "2022-03")
    def cumulative(d: dict) -> dict:  # type: ignore[type-arg]
        return {k: v[:1] + v[2:4] + v[5:] for k, v in teams(d).items()}  # without the month's columns

    assert (cumulative(data), years(data), data["totals"]) == (cumulative(march), years(march), march["totals"])
    assert {t["ae_committed_month"] for t in data["teams"]} == {"0.00"}
    assert data["entries_counted"] == 13 and data["forecasts"] == []
    # The account at the term lists every movement of the convention (9 of the 13 entries), team by team.
    assert [(m["team"], m["id"]) for m in data["movements"]] == sorted(
        ((m["team"], m["id"]) for m in data["movements"]), key=lambda tm: ["alpha", "beta"].index(tm[0]))
    assert len(data["movements"]) == 9


def test_alerts_not_triggered_when_things_are_fine(scripted: Cli, tmp_path: Path) -> None:
    (tmp_path / "mini.ledger").write_text(LEDGER.split("2021-03-15")[0], encoding="utf-8")
    data = report(scripted, "--month", "2021-03")
    assert data["alerts"] == []  # 200 of 400 AE 2021, 200 of alpha's 600: below every threshold


def test_forecasts_beyond_what_is_available(scripted: Cli, tmp_path: Path) -> None:
    (tmp_path / "mini.ledger").write_text(LEDGER + dedent("""
        2022-03-20 forecast f-9 alpha 400.00 month=2022-06 type=ae
    """), encoding="utf-8")
    data = report(scripted, "--month", "2022-03")
    codes = [(a["code"], a["message"]) for a in data["alerts"] if a["code"].startswith("forecast")]
    assert codes == [
        ("forecast-exceeds-ae", f"forecast orders of {eur('400,00 €')} in 2022 exceed the {eur('350,00 €')} of "
                                f"AE 2022 still available ({eur('50,00 €')} short): inform the délégant without "
                                "delay (art. 5)"),
        ("forecast-exceeds-cap", f"team Alpha: forecast orders of {eur('400,00 €')} exceed its {eur('100,00 €')} "
                                 f"left under the cap ({eur('300,00 €')} short): inform the délégant without delay "
                                 "(art. 5)"),
    ]


def test_a_hand_edited_ledger_is_refused_unless_allowed(scripted: Cli, tmp_path: Path) -> None:
    # c-a2 (line 13 of the file: the header, then 12 entries before it) raised from 300 to 450:
    # alpha had 200 (c-a1), 200 + 450 = 650 > the 600 cap (available 600 − 200 = 400).  Nothing
    # else breaks: AE 2022 450 ≤ 600 + 50 carried in (avenant in force since 2022-01-10);
    # envelope 200 + 120 − 20 − 30 + 450 = 720 ≤ 1 000; AE 2021 300 ≤ 400 − 50.
    edited = LEDGER.replace("commitment c-a2 alpha 300.00", "commitment c-a2 alpha 450.00")
    (tmp_path / "mini.ledger").write_text(edited, encoding="utf-8")
    problem = (f"alpha: commitment of {eur('450,00 €')} takes the team to {eur('650,00 €')}, above its cap of "
               f"{eur('600,00 €')} (available {eur('400,00 €')}, asked {eur('450,00 €')}); insufficient credits: "
               "inform the délégant without delay (art. 5)")
    rendered = f"mini.ledger:13: error: {problem}"

    # (a) Without --allow-invalid: refused, nothing on stdout, the errors `check` prints on stderr.
    for fmt in ("table", "json", "csv", "markdown"):
        refused = scripted("report", "--month", "2022-03", "--format", fmt)
        assert (refused.exit_code, refused.stdout) == (1, ""), fmt
        assert refused.stderr == f"{rendered}\n", fmt
    checked = scripted("check")
    assert checked.exit_code == 1
    assert [line for line in checked.stderr.splitlines() if ": error: " in line] == [rendered]

    # (b) With --allow-invalid: rendered, the ledger's errors first among the alerts.
    allowed = scripted("report", "--month", "2022-03", "--allow-invalid", "--format", "json")
    assert (allowed.exit_code, allowed.stderr) == (0, "")
    data = json.loads(allowed.stdout)
    assert data["alerts"][0] == {"severity": "error", "code": "ledger-team-cap-exceeded", "message": rendered}
    assert [a for a in data["alerts"] if a["code"].startswith("ledger-")] == data["alerts"][:1]
    assert data["invalid"] == [{"file": "mini.ledger", "line": 13, "column": None, "severity": "error",
                                "code": "team-cap-exceeded", "message": problem}]
    table = scripted("report", "--month", "2022-03", "--allow-invalid", env={"NO_COLOR": "1"})
    assert table.exit_code == 0
    assert table.stdout.startswith("LEDGER INVALID")
    # A valid ledger: nothing invalid, and the flag changes nothing.
    (tmp_path / "mini.ledger").write_text(LEDGER, encoding="utf-8")
    assert report(scripted, "--month", "2022-03")["invalid"] == []
    assert report(scripted, "--month", "2022-03", "--allow-invalid") == report(scripted, "--month", "2022-03")


def test_team_filter(scripted: Cli) -> None:
    data = report(scripted, "--month", "2022-03", "--team", "beta")
    assert [t["team"] for t in data["teams"]] == ["beta"]
    assert [m["id"] for m in data["movements"]] == ["p-4"]
    assert data["open_commitments"] == []
    assert [(m["marche"], m["committed"]) for m in data["marches"]] == [("coaching", "70.00")]
    bad = scripted("report", "--team", "gamma")
    assert (bad.exit_code, bad.stdout) == (2, "")
    assert bad.stderr == "error: --team 'gamma' is not a team of the convention (expected one of: alpha, beta)\n"


def test_fail_on_alert(scripted: Cli) -> None:
    # 2021-03: only AE 2021 at 320 / 350 = 91,4 %, past 80 % but not 95 %: info.
    assert scripted("report", "--month", "2021-03", "--fail-on-alert").exit_code == 0  # info only
    failing = scripted("report", "--month", "2021-05", "--fail-on-alert", "--format", "json")
    assert failing.exit_code == 1
    # 2021-05: AE 2021 300 / 350 = 85,7 % (info), CP 2021 100 / 100 (warning: the failure).
    assert [(a["severity"], a["message"][:7]) for a in json.loads(failing.stdout)["alerts"]] == [
        ("warning", "CP 2021"), ("info", "AE 2021")]
    assert scripted("report", "--month", "2021-05").exit_code == 0


def test_default_month_is_clamped_to_the_period(scripted: Cli) -> None:
    # The convention ended in 2022: today's month is past its end, so the last month is shown.
    assert report(scripted)["month"] == "2022-12"


def test_csv_sections_and_formula_neutralisation(scripted: Cli) -> None:
    result = scripted("report", "--month", "2021-03", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    sections = [r[0] for r in rows if r and r[0].startswith("# ")]
    assert sections == ["# header", "# synthese", "# alerts", "# teams", "# team_payments", "# team_shares",
                        "# years_ae", "# years_cp", "# totals", "# cp_on_ae", "# forecasts", "# landing_ae",
                        "# landing_cp", "# landing_teams", "# landing_team_payments", "# notes", "# movements",
                        "# corrections", "# open_commitments", "# marches", "# prestations", "# identification",
                        "# fingerprint"]
    teams_at = rows.index(["# teams"])
    assert rows[teams_at + 1] == ["Team", "Cap", "In month", "Committed", "Available", "% of cap"]
    assert rows[teams_at + 2] == ["alpha", "600.00", "200.00", "200.00", "400.00", "33.3"]
    assert rows[teams_at + 3] == ["beta", "600.00", "120.00", "120.00", "480.00", "20.0"]
    years_at = rows.index(["# years_ae"])
    assert rows[years_at + 1] == ["Year", "Opened", "Carried over", "Committed", "Available", "Rate",
                                  "Released, earlier years"]
    # 400 opened, 50 carried over to 2022, 320 committed: 400 − 50 − 320 = 30; 320 / 350 = 91.4 %.
    assert rows[years_at + 2] == ["2021", "400.00", "50.00", "320.00", "30.00", "91.4", "0.00"]
    movement = next(r for r in rows if r and r[0] == "2021-03-01")
    assert movement[-1] == "'=cmd|' /C calc'!A0"  # neutralised: a spreadsheet shows it as text


def test_markdown(scripted: Cli) -> None:
    result = scripted("report", "--month", "2021-03", "--format", "markdown")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "# Monthly report of March 2021 — Mini convention"
    assert "| Month | March 2021 |" in lines
    i = lines.index("## Teams: commitments (AE) under the cap")
    assert lines[i + 2] == "| Team | Cap | In month | Committed | Available | % of cap | Bar |"
    assert lines[i + 4] == (f"| Alpha | {eur('600,00 €')} | {eur('200,00 €')} | {eur('200,00 €')} | "
                            f"{eur('400,00 €')} | 33,3\u00a0% | ███░░░░░░░ |")
    row = f"| 2021-03-01 | commitment | Alpha | {eur('200,00 €')} | BC-A1 dev devops | =cmd\\|' /C calc'!A0 |"
    assert row in lines


GOLDEN = ROOT / "tests" / "golden" / "report-mini-2021-05.txt"


def test_table_golden(scripted: Cli) -> None:
    result = scripted("report", "--month", "2021-05", env={"COLUMNS": "100", "NO_COLOR": "1"})
    assert result.exit_code == 0
    assert "\x1b[" not in result.stdout
    assert result.stdout == GOLDEN.read_text(encoding="utf-8")


def test_json_matches_its_documented_schema(scripted: Cli) -> None:
    import jsonschema

    doc = (ROOT / "docs" / "report-json.md").read_text(encoding="utf-8")
    schema = json.loads(doc.split("```json\n", 1)[1].split("```", 1)[0])
    for args in (("--month", "2021-03"), ("--month", "2022-03"), ("--final",)):
        jsonschema.validate(report(scripted, *args), schema)


def test_forecast_payments_beyond_the_cp_of_the_year(scripted: Cli, tmp_path: Path) -> None:
    (tmp_path / "mini.ledger").write_text(LEDGER + dedent("""
        2022-03-20 forecast f-9 alpha 731.00 month=2022-11 type=cp
    """), encoding="utf-8")
    alerts = report(scripted, "--month", "2022-03")["alerts"]
    assert [a for a in alerts if a["code"] == "forecast-exceeds-cp"] == [{
        "severity": "warning", "code": "forecast-exceeds-cp",
        "message": f"forecast payments of {eur('731,00 €')} in 2022 exceed the {eur('730,00 €')} of CP 2022 "
                   f"still available ({eur('1,00 €')} short): inform the délégant without delay (art. 5)"}]
    (tmp_path / "mini.ledger").write_text(LEDGER + dedent("""
        2022-03-20 forecast f-9 alpha 730.00 month=2022-11 type=cp
    """), encoding="utf-8")
    alerts = report(scripted, "--month", "2022-03")["alerts"]
    assert [a for a in alerts if a["code"].startswith("forecast")] == []


def test_the_final_report_lists_the_reste_a_payer_at_the_term(scripted: Cli) -> None:
    data = report(scripted, "--final")
    open_commitments = [(o["id"], o["remaining_to_pay"]) for o in data["open_commitments"]]
    assert sum(int(r.replace(".", "")) for _, r in open_commitments) == 300_00
    listed = "; ".join(f"{ident} ({team}) {eur(fr)}" for ident, team, fr in (
        (o["ref"] or o["id"], o["team"].capitalize(), o["remaining_to_pay"].replace(".", ",") + " €")
        for o in data["open_commitments"]))
    facts = (f"at the term of the convention (2022-12-31), {eur('300,00 €')} remain to pay on "
             f"{len(open_commitments)} open commitment{'s' if len(open_commitments) > 1 else ''}: {listed}")
    assert data["alerts"][0] == {"severity": "error", "code": "ended-with-open-commitments", "message": facts}
    assert data["synthese"]["inform_delegant"]["term"] == [facts]
    assert f"– {facts}" in data["synthese"]["text"]
    after = scripted("report", "--month", "2023-01")
    assert (after.exit_code, after.stderr) == (2, (
        "error: 2023-01 is after the convention's last month, 2022-12: report a month up to 2022-12, or the "
        "account at the term with --final\n"))


def test_p5_counts_the_cp_forecast_recorded_by_the_years_end_never_above_r6(seed_example: Cli) -> None:
    """P5 on the seed example.  By hand: the 120 000 € of AE 2019 are all committed in
    December 2019 and nothing is paid in 2019 (CP 2019 = 0), so R6 2019 = 120 000 €; the
    seed's forecasts are all recorded on 25/06/2020, so none counts for 2019: P5 2019 = 0
    (it once summed every 2020 forecast: 330 000 €, above R6)."""
    cli = seed_example

    def p5_r6_2019() -> tuple[str, str]:
        figures = cp_on_ae(report(cli, "--month", "2020-06", "--lang", "en"), 2019)
        return figures[-1], figures[-2]

    assert p5_r6_2019() == ("0.00", "120000.00")
    # A payment forecast for February 2020 recorded on 20/12/2019 counts: 50 000 €.
    assert cli("forecast", "--team", "friches", "50000", "--month", "2020-02", "--type", "cp",
               "--date", "2019-12-20").exit_code == 0
    assert p5_r6_2019() == ("50000.00", "120000.00")
    # One recorded in 2020 is next year's news, not the year-end estimate: still 50 000 €.
    assert cli("forecast", "--team", "biocarburants", "30000", "--month", "2020-03", "--type", "cp",
               "--date", "2020-01-10").exit_code == 0
    assert p5_r6_2019() == ("50000.00", "120000.00")
    # 50 000 + 100 000 recorded by 31/12/2019 = 150 000 €, capped at R6: 120 000 €.
    assert cli("forecast", "--team", "acces-4-all", "100000", "--month", "2020-04", "--type", "cp",
               "--date", "2019-12-21").exit_code == 0
    assert p5_r6_2019() == ("120000.00", "120000.00")
    assert cli("check").exit_code == 0

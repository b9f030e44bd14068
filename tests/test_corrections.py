"""Corrections without rewriting history: `cancel`, `service-fait`, a forecast withdrawn.

Every figure below is worked out by hand from the lines each test records on MINI (2 teams
capped at 600 €, envelope 1 000 €, AE 2021 = 400 €, CP 2021 = 100 €, AE 2022 = 600 €,
CP 2022 = 900 €; 50 € of AE 2021 carried over to 2022 by avenant n° 1 of 10/01/2022)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import MINI, Cli, eur, sha

LEDGER = "mini.ledger"


@pytest.fixture
def mini(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    return cli


def ok(cli: Cli, *args: str) -> str:
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def entries(cli: Cli) -> list[dict[str, object]]:
    return json.loads(ok(cli, "log", "--format", "json"))  # type: ignore[no-any-return]


def report(cli: Cli, month: str) -> dict:  # type: ignore[type-arg]
    return json.loads(ok(cli, "report", "--month", month, "--format", "json"))  # type: ignore[no-any-return]


# cancel ---------------------------------------------------------------------------------


def test_an_order_on_the_wrong_team_is_cancelled_and_recorded_again_on_the_right_one(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "300.50", "--date", "2021-03-01", "--ref", "BC-9")
    taken = mini("commit", "--team", "beta", "300.50", "--date", "2021-03-02", "--ref", "BC-9")
    assert taken.exit_code == 1 and "bon de commande BC-9 is already recorded" in taken.stderr
    done = mini("cancel", "BC-9", "--reason", "Saisi sur la mauvaise équipe", "--date", "2021-03-02")
    assert done.exit_code == 0, done.stderr
    commitment = entries(mini)[0]["id"]
    assert done.stdout.splitlines()[0].startswith(
        "Recorded cancellation x-")
    assert done.stdout.splitlines()[0].endswith(
        f", 2021-03-02, alpha, cancels commitment {commitment} (BC-9) {eur('300,50 €')} dated 2021-03-01")
    # alpha back to 0 of 600; AE 2021: 400 opened − 50 carried over − 0 = 350 available.
    assert done.stdout.splitlines()[1:] == [
        f"  team alpha       {eur('600,00 €'):>14}   committed {eur('0,00 €'):>14}   available {eur('600,00 €'):>14}",
        f"  AE 2021          {eur('400,00 €'):>14}   committed {eur('0,00 €'):>14}   available {eur('350,00 €'):>14}",
        f"                   less {eur('50,00 €')} carried over to 2022 by avenant",
        f"  envelope         {eur('1 000,00 €'):>14}   committed {eur('0,00 €'):>14}   available "
        f"{eur('1 000,00 €'):>14}"]
    again = mini("commit", "--team", "beta", "300.50", "--date", "2021-03-02", "--ref", "BC-9")
    assert again.exit_code == 0, again.stderr  # the bon de commande is free again
    data = report(mini, "2021-03")
    assert [(t["team"], t["ae_committed"]) for t in data["teams"]] == [("alpha", "0.00"), ("beta", "300.50")]
    assert [m["kind"] for m in data["movements"]] == ["commitment", "commitment"]
    (correction,) = data["corrections"]
    assert (correction["kind"], correction["entry"], correction["label"]) == (
        "cancel", commitment, "Saisi sur la mauvaise équipe")
    assert (correction["corrects"]["id"], correction["corrects"]["amount"]) == (commitment, "300.50")
    assert data["synthese"]["this_month"]["release"]["count"] == 0  # never a release
    checked = mini("check")
    # The cancelled order's own warning (alpha above its share of 200) is mended; beta's stands.
    assert checked.exit_code == 0
    assert [line for line in checked.stderr.splitlines() if LEDGER in line] == [
        f"{LEDGER}:4: warning: beta commits {eur('300,50 €')} in 2021, above its indicative share of "
        f"{eur('200,00 €')} for the year"]


def test_the_report_lists_the_months_corrections_apart(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "300.50", "--date", "2021-03-01", "--ref", "BC-9")
    ok(mini, "cancel", "BC-9", "--reason", "Saisi sur la mauvaise équipe", "--date", "2021-03-02")
    table = ok(mini, "report", "--month", "2021-03")
    block = table[table.index("Corrections of March 2021"):].split("\n\n")[0].splitlines()
    assert block[0] == "Corrections of March 2021 (cancellations, services faits recorded later)"
    assert block[1].split() == ["Date", "Kind", "Team", "Corrects", "Amount", "Reason"]  # no internal id
    assert "commitment BC-9 of 2021-03-01 cancelled" in block[2] and " c-" not in block[2]
    assert block[2].endswith(f"{eur('300,50 €')}  Saisi sur la mauvaise équipe")
    french = ok(mini, "report", "--month", "2021-03", "--lang", "fr")
    assert "Corrections de mars 2021 (annulations, services faits enregistrés après coup)" in french
    assert "aucune correction ce mois-ci" not in french
    assert "Corrections of April" not in ok(mini, "report", "--month", "2021-04")  # none: not shown


def test_a_commitment_with_payments_names_them_and_nothing_is_written(mini: Cli, tmp_path: Path) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "pay", "BC-1", "30", "--date", "2021-04-01", "--service-fait", "2021-03-30", "--ref", "DP-1")
    commitment, payment = (e["id"] for e in entries(mini))
    before = sha(tmp_path / LEDGER)
    refused = mini("cancel", "BC-1", "--reason", "Erreur", "--date", "2021-04-02")
    assert (refused.exit_code, refused.stdout) == (1, "")
    assert refused.stderr == (
        f"{LEDGER}: error: commitment {commitment} (BC-1) still has {payment} recorded on it: cancel them first "
        "(delegation cancel ID --reason …), then the commitment\n"
        f"{LEDGER}: error: cancellation refused; the ledger was not changed\n")
    assert sha(tmp_path / LEDGER) == before
    ok(mini, "cancel", "DP-1", "--reason", "Erreur", "--date", "2021-04-02")
    ok(mini, "cancel", "BC-1", "--reason", "Erreur", "--date", "2021-04-02")
    assert report(mini, "2021-04")["totals"]["ae_committed"] == "0.00"


def test_an_entry_is_cancelled_once_and_a_cancelled_commitment_takes_nothing(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "cancel", "BC-1", "--reason", "Erreur", "--date", "2021-03-02")
    commitment, cancel = (e["id"] for e in entries(mini))
    twice = mini("cancel", commitment, "--reason", "Encore", "--date", "2021-03-03")
    assert twice.exit_code == 1
    assert twice.stderr.splitlines()[0] == (
        f"{LEDGER}: error: commitment {commitment} (BC-1) is already cancelled by {cancel} on 2021-03-02")
    paid = mini("pay", "BC-1", "10", "--date", "2021-03-04")
    assert (paid.exit_code, paid.stderr) == (1, (
        f"error: commitment {commitment} (BC-1) is cancelled (by {cancel} on 2021-03-02): nothing can be paid or "
        "released on it\n"))


def test_a_cancellation_names_an_entry_and_gives_its_reason(mini: Cli) -> None:
    unknown = mini("cancel", "BC-404", "--reason", "Erreur", "--date", "2021-03-02")
    assert (unknown.exit_code, unknown.stderr) == (1, (
        "error: unknown entry 'BC-404' (expected the id of an entry, a bon de commande or a demande de paiement; "
        "`delegation log` lists them)\n"))
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    empty = mini("cancel", "BC-1", "--reason", "  ", "--date", "2021-03-02")
    assert (empty.exit_code, empty.stderr) == (2, (
        "error: --reason is empty (expected why the entry is cancelled: it is shown to the délégant)\n"))
    missing = mini("cancel", "BC-1", "--date", "2021-03-02")
    assert missing.exit_code == 2 and "Missing option '--reason'" in missing.stderr
    before = mini("cancel", "BC-1", "--reason", "Erreur", "--date", "2021-02-28")
    assert before.exit_code == 1
    assert before.stderr.splitlines()[0] == (
        f"{LEDGER}: error: cancellation names entry {entries(mini)[0]['id']}, which is not recorded on or before "
        "2021-02-28 (expected the id of an earlier entry; `delegation log` lists them)")


def test_a_cancellation_in_a_closed_month_is_refused(mini: Cli, tmp_path: Path) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "close", "2021-03")
    seal = entries(mini)[-1]
    before = sha(tmp_path / LEDGER)
    refused = mini("cancel", "BC-1", "--reason", "Erreur", "--date", "2021-03-31")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"{LEDGER}: error: cancellation dated 2021-03-31 falls in a closed month: the ledger is closed through "
        f"2021-03 (seal {seal['id']}, line 3); date it after 2021-03-31, or record a correction in an open month\n"
        f"{LEDGER}: error: cancellation refused; the ledger was not changed\n")
    assert sha(tmp_path / LEDGER) == before
    ok(mini, "cancel", "BC-1", "--reason", "Erreur", "--date", "2021-04-01")


def test_a_commitment_of_an_earlier_year_cancelled_later_gives_back_no_ae(mini: Cli) -> None:
    ok(mini, "commit", "--team", "beta", "50", "--date", "2021-03-02", "--ref", "BC-2")
    done = mini("cancel", "BC-2", "--reason", "Commande jamais passée", "--date", "2022-02-01")
    assert done.exit_code == 0
    commitment = entries(mini)[0]["id"]
    assert done.stderr == (
        f"{LEDGER}: warning: cancelling commitment {commitment} (BC-2) of 2021 in 2022 gives back no AE of 2021 "
        f"(credits are annual): its {eur('50,00 €')} of AE 2021 stay consumed\n")
    years = {y["year"]: y for y in report(mini, "2022-02")["years"]}
    # AE 2021 stay at 50 consumed; the 50 are lost in 2022's account, beta's net is 0.
    assert (years[2021]["ae_committed"], years[2022]["released_earlier_years"]) == ("50.00", "50.00")
    assert report(mini, "2022-02")["teams"][1]["ae_committed"] == "0.00"


def test_a_cancelled_release_commits_its_amount_again_within_the_limits(mini: Cli) -> None:
    # AE 2021 available: 400 − 50 carried over = 350.  300 committed, 100 released: 150 left.
    ok(mini, "commit", "--team", "alpha", "300", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "release", "BC-1", "100", "--date", "2021-03-02")
    ok(mini, "commit", "--team", "beta", "100", "--date", "2021-03-03", "--ref", "BC-2")
    release = entries(mini)[1]["id"]
    refused = mini("cancel", release, "--reason", "Dégagement prématuré", "--date", "2021-03-04")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"{LEDGER}: error: alpha: commitment of {eur('100,00 €')} takes AE 2021 to {eur('400,00 €')}, above the "
        f"{eur('400,00 €')} opened for 2021, less {eur('50,00 €')} carried over to 2022 by avenant (available "
        f"{eur('50,00 €')}, asked {eur('100,00 €')}); insufficient credits: inform the délégant without delay (art. 5)")
    ok(mini, "cancel", "BC-2", "--reason", "Reportée", "--date", "2021-03-04")
    ok(mini, "cancel", release, "--reason", "Dégagement prématuré", "--date", "2021-03-05")
    assert report(mini, "2021-03")["teams"][0]["ae_committed"] == "300.00"


def test_a_cancelled_payment_frees_its_cp_and_its_demande_de_paiement(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "pay", "BC-1", "80", "--date", "2021-04-01", "--service-fait", "2021-03-30", "--ref", "DP-1")
    ok(mini, "cancel", "DP-1", "--reason", "Montant erroné", "--date", "2021-04-02")
    # CP 2021: 100 opened, 0 paid: 80 again paid with the same demande de paiement.
    again = mini("pay", "BC-1", "80", "--date", "2021-04-02", "--service-fait", "2021-03-30", "--ref", "DP-1")
    assert again.exit_code == 0, again.stderr
    assert f"CP 2021          {eur('100,00 €'):>14}   paid      {eur('80,00 €'):>14}" in again.stdout


def test_a_cancellation_with_dry_run_and_json(mini: Cli, tmp_path: Path) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    before = sha(tmp_path / LEDGER)
    dry = ok(mini, "cancel", "BC-1", "--reason", "Erreur", "--date", "2021-03-02", "--dry-run")
    assert dry.startswith("Would record (dry run, nothing written) cancellation x-")
    assert sha(tmp_path / LEDGER) == before
    data = json.loads(ok(mini, "cancel", "BC-1", "--reason", "Erreur", "--date", "2021-03-02", "--json"))
    assert (data["kind"], data["entry"], data["team"], data["label"], data["written"]) == (
        "cancel", entries(mini)[0]["id"], "alpha", "Erreur", True)
    assert "amount" not in data


def test_cancellation_messages_in_french(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "pay", "BC-1", "30", "--date", "2021-04-01", "--service-fait", "2021-03-30", "--ref", "DP-1")
    commitment, payment = (e["id"] for e in entries(mini))
    refused = mini("cancel", "BC-1", "--reason", "Erreur", "--date", "2021-04-02", env={"LANGUAGE": "fr"})
    assert refused.stderr.splitlines()[0] == (
        f"{LEDGER}: erreur : l'engagement {commitment} (BC-1) porte encore {payment} : annulez-les d'abord "
        "(delegation cancel ID --reason …), puis l'engagement")


# service fait recorded later -------------------------------------------------------------


def test_a_forgotten_service_fait_is_recorded_later(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    paid = mini("pay", "BC-1", "30", "--date", "2021-04-01", "--ref", "DP-1")
    assert paid.stderr == f"{LEDGER}: warning: payment of {eur('30,00 €')} has no service fait date (--service-fait)\n"
    strict = mini("check", "--strict")
    assert strict.exit_code == 1 and f"{LEDGER}:3: warning: payment of" in strict.stderr
    april = report(mini, "2021-04")
    assert [a["code"] for a in april["alerts"] if a["code"] == "payment-without-service-fait"] == [
        "payment-without-service-fait"]
    payment = entries(mini)[1]["id"]
    done = mini("service-fait", "DP-1", "2021-03-30", "--date", "2021-05-03")
    assert (done.exit_code, done.stderr) == (0, "")
    assert done.stdout.endswith(
        f", 2021-05-03, alpha, service fait of payment {payment} (DP-1) on 2021-03-30\n")
    assert LEDGER not in mini("check", "--strict").stderr  # the payment's warning is mended
    # April's report, as of 30/04, still warns (the service fait came in May); May's no longer does.
    assert any(a["code"] == "payment-without-service-fait" for a in report(mini, "2021-04")["alerts"])
    may = report(mini, "2021-05")
    assert not any(a["code"] == "payment-without-service-fait" for a in may["alerts"])
    assert [(c["kind"], c["corrects"]["id"], c["service_fait"]) for c in may["corrections"]] == [
        ("service-fait", payment, "2021-03-30")]


@pytest.mark.parametrize(("service_fait", "message"), [
    ("2021-02-28", "service fait on 2021-02-28 precedes the commitment {commitment} (BC-1) dated 2021-03-01"),
    ("2021-04-02", "service fait on 2021-04-02 is after the payment dated 2021-04-01 (a payment follows the "
                   "service fait)"),
])
def test_a_service_fait_lies_between_the_commitment_and_the_payment(mini: Cli, service_fait: str,
                                                                    message: str) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "pay", "BC-1", "30", "--date", "2021-04-01", "--ref", "DP-1")
    commitment = entries(mini)[0]["id"]
    refused = mini("service-fait", "DP-1", service_fait, "--date", "2021-04-05")
    assert refused.exit_code == 1
    assert refused.stderr == (f"{LEDGER}: error: {message.format(commitment=commitment)}\n"
                              f"{LEDGER}: error: service fait refused; the ledger was not changed\n")


def test_a_payment_has_one_service_fait(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "pay", "BC-1", "30", "--date", "2021-04-01", "--service-fait", "2021-03-30", "--ref", "DP-1")
    payment = entries(mini)[1]["id"]
    refused = mini("service-fait", "DP-1", "2021-03-31", "--date", "2021-04-05")
    assert refused.stderr.splitlines()[0] == (
        f"{LEDGER}: error: payment {payment} (DP-1) already has its service fait, on 2021-03-30")
    not_a_payment = mini("service-fait", "BC-1", "2021-03-31", "--date", "2021-04-05")
    assert not_a_payment.exit_code == 1
    assert not_a_payment.stderr.splitlines()[0] == (
        f"{LEDGER}: error: {entries(mini)[0]['id']} is a commitment, not a payment (a service fait is recorded for "
        "a payment)")


# forecasts ------------------------------------------------------------------------------


def test_a_forecast_of_zero_withdraws_the_one_in_force(mini: Cli) -> None:
    ok(mini, "forecast", "--team", "alpha", "200", "--month", "2021-06", "--type", "ae", "--date", "2021-03-01")
    assert [f["amount"] for f in report(mini, "2021-03")["forecasts"]] == ["200.00"]
    withdrawn = ok(mini, "forecast", "--team", "alpha", "0", "--month", "2021-06", "--type", "ae",
                   "--date", "2021-04-01")
    assert withdrawn.endswith(", 2021-04-01, alpha, withdraws the forecast of orders (AE) for 2021-06\n")
    assert report(mini, "2021-04")["forecasts"] == []
    assert [f["amount"] for f in report(mini, "2021-03")["forecasts"]] == ["200.00"]  # March stays as it was


def test_a_forecast_for_a_month_already_over_is_refused(mini: Cli) -> None:
    refused = mini("forecast", "--team", "alpha", "200", "--month", "2021-02", "--type", "cp", "--date", "2021-03-01")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"{LEDGER}: error: forecast for 2021-02 dated 2021-03-01: that month is over (a forecast plans the month "
        "of its date or a later one; record what happened instead)\n"
        f"{LEDGER}: error: forecast refused; the ledger was not changed\n")
    ok(mini, "forecast", "--team", "alpha", "200", "--month", "2021-03", "--type", "cp", "--date", "2021-03-01")


def test_forecast_help_says_a_later_forecast_replaces_the_earlier_one(mini: Cli) -> None:
    text = " ".join(ok(mini, "forecast", "--help").split())
    assert "A later forecast for the same team, month and type replaces the earlier one; an amount of 0 " \
           "withdraws it." in text


# completion ------------------------------------------------------------------------------


def test_completion_offers_the_entries_a_correction_may_name(mini: Cli) -> None:
    from delegation_cli.cli.completion import complete_entry, complete_unsupported_payment

    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1")
    ok(mini, "pay", "BC-1", "30", "--date", "2021-04-01", "--ref", "DP-1")
    ok(mini, "pay", "BC-1", "20", "--date", "2021-04-02", "--ref", "DP-2", "--service-fait", "2021-04-01")

    class Context:
        params: dict[str, str] = {"convention": "convention.yaml"}

    assert complete_entry(Context(), "") == ["BC-1", "DP-1", "DP-2"]  # type: ignore[arg-type]
    assert complete_unsupported_payment(Context(), "DP") == ["DP-1"]  # type: ignore[arg-type]
    ok(mini, "cancel", "DP-1", "--reason", "Erreur", "--date", "2021-04-03")
    assert complete_entry(Context(), "DP") == ["DP-2"]  # type: ignore[arg-type]
    assert complete_unsupported_payment(Context(), "") == []  # type: ignore[arg-type]


# Chorus numbers ---------------------------------------------------------------------------


def test_a_commitment_carries_its_ej_and_a_payment_its_dp(mini: Cli) -> None:
    ok(mini, "commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-1", "--ej", "1300012345")
    taken = mini("commit", "--team", "beta", "10", "--date", "2021-03-02", "--ej", "1300012345")
    assert taken.exit_code == 1
    assert taken.stderr.splitlines()[0] == (
        f"{LEDGER}: error: EJ 1300012345 is already recorded (commitment {entries(mini)[0]['id']}): one engagement "
        "juridique per commitment")
    bad = mini("commit", "--team", "beta", "10", "--date", "2021-03-02", "--ej", "13 000")
    assert (bad.exit_code, bad.stderr) == (2, (
        "error: --ej '13 000' is not valid (expected 1 to 64 letters, digits or . _ / : + -, starting with a letter "
        "or digit)\n"))
    # pay, release and cancel name the commitment by its EJ; a payment gives its DP with --dp.
    ok(mini, "pay", "1300012345", "30", "--date", "2021-04-01", "--service-fait", "2021-03-30", "--dp", "100012345")
    ok(mini, "release", "1300012345", "10", "--date", "2021-04-02")
    logged = entries(mini)
    assert (logged[0]["ej"], logged[1]["ref"], logged[2]["commitment"]) == ("1300012345", "100012345",
                                                                          logged[0]["id"])
    table = ok(mini, "log")
    assert "BC-1 EJ 1300012345" in table and f"→ {logged[0]['id']} DP 100012345" in table
    assert "1300012345" in ok(mini, "log", "--format", "csv").splitlines()[1]
    movements = report(mini, "2021-03")["movements"]
    assert movements[0]["ej"] == "1300012345"
    assert "BC-1 EJ 1300012345" in ok(mini, "report", "--month", "2021-03", "--full")
    assert "ej:1300012345" in ok(mini, "export", "--format", "hledger")
    ok(mini, "cancel", "100012345", "--reason", "Erreur", "--date", "2021-04-03")
    ok(mini, "cancel", logged[2]["id"], "--reason", "Erreur", "--date", "2021-04-03")
    ok(mini, "cancel", "1300012345", "--reason", "Erreur", "--date", "2021-04-03")
    again = mini("commit", "--team", "beta", "10", "--date", "2021-04-04", "--ej", "1300012345")
    assert again.exit_code == 0, again.stderr  # the EJ is free again

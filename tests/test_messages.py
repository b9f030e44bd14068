"""Issue 14, item 5: short usage errors, negative amounts, case-insensitive choices, dates
named with their format, a missing convention or a ledger given as one, nearest names."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Cli, write_convention

EXPECTED_AMOUNT = ("expected a positive amount in euros with at most 2 decimals, such as 20000, 20000.50 "
                   "or 20 000,50")


@pytest.fixture
def seed(cli: Cli, seed_copy: Path) -> Cli:
    return cli


# a. usage errors in two lines -------------------------------------------------------------


def test_an_unknown_option_is_two_lines_naming_the_closest_option(seed: Cli) -> None:
    result = seed("commit", "--team", "friches", "5", "--dat", "2020-01-01")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("error: No such option: --dat (Possible options: --author, --date)\n"
                             "hint: see delegation commit --help\n")


def test_a_missing_option_and_an_unknown_command_are_two_lines(seed: Cli) -> None:
    missing = seed("commit", "5")
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr == "error: Missing option '--team'.\nhint: see delegation commit --help\n"
    unknown = seed("comit")
    assert (unknown.exit_code, unknown.stdout) == (2, "")
    assert unknown.stderr == "error: No such command 'comit'. Did you mean 'commit'?\nhint: see delegation --help\n"


def test_an_invalid_value_is_two_lines(seed: Cli) -> None:
    result = seed("commit", "--team", "friches", "abc")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: Invalid value for 'AMOUNT': 'abc' is not an amount ({EXPECTED_AMOUNT})\n"
                             "hint: see delegation commit --help\n")


def test_no_arguments_still_prints_the_help(seed: Cli) -> None:
    result = seed()
    assert result.exit_code == 2
    assert "Commands:" in result.stdout + result.stderr
    assert "hint:" not in result.stderr


# b. negative amounts ----------------------------------------------------------------------


@pytest.mark.parametrize(("args", "command"), [
    (("commit", "--team", "friches", "-5"), "commit"),
    (("pay", "BC-1", "-5"), "pay"),
    (("forecast", "--team", "friches", "-5", "--month", "2020-04", "--type", "ae"), "forecast"),
])
def test_a_negative_amount_says_amounts_are_positive(seed: Cli, args: tuple[str, ...], command: str) -> None:
    result = seed(*args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: Invalid value for 'AMOUNT': '-5' is negative: amounts are positive "
                             f"({EXPECTED_AMOUNT})\nhint: see delegation {command} --help\n")


def test_a_negative_amount_with_cents_is_shown_whole(seed: Cli) -> None:
    result = seed("release", "BC-1", "-5,50")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: Invalid value for 'AMOUNT': '-5,50' is negative: amounts are positive "
                             f"({EXPECTED_AMOUNT})\nhint: see delegation release --help\n")


def test_a_unicode_minus_says_the_same(seed: Cli) -> None:
    result = seed("commit", "--team", "friches", "\u22125")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: Invalid value for 'AMOUNT': '\u22125' is negative: amounts are positive "
                             f"({EXPECTED_AMOUNT})\nhint: see delegation commit --help\n")


# c. choices in any case -------------------------------------------------------------------


def test_choices_are_case_insensitive(seed: Cli) -> None:
    forecast = seed("forecast", "--team", "friches", "30000", "--month", "2020-04", "--type", "AE",
                    "--date", "2020-03-01", "--dry-run")
    assert (forecast.exit_code, forecast.stderr) == (0, "")
    assert seed("log", "--format", "JSON") == seed("log", "--format", "json")
    excel = seed("log", "--format", "CSV", "--csv-dialect", "EXCEL-FR")
    assert (excel.exit_code, excel.stderr) == (0, "")
    assert excel.stdout.startswith("\ufeffline;date;kind;")
    check = seed("check", "--format", "Json")
    assert (check.exit_code, check.stdout) == (0, "[]\n")


def test_a_wrong_choice_lists_the_accepted_values_plainly(seed: Cli) -> None:
    result = seed("forecast", "--team", "friches", "5", "--month", "2020-04", "--type", "x")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("error: Invalid value for '--type': 'x' (expected one of: ae, cp)\n"
                             "hint: see delegation forecast --help\n")
    log = seed("log", "--format", "yaml")
    assert log.stderr == ("error: Invalid value for '--format': 'yaml' (expected one of: table, json, csv, ods, xlsx)\n"
                          "hint: see delegation log --help\n")


# d. dates in the YAML name their format ---------------------------------------------------


def test_a_date_written_otherwise_names_the_expected_format(cli: Cli, tmp_path: Path) -> None:
    write_convention(tmp_path, ("signed: 2019-12-09", "signed: 14/03/2023"))
    result = cli("check", "c.yaml")
    assert (result.exit_code, result.stdout) == (1, "c.yaml: invalid (1 error, 0 warnings)\n")
    assert result.stderr == ("c.yaml:7:9: error: signed: '14/03/2023' is not a date (expected a date YYYY-MM-DD, "
                             "such as 2019-12-09)\n")


def test_an_impossible_date_says_what_is_wrong_and_the_format(cli: Cli, tmp_path: Path) -> None:
    write_convention(tmp_path, ("signed: 2019-12-09", "signed: 2019-02-30"))
    result = cli("check", "c.yaml")
    assert result.exit_code == 1
    assert result.stderr == ("c.yaml:7:9: error: signed: '2019-02-30' is not a calendar date: day value is "
                             "outside expected range (expected a date YYYY-MM-DD, such as 2019-12-09)\n")


# e. a missing convention says how to give one ---------------------------------------------


def test_a_missing_convention_names_the_ways_to_give_one_and_the_yaml_files_here(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "a.yml").write_text("x: 1\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x\n", encoding="utf-8")
    for args in (("check",), ("report", "--month", "2020-06"), ("commit", "--team", "friches", "5")):
        result = cli(*args)
        assert (result.exit_code, result.stdout) == (2, ""), args
        assert result.stderr == ("convention.yaml: error: no such file (expected a convention YAML file); give one "
                                 "with -c PATH or $DELEGATION_CONVENTION (YAML files here: a.yml, b.yaml)\n"), args


def test_a_missing_convention_in_an_empty_folder(cli: Cli) -> None:
    result = cli("log", "-c", "nope.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("nope.yaml: error: no such file (expected a convention YAML file); give one "
                             "with -c PATH or $DELEGATION_CONVENTION\n")


# f. a ledger given as the convention ------------------------------------------------------


def test_check_given_a_ledger_says_so_and_suggests_ledger(seed: Cli, tmp_path: Path) -> None:
    assert seed("commit", "--team", "friches", "5", "--date", "2020-01-15").exit_code == 0
    result = seed("check", "ledgers/seed.ledger")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("ledgers/seed.ledger:1:1: error: is a delegation ledger, not a convention (expected a "
                             "convention YAML file; a ledger is given with --ledger: delegation check -c "
                             "CONVENTION.yaml --ledger ledgers/seed.ledger)\n")


# g. unknown names suggest the nearest one -------------------------------------------------

TEAMS = "acces-4-all, enr-electriques, biocarburants, affaires-juridiques, pointeuse-transport, friches"


def test_an_unknown_team_suggests_the_nearest(seed: Cli) -> None:
    result = seed("commit", "--team", "frices", "5", "--date", "2020-01-15")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"ledgers/seed.ledger: error: unknown team 'frices' (did you mean 'friches'? expected "
                             f"one of: {TEAMS})\nledgers/seed.ledger: error: commitment refused; the ledger was "
                             "not changed\n")
    far = seed("commit", "--team", "zzz", "5", "--date", "2020-01-15")
    assert far.stderr.startswith(f"ledgers/seed.ledger: error: unknown team 'zzz' (expected one of: {TEAMS})\n")


def test_an_unknown_marche_and_prestation_suggest_the_nearest(seed: Cli) -> None:
    marche = seed("commit", "--team", "friches", "5", "--date", "2020-01-15", "--marche", "dve")
    assert marche.exit_code == 1
    assert marche.stderr.startswith("ledgers/seed.ledger: error: unknown marché 'dve' (did you mean 'dev'? "
                                    "expected one of: coaching, dev)\n")
    kind = seed("commit", "--team", "friches", "5", "--date", "2020-01-15", "--kind", "devop")
    assert kind.exit_code == 1
    assert kind.stderr.startswith("ledgers/seed.ledger: error: unknown prestation kind 'devop' (did you mean "
                                  "'devops'? expected one of: coaching, deploiement, design, devops)\n")


def test_an_unknown_commitment_suggests_the_nearest(seed: Cli) -> None:
    assert seed("commit", "--team", "friches", "5", "--date", "2020-01-15", "--ref", "BC-12").exit_code == 0
    result = seed("pay", "BC-13", "5", "--date", "2020-02-01")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == ("error: unknown commitment 'BC-13' (did you mean 'BC-12'? expected a commitment id, its "
                             "bon de commande or its EJ number; `delegation log --kind commitment` lists them)\n")


# h. --help documents amounts --------------------------------------------------------------


@pytest.mark.parametrize("command", ["commit", "pay", "forecast", "release"])
def test_help_documents_amounts_in_euros_with_cents(cli: Cli, command: str) -> None:
    result = cli(command, "--help")
    assert result.exit_code == 0
    assert "AMOUNT <euros>" in result.stdout
    assert "<int>" not in result.stdout
    assert "cents allowed: 20000, 20000.50, '20 000,50 €'." in " ".join(result.stdout.split())

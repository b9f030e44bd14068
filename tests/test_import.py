"""`delegation import FILE.csv`: all rows or none, every problem as FILE:ROW, duplicates skipped."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import EXAMPLES, MINI, SEED_TEXT, Cli, dedent, eur, sha

INFORM = "insufficient credits: inform the délégant without delay (art. 5)"


@pytest.fixture
def mini(cli: Cli, tmp_path: Path) -> Cli:
    (tmp_path / "convention.yaml").write_text(MINI, encoding="utf-8")
    return cli


LEDGER = Path("mini.ledger")


def entries() -> list[list[str]]:
    return [line.split(" ") for line in LEDGER.read_text().splitlines()[1:]]


def test_import_appends_every_row_and_resolves_references(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text(dedent("""
        date;kind;team;amount;ref;commitment;service_fait;marche;prestation;month;type;label
        2021-03-01;commitment;alpha;150,00 €;BC-1;;;;devops;;;Étude
        2021-03-02;commitment;beta;"1 00,00";BC-2;;;coaching;coaching;;;
        2021-04-10;payment;;60;DP-1;BC-1;2021-04-01;;;;;Facture 1
        2021-04-20;forecast;beta;30;;;;;;2021-06;ae;
        2021-04-21;note;beta;;;;;;;;;Démarrage
    """).replace('"1 00,00"', "100"), encoding="utf-8")
    dry = mini("import", "rows.csv", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.splitlines()[0] == (
        "Would import (dry run, nothing written) 5 entries from rows.csv into mini.ledger")
    assert not LEDGER.exists()
    result = mini("import", "rows.csv", "--author", "alice")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == "Imported 5 entries from rows.csv into mini.ledger"
    rows = entries()
    assert [(r[0], r[1], r[3], r[4] if r[1] != "note" else None) for r in rows] == [
        ("2021-03-01", "commitment", "alpha", "150.00"), ("2021-03-02", "commitment", "beta", "100.00"),
        ("2021-04-10", "payment", "alpha", "60.00"), ("2021-04-20", "forecast", "beta", "30.00"),
        ("2021-04-21", "note", "beta", None)]
    assert "marche=dev" in rows[0] and "prestation=devops" in rows[0]  # marché inferred from the kind
    assert f"commitment={rows[0][2]}" in rows[2]  # BC-1 resolved to the new commitment's id
    assert all("by=alice" in r for r in rows)
    assert mini("check").exit_code == 0


def test_a_refused_import_appends_nothing_and_names_every_row(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-0").exit_code == 0
    before = sha(LEDGER)
    (tmp_path / "rows.csv").write_text(dedent("""
        date,kind,team,amount,ref,commitment,label
        2021-03-05,commitment,alpha,50,BC-1,,ok on its own
        2021-03-06,commitment,beta,700,BC-2,,over the cap
        2021-02-30,payment,,10,,BC-1,
        2021-04-11,payment,,60,DP-2,BC-9,
        2021-04-12,release,beta,10,,BC-1,
        2021-04-13,forecast,alpha,ten,,,
    """), encoding="utf-8")
    result = mini("import", "rows.csv")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "rows.csv:4: error: date: '2021-02-30' is not a calendar date (expected YYYY-MM-DD)\n"
        "rows.csv:7: error: amount: 'ten' is not an amount (expected a positive amount in euros with at most 2 "
        "decimals, such as 20000, 20000.50 or 20 000,50)\n"
        "rows.csv:7: error: month: '' is not a month (expected YYYY-MM, such as 2021-03)\n"
        "rows.csv:7: error: type '' is not ae or cp\n"
        "mini.ledger: error: import refused: 2 rows in error; the ledger was not changed\n"
    ).replace("such as 2021-03", "such as 2020-03")
    assert sha(LEDGER) == before
    # Once the shape is right, the availability control speaks, row by row.
    (tmp_path / "rows.csv").write_text(dedent("""
        date,kind,team,amount,ref,commitment,label
        2021-03-05,commitment,alpha,50,BC-1,,ok on its own
        2021-03-06,commitment,beta,700,BC-2,,over the cap
        2021-04-11,payment,,60,DP-2,BC-9,
        2021-04-12,release,beta,10,,BC-1,
    """), encoding="utf-8")
    result = mini("import", "rows.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        f"rows.csv:3: error: beta: commitment of {eur('700,00 €')} takes the team to {eur('700,00 €')}, above its "
        f"cap of {eur('600,00 €')} (available {eur('600,00 €')}, asked {eur('700,00 €')}); {INFORM}\n"
        f"rows.csv:3: error: beta: commitment of {eur('700,00 €')} takes AE 2021 to {eur('850,00 €')}, above the "
        f"{eur('400,00 €')} opened for 2021, less {eur('50,00 €')} carried over to 2022 by avenant (available "
        f"{eur('200,00 €')}, asked {eur('700,00 €')}); {INFORM}\n"
        "rows.csv:4: error: unknown commitment 'BC-9' (expected the id or bon de commande reference of a "
        "commitment of the ledger or of this file)\n"
        "rows.csv:5: error: release is charged to beta but commitment "
        f"{_id_of('BC-1', result.stderr)} belongs to alpha\n"
        "mini.ledger: error: import refused: 3 rows in error; the ledger was not changed\n")
    assert sha(LEDGER) == before


def _id_of(ref: str, text: str) -> str:
    marker = "release is charged to beta but commitment "
    return text.split(marker, 1)[1].split(" ", 1)[0]


def test_rows_already_in_the_ledger_are_duplicates(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-0").exit_code == 0
    assert mini("note", "--team", "beta", "Démarrage", "--date", "2021-03-02").exit_code == 0
    exported = mini("log", "--format", "csv")
    (tmp_path / "again.csv").write_text(exported.stdout, encoding="utf-8")
    before = sha(LEDGER)
    result = mini("import", "again.csv")
    assert result.exit_code == 0
    rows = entries()
    assert result.stderr == (
        f"again.csv:2: warning: already in the ledger at mini.ledger:2 (commitment {rows[0][2]}); not appended again\n"
        f"again.csv:3: warning: already in the ledger at mini.ledger:3 (note {rows[1][2]}); not appended again\n")
    assert result.stdout == "Imported 0 entries from again.csv into mini.ledger; 2 duplicates skipped\n"
    assert sha(LEDGER) == before


def test_round_trip_through_the_excel_fr_export(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "150.5", "--date", "2021-03-01", "--ref", "BC-1",
                "--label", "=SUM(A1)").exit_code == 0
    assert mini("pay", "BC-1", "50", "--date", "2021-04-01", "--service-fait", "2021-03-30").exit_code == 0
    exported = mini("export", "--format", "csv", "--csv-dialect", "excel-fr", "--output", "fr.csv")
    assert exported.exit_code == 0
    (tmp_path / "convention.yaml").write_text(MINI.replace("ledger: mini.ledger", "ledger: copy.ledger"))
    result = mini("import", "fr.csv")
    assert result.exit_code == 0, result.stderr
    original = [line.split(" at=")[0] for line in LEDGER.read_text().splitlines()[1:]]
    copied = [line.split(" at=")[0] for line in Path("copy.ledger").read_text().splitlines()[1:]]
    assert copied == original
    assert Path("copy.ledger").read_text().splitlines()[1].split(" block=")[0].endswith('"=SUM(A1)"')


def test_unknown_columns_and_empty_files(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("date,kind,couleur\n2021-03-01,note,1\n")
    result = mini("import", "bad.csv")
    assert (result.exit_code, result.stderr) == (1, (
        "bad.csv:1: error: unknown column 'couleur' (expected some of: id, date, kind, team, amount, ref, "
        "commitment, marche, prestation, service_fait, month, type, label, author, line, target, ej)\n"
        "bad.csv:2: error: a note needs a team (column 'team')\n"
        "bad.csv:2: error: a note needs its text (column 'label')\n"
        "mini.ledger: error: import refused: 2 rows in error; the ledger was not changed\n"))
    (tmp_path / "empty.csv").write_text("")
    result = mini("import", "empty.csv")
    assert (result.exit_code, result.stderr) == (1, "empty.csv:1: error: the file is empty (expected a header row)\n"
                                                    "mini.ledger: error: import refused: 1 row in error; the ledger "
                                                    "was not changed\n")
    missing = mini("import", "nope.csv")
    assert (missing.exit_code, missing.stderr) == (2, "nope.csv: error: no such file (expected a CSV file)\n")


def test_one_bad_row_is_one_row_in_error(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "rows.csv").write_text("date,kind,team,amount\n2021-03-01,commitment,alpha,ten\n"
                                       "2021-03-02,commitment,alpha,10\n", encoding="utf-8")
    result = mini("import", "rows.csv")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "mini.ledger: error: import refused: 1 row in error; the ledger was not changed")
    assert sum("import refused" in line for line in result.stderr.splitlines()) == 1
    assert not LEDGER.exists()


SEED_LEDGER = "ledgers/fabrique-numerique-s3.ledger"
SKIPPED_SEAL = "a.csv: info: skipped 1 seal row: seals are re-created with `delegation close`"


def _comparable(log_json: str) -> list[dict[str, object]]:
    """The entries of ``log --format json`` but seals, without what an import renews."""
    return [{k: v for k, v in e.items() if k not in ("line", "recorded_at")}
            for e in json.loads(log_json) if e["kind"] != "seal"]


@pytest.mark.parametrize("dialect", ["rfc4180", "excel-fr"])
def test_round_trip_of_the_closed_seed_ledger(cli: Cli, tmp_path: Path, dialect: str) -> None:
    (tmp_path / "ledgers").mkdir()
    shutil.copy(EXAMPLES / SEED_LEDGER, tmp_path / SEED_LEDGER)
    (tmp_path / "convention.yaml").write_text(SEED_TEXT, encoding="utf-8")
    (tmp_path / "empty.yaml").write_text(
        SEED_TEXT.replace(f"ledger: {SEED_LEDGER}", "ledger: ledgers/copy.ledger"), encoding="utf-8")
    assert cli("close", "2019-12").exit_code == 0
    assert cli("export", "--format", "csv", "--csv-dialect", dialect, "--output", "a.csv").exit_code == 0
    exported = cli("log", "--format", "json")
    original = _comparable(exported.stdout)
    assert len(original) == len(json.loads(exported.stdout)) - 1  # one seal
    # Into itself: every row is a duplicate, the seal is skipped, nothing is appended.
    before = sha(tmp_path / SEED_LEDGER)
    again = cli("import", "a.csv")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == (f"Imported 0 entries from a.csv into {SEED_LEDGER}; "
                            f"{len(original)} duplicates skipped\n")
    lines = again.stderr.splitlines()
    assert lines.count(SKIPPED_SEAL) == 1
    assert len(lines) == 1 + len(original)
    assert all("not appended again" in line for line in lines if line != SKIPPED_SEAL)
    assert sha(tmp_path / SEED_LEDGER) == before
    # Into an empty ledger of the same convention: the same entries, entry for entry.
    copy = cli("import", "-c", "empty.yaml", "a.csv")
    assert copy.exit_code == 0, copy.stderr
    assert copy.stdout.splitlines()[0] == (
        f"Imported {len(original)} entries from a.csv into ledgers/copy.ledger")
    assert copy.stderr.splitlines().count(SKIPPED_SEAL) == 1
    assert _comparable(cli("log", "-c", "empty.yaml", "--format", "json").stdout) == original
    assert cli("check", "empty.yaml").exit_code == 0


HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "-1+1", "+33 6 00", "@SUM(A1)", "\tstarts with a tab",
           "a\ttab, a comma; a semicolon", 'say "hi", then \'bye\'', "two\nlines", "\nleading line feed",
           "  surrounding spaces  ", " =spaced formula", "'quoted start", "ends with a line feed\n"]


@pytest.mark.parametrize("dialect", ["rfc4180", "excel-fr"])
def test_hostile_labels_come_back_exactly(mini: Cli, tmp_path: Path, dialect: str) -> None:
    for n, label in enumerate(HOSTILE, start=1):
        result = mini("note", "--team", "alpha", "--date", f"2021-03-{n:02d}", "--", label)
        assert result.exit_code == 0, result.stderr
    result = mini("commit", "--team", "beta", "20", "--date", "2021-03-20", "--ref", "BC-1", "--label", "=1+1")
    assert result.exit_code == 0, result.stderr
    result = mini("pay", "BC-1", "5", "--date", "2021-04-01", "--service-fait", "2021-03-30",
                  "--label", '  -paid, "in full"\n')
    assert result.exit_code == 0, result.stderr
    assert mini("close", "2021-03").exit_code == 0
    assert mini("export", "--format", "csv", "--csv-dialect", dialect, "--output", "a.csv").exit_code == 0
    original = json.loads(mini("log", "--format", "json").stdout)
    assert [e["label"] for e in original if e["kind"] == "note"] == HOSTILE
    (tmp_path / "convention.yaml").write_text(MINI.replace("ledger: mini.ledger", "ledger: copy.ledger"))
    result = mini("import", "a.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == SKIPPED_SEAL + "\n"
    copied = json.loads(mini("log", "--format", "json").stdout)
    assert _comparable(json.dumps(copied)) == _comparable(json.dumps(original))


def test_a_row_with_another_bon_de_commande_is_not_a_duplicate(mini: Cli, tmp_path: Path) -> None:
    """The duplicate rule compares every identifying field, the bon de commande included."""
    assert mini("commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-100").exit_code == 0
    first = entries()[0]
    (tmp_path / "rows.csv").write_text(dedent("""
        date,kind,team,amount,ref
        2021-03-01,commitment,alpha,100,BC-200
        2021-03-01,commitment,alpha,100,BC-100
    """), encoding="utf-8")
    result = mini("import", "rows.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"rows.csv:3: warning: already in the ledger at mini.ledger:2 (commitment {first[2]}); "
                             "not appended again\n")
    assert result.stdout.splitlines()[0] == "Imported 1 entry from rows.csv into mini.ledger; 1 duplicate skipped"
    assert [row[5] for row in entries()] == ["ref=BC-100", "ref=BC-200"]


def test_a_row_reusing_a_reference_for_other_facts_is_refused_not_skipped(mini: Cli, tmp_path: Path) -> None:
    assert mini("commit", "--team", "alpha", "100", "--date", "2021-03-01", "--ref", "BC-100").exit_code == 0
    cid = entries()[0][2]
    before = sha(LEDGER)
    (tmp_path / "rows.csv").write_text("date,kind,team,amount,ref\n2021-03-02,commitment,alpha,150,BC-100\n",
                                       encoding="utf-8")
    result = mini("import", "rows.csv")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (f"rows.csv:2: error: bon de commande BC-100 is already recorded (commitment {cid})\n"
                             "mini.ledger: error: import refused: 1 row in error; the ledger was not changed\n")
    assert sha(LEDGER) == before


# Spreadsheets and French ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_workbook_of_the_log_imports_back_into_the_same_entries(seed_example: Cli, tmp_path: Path,
                                                                 fmt: str) -> None:
    """`log --format xlsx|ods` (French headers and kind names) read back by `import`: every entry
    again, its id, date, kind, team, amount and references."""
    def facts(entries: list[dict[str, object]]) -> list[tuple[object, ...]]:
        keys = ("id", "date", "kind", "team", "amount", "ref", "commitment", "service_fait", "month", "type",
                "label", "ej", "entry", "payment")
        return [tuple(e.get(k) for k in keys) for e in entries if e["kind"] != "seal"]

    before = facts(json.loads(seed_example("log", "--format", "json").stdout))
    book = tmp_path / f"journal.{fmt}"
    assert seed_example("export", "--format", fmt, "--output", str(book)).exit_code == 0
    (tmp_path / "ledgers" / "fabrique-numerique-s3.ledger").unlink()
    imported = seed_example("import", book.name)
    assert imported.exit_code == 0, imported.stderr
    assert facts(json.loads(seed_example("log", "--format", "json").stdout)) == before


def test_french_headers_and_kind_names_are_read(mini: Cli, tmp_path: Path) -> None:
    (tmp_path / "suivi.csv").write_text(
        "date;nature;équipe;montant;réf;EJ;engagement;service fait;libellé\n"
        "2021-03-01;engagement;alpha;120,50 €;BC-1;1300000001;;;Lot 1\n"
        "2021-04-01;paiement;;20,00;DP-1;;BC-1;2021-03-30;Acompte\n"
        "2021-04-02;Dégagement;;10;;;1300000001;;Fin\n", encoding="utf-8")
    result = mini("import", "suivi.csv")
    assert result.exit_code == 0, result.stderr
    logged = json.loads(mini("log", "--format", "json").stdout)
    assert [(e["kind"], e["team"], e["amount"], e.get("ref"), e.get("ej")) for e in logged] == [
        ("commitment", "alpha", "120.50", "BC-1", "1300000001"), ("payment", "alpha", "20.00", "DP-1", None),
        ("release", "alpha", "10.00", None, None)]
    assert logged[1]["service_fait"] == "2021-03-30" and logged[2]["commitment"] == logged[0]["id"]
    french = mini("log", "--kind", "paiement", "--format", "json")
    assert [e["kind"] for e in json.loads(french.stdout)] == ["payment"]
    wrong = mini("log", "--kind", "sceau")
    assert (wrong.exit_code, wrong.stderr.splitlines()[0]) == (2, (
        "error: Invalid value for '--kind': 'sceau' is not a kind of entry (expected one of: commitment, payment, "
        "release, forecast, note, cancel (cancellation), service-fait (service fait))"))
